# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import csv
import datetime as dt
import io
from collections import defaultdict

from sql import Literal, Null
from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If, PYSONEncoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .exceptions import MandateError, TurnoverError
from .party import SLICE

OFFICES = [
    ('mayor', "Mayor"),
    ('deputy_mayor', "Deputy Mayor"),
    ('delegated_mayor', "Delegated Mayor"),
    ('councillor', "Municipal Councillor"),
    ('epci_president', "EPCI President"),
    ('epci_vice_president', "EPCI Vice-President"),
    ('community_delegate', "Community Delegate"),
    ('other', "Other"),
    ]
# The kinds of authority where each office is held
OFFICE_KINDS = {
    'mayor': {'commune'},
    'deputy_mayor': {'commune'},
    'delegated_mayor': {'commune'},
    'councillor': {'commune'},
    'epci_president': {'epci', 'ept'},
    'epci_vice_president': {'epci', 'ept'},
    'community_delegate': {'epci', 'ept'},
    }
# Offices that only one person holds at a time in an authority
SINGLE_OFFICES = {'mayor', 'epci_president'}


class Term(ModelSQL, ModelView):
    "Electoral Term"
    __name__ = 'association.mandate.term'

    name = fields.Char("Name", required=True, translate=True)
    election_date = fields.Date(
        "Election Date",
        help="The date of the general election that opened the term.")
    start_date = fields.Date("Start Date", required=True)
    end_date = fields.Date(
        "End Date",
        domain=[
            If(Eval('start_date') & Eval('end_date'),
                ('end_date', '>=', Eval('start_date')),
                ()),
            ])
    mandates = fields.One2Many(
        'association.mandate', 'term', "Mandates", readonly=True)
    mandate_count = fields.Function(
        fields.Integer(
            "Mandates",
            help="The number of mandates of the term; "
            "open them with the relate button."),
        'get_mandate_count')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('start_date', 'DESC'))

    @classmethod
    def get_mandate_count(cls, terms, name):
        pool = Pool()
        Mandate = pool.get('association.mandate')
        mandate = Mandate.__table__()
        cursor = Transaction().connection.cursor()
        counts = {t.id: 0 for t in terms}
        for sub_ids in grouped_slice(list(counts), count=SLICE):
            cursor.execute(*mandate.select(
                    mandate.term, Count(Literal('*')),
                    where=mandate.term.in_(list(sub_ids)),
                    group_by=[mandate.term]))
            counts.update(cursor)
        return counts

    @classmethod
    def find(cls, date):
        "Return the term in progress on date or None"
        terms = cls.search([
                ('start_date', '<=', date),
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', date),
                    ],
                ], order=[('start_date', 'DESC')], limit=1)
        if terms:
            term, = terms
            return term


