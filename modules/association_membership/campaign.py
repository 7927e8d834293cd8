# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import logging
import time
from collections import defaultdict
from decimal import Decimal

from sql import Literal, Null
from sql.aggregate import Count, Sum
from sql.conditionals import Coalesce

from trytond import config
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.report import Report
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import CampaignError, DuesError
from .membership import SLICE


logger = logging.getLogger(__name__)

# Invoices saved and posted at once (one save of 2,000 invoices is too
# deep an expression for SQLite)
INVOICE_SLICE = 250
# Invoices whose letter one queued task renders
LETTER_BATCH = 20
# The queue of the letters
LETTER_QUEUE = 'association_membership_letter'
# A task taken by a worker for longer than this was lost with its worker
# (seconds; the option stalled_after of the section association_membership)
STALLED_AFTER = 15 * 60


class PostingFailed(Exception):
    "The posting of a campaign's invoices failed; the campaign shows why"


LINE_STATES = [
    ('to_invoice', "To Invoice"),
    ('excluded', "Excluded"),
    ('failed', "Failed"),
    ('invoiced', "Invoiced"),
    ]


class Campaign(Workflow, ModelSQL, ModelView):
    "Dues Campaign"
    __name__ = 'association.dues.campaign'

    _states = {
        'readonly': Eval('state') != 'draft',
        }

    name = fields.Char("Name", required=True, states=_states)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    year = fields.Integer("Dues Year", required=True, states=_states)
    types = fields.Many2Many(
        'association.dues.campaign-association.membership.type',
        'campaign', 'type', "Membership Types", states=_states,
        help="The membership types whose dues the campaign calls.")
    renew = fields.Boolean(
        "Renew Memberships", states=_states,
        help="Create the memberships of the year for the members of the "
        "previous year who did not leave.")
    invoice_date = fields.Date(
        "Invoice Date", required=True,
        states={
            'readonly': ~Eval('state').in_(['draft', 'computed', 'running']),
            },
        help="The date of the invoices; the lines invoiced after an "
        "invoice of a later date take the day's date.")
    payment_term = fields.Many2One(
        'account.invoice.payment_term', "Payment Term", ondelete='RESTRICT',
        states={
            'readonly': ~Eval('state').in_(['draft', 'computed']),
            },
        help="Used for the members without a customer payment term.")
    batch_size = fields.Integer(
        "Batch Size", required=True,
        domain=[('batch_size', '>', 0)],
        states={
            'readonly': ~Eval('state').in_(['draft', 'computed']),
            },
        help="The number of members invoiced by one queued task.")
    lines = fields.One2Many(
        'association.dues.campaign.line', 'campaign', "Lines",
        states={
            'readonly': ~Eval('state').in_(['computed']),
            })
    state = fields.Selection([
            ('draft', "Draft"),
            ('computed', "Computed"),
            ('running', "Invoicing"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    line_count = fields.Function(
        fields.Integer("Members"), 'get_progress')
    to_invoice_count = fields.Function(
        fields.Integer("To Invoice"), 'get_progress')
    invoiced_count = fields.Function(
        fields.Integer("Invoiced"), 'get_progress')
    failed_count = fields.Function(
        fields.Integer("Failed"), 'get_progress')
    excluded_count = fields.Function(
        fields.Integer("Excluded"), 'get_progress')
    letter_count = fields.Function(
        fields.Integer("Letters"), 'get_progress')
    amount = fields.Function(
        Monetary("Amount", currency='currency', digits='currency'),
        'get_progress')
    invoiced_amount = fields.Function(
        Monetary("Invoiced Amount", currency='currency', digits='currency'),
        'get_progress')
    progress = fields.Function(
        fields.Float("Progress", digits=(1, 4)), 'get_progress')
    error = fields.Text(
        "Error", readonly=True,
        states={
            'invisible': ~Eval('error'),
            },
        help="Why the invoices of the campaign could not be posted: "
        "correct it and invoice again.")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.state, Index.Equality(cardinality='low'))))
        cls._order = [
            ('year', 'DESC'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('draft', 'computed'),
            ('computed', 'computed'),
            ('computed', 'draft'),
            ('computed', 'running'),
            ('running', 'running'),
            ('running', 'done'),
            ('done', 'running'),
            ('draft', 'cancelled'),
            ('computed', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'compute': {
                    'invisible': ~Eval('state').in_(['draft', 'computed']),
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['computed', 'cancelled']),
                    'icon': If(Eval('state') == 'cancelled',
                        'tryton-undo', 'tryton-back'),
                    'depends': ['state'],
                    },
                'invoice': {
                    'invisible': ~Eval('state').in_(
                        ['computed', 'running', 'done']),
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'computed']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_year(cls):
        return Pool().get('ir.date').today().year

    @classmethod
    def default_invoice_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_renew(cls):
        return True

    @classmethod
    def default_batch_size(cls):
        return 500

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @classmethod
    def get_progress(cls, campaigns, names):
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        ids = [c.id for c in campaigns]
        counts = defaultdict(lambda: defaultdict(int))
        amounts = defaultdict(lambda: defaultdict(Decimal))
        letters = defaultdict(int)
        for sub_ids in grouped_slice(ids, count=SLICE):
            cursor.execute(*line.select(
                    line.campaign, line.state, Count(line.id),
                    Sum(Coalesce(line.amount, 0)), Count(line.letter_date),
                    where=line.campaign.in_(list(sub_ids)),
                    group_by=[line.campaign, line.state]))
            for campaign, state, count, amount, letter in cursor:
                counts[campaign][state] = count
                if not isinstance(amount, Decimal):
                    amount = Decimal(str(amount or 0))
                amounts[campaign][state] = amount
                letters[campaign] += letter
        result = {n: {} for n in names}
        for campaign in campaigns:
            count = counts[campaign.id]
            total = sum(count.values())
            values = {
                'line_count': total,
                'to_invoice_count': count['to_invoice'],
                'invoiced_count': count['invoiced'],
                'failed_count': count['failed'],
                'excluded_count': count['excluded'],
                'letter_count': letters[campaign.id],
                'amount': campaign.currency.round(sum(
                        a for s, a in amounts[campaign.id].items()
                        if s != 'excluded')),
                'invoiced_amount': campaign.currency.round(
                    amounts[campaign.id]['invoiced']),
                # Each line is invoiced (or fails, or is excluded) and each
                # invoice has its letter
                'progress': (
                    (count['invoiced'] + count['failed'] + count['excluded']
                        + letters[campaign.id])
                    / (total + count['invoiced'] + count['to_invoice'])
                    if total else 0.),
                }
            for name in names:
                result[name][campaign.id] = values[name]
        return result

    @classmethod
    def validate(cls, campaigns):
        super().validate(campaigns)
        cls.check_unique(campaigns)

    @classmethod
    def check_unique(cls, campaigns):
        "Check that a year and a type have one campaign that is not cancelled"
        for campaign in campaigns:
            if campaign.state == 'cancelled' or not campaign.types:
                continue
            types = {t.id for t in campaign.types}
            for other in cls.search([
                        ('id', '!=', campaign.id),
                        ('year', '=', campaign.year),
                        ('state', '!=', 'cancelled'),
                        ('types', 'in', list(types)),
                        ], limit=1):
                raise CampaignError(gettext(
                        'association_membership.msg_campaign_year_type',
                        campaign=campaign.rec_name, year=campaign.year,
                        types=', '.join(sorted(
                                t.rec_name for t in other.types
                                if t.id in types)),
                        other=other.rec_name))

    @classmethod
    def check_modification(cls, mode, campaigns, values=None, external=False):
        super().check_modification(
            mode, campaigns, values=values, external=external)
        if mode == 'delete':
            for campaign in campaigns:
                if campaign.state not in {'draft', 'cancelled'}:
                    raise AccessError(gettext(
                            'association_membership.msg_campaign_delete',
                            campaign=campaign.rec_name))

    @classmethod
    def _clear(cls, campaigns):
        "Delete the lines that are not invoiced and free their memberships"
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        Membership = pool.get('association.membership')
        lines = Line.search([
                ('campaign', 'in', [c.id for c in campaigns]),
                ('invoice', '=', None),
                ])
        for sub_lines in grouped_slice(lines, count=SLICE):
            memberships = Membership.search([
                    ('campaign_line', 'in', [l.id for l in sub_lines]),
                    ('state', '=', 'called'),
                    ])
            Membership.write(memberships, {
                    'state': 'draft',
                    'campaign_line': None,
                    })
        Line.delete(lines)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, campaigns):
        cls._clear(campaigns)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, campaigns):
        cls._clear(campaigns)

    @classmethod
    @ModelView.button
    @Workflow.transition('computed')
    def compute(cls, campaigns):
        """Compute one line per member with the population used,
        the bracket and the amount"""
        pool = Pool()
        Membership = pool.get('association.membership')
        for campaign in campaigns:
            if not campaign.types:
                raise CampaignError(gettext(
                        'association_membership.msg_campaign_no_type',
                        campaign=campaign.rec_name))
            for type_ in campaign.types:
                if not type_.get_rule(campaign.year):
                    raise CampaignError(gettext(
                            'association_membership.msg_dues_no_rule',
                            type=type_.rec_name, year=campaign.year))
        corrections = cls._corrections(campaigns)
        cls.check_unique(campaigns)
        cls._clear(campaigns)
        for campaign in campaigns:
            if campaign.renew:
                Membership.renew(campaign.types, campaign.year)
            campaign._compute_lines()
        cls._apply_corrections(campaigns, corrections)

    @classmethod
    def _corrections(cls, campaigns):
        """Return the treasurer's corrections of the lines not invoiced:
        the excluded members and the amounts set by hand, by campaign and
        party"""
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        corrections = {}
        for line in Line.search([
                    ('campaign', 'in', [c.id for c in campaigns]),
                    ('invoice', '=', None),
                    ['OR',
                        ('state', '=', 'excluded'),
                        ('corrected', '=', True),
                        ],
                    ]):
            corrections[line.campaign.id, line.party.id] = (
                line.state == 'excluded',
                line.amount if line.corrected else None)
        return corrections

    @classmethod
    def _apply_corrections(cls, campaigns, corrections):
        "Put the corrections back on the lines computed again"
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        if not corrections:
            return
        to_write = []
        for line in Line.search([
                    ('campaign', 'in', [c.id for c in campaigns]),
                    ('invoice', '=', None),
                    ]):
            key = line.campaign.id, line.party.id
            if key not in corrections:
                continue
            excluded, amount = corrections[key]
            values = {}
            if excluded:
                values['state'] = 'excluded'
            if amount is not None:
                values['amount'] = amount
                values['corrected'] = True
            to_write.extend(([line], values))
        if to_write:
            Line.write(*to_write)

    def _memberships_to_call(self):
        """Yield the id, party, type, join date, population, population year
        of the memberships that the campaign calls"""
        pool = Pool()
        Membership = pool.get('association.membership')
        Party = pool.get('party.party')
        Population = pool.get('association.population')
        membership = Membership.__table__()
        party = Party.__table__()
        population = Population.__table__()
        cursor = Transaction().connection.cursor()
        for type_ in self.types:
            rule = type_.get_rule(self.year)
            where = ((membership.type == type_.id)
                & (membership.year == self.year)
                & (membership.state == 'draft')
                & (membership.campaign_line == Null)
                & (membership.free == Literal(False))
                & (membership.associated_to == Null))
            if rule.population_year:
                column = (population.population_total
                    if rule.population_basis == 'total'
                    else population.population)
                query = membership.join(party,
                    condition=membership.party == party.id
                    ).join(population, 'LEFT',
                    condition=(population.authority == party.id)
                    & (population.year == rule.population_year)
                    ).select(
                        membership.id, membership.party, membership.join_date,
                        column, population.year, party.departement,
                        where=where,
                        order_by=[membership.party, membership.id])
            else:
                column = (party.population_total
                    if rule.population_basis == 'total'
                    else party.population)
                query = membership.join(party,
                    condition=membership.party == party.id
                    ).select(
                        membership.id, membership.party, membership.join_date,
                        column, party.population_year, party.departement,
                        where=where,
                        order_by=[membership.party, membership.id])
            cursor.execute(*query)
            for row in cursor:
                yield (rule,) + tuple(row)

    def _check_called(self, party_ids, limit=10):
        """Raise an error naming the members that another campaign of the
        year already calls"""
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        called = []
        for sub_ids in grouped_slice(party_ids, count=SLICE):
            called.extend(Line.search([
                        ('year', '=', self.year),
                        ('party', 'in', list(sub_ids)),
                        ('campaign', '!=', self.id),
                        ], order=[('party.name', 'ASC')]))
        if called:
            names = ', '.join(
                f'{l.party.rec_name} ({l.campaign.rec_name})'
                for l in called[:limit])
            if len(called) > limit:
                names += ' ' + gettext(
                    'association_membership.msg_and_more',
                    count=len(called) - limit)
            raise CampaignError(gettext(
                    'association_membership.msg_campaign_members_called',
                    campaign=self.rec_name, year=self.year,
                    count=len(called), members=names))

    def _parties_with_address(self, party_ids):
        pool = Pool()
        Address = pool.get('party.address')
        address = Address.__table__()
        cursor = Transaction().connection.cursor()
        result = set()
        for sub_ids in grouped_slice(party_ids, count=SLICE):
            cursor.execute(*address.select(
                    address.party,
                    where=address.party.in_(list(sub_ids))
                    & (address.active == Literal(True)),
                    group_by=[address.party]))
            result.update(p for p, in cursor)
        return result

    def _compute_lines(self):
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        Membership = pool.get('association.membership')
        Party = pool.get('party.party')
        membership_table = Membership.__table__()
        rows = list(self._memberships_to_call())
        self._check_called(list({r[2] for r in rows}))
        with_address = self._parties_with_address(
            list({r[2] for r in rows}))
        # Parties of the errors, read only for their name
        names = {}
        by_party = defaultdict(list)
        for row in rows:
            by_party[row[2]].append(row)
        missing = [
            p for p, rs in by_party.items()
            if p not in with_address or any(r[4] is None for r in rs)]
        for sub_ids in grouped_slice(missing, count=SLICE):
            for party in Party.browse(list(sub_ids)):
                names[party.id] = party.rec_name
        start = dt.date(self.year, 1, 1)
        lines, memberships = [], []
        for party_id, party_rows in by_party.items():
            line = {
                'campaign': self.id,
                'year': self.year,
                'party': party_id,
                'departement': party_rows[0][6],
                'type': party_rows[0][0].type.id,
                'state': 'to_invoice',
                'amount': Decimal(0),
                }
            errors = []
            values = []
            for rule, id_, _, join_date, population, year, _ in party_rows:
                if population is None:
                    errors.append(gettext(
                            'association_membership.msg_dues_no_population',
                            member=names[party_id],
                            year=(f' {rule.population_year}'
                                if rule.population_year else '')))
                    values.append((None, None, None, None, id_))
                    continue
                if join_date and join_date > start:
                    months = 12 - join_date.month + 1
                else:
                    months = 12
                bracket, amount = rule.compute(population, months)
                if bracket is None:
                    errors.append(gettext(
                            'association_membership.msg_dues_no_bracket',
                            member=names.get(party_id, ''),
                            population=population, rule=rule.rec_name))
                    values.append((population, year, None, None, id_))
                    continue
                values.append((population, year, bracket.id, amount, id_))
                line['amount'] += amount
                line.setdefault('population', population)
                line.setdefault('population_year', year)
                line.setdefault('bracket', bracket.id)
            if party_id not in with_address:
                errors.append(gettext(
                        'association_membership.msg_dues_no_address',
                        member=names[party_id]))
            if errors:
                line['state'] = 'failed'
                line['error'] = '\n'.join(errors)
            lines.append(line)
            memberships.append(values)
        cursor = Transaction().connection.cursor()
        currency = self.company.currency.id
        user = Transaction().user
        now = dt.datetime.now()
        query, _ = membership_table.update([
                membership_table.population,
                membership_table.population_year,
                membership_table.bracket,
                membership_table.amount,
                membership_table.currency,
                membership_table.campaign_line,
                membership_table.state,
                membership_table.write_uid,
                membership_table.write_date,
                ], [Literal(None)] * 9,
            where=membership_table.id == Literal(0))
        for sub in grouped_slice(
                list(zip(lines, memberships)), count=SLICE):
            sub = list(sub)
            created = Line.create([l for l, _ in sub])
            params = []
            for line, (_, values) in zip(created, sub):
                for population, year, bracket, amount, id_ in values:
                    params.append((population, year, bracket, amount,
                            currency, line.id, 'called', user, now, id_))
            # One statement for every membership of the slice
            cursor.executemany(query, params)
        # Invalidate the records cached by the transaction
        Transaction().counter += 1

    @classmethod
    @ModelView.button
    @Workflow.transition('running')
    def invoice(cls, campaigns):
        """Queue the invoicing of the lines left to invoice

        The lines are prepared in batches by tasks that the workers run
        side by side: each one creates the invoices of its batch,
        validates them and stores their draft moves.  Posting numbers the
        invoices and their moves from the strict sequences of the
        company, so it runs one task at a time: a task queued after each
        batch posts what is prepared, and the last one, a chain, posts
        and invoices what is left until the campaign is done.  Running it
        again resumes what is left."""
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        cls.write(campaigns, {'error': None})
        for campaign in campaigns:
            # Check before queueing: the queued tasks run without access
            # checks
            for type_ in campaign.types:
                if not type_.product.account_revenue_used:
                    raise CampaignError(gettext(
                            'association_membership'
                            '.msg_campaign_no_revenue_account',
                            product=type_.product.rec_name))
        for campaign in campaigns:
            ids = Line._search_ids([
                    ('campaign', '=', campaign.id),
                    ('state', '=', 'to_invoice'),
                    ('invoice', '=', None),
                    ])
            for i, batch in enumerate(
                    grouped_slice(ids, count=campaign.batch_size)):
                Line.__queue__.prepare_invoices(Line.browse(batch))
                if i:
                    cls.__queue__.post_invoices([campaign])
        if campaigns:
            cls.__queue__.invoice_next(campaigns)
            cls._queue_letters(campaigns)

    def get_invoice_date(self):
        """Return the date of the invoices that the campaign creates now

        The campaign's invoice date, unless an invoice of the company was
        numbered at a later date since: the invoices are numbered in the
        order of their dates, so the lines invoiced late (fixed and
        included again) take the day's date, or that later date."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Date = pool.get('ir.date')
        later = Invoice.search([
                ('company', '=', self.company.id),
                ('type', '=', 'out'),
                ('number', '!=', None),
                ('invoice_date', '>', self.invoice_date),
                ], order=[('invoice_date', 'DESC')], limit=1)
        if not later:
            return self.invoice_date
        with Transaction().set_context(company=self.company.id):
            today = Date.today()
        return max(today, later[0].invoice_date)

    @classmethod
    def _queue_letters(cls, campaigns):
        """Queue again the letters not rendered of the invoiced lines

        A worker killed while rendering leaves its task taken and never
        finished: resuming the campaign queues its letters again (a letter
        already rendered is not rendered twice)."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('association.dues.campaign.line')
        ids = Line._search_ids([
                ('campaign', 'in', [c.id for c in campaigns]),
                ('invoice', '!=', None),
                ('letter_date', '=', None),
                ])
        for sub_ids in grouped_slice(ids, count=SLICE):
            invoices = [l.invoice for l in Line.browse(sub_ids)]
            with Transaction().set_context(
                    queue_batch=LETTER_BATCH, queue_name=LETTER_QUEUE):
                Invoice.__queue__.print_invoice(invoices)

    @classmethod
    def post_invoices(cls, campaigns):
        "Post the prepared invoices of the campaigns"
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        campaigns = [c for c in campaigns if c.state == 'running']
        if campaigns:
            try:
                Line.post_prepared(campaigns)
            except PostingFailed:
                pass

    @classmethod
    def invoice_next(cls, campaigns):
        """Post the prepared invoices, or else invoice the next batch of
        lines, and queue the following task until no line is left"""
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        campaigns = [c for c in campaigns if c.state == 'running']
        if not campaigns:
            return
        try:
            posted = Line.post_prepared(campaigns)
        except PostingFailed:
            # The chain stops: invoicing again resumes it
            return
        if not posted:
            lines = Line.search([
                    ('campaign', 'in', [c.id for c in campaigns]),
                    ('state', '=', 'to_invoice'),
                    ('invoice', '=', None),
                    ], order=[('id', 'ASC')],
                limit=min(c.batch_size for c in campaigns))
            Line.invoice_lines(lines)
        if Line.search([
                    ('campaign', 'in', [c.id for c in campaigns]),
                    ('state', '=', 'to_invoice'),
                    ], limit=1, order=[]):
            cls.__queue__.invoice_next(campaigns)
        else:
            cls.check_done(campaigns)

    @classmethod
    def resume_stalled(cls, stalled_after=None):
        """Resume the campaigns left invoicing without a task to carry on

        A worker killed in the middle of a task (and started again by its
        service) leaves that task taken and never finished: the campaign
        would wait for the treasurer to click Invoice again.  When none of
        the campaigns' tasks waits and none has run for less than
        stalled_after (the configuration's, a quarter of an hour by
        default), the running campaigns are resumed as Invoice does (a line
        or a letter is never done twice)."""
        pool = Pool()
        Queue = pool.get('ir.queue')
        if stalled_after is None:
            stalled_after = dt.timedelta(seconds=config.getint(
                    'association_membership', 'stalled_after',
                    default=STALLED_AFTER))
        campaigns = cls.search([('state', '=', 'running')])
        if not campaigns:
            return []
        models = {
            cls.__name__, 'association.dues.campaign.line',
            'account.invoice'}
        now = dt.datetime.now()
        for task in Queue.search([
                    ('finished_at', '=', None),
                    ('name', 'in', ['default', LETTER_QUEUE]),
                    ]):
            if (task.data or {}).get('model') not in models:
                continue
            if (task.dequeued_at is None
                    or now - task.dequeued_at < stalled_after):
                # Waiting for a worker or running: the campaign goes on
                return []
        logger.info("resuming %d stalled dues campaigns", len(campaigns))
        # The scheduler runs without a company unless one is set on the
        # scheduled action: each campaign is resumed in its own, as its
        # treasurer would
        by_company = defaultdict(list)
        for campaign in campaigns:
            by_company[campaign.company].append(campaign)
        for company, company_campaigns in by_company.items():
            with Transaction().set_context(company=company.id):
                cls.invoice(cls.browse(company_campaigns))
        return campaigns

    @classmethod
    def check_done(cls, campaigns):
        """Close the campaigns that have no line left to invoice nor
        letter left to render"""
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        running = [c for c in campaigns if c.state == 'running']
        if not running:
            return
        cursor.execute(*line.select(
                line.campaign,
                where=line.campaign.in_([c.id for c in running])
                & ((line.state == 'to_invoice')
                    | ((line.state == 'invoiced')
                        & (line.letter_date == Null))),
                group_by=[line.campaign]))
        left = {c for c, in cursor}
        done = [c for c in running if c.id not in left]
        if done:
            cls.write(done, {'state': 'done'})


