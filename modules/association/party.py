# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import defaultdict

from sql import Literal, Null
from sql.aggregate import Count, Sum

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

# Number of ids in one IN clause
SLICE = 1000

KINDS = [
    (None, ""),
    ('person', "Person"),
    ('commune', "Commune"),
    ('epci', "EPCI"),
    ('ept', "EPT"),
    ('departement', "Département"),
    ('region', "Région"),
    ('public_body', "Other Public Body"),
    ('company', "Company"),
    ('association', "Association"),
    ('foundation', "Foundation"),
    ]
AUTHORITY_KINDS = {
    'commune', 'epci', 'ept', 'departement', 'region', 'public_body'}
# Kinds whose official code comes from the official data
OFFICIAL_KINDS = ['commune', 'epci', 'ept', 'departement', 'region']
GROUPING_KINDS = ['epci', 'ept']

EPCI_TYPES = [
    (None, ""),
    ('CC', "Communauté de communes"),
    ('CA', "Communauté d'agglomération"),
    ('CU', "Communauté urbaine"),
    ('METRO', "Métropole"),
    ('MET69', "Métropole de Lyon"),
    ('EPT', "Établissement public territorial"),
    ]


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    kind = fields.Selection(
        KINDS, "Kind",
        help="What the party is for the association: a person, "
        "a local authority or another organisation.")
    civility = fields.Selection([
            (None, ""),
            ('ms', "Ms"),
            ('mr', "Mr"),
            ], "Civility",
        states={
            'invisible': Eval('kind') != 'person',
            },
        help="How letters address the person.")
    birth_date = fields.Date(
        "Birth Date",
        states={
            'invisible': Eval('kind') != 'person',
            },
        help="From the register of elected officials: it serves only to "
        "recognise the person from one register to the next.",
        # Read only when asked: only the administrators may read it
        loading='lazy')
    register_key = fields.Char(
        "Register Key", readonly=True,
        states={
            'invisible': Eval('kind') != 'person',
            },
        help="The name, first name and birth date that recognise the "
        "person in the register of elected officials.",
        loading='lazy')
    is_authority = fields.Function(
        fields.Boolean("Local Authority"), 'on_change_with_is_authority')
    official_code = fields.Char(
        "Official Code",
        states={
            'invisible': ~Eval('kind').in_(OFFICIAL_KINDS),
            },
        help="The INSEE code of communes, départements and régions, "
        "the SIREN of EPCI and EPT.")
    epci_type = fields.Selection(
        EPCI_TYPES, "Intercommunality Type",
        states={
            'invisible': ~Eval('kind').in_(GROUPING_KINDS),
            })
    population = fields.Integer(
        "Municipal Population",
        domain=[
            If(Bool(Eval('population')),
                ('population', '>=', 0),
                ()),
            ],
        states={
            'invisible': ~Eval('is_authority'),
            },
        help="The legal municipal population.")
    population_total = fields.Integer(
        "Total Population",
        domain=[
            If(Bool(Eval('population_total')),
                ('population_total', '>=', 0),
                ()),
            ],
        states={
            'invisible': ~Eval('is_authority'),
            },
        help="The legal total population, "
        "counting people who live elsewhere but have ties to the place.")
    population_year = fields.Integer(
        "Population Year",
        states={
            'invisible': ~Eval('is_authority'),
            'required': Bool(Eval('population')),
            },
        help="The year of the official data that gave the population.")
    populations = fields.One2Many(
        'association.population', 'authority', "Populations",
        states={
            'invisible': ~Eval('is_authority'),
            },
        help="The legal populations of each year.")
    departement = fields.Many2One(
        'country.subdivision', "Département", ondelete='RESTRICT',
        domain=[
            ('country.code', '=', 'FR'),
            ],
        states={
            'invisible': ~Eval('is_authority'),
            })
    region = fields.Many2One(
        'country.subdivision', "Région", ondelete='RESTRICT',
        domain=[
            ('country.code', '=', 'FR'),
            ],
        states={
            'invisible': ~Eval('is_authority'),
            })
    contour = fields.Binary(
        "Contour", readonly=True,
        states={
            'invisible': ~Eval('kind').in_(
                ['commune', 'departement', 'region']),
            },
        help="The simplified contour drawn on the maps (WKB in longitude "
        "and latitude), from the official data.")
    epci = fields.Many2One(
        'party.party', "EPCI", ondelete='RESTRICT',
        domain=[
            ('kind', '=', 'epci'),
            ],
        states={
            'invisible': Eval('kind') != 'commune',
            },
        help="The intercommunality the commune belongs to.")
    ept = fields.Many2One(
        'party.party', "EPT", ondelete='RESTRICT',
        domain=[
            ('kind', '=', 'ept'),
            ],
        states={
            'invisible': Eval('kind') != 'commune',
            },
        help="The territorial establishment of Grand Paris "
        "the commune belongs to.")
    epci_communes = fields.One2Many(
        'party.party', 'epci', "Communes",
        domain=[
            ('kind', '=', 'commune'),
            ],
        states={
            'invisible': Eval('kind') != 'epci',
            })
    ept_communes = fields.One2Many(
        'party.party', 'ept', "Communes",
        domain=[
            ('kind', '=', 'commune'),
            ],
        states={
            'invisible': Eval('kind') != 'ept',
            })
    commune_count = fields.Function(
        fields.Integer(
            "Number of Communes",
            states={
                'invisible': ~Eval('kind').in_(GROUPING_KINDS),
                }),
        'get_communes_figures')
    communes_population = fields.Function(
        fields.Integer(
            "Population of the Communes",
            states={
                'invisible': ~Eval('kind').in_(GROUPING_KINDS),
                },
            help="The sum of the municipal populations of its communes."),
        'get_communes_figures')
    successor = fields.Many2One(
        'party.party', "Successor", ondelete='RESTRICT',
        domain=[
            ('kind', '=', Eval('kind', -1)),
            ('id', '!=', Eval('id', -1)),
            ],
        states={
            'invisible': ~Eval('successor') & Eval('active', True),
            },
        help="The authority that took over after a merge.")
    predecessors = fields.One2Many(
        'party.party', 'successor', "Predecessors", readonly=True,
        filter=[
            ('active', 'in', [True, False]),
            ],
        states={
            'invisible': ~Eval('predecessors'),
            },
        help="The authorities merged into this one.")
    mayor = fields.Function(
        fields.Many2One(
            'party.party', "Mayor",
            states={
                'invisible': Eval('kind') != 'commune',
                }),
        'get_mayor', searcher='search_mayor')
    authority_mandates = fields.One2Many(
        'association.mandate', 'authority', "Mandates",
        states={
            'invisible': ~Eval('is_authority'),
            },
        help="The mandates held in this authority.")
    mandates = fields.One2Many(
        'association.mandate', 'person', "Mandates",
        states={
            'invisible': Eval('kind') != 'person',
            },
        help="The mandates the person held or holds.")
    current_mandates = fields.Function(
        fields.Many2Many(
            'association.mandate', None, None, "Current Mandates",
            states={
                'invisible': Eval('kind') != 'person',
                }),
        'get_current_mandates')

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        # Migration: an empty official code is no code (the clients sent
        # one for every party they created)
        cursor.execute(*table.update(
                [table.official_code], [Null],
                where=table.official_code == ''))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'official_code' in values and not values['official_code']:
            # An empty code would clash with the other parties of the kind
            values['official_code'] = None
        return values

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('official_code_unique',
                Unique(t, t.kind, t.official_code),
                'association.msg_party_official_code_unique'),
            ]
        cls._sql_indexes.update({
                Index(t,
                    (t.kind, Index.Equality(cardinality='low')),
                    (t.official_code, Index.Equality(cardinality='high'))),
                Index(t,
                    (t.epci, Index.Range()),
                    where=t.epci != Null),
                Index(t,
                    (t.ept, Index.Range()),
                    where=t.ept != Null),
                Index(t,
                    (t.successor, Index.Range()),
                    where=t.successor != Null),
                Index(t, (t.departement, Index.Range())),
                Index(t,
                    (t.register_key, Index.Equality(cardinality='high')),
                    where=t.register_key != Null),
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//page[@id="authority"]|//page[@name="populations"]',
                'states', {
                    'invisible': ~Eval('is_authority'),
                    }),
            ('//page[@id="mandates"]', 'states', {
                    'invisible': (
                        ~Eval('is_authority') & (Eval('kind') != 'person')),
                    }),
            ]

    @classmethod
    def default_kind(cls):
        return Transaction().context.get('party_kind')

    @fields.depends('kind')
    def on_change_with_is_authority(self, name=None):
        return self.kind in AUTHORITY_KINDS

    @property
    def document_language(self):
        """The code of the language of what the association sends to the
        party: its own language, else the association's, else the
        database's"""
        pool = Pool()
        Company = pool.get('company.company')
        Config = pool.get('ir.configuration')
        if self.lang:
            return self.lang.code
        company_id = Transaction().context.get('company')
        if company_id is not None and company_id >= 0:
            companies = [Company(company_id)]
        else:
            companies = Company.search([], limit=1)
        for company in companies:
            if company.party.lang:
                return company.party.lang.code
        return Config.get_language()

    @property
    def mayor_salutation(self):
        "The salutation of a letter to the mayor of the commune"
        civility = self.mayor.civility if self.mayor else None
        return gettext(
            'association.msg_salutation_mayor_' + (civility or 'unknown'))

    @property
    def mayor_attention(self):
        "The line that addresses a letter to the mayor of the commune"
        if self.kind == 'commune' and self.mayor:
            return gettext('association.msg_attention_mayor',
                salutation=self.mayor_salutation, mayor=self.mayor.name)

    @classmethod
    def get_communes_figures(cls, parties, names):
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        count = {p.id: None for p in parties}
        population = dict(count)
        for kind, column in [('epci', party.epci), ('ept', party.ept)]:
            ids = [p.id for p in parties if p.kind == kind]
            for sub_ids in grouped_slice(ids, count=SLICE):
                cursor.execute(*party.select(
                        column, Count(party.id),
                        Sum(party.population),
                        where=column.in_(list(sub_ids))
                        & (party.active == Literal(True))
                        & (party.kind == 'commune'),
                        group_by=[column]))
                for group_id, number, total in cursor:
                    count[group_id] = number
                    population[group_id] = int(total or 0)
        result = {}
        if 'commune_count' in names:
            result['commune_count'] = count
        if 'communes_population' in names:
            result['communes_population'] = population
        return result

    @classmethod
    def _current_mandates(cls, date=None):
        "Return the query of the mandates in office at the date"
        pool = Pool()
        Mandate = pool.get('association.mandate')
        Date = pool.get('ir.date')
        mandate = Mandate.__table__()
        if date is None:
            date = Date.today()
        return mandate, (
            (mandate.start_date <= date)
            & ((mandate.end_date == Null) | (mandate.end_date >= date)))

    @classmethod
    def get_mayor(cls, parties, name):
        mandate, in_office = cls._current_mandates()
        cursor = Transaction().connection.cursor()
        mayors = dict.fromkeys(map(int, parties))
        for sub_ids in grouped_slice(mayors.keys(), count=SLICE):
            cursor.execute(*mandate.select(
                    mandate.authority, mandate.person,
                    where=mandate.authority.in_(list(sub_ids))
                    & (mandate.office == 'mayor')
                    & in_office,
                    order_by=[mandate.start_date.asc]))
            mayors.update(cursor)
        return mayors

    @classmethod
    def search_mayor(cls, name, clause):
        mandate, in_office = cls._current_mandates()
        _, operator, value = clause[:3]
        nested = clause[0][len(name) + 1:]
        pool = Pool()
        Party = pool.get('party.party')
        field = nested or 'rec_name'
        persons = Party.search(
            [(field, operator, value) + tuple(clause[3:])], query=True,
            order=[])
        return [('id', 'in', mandate.select(
                    mandate.authority,
                    where=(mandate.office == 'mayor')
                    & in_office
                    & mandate.person.in_(persons)))]

    @classmethod
    def get_current_mandates(cls, parties, name):
        mandate, in_office = cls._current_mandates()
        cursor = Transaction().connection.cursor()
        mandates = defaultdict(list)
        for sub_ids in grouped_slice(list(map(int, parties)), count=SLICE):
            cursor.execute(*mandate.select(
                    mandate.person, mandate.id,
                    where=mandate.person.in_(list(sub_ids)) & in_office,
                    order_by=[mandate.start_date.asc, mandate.id.asc]))
            for person, mandate_id in cursor:
                mandates[person].append(mandate_id)
        return {p.id: mandates.get(p.id, []) for p in parties}

    @classmethod
    def on_modification(cls, mode, parties, field_names=None):
        super().on_modification(mode, parties, field_names=field_names)
        if mode in {'create', 'write'} and (field_names is None
                or field_names & {
                    'population', 'population_total', 'population_year'}):
            cls._record_populations(parties)

    @classmethod
    def official_data_merged(cls, merges, year):
        """Called by the official-data import after the communes merged in
        the vintage year were deactivated, with the list of (merged id,
        successor id) pairs; modules extend it to pass on what belonged to
        the merged communes, and return the lines of the import's report
        that say what they did"""
        return []

    @classmethod
    def _record_populations(cls, parties):
        "Keep the population history in line with the current population"
        pool = Pool()
        Population = pool.get('association.population')
        parties = [
            p for p in parties
            if p.population is not None and p.population_year]
        existing = {}
        for sub_parties in grouped_slice(parties, count=SLICE):
            for population in Population.search([
                        ('authority', 'in', [p.id for p in sub_parties]),
                        ]):
                existing[population.authority.id, population.year] = (
                    population)
        to_save = []
        for party in parties:
            population = existing.get((party.id, party.population_year))
            if not population:
                population = Population(
                    authority=party, year=party.population_year)
            elif (population.population == party.population
                    and population.population_total
                    == party.population_total):
                continue
            population.population = party.population
            population.population_total = party.population_total
            to_save.append(population)
        Population.save(to_save)

    def get_rec_name(self, name):
        rec_name = super().get_rec_name(name)
        if self.kind == 'commune' and self.departement:
            code = self.official_code or ''
            rec_name += f' ({code[:3] if code.startswith("97") else code[:2]})'
        return rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        domain = super().search_rec_name(name, clause)
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            domain,
            ('official_code', *clause[1:]),
            ]

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('official_code')
        default.setdefault('birth_date')
        default.setdefault('register_key')
        default.setdefault('populations')
        default.setdefault('epci_communes')
        default.setdefault('ept_communes')
        default.setdefault('predecessors')
        default.setdefault('authority_mandates')
        default.setdefault('mandates')
        return super().copy(parties, default=default)