class Mandate(ModelSQL, ModelView):
    "Mandate"
    __name__ = 'association.mandate'

    person = fields.Many2One(
        'party.party', "Person", required=True, ondelete='CASCADE',
        domain=[
            ('kind', '=', 'person'),
            ],
        context={
            'party_kind': 'person',
            },
        depends={'person'})
    authority = fields.Many2One(
        'party.party', "Authority", required=True, ondelete='RESTRICT',
        domain=[
            ('kind', 'in', [
                    'commune', 'epci', 'ept', 'departement', 'region',
                    'public_body']),
            ])
    office = fields.Selection(OFFICES, "Office", required=True, sort=False)
    office_string = office.translated('office')
    office_detail = fields.Char(
        "Office Detail",
        help="The delegation or the exact title, "
        "for example \"Deputy mayor for schools\".")
    rank = fields.Integer(
        "Rank",
        domain=[
            If(Eval('rank'), ('rank', '>=', 1), ()),
            ],
        states={
            'invisible': ~Eval('office').in_(
                ['deputy_mayor', 'epci_vice_president']),
            },
        help="The order of the deputy or vice-president.")
    term = fields.Many2One(
        'association.mandate.term', "Term", ondelete='RESTRICT')
    source = fields.Selection([
            (None, "Entered by Hand"),
            ('register', "Register of Officials"),
            ], "Source", readonly=True,
        help="Where the mandate comes from: an import of the register "
        "closes the mandates of the register that it no longer lists, "
        "never those entered by hand.")
    start_date = fields.Date(
        "Start Date", required=True,
        domain=[
            If(Eval('end_date'),
                ('start_date', '<=', Eval('end_date')),
                ()),
            ])
    end_date = fields.Date(
        "End Date",
        domain=[
            If(Eval('end_date'),
                ('end_date', '>=', Eval('start_date')),
                ()),
            ])
    in_office = fields.Function(
        fields.Boolean("In Office"),
        'get_in_office', searcher='search_in_office')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.authority, Index.Range()),
                    (t.office, Index.Equality(cardinality='low'))),
                Index(t, (t.person, Index.Range())),
                Index(t,
                    (t.term, Index.Range()),
                    where=t.end_date == Null),
                })
        cls._order = [
            ('start_date', 'DESC'),
            ('authority', 'ASC'),
            ('id', 'DESC'),
            ]

    @classmethod
    def default_term(cls):
        "The term in progress"
        pool = Pool()
        Date = pool.get('ir.date')
        Term = pool.get('association.mandate.term')
        term = Term.find(Date.today())
        return term.id if term else None

    @fields.depends('term', 'start_date')
    def on_change_term(self):
        if self.term and not self.start_date:
            self.start_date = self.term.start_date

    @fields.depends('term', 'start_date')
    def on_change_start_date(self):
        pool = Pool()
        Term = pool.get('association.mandate.term')
        if self.start_date and (
                not self.term
                or self.start_date < self.term.start_date
                or (self.term.end_date
                    and self.start_date > self.term.end_date)):
            self.term = Term.find(self.start_date)

    @classmethod
    def get_in_office(cls, mandates, name):
        today = Pool().get('ir.date').today()
        return {
            m.id: (m.start_date <= today
                and (not m.end_date or m.end_date >= today))
            for m in mandates}

    @classmethod
    def search_in_office(cls, name, clause):
        today = Pool().get('ir.date').today()
        _, operator, value = clause
        if operator not in {'=', '!='}:
            return []
        in_office = [
            ('start_date', '<=', today),
            ['OR',
                ('end_date', '=', None),
                ('end_date', '>=', today),
                ],
            ]
        if (operator == '=') == bool(value):
            return in_office
        return ['OR',
            ('start_date', '>', today),
            ('end_date', '<', today),
            ]

    def get_rec_name(self, name):
        office = self.office_string
        if self.rank:
            office = '%s (%s)' % (office, self.rank)
        return '%s, %s: %s' % (
            office, self.authority.rec_name, self.person.rec_name)

    @classmethod
    def search_rec_name(cls, name, clause):
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('person.rec_name', *clause[1:]),
            ('authority.rec_name', *clause[1:]),
            ]

    @classmethod
    def validate_fields(cls, mandates, field_names):
        super().validate_fields(mandates, field_names)
        cls.check_office(mandates, field_names)
        cls.check_single_office(mandates, field_names)

    @classmethod
    def check_office(cls, mandates, field_names=None):
        if field_names and not (field_names & {'office', 'authority'}):
            return
        for mandate in mandates:
            kinds = OFFICE_KINDS.get(mandate.office)
            if kinds and mandate.authority.kind not in kinds:
                raise MandateError(gettext(
                        'association.msg_mandate_office_authority',
                        mandate=mandate.rec_name,
                        office=mandate.office_string,
                        authority=mandate.authority.rec_name))

    @classmethod
    def check_single_office(cls, mandates, field_names=None):
        "Check that nobody else holds the office at the same time"
        if field_names and not (field_names & {
                    'office', 'authority', 'start_date', 'end_date'}):
            return
        mandates = [m for m in mandates if m.office in SINGLE_OFFICES]
        for sub_mandates in grouped_slice(mandates, count=SLICE):
            sub_mandates = list(sub_mandates)
            domain = ['OR']
            for mandate in sub_mandates:
                domain.append([
                        ('id', '!=', mandate.id),
                        ('authority', '=', mandate.authority.id),
                        ('office', '=', mandate.office),
                        ['OR',
                            ('end_date', '=', None),
                            ('end_date', '>=', mandate.start_date),
                            ],
                        ('start_date', '<=', mandate.end_date)
                        if mandate.end_date else (),
                        ])
            others = defaultdict(list)
            for other in cls.search(domain):
                others[other.authority.id, other.office].append(other)
            for mandate in sub_mandates:
                for other in others[mandate.authority.id, mandate.office]:
                    if other == mandate:
                        continue
                    ends_after = (not other.end_date
                        or other.end_date >= mandate.start_date)
                    starts_before = (not mandate.end_date
                        or other.start_date <= mandate.end_date)
                    if ends_after and starts_before:
                        raise MandateError(gettext(
                                'association.msg_mandate_single_office',
                                mandate=mandate.rec_name,
                                other=other.rec_name))