class CampaignType(ModelSQL):
    "Dues Campaign - Membership Type"
    __name__ = 'association.dues.campaign-association.membership.type'

    campaign = fields.Many2One(
        'association.dues.campaign', "Campaign", required=True,
        ondelete='CASCADE')
    type = fields.Many2One(
        'association.membership.type', "Type", required=True,
        ondelete='CASCADE')


class CampaignLine(ModelSQL, ModelView):
    "Dues Campaign Line"
    __name__ = 'association.dues.campaign.line'

    _states = {
        'readonly': (Eval('state') != 'to_invoice') | Eval('invoice'),
        }

    campaign = fields.Many2One(
        'association.dues.campaign', "Campaign", required=True,
        ondelete='CASCADE', readonly=True)
    year = fields.Integer("Dues Year", required=True, readonly=True)
    party = fields.Many2One(
        'party.party', "Member", required=True, ondelete='RESTRICT',
        readonly=True)
    type = fields.Many2One(
        'association.membership.type', "Type", required=True,
        ondelete='RESTRICT', readonly=True)
    departement = fields.Many2One(
        'country.subdivision', "Département", ondelete='RESTRICT',
        readonly=True)
    population = fields.Integer("Population", readonly=True)
    population_year = fields.Integer("Population Year", readonly=True)
    bracket = fields.Many2One(
        'association.dues.rule.bracket', "Bracket", readonly=True,
        ondelete='RESTRICT')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        domain=[('amount', '>=', 0)],
        states=_states,
        help="The dues of the member; correct it before invoicing.")
    corrected = fields.Boolean(
        "Corrected", readonly=True,
        help="The amount was corrected by hand: computing again keeps it.")
    memberships = fields.One2Many(
        'association.membership', 'campaign_line', "Memberships",
        readonly=True)
    state = fields.Selection(
        LINE_STATES, "State", readonly=True, required=True, sort=False)
    error = fields.Text(
        "Error", readonly=True,
        states={
            'invisible': Eval('state') != 'failed',
            })
    invoice = fields.Many2One(
        'account.invoice', "Invoice", readonly=True, ondelete='RESTRICT')
    letter_date = fields.DateTime(
        "Letter Date", readonly=True,
        help="When the dues-call letter was rendered.")

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('campaign_party_unique', Unique(t, t.campaign, t.party),
                'association_membership.msg_line_campaign_party_unique'),
            ('year_party_unique', Unique(t, t.year, t.party),
                'association_membership.msg_line_year_party_unique'),
            ('invoice_unique', Unique(t, t.invoice),
                'association_membership.msg_line_invoice_unique'),
            ]
        cls._sql_indexes.update({
                Index(t,
                    (t.campaign, Index.Range()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t,
                    (t.invoice, Index.Range()),
                    where=t.invoice != Null),
                })
        cls._order = [
            ('campaign', 'DESC'),
            ('id', 'ASC'),
            ]
        cls._buttons.update({
                'exclude': {
                    'invisible': ~Eval('state').in_(['to_invoice', 'failed']),
                    'depends': ['state'],
                    },
                'include': {
                    'invisible': ~Eval('state').in_(['excluded', 'failed']),
                    'depends': ['state'],
                    },
                })

    @fields.depends('campaign', '_parent_campaign.company')
    def on_change_with_currency(self, name=None):
        if self.campaign and self.campaign.company:
            return self.campaign.company.currency

    def get_rec_name(self, name):
        return self.party.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name',) + tuple(clause[1:])]

    @classmethod
    def default_corrected(cls):
        return False

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # Only the treasurer writes the amount of a line
        if mode == 'write' and 'amount' in values:
            values.setdefault('corrected', True)
        return values

    @classmethod
    def on_modification(cls, mode, lines, field_names=None):
        pool = Pool()
        Membership = pool.get('association.membership')
        super().on_modification(mode, lines, field_names=field_names)
        if mode == 'write' and 'amount' in field_names:
            # The memberships carry the corrected amount, the first one
            # the difference
            to_save = []
            for line in lines:
                memberships = [
                    m for m in line.memberships if m.state == 'called']
                total = sum(m.amount or 0 for m in memberships)
                if memberships and total != line.amount:
                    memberships[0].amount += line.amount - total
                    to_save.append(memberships[0])
            Membership.save(to_save)

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if mode == 'delete':
            for line in lines:
                if line.invoice:
                    raise AccessError(gettext(
                            'association_membership.msg_line_delete_invoiced',
                            line=line.rec_name))
        if mode == 'write' and external and 'amount' in values:
            for line in lines:
                if line.state != 'to_invoice' or line.invoice:
                    raise AccessError(gettext(
                            'association_membership.msg_line_amount_state',
                            line=line.rec_name))

    @classmethod
    @ModelView.button
    def exclude(cls, lines):
        cls.write([l for l in lines if not l.invoice], {
                'state': 'excluded',
                })

    @classmethod
    @ModelView.button
    def include(cls, lines):
        "Put back the lines to invoice; failed ones are checked again"
        lines = [l for l in lines if not l.invoice]
        cls.write(lines, {
                'state': 'to_invoice',
                'error': None,
                })

    @classmethod
    def _search_ids(cls, domain):
        """Return the ids of the lines of the domain in the order of their
        creation, without instantiating them all: a list of records
        checks its ids for each of them"""
        cursor = Transaction().connection.cursor()
        cursor.execute(*cls.search(
                domain, order=[('id', 'ASC')], query=True))
        return [i for i, in cursor]

    @classmethod
    def _lock_invoicing(cls, lines, company):
        """Lock up front what invoicing takes: the lines and the
        sequences of invoice and move numbers"""
        pool = Pool()
        FiscalYear = pool.get('account.fiscalyear')
        JournalPeriod = pool.get('account.journal.period')
        SequenceStrict = pool.get('ir.sequence.strict')
        Sequence = pool.get('ir.sequence')
        cls.lock(lines)
        # Posting creates the journal-periods it misses under a table lock
        JournalPeriod.lock()
        strict, sequences = set(), set()
        for fiscalyear in FiscalYear.search([
                    ('company', '=', company.id),
                    ('state', '=', 'open'),
                    ]):
            candidates = [fiscalyear.move_sequence] + [
                p.move_sequence for p in fiscalyear.periods]
            for invoice_sequence in fiscalyear.invoice_sequences:
                candidates.extend([
                        invoice_sequence.out_invoice_sequence,
                        invoice_sequence.out_credit_note_sequence])
            for sequence in candidates:
                if not sequence:
                    continue
                if sequence.__name__ == 'ir.sequence.strict':
                    strict.add(sequence.id)
                else:
                    sequences.add(sequence.id)
        if strict:
            SequenceStrict.lock(SequenceStrict.browse(sorted(strict)))
        if sequences:
            Sequence.lock(Sequence.browse(sorted(sequences)))

    @classmethod
    def _lines_to_invoice(cls, lines):
        "Read the lines again (after their lock) and keep those to invoice"
        return [
            l for l in cls.browse([l.id for l in lines])
            if l.state == 'to_invoice' and not l.invoice
            and l.campaign.state == 'running']

    @classmethod
    def prepare_invoices(cls, lines):
        """Create and validate the invoices of the lines with their draft
        moves, for a posting task to post

        The lines are locked first: a line that another task invoiced in
        the meantime is skipped.  The sequences are not locked: the
        batches are prepared side by side."""
        if not lines:
            return
        ids = [l.id for l in lines]
        try:
            cls.lock(lines)
            lines = cls._lines_to_invoice(lines)
            for sub_lines in grouped_slice(lines, count=INVOICE_SLICE):
                cls._invoice(list(sub_lines), post=False)
        except UserError as exception:
            cls._failed(ids, exception)

    @classmethod
    def _failed(cls, ids, exception):
        """Undo the work of the task and mark the lines of ids that have no
        invoice failed with the message of exception, for the treasurer to
        see on the lines and the campaign"""
        transaction = Transaction()
        tasks = list(getattr(transaction, 'tasks', []))
        transaction.rollback()
        if hasattr(transaction, 'tasks'):
            # The tasks queued by the work undone are undone with it
            del transaction.tasks[:]
        logger.info("invoicing of %d lines failed: %s", len(ids),
            exception.message)
        lines = [
            l for l in cls.browse(ids)
            if l.state == 'to_invoice' and not l.invoice]
        cls.write(lines, {
                'state': 'failed',
                'error': exception.message,
                })
        return tasks

    @classmethod
    def post_prepared(cls, campaigns):
        """Post the validated invoices of the campaigns' lines, at most two
        batches of them, and return how many were posted"""
        lines = cls.search([
                ('campaign', 'in', [c.id for c in campaigns]),
                ('state', '=', 'to_invoice'),
                ('invoice.state', '=', 'validated'),
                ], order=[('id', 'ASC')],
            limit=2 * max(c.batch_size for c in campaigns))
        if not lines:
            return 0
        try:
            for company in {c.company for c in campaigns}:
                cls._lock_invoicing(
                    [l for l in lines if l.campaign.company == company],
                    company)
            # Read again after the locks
            lines = [
                l for l in cls.browse([l.id for l in lines])
                if l.state == 'to_invoice' and l.invoice
                and l.invoice.state == 'validated']
            for sub_lines in grouped_slice(lines, count=INVOICE_SLICE):
                sub_lines = list(sub_lines)
                started = time.monotonic()
                cls._post([l.invoice for l in sub_lines])
                cls.write(sub_lines, {'state': 'invoiced'})
                logger.info("posted %d members in %.3fs",
                    len(sub_lines), time.monotonic() - started)
        except UserError as exception:
            # The invoices stay prepared: the campaign shows why they are
            # not posted until the treasurer invoices again
            pool = Pool()
            Campaign = pool.get('association.dues.campaign')
            ids = [c.id for c in campaigns]
            cls._failed([], exception)
            Campaign.write(Campaign.browse(ids), {
                    'error': exception.message,
                    })
            raise PostingFailed from exception
        return len(lines)

    @classmethod
    def _post(cls, invoices):
        "Post the invoices; their documents go to the queue of the letters"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        cls._date_again(invoices)
        with Transaction().set_context(
                queue_batch=LETTER_BATCH, queue_name=LETTER_QUEUE):
            Invoice.post(invoices)

    @classmethod
    def _date_again(cls, invoices):
        """Date again the prepared invoices of a campaign that an invoice
        numbered since was dated after: they take the campaign's new
        invoice date, with a new draft move"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('association.dues.campaign.line')
        lines = {}
        for sub_invoices in grouped_slice(invoices, count=SLICE):
            for line in Line.search([
                        ('invoice', 'in', [i.id for i in sub_invoices]),
                        ]):
                lines[line.invoice.id] = line
        dates, to_date = {}, defaultdict(list)
        for invoice in invoices:
            line = lines.get(invoice.id)
            if not line or invoice.state != 'validated':
                continue
            campaign = line.campaign
            if campaign not in dates:
                dates[campaign] = campaign.get_invoice_date()
            if invoice.invoice_date < dates[campaign]:
                to_date[dates[campaign]].append(invoice)
        for date, sub_invoices in to_date.items():
            Invoice.draft(sub_invoices)
            Invoice.write(sub_invoices, {'invoice_date': date})
            Invoice.validate_invoice(sub_invoices)

    @classmethod
    def invoice_lines(cls, lines):
        """Invoice and post the lines

        The lines are locked first: a line that another task invoiced in
        the meantime is skipped, so a campaign run twice, by two
        treasurers or after an interruption gives one invoice per line."""
        if not lines:
            return
        ids = [l.id for l in lines]
        campaigns = {l.campaign for l in lines}
        try:
            for company in {c.company for c in campaigns}:
                cls._lock_invoicing(
                    [l for l in lines if l.campaign.company == company],
                    company)
            lines = cls._lines_to_invoice(lines)
            for sub_lines in grouped_slice(lines, count=INVOICE_SLICE):
                cls._invoice(list(sub_lines))
        except UserError as exception:
            cls._failed(ids, exception)

    @classmethod
    def invoice_memberships(cls, memberships):
        """Invoice memberships outside a campaign, such as late joiners:
        their dues are computed from the rules of their year"""
        pool = Pool()
        Membership = pool.get('association.membership')
        Invoice = pool.get('account.invoice')
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        if not memberships:
            return
        company = Company(Transaction().context['company'])
        today = Date.today()
        for membership in memberships:
            if membership.state != 'draft':
                raise DuesError(gettext(
                        'association_membership.msg_membership_not_draft',
                        membership=membership.rec_name))
            membership.compute_dues()
            if not membership.party.address_get('invoice'):
                raise DuesError(gettext(
                        'association_membership.msg_dues_no_address',
                        member=membership.party.rec_name))
        by_party = defaultdict(list)
        for membership in memberships:
            by_party[membership.party].append(membership)
        invoices, invoice_memberships = [], []
        for party, party_memberships in by_party.items():
            invoice = cls._get_invoice(
                company, party, party_memberships[0].year, today, None,
                party_memberships)
            invoices.append(invoice)
            invoice_memberships.append(party_memberships)
        errors = [cls._check_invoice(i) for i in invoices]
        for error in errors:
            if error:
                raise DuesError(error)
        Invoice.save(invoices)
        Invoice.update_taxes(invoices)
        for invoice, party_memberships in zip(invoices, invoice_memberships):
            for membership, invoice_line in zip(
                    party_memberships, invoice.lines):
                membership.invoice = invoice
                membership.invoice_line = invoice_line
                membership.state = 'invoiced'
        Membership.save(memberships)
        Invoice.post(invoices)

    @classmethod
    def _party_accounting(cls, parties, company):
        """Return the receivable account and the customer payment term of
        the parties by id, read with a query per slice rather than per
        party"""
        pool = Pool()
        Configuration = pool.get('account.configuration')
        PartyAccount = pool.get('party.party.account')
        PartyPaymentTerm = pool.get('party.party.payment_term')
        config = Configuration(1)
        default_account = config.get_multivalue(
            'default_account_receivable', company=company.id)
        default_term = config.get_multivalue(
            'default_customer_payment_term', company=company.id)
        accounts, terms = {}, {}
        ids = list({p.id for p in parties})
        for sub_ids in grouped_slice(ids, count=SLICE):
            sub_ids = list(sub_ids)
            for value in PartyAccount.search([
                        ('party', 'in', sub_ids),
                        ('company', '=', company.id),
                        ('account_receivable', '!=', None),
                        ]):
                accounts[value.party.id] = value.account_receivable
            for value in PartyPaymentTerm.search([
                        ('party', 'in', sub_ids),
                        ('customer_payment_term', '!=', None),
                        ]):
                terms[value.party.id] = value.customer_payment_term
        current = {}
        result = {}
        for id_ in ids:
            account = accounts.get(id_, default_account)
            if account is not None and account not in current:
                current[account] = account.current()
            result[id_] = (
                current.get(account) if account is not None else None,
                terms.get(id_, default_term))
        return result

    @classmethod
    def _get_invoice(
            cls, company, party, year, invoice_date, payment_term,
            memberships, journal=None, accounting=None):
        """Return an unsaved invoice of the memberships

        accounting is the receivable account and the customer payment
        term of the party"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        Lang = pool.get('ir.lang')
        if accounting is None:
            accounting = cls._party_accounting([party], company)[party.id]
        receivable, party_payment_term = accounting
        # The descriptions are written in the member's language
        with Transaction().set_context(company=company.id):
            language = party.document_language
        lang = Lang.get(language)
        invoice = Invoice(
            company=company,
            type='out',
            party=party,
            invoice_address=party.address_get('invoice'),
            currency=company.currency,
            account=receivable,
            payment_term=party_payment_term or payment_term,
            invoice_date=invoice_date,
            party_tax_identifier=party.tax_identifier,
            dues_year=year,
            )
        with Transaction().set_context(language=language):
            invoice.description = gettext(
                'association_membership.msg_invoice_description', year=year)
        if journal:
            invoice.journal = journal
        else:
            invoice.set_journal()
        # Set as posting would, but in the batches prepared side by side
        invoice.tax_identifier = invoice.get_tax_identifier()
        references = {m.legal_commitment for m in memberships
            if m.legal_commitment}
        if references:
            invoice.reference = ', '.join(sorted(references))
        if getattr(party, 'chorus_service_code', None):
            invoice.chorus_service_code = party.chorus_service_code
        lines = []
        for membership in memberships:
            product = membership.type.product
            line = InvoiceLine(
                type='line',
                company=company,
                currency=company.currency,
                invoice_type='out',
                party=party,
                product=product,
                description=cls._line_description(
                    membership, year, language, lang),
                quantity=1,
                unit=product.default_uom,
                unit_price=membership.amount,
                account=product.account_revenue_used,
                taxes=product.customer_taxes_used,
                origin=membership,
                )
            lines.append(line)
        invoice.lines = lines
        return invoice

    @classmethod
    def _line_description(cls, membership, year, language, lang):
        "Return the description of the invoice line of the membership"
        pool = Pool()
        Type = pool.get('association.membership.type')
        with Transaction().set_context(language=language):
            return gettext(
                'association_membership.msg_invoice_line_description',
                type=Type(membership.type.id).rec_name, year=year,
                population=lang.format(
                    '%d', membership.population or 0, grouping=True))

    @classmethod
    def _check_invoice(cls, invoice):
        "Return the error message that prevents the invoice or None"
        party = invoice.party
        if not invoice.invoice_address:
            return gettext(
                'association_membership.msg_dues_no_address',
                member=party.rec_name)
        if not invoice.account:
            return gettext(
                'association_membership.msg_dues_no_receivable',
                member=party.rec_name)
        if getattr(party, 'chorus', False):
            if not getattr(invoice.invoice_address, 'siret', None):
                return gettext(
                    'association_membership.msg_dues_no_siret',
                    member=party.rec_name)
            if (party.chorus_service_code_required
                    and not party.chorus_service_code):
                return gettext(
                    'association_membership.msg_dues_no_service_code',
                    member=party.rec_name)
            if (party.chorus_legal_commitment_required
                    and not getattr(invoice, 'reference', None)):
                return gettext(
                    'association_membership.msg_dues_no_legal_commitment',
                    member=party.rec_name)

    @classmethod
    def _invoice(cls, lines, post=True):
        """Create, validate and link the invoices of the lines with their
        draft moves, and post them unless post is False"""
        pool = Pool()
        Membership = pool.get('association.membership')
        Journal = pool.get('account.journal')
        started = time.monotonic()
        journals = Journal.search([('type', '=', 'revenue')], limit=1)
        journal = journals[0] if journals else None
        invoices, invoiced, failed = [], [], []
        companies = {l.campaign.company for l in lines}
        dates = {c: c.get_invoice_date() for c in {l.campaign for l in lines}}
        accounting = {}
        for company in companies:
            accounting[company] = cls._party_accounting(
                [l.party for l in lines if l.campaign.company == company],
                company)
        for line in lines:
            memberships = [
                m for m in line.memberships if m.state == 'called']
            if not memberships:
                line.state = 'failed'
                line.error = gettext(
                    'association_membership.msg_line_no_membership',
                    line=line.rec_name)
                failed.append(line)
                continue
            total = sum(m.amount or 0 for m in memberships)
            if line.amount != total:
                # The treasurer's correction is carried by the first
                # membership
                memberships[0].amount += line.amount - total
            campaign = line.campaign
            invoice = cls._get_invoice(
                campaign.company, line.party, line.year,
                dates[campaign], campaign.payment_term, memberships,
                journal=journal,
                accounting=accounting[campaign.company][line.party.id])
            error = cls._check_invoice(invoice)
            if error:
                line.state = 'failed'
                line.error = error
                failed.append(line)
                continue
            invoices.append(invoice)
            invoiced.append((line, memberships))
        cls.save(failed)
        built = time.monotonic()
        cls._create_invoices(invoices)
        to_save = []
        for invoice, (line, memberships) in zip(invoices, invoiced):
            line.invoice = invoice
            line.state = 'invoiced' if post else 'to_invoice'
            line.error = None
            for membership, invoice_line in zip(memberships, invoice.lines):
                membership.invoice = invoice
                membership.invoice_line = invoice_line
                to_save.append(membership)
        cls.save([l for l, _ in invoiced])
        Membership.save(to_save)
        created = time.monotonic()
        if post:
            cls._post(invoices)
        logger.info(
            "invoiced %d members in %.3fs and posted in %.3fs "
            "(prepared in %.3fs, %d failed)",
            len(invoices), created - built, time.monotonic() - created,
            built - started, len(failed))

    @classmethod
    def _create_invoices(cls, invoices):
        """Save and validate the invoices and store their draft moves: all
        that posting does without the sequences"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Move = pool.get('account.move')
        # Saving computes the taxes of draft invoices
        Invoice.save(invoices)
        with Transaction().set_context(_association_dues_taxes=True):
            moves = []
            for invoice in invoices:
                invoice.move = invoice.get_move()
                moves.append(invoice.move)
            Move.save(moves)
            # The moves are written with the cached amounts on validation
            Invoice.validate_invoice(invoices)
        Invoice.save(invoices)


class CampaignLineLetter(Report):
    "Dues-Call Letter of Campaign Lines"
    __name__ = 'association.dues.campaign.line.letter'

    @classmethod
    def execute(cls, ids, data):
        "Print the dues-call letters of the lines' invoices"
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        InvoiceReport = pool.get('account.invoice', type='report')
        ActionReport = pool.get('ir.action.report')
        action, = ActionReport.search([
                ('report_name', '=', cls.__name__),
                ], limit=1)
        cls.check_access(action, action.model, ids)
        lines = Line.browse(ids)
        invoices = [l.invoice.id for l in lines if l.invoice]
        if not invoices:
            raise CampaignError(gettext(
                    'association_membership.msg_line_letter_no_invoice'))
        data = {k: v for k, v in data.items() if k != 'action_id'}
        data['model'] = 'account.invoice'
        return InvoiceReport.execute(invoices, data)
