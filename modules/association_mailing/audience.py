# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Audiences: the people a mailing writes to, as rules saved in the client

Each rule finds people (officials by office, town halls, and with the other
modules members, commission members, event registrants); the rules are
combined one after the other by or, and, except.  Refreshing an audience
recomputes its people and keeps the subscribers of its mailing list in
line, never bringing back an address that unsubscribed."""
import datetime as dt

from sql import Column

from trytond import backend
from trytond.model import (
    Index, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, inactive_records

# The subscribers created by one call: the ORM instantiates the records of
# a call each with the list of all their ids, which costs the square of
# the slice
SLICE = 200


def search_rows(Model, domain, names, order=None):
    """Return the rows of the columns names of the records of Model found
    by domain, read by one query

    The domain and the rules of access apply as in a search, but no record
    is instantiated: search_read on tens of thousands of records costs
    minutes in Tryton 8.0, each record checking the whole list of ids."""
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    query = Model.search(domain, order=[], query=True)
    cursor.execute(*table.select(*[Column(table, n) for n in names],
            where=table.id.in_(query),
            order_by=[Column(table, n).asc for n in order or []]))
    return cursor.fetchall()


class Audience(ModelSQL, ModelView):
    "Mailing Audience"
    __name__ = 'association.mailing.audience'

    name = fields.Char("Name", required=True)
    list_ = fields.Many2One(
        'marketing.email.list', "Mailing List", readonly=True,
        ondelete='RESTRICT',
        help="The list whose subscribers the audience keeps: "
        "unsubscribing from it stops the mailings of the audience.")
    rules = fields.One2Many(
        'association.mailing.audience.rule', 'audience', "Rules",
        help="Applied one after the other: \"or\" adds the people found, "
        "\"and\" keeps only the people also found, "
        "\"except\" removes them.")
    subscribed = fields.Function(
        fields.Integer("Subscribed"), 'get_subscribed')
    refreshed_at = fields.Timestamp("Refreshed at", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'refresh': {},
                })

    @classmethod
    def on_modification(cls, mode, audiences, field_names=None):
        pool = Pool()
        List = pool.get('marketing.email.list')
        super().on_modification(mode, audiences, field_names=field_names)
        if mode == 'create':
            todo = [a for a in audiences if not a.list_]
            lists = [List(name=a.name) for a in todo]
            List.save(lists)
            for audience, list_ in zip(todo, lists):
                audience.list_ = list_
            cls.save(todo)

    @classmethod
    def get_subscribed(cls, audiences, name):
        pool = Pool()
        List = pool.get('marketing.email.list')
        lists = [a.list_ for a in audiences if a.list_]
        counts = List.get_subscribed(lists, 'subscribed')
        return {a.id: counts.get(a.list_.id, 0) if a.list_ else 0
            for a in audiences}

    def compute(self):
        """Return the people of the audience: a dictionary of the party's id
        to the authority and the office they were found for"""
        result = None
        for rule in self.rules:
            found = rule.compute()
            if result is None:
                result = found
            elif rule.operator == 'or':
                for key, value in found.items():
                    result.setdefault(key, value)
            elif rule.operator == 'and':
                result = {k: v for k, v in result.items() if k in found}
            elif rule.operator == 'except':
                result = {k: v for k, v in result.items() if k not in found}
        return result or {}

    @classmethod
    def get_emails(cls, party_ids):
        "Return the first e-mail address of each party"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        emails = {}
        for sub_ids in grouped_slice(
                sorted(party_ids), backend.MAX_QUERY_PARAMS):
            for party, value in search_rows(ContactMechanism, [
                        ('party', 'in', list(sub_ids)),
                        ('type', '=', 'email'),
                        ('value', '!=', None),
                        ], ['party', 'value'],
                    order=['party', 'sequence', 'id']):
                emails.setdefault(party, value.strip().lower())
        return emails

    @classmethod
    def unsubscribed(cls, list_, emails):
        "Return the e-mail addresses that unsubscribed from list_ or all"
        pool = Pool()
        Email = pool.get('marketing.email')
        ModelData = pool.get('ir.model.data')
        all_ = ModelData.get_id('association_mailing', 'list_all')
        # The addresses that unsubscribed are few beside the audience:
        # read them all rather than look up each address
        with inactive_records():
            rows = search_rows(Email, [
                    ('list_', 'in', [list_.id, all_]),
                    ('active', '=', False),
                    ], ['email'])
        return {e for e, in rows} & set(emails)

    @classmethod
    @ModelView.button
    def refresh(cls, audiences):
        cls.get_recipients(audiences)

    @classmethod
    def get_recipients(cls, audiences):
        """Refresh the audiences and return for each its recipients: the
        dictionaries of party, email (None without one), authority and
        office, one per e-mail address, without the addresses that
        unsubscribed (from its list or from all mailings)"""
        pool = Pool()
        Email = pool.get('marketing.email')
        result = {}
        to_create, to_delete = [], []
        for audience in audiences:
            people = audience.compute()
            emails = cls.get_emails(people.keys())
            unsubscribed = cls.unsubscribed(audience.list_, emails.values())
            recipients, seen = [], set()
            for party_id, (authority, office) in sorted(people.items()):
                email = emails.get(party_id)
                if email in unsubscribed:
                    continue
                if email:
                    if email in seen:
                        continue
                    seen.add(email)
                recipients.append({
                        'party': party_id,
                        'email': email,
                        'authority': authority,
                        'office': office,
                        })
            result[audience.id] = recipients
            # The subscribers of the list follow the audience; the
            # addresses that unsubscribed stay as they are
            with inactive_records():
                existing = {email: (id_, active)
                    for id_, email, active in search_rows(Email, [
                            ('list_', '=', audience.list_.id),
                            ], ['id', 'email', 'active'])}
            to_create.extend({'email': e, 'list_': audience.list_.id}
                for e in sorted(seen - existing.keys()))
            to_delete.extend(id_ for e, (id_, active) in existing.items()
                if active and e not in seen)
        for sub_ids in grouped_slice(sorted(to_delete), SLICE):
            Email.delete(Email.browse(sub_ids))
        for sub_values in grouped_slice(to_create, SLICE):
            Email.create(list(sub_values))
        cls.write(list(audiences), {'refreshed_at': dt.datetime.now()})
        return result


class AudienceRule(sequence_ordered(), ModelSQL, ModelView):
    "Mailing Audience Rule"
    __name__ = 'association.mailing.audience.rule'

    audience = fields.Many2One(
        'association.mailing.audience', "Audience", required=True,
        ondelete='CASCADE')
    operator = fields.Selection([
            ('or', "Or"),
            ('and', "And"),
            ('except', "Except"),
            ], "Operator", required=True,
        help="How the people of the rule combine with those of the rules "
        "before it (the first rule gives the people to start with).")
    source = fields.Selection([
            ('official', "Elected Officials"),
            ('town_hall', "Town Halls"),
            ], "Source", required=True)
    offices = fields.MultiSelection(
        'get_offices', "Offices",
        states={
            'invisible': Eval('source') != 'official',
            },
        help="Leave empty for every office.")
    departement = fields.Many2One(
        'country.subdivision', "Département", ondelete='RESTRICT',
        domain=[
            ('country.code', '=', 'FR'),
            ],
        states={
            'invisible': ~Eval('source').in_(['official', 'town_hall']),
            })
    region = fields.Many2One(
        'country.subdivision', "Région", ondelete='RESTRICT',
        domain=[
            ('country.code', '=', 'FR'),
            ],
        states={
            'invisible': ~Eval('source').in_(['official', 'town_hall']),
            })
    population_min = fields.Integer(
        "Population from",
        domain=[
            If(Eval('population_min'),
                ('population_min', '>=', 0),
                ()),
            ],
        states={
            'invisible': ~Eval('source').in_(['official', 'town_hall']),
            },
        help="The legal population of the authority, inclusive.")
    population_max = fields.Integer(
        "Population to",
        domain=[
            If(Bool(Eval('population_max')) & Bool(Eval('population_min')),
                ('population_max', '>=', Eval('population_min', 0)),
                ()),
            ],
        states={
            'invisible': ~Eval('source').in_(['official', 'town_hall']),
            },
        help="The legal population of the authority, inclusive.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.audience, Index.Range())))

    @classmethod
    def default_operator(cls):
        return 'or'

    @classmethod
    def default_source(cls):
        return 'official'

    @classmethod
    def get_offices(cls):
        pool = Pool()
        Mandate = pool.get('association.mandate')
        return Mandate.fields_get(['office'])['office']['selection']

    def compute(self):
        """Return the people of the rule: a dictionary of the party's id to
        the authority and office they were found for"""
        return getattr(self, '_compute_' + self.source)()

    def _authority_domain(self, prefix=''):
        "The domain of the authorities of the rule (prefixed)"
        domain = []
        if self.departement:
            domain.append((prefix + 'departement', '=', self.departement.id))
        if self.region:
            domain.append((prefix + 'region', '=', self.region.id))
        if self.population_min is not None:
            domain.append((prefix + 'population', '>=', self.population_min))
        if self.population_max is not None:
            domain.append((prefix + 'population', '<=', self.population_max))
        return domain

    def _compute_official(self):
        pool = Pool()
        Date = pool.get('ir.date')
        Mandate = pool.get('association.mandate')
        today = Date.today()
        domain = [
            ('start_date', '<=', today),
            ['OR',
                ('end_date', '=', None),
                ('end_date', '>=', today),
                ],
            ]
        if self.offices:
            domain.append(('office', 'in', list(self.offices)))
        domain.extend(self._authority_domain('authority.'))
        # The first office of the list is the one named (the mayor of a
        # commune who is also a community delegate is addressed as mayor)
        rank = {o: i for i, (o, _) in enumerate(self.get_offices())}
        mandates = search_rows(
            Mandate, domain, ['id', 'person', 'authority', 'office'])
        mandates.sort(key=lambda m: (rank.get(m[3], 99), m[0]))
        result = {}
        for _, person, authority, office in mandates:
            result.setdefault(person, (authority, office))
        return result

    def _compute_town_hall(self):
        pool = Pool()
        Party = pool.get('party.party')
        domain = [('kind', '=', 'commune')] + self._authority_domain()
        return {i: (i, None) for i, in search_rows(Party, domain, ['id'])}