class TurnoverStart(ModelView):
    "Mandate Turnover"
    __name__ = 'association.mandate.turnover.start'

    old_term = fields.Many2One(
        'association.mandate.term', "Term to Close", required=True,
        help="Every mandate of this term still open is closed.")
    closing_date = fields.Date(
        "Closing Date", required=True,
        domain=[
            If(Eval('new_start_date'),
                ('closing_date', '<', Eval('new_start_date')),
                ()),
            ],
        help="The last day of the closed mandates.")
    new_term = fields.Many2One(
        'association.mandate.term', "New Term", required=True,
        domain=[
            ('id', '!=', Eval('old_term', -1)),
            ])
    new_start_date = fields.Function(
        fields.Date("New Start Date"), 'on_change_with_new_start_date')
    csv_file = fields.Binary(
        "CSV File", filename='csv_filename',
        help="The new officials, one per row: "
        "INSEE code of the commune, name, office and start date.")
    csv_filename = fields.Char("CSV File Name")
    officials = fields.One2Many(
        'association.mandate.turnover.official', None, "New Officials")

    @fields.depends('new_term')
    def on_change_with_new_start_date(self, name=None):
        if self.new_term:
            return self.new_term.start_date

    @fields.depends('old_term', 'new_term', 'closing_date')
    def on_change_new_term(self):
        if self.new_term and not self.closing_date:
            self.closing_date = (
                self.new_term.start_date - dt.timedelta(days=1))


class TurnoverOfficial(ModelView):
    "Mandate Turnover New Official"
    __name__ = 'association.mandate.turnover.official'

    authority = fields.Many2One(
        'party.party', "Authority", required=True,
        domain=[
            ('kind', 'in', ['commune', 'epci', 'ept']),
            ])
    person = fields.Many2One(
        'party.party', "Person",
        domain=[
            ('kind', '=', 'person'),
            ],
        help="Leave empty to create the person from the name.")
    name = fields.Char(
        "Name",
        states={
            'required': ~Eval('person'),
            'invisible': Bool(Eval('person')),
            })
    office = fields.Selection(OFFICES, "Office", required=True, sort=False)
    start_date = fields.Date("Start Date", required=True)


class Turnover(Wizard):
    "Mandate Turnover"
    __name__ = 'association.mandate.turnover'

    start = StateView(
        'association.mandate.turnover.start',
        'association.mandate_turnover_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Load CSV", 'load_csv', 'tryton-import'),
            Button("Turn Over", 'turnover', 'tryton-ok', default=True),
            ])
    load_csv = StateTransition()
    turnover = StateAction('association.act_mandate_form')

    def default_start(self, fields):
        values = {}
        if self.start.old_term:
            # Coming back from load_csv
            values = self.start._default_values
        return values

    def transition_load_csv(self):
        if not self.start.csv_file:
            raise TurnoverError(gettext(
                    'association.msg_turnover_csv_missing'))
        officials = list(self.start.officials)
        officials.extend(parse_officials(
                self.start.csv_file, self.start.new_term))
        self.start.officials = officials
        self.start.csv_file = None
        return 'start'

    def do_turnover(self, action):
        pool = Pool()
        Mandate = pool.get('association.mandate')
        Party = pool.get('party.party')
        start = self.start
        if not start.officials:
            raise TurnoverError(gettext(
                    'association.msg_turnover_no_official'))
        for official in start.officials:
            if official.start_date <= start.closing_date:
                raise TurnoverError(gettext(
                        'association.msg_turnover_start_before_closing',
                        name=official.person.rec_name if official.person
                        else official.name,
                        authority=official.authority.rec_name))

        to_close = Mandate.search([
                ('term', '=', start.old_term.id),
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>', start.closing_date),
                    ],
                ])
        if to_close:
            Mandate.write(to_close, {'end_date': start.closing_date})

        persons = match_persons(start.officials)
        new_persons = [
            p for p in persons.values() if p.id is None or p.id < 0]
        Party.save(new_persons)
        mandates = []
        for official in start.officials:
            person = official.person or persons[
                official.authority.id, normalise(official.name)]
            mandates.append(Mandate(
                    person=person,
                    authority=official.authority,
                    office=official.office,
                    term=start.new_term,
                    start_date=official.start_date))
        Mandate.save(mandates)
        encoder = PYSONEncoder()
        action['pyson_domain'] = encoder.encode(
            [('id', 'in', [m.id for m in mandates])])
        return action, {}