class FromRegisterMixin:
    """A town hall's address or contact that the register gave: a later
    import updates it until the staff change one of the fields of
    _register_fields"""
    __slots__ = ()
    _register_fields = set()

    from_register = fields.Boolean("From the Register", readonly=True)

    @classmethod
    def default_from_register(cls):
        return False

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if (mode == 'write' and 'from_register' not in values
                and values.keys() & cls._register_fields):
            # What the staff typed is theirs
            values['from_register'] = False
        return values


class Address(FromRegisterMixin, metaclass=PoolMeta):
    __name__ = 'party.address'
    _register_fields = {
        'street', 'street_unstructured', 'postal_code', 'city'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.from_register.help = (
            "The town hall's address from the register: a later import "
            "updates it until someone changes it.")


class ContactMechanism(FromRegisterMixin, metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'
    _register_fields = {'type', 'value'}

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.from_register.help = (
            "The town hall's contact from the register: a later import "
            "updates it until someone changes it.")


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Party = pool.get('party.party')
        to_erase = super().to_erase(party_id)
        to_erase.append(
            (Party, [('id', '=', party_id)], True,
                ['civility', 'birth_date', 'register_key'],
                [None, None, None]))
        return to_erase


class Population(ModelSQL, ModelView):
    "Legal Population"
    __name__ = 'association.population'

    authority = fields.Many2One(
        'party.party', "Authority", required=True, ondelete='CASCADE',
        domain=[
            ('kind', 'in', sorted(AUTHORITY_KINDS)),
            ])
    year = fields.Integer("Year", required=True)
    population = fields.Integer(
        "Municipal Population", required=True,
        domain=[
            ('population', '>=', 0),
            ])
    population_total = fields.Integer(
        "Total Population",
        domain=[
            If(Bool(Eval('population_total')),
                ('population_total', '>=', 0),
                ()),
            ])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('authority_year_unique', Unique(t, t.authority, t.year),
                'association.msg_population_authority_year_unique'),
            ]
        cls._order.insert(0, ('year', 'DESC'))

    @classmethod
    def default_year(cls):
        return Pool().get('ir.date').today().year


class Configuration(metaclass=PoolMeta):
    __name__ = 'party.configuration'

    @classmethod
    def default_party_lang(cls, **pattern):
        """The parties speak the association's language unless told
        otherwise, French once its translations are loaded: the parties of
        the imports, created without language, read their letters and
        e-mails in it"""
        pool = Pool()
        Company = pool.get('company.company')
        Lang = pool.get('ir.lang')
        transaction = Transaction()
        default = getattr(super(), 'default_party_lang', None)
        lang = default(**pattern) if default else None
        if lang:
            return lang
        company_id = pattern.get('company', transaction.context.get('company'))
        if (company_id is not None and company_id >= 0
                and not transaction.context.get('_association_party_lang')):
            # The association's party takes this default too
            with transaction.set_context(_association_party_lang=True):
                company = Company(company_id)
                if company.party.lang:
                    return company.party.lang.id
        # Lang.get is cached: the default is asked for every party
        french = Lang.get('fr')
        if french.code == 'fr' and french.translatable:
            return french.id