def normalise(name):
    return ' '.join((name or '').split()).casefold()


def match_persons(officials):
    """Return the persons of the officials by authority and name

    A person who already held a mandate in the same authority under the same
    name is reused; otherwise a new person is built (not saved)."""
    pool = Pool()
    Mandate = pool.get('association.mandate')
    Party = pool.get('party.party')
    wanted = {
        (o.authority.id, normalise(o.name))
        for o in officials if not o.person}
    persons = {}
    authorities = {a for a, _ in wanted}
    for sub_ids in grouped_slice(list(authorities), count=SLICE):
        for mandate in Mandate.search([
                    ('authority', 'in', list(sub_ids)),
                    ], order=[('start_date', 'ASC')]):
            key = mandate.authority.id, normalise(mandate.person.name)
            if key in wanted:
                persons[key] = mandate.person
    for official in officials:
        if official.person:
            continue
        key = official.authority.id, normalise(official.name)
        if key not in persons:
            persons[key] = Party(
                name=' '.join(official.name.split()), kind='person')
    return persons


def parse_officials(data, term=None):
    """Parse a CSV of officials into turnover lines

    The columns are: INSEE code of the commune, name, office and start
    date; a header row is skipped, the delimiter may be a comma or a
    semicolon, the date ISO or day/month/year."""
    pool = Pool()
    Official = pool.get('association.mandate.turnover.official')
    Party = pool.get('party.party')
    Mandate = pool.get('association.mandate')
    try:
        text = bytes(data).decode('utf-8-sig')
    except UnicodeDecodeError:
        try:
            text = bytes(data).decode('cp1252')
        except UnicodeDecodeError:
            raise TurnoverError(gettext(
                    'association.msg_turnover_csv_encoding'))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=',;\t')
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))

    offices = {}
    selection = Mandate.fields_get(['office'])['office']['selection']
    for key, label in selection:
        offices[normalise(key)] = key
        offices[normalise(label)] = key
    for key, label in OFFICES:
        offices[normalise(label)] = key

    def parse_date(value):
        value = value.strip()
        for format_ in ['%Y-%m-%d', '%d/%m/%Y', '%d-%m-%Y']:
            try:
                return dt.datetime.strptime(value, format_).date()
            except ValueError:
                pass

    records = []
    for number, row in enumerate(rows, 1):
        if not any(c.strip() for c in row):
            continue
        if number == 1 and row and not row[0].strip()[:1].isdigit():
            # Header
            continue
        if len(row) < 4:
            raise TurnoverError(gettext(
                    'association.msg_turnover_csv_columns', row=number))
        code, name, office, start_date = (c.strip() for c in row[:4])
        if not name:
            raise TurnoverError(gettext(
                    'association.msg_turnover_csv_name', row=number))
        office_key = offices.get(normalise(office))
        if not office_key:
            raise TurnoverError(gettext(
                    'association.msg_turnover_csv_office',
                    row=number, office=office))
        date = parse_date(start_date)
        if not date:
            raise TurnoverError(gettext(
                    'association.msg_turnover_csv_date',
                    row=number, date=start_date))
        records.append((number, code, name, office_key, date))

    codes = {r[1] for r in records}
    authorities = {}
    for sub_codes in grouped_slice(list(codes), count=SLICE):
        for party in Party.search([
                    ('official_code', 'in', list(sub_codes)),
                    ('kind', 'in', ['commune', 'epci', 'ept']),
                    ]):
            authorities[party.official_code] = party
    officials = []
    for number, code, name, office, date in records:
        if code not in authorities:
            raise TurnoverError(gettext(
                    'association.msg_turnover_csv_authority',
                    row=number, code=code))
        officials.append(Official(
                authority=authorities[code], name=name, office=office,
                start_date=date))
    return officials
