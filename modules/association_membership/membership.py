# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from sql import Null

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields,
    sequence_ordered)
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import DuesError, DuesRuleError, MembershipError

# Number of ids in one IN clause
SLICE = 1000
STATES = [
    ('draft', "Draft"),
    ('called', "Called"),
    ('invoiced', "Invoiced"),
    ('paid', "Paid"),
    ('cancelled', "Cancelled"),
    ('lapsed', "Lapsed"),
    ]
# The states of a membership that counts for its year
ACTIVE_STATES = {'draft', 'called', 'invoiced', 'paid'}


class MembershipType(DeactivableMixin, ModelSQL, ModelView):
    "Membership Type"
    __name__ = 'association.membership.type'

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", required=True)
    tax_mention = fields.Char(
        "Tax Mention", translate=True,
        help="Printed on the dues-call letters, for example the VAT "
        "exemption of the dues: \"TVA non applicable, article 261, 7-1° du "
        "CGI\".")
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='RESTRICT',
        domain=[
            ('type', '=', 'service'),
            ],
        help="The product of the dues on invoices: "
        "its revenue account and customer taxes are used.")
    rules = fields.One2Many(
        'association.dues.rule', 'type', "Dues Rules",
        help="The rule that computes the dues of each year.")
    memberships = fields.One2Many(
        'association.membership', 'type', "Memberships", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'association_membership.msg_type_code_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    def get_rule(self, year):
        for rule in self.rules:
            if rule.year == year:
                return rule


class DuesRule(ModelSQL, ModelView):
    "Dues Rule"
    __name__ = 'association.dues.rule'

    type = fields.Many2One(
        'association.membership.type', "Type", required=True,
        ondelete='CASCADE')
    year = fields.Integer(
        "Dues Year", required=True,
        help="The calendar year of the dues the rule computes.")
    population_basis = fields.Selection([
            ('municipal', "Municipal Population"),
            ('total', "Total Population"),
            ], "Population Basis", required=True,
        help="The legal population the brackets and rates read.")
    population_year = fields.Integer(
        "Population Year",
        help="The vintage of the legal population to read; "
        "leave empty to read the member's current population.")
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, ondelete='RESTRICT')
    minimum = Monetary(
        "Floor", currency='currency', digits='currency',
        domain=[
            If(Bool(Eval('minimum')), ('minimum', '>=', 0), ()),
            ],
        help="The least amount of the dues.")
    maximum = Monetary(
        "Cap", currency='currency', digits='currency',
        domain=[
            If(Bool(Eval('maximum')) & Bool(Eval('minimum')),
                ('maximum', '>=', Eval('minimum')),
                ()),
            ],
        help="The greatest amount of the dues.")
    rounding = fields.Numeric(
        "Rounding", digits=(16, 2), required=True,
        domain=[('rounding', '>', 0)],
        help="The amount is rounded half up to a multiple of this value "
        "(1 for whole euros, 0.01 for cents).")
    proration = fields.Selection([
            ('none', "None"),
            ('month', "By Months"),
            ], "Proration", required=True,
        help="How the dues of a member who joins during the year "
        "are reduced.")
    brackets = fields.One2Many(
        'association.dues.rule.bracket', 'rule', "Brackets",
        help="A flat amount is a single bracket from 0 "
        "with a fixed part and no rate.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('type_year_unique', Unique(t, t.type, t.year),
                'association_membership.msg_rule_type_year_unique'),
            ]
        cls._order.insert(0, ('year', 'DESC'))

    @classmethod
    def default_population_basis(cls):
        return 'municipal'

    @classmethod
    def default_rounding(cls):
        return Decimal('0.01')

    @classmethod
    def default_proration(cls):
        return 'none'

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id

    def get_rec_name(self, name):
        return f'{self.type.rec_name} {self.year}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('type.rec_name',) + tuple(clause[1:])]

    @classmethod
    def validate(cls, rules):
        super().validate(rules)
        for rule in rules:
            rule.check_brackets()

    def check_brackets(self):
        brackets = sorted(self.brackets, key=lambda b: b.population_from)
        for previous, bracket in zip(brackets, brackets[1:]):
            if (previous.population_to is None
                    or previous.population_to >= bracket.population_from):
                raise DuesRuleError(gettext(
                        'association_membership.msg_rule_brackets_overlap',
                        rule=self.rec_name,
                        bracket=previous.rec_name,
                        other=bracket.rec_name))

    def get_bracket(self, population):
        for bracket in self.brackets:
            if (bracket.population_from <= population
                    and (bracket.population_to is None
                        or population <= bracket.population_to)):
                return bracket

    def round(self, amount):
        rounding = self.rounding or Decimal('0.01')
        amount = (amount / rounding).quantize(
            Decimal(1), rounding=ROUND_HALF_UP) * rounding
        return amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)

    def compute(self, population, months=12):
        """Return the bracket and the amount of the dues for population
        over months of the year; the bracket is None when none applies"""
        bracket = self.get_bracket(population)
        if bracket is None:
            return None, None
        amount = (bracket.fixed_amount or 0) + (
            (bracket.rate or 0) * population)
        # The floor and the cap of the bracket, then those of the rule
        if bracket.minimum is not None:
            amount = max(amount, bracket.minimum)
        if bracket.maximum is not None:
            amount = min(amount, bracket.maximum)
        if self.minimum is not None:
            amount = max(amount, self.minimum)
        if self.maximum is not None:
            amount = min(amount, self.maximum)
        if self.proration == 'month' and months < 12:
            amount = amount * months / 12
        return bracket, self.round(Decimal(amount))


class DuesRuleBracket(sequence_ordered(), ModelSQL, ModelView):
    "Dues Rule Bracket"
    __name__ = 'association.dues.rule.bracket'
    __access__ = {'rule'}

    rule = fields.Many2One(
        'association.dues.rule', "Rule", required=True, ondelete='CASCADE')
    population_from = fields.Integer(
        "From", required=True,
        domain=[('population_from', '>=', 0)],
        help="The least population of the bracket.")
    population_to = fields.Integer(
        "To",
        domain=[
            If(Bool(Eval('population_to')),
                ('population_to', '>=', Eval('population_from', 0)),
                ()),
            ],
        help="The greatest population of the bracket (included); "
        "leave empty for no limit.")
    fixed_amount = Monetary(
        "Fixed Part", currency='currency', digits='currency',
        required=True,
        domain=[('fixed_amount', '>=', 0)])
    rate = fields.Numeric(
        "Rate per Inhabitant", digits=(16, 4), required=True,
        domain=[('rate', '>=', 0)])
    minimum = Monetary(
        "Floor", currency='currency', digits='currency',
        domain=[
            If(Bool(Eval('minimum')), ('minimum', '>=', 0), ()),
            ],
        help="The least amount of the dues in the bracket.")
    maximum = Monetary(
        "Cap", currency='currency', digits='currency',
        domain=[
            If(Bool(Eval('maximum')) & Bool(Eval('minimum')),
                ('maximum', '>=', Eval('minimum')),
                ()),
            ],
        help="The greatest amount of the dues in the bracket.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('population_from', 'ASC'))

    @classmethod
    def default_fixed_amount(cls):
        return Decimal(0)

    @classmethod
    def default_rate(cls):
        return Decimal(0)

    @fields.depends('rule', '_parent_rule.currency')
    def on_change_with_currency(self, name=None):
        return self.rule.currency if self.rule else None

    def get_rec_name(self, name):
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()

        def format_(population):
            return lang.format('%d', population or 0, grouping=True)
        if self.population_to is None:
            return gettext(
                'association_membership.msg_bracket_from',
                start=format_(self.population_from))
        return gettext(
            'association_membership.msg_bracket_range',
            start=format_(self.population_from),
            end=format_(self.population_to))


class Membership(Workflow, ModelSQL, ModelView):
    "Membership"
    __name__ = 'association.membership'

    _readonly = Eval('state') != 'draft'

    party = fields.Many2One(
        'party.party', "Member", required=True, ondelete='RESTRICT',
        states={'readonly': _readonly})
    type = fields.Many2One(
        'association.membership.type', "Type", required=True,
        ondelete='RESTRICT', states={'readonly': _readonly})
    year = fields.Integer(
        "Dues Year", required=True, states={'readonly': _readonly})
    join_date = fields.Date(
        "Joining Date", required=True,
        domain=[
            If(Bool(Eval('leave_date')),
                ('join_date', '<=', Eval('leave_date')),
                ()),
            ],
        states={'readonly': _readonly})
    leave_date = fields.Date(
        "Leaving Date",
        states={'readonly': Eval('state').in_(['cancelled', 'lapsed'])})
    free = fields.Boolean(
        "Free", states={'readonly': _readonly},
        help="An honorary member who pays no dues.")
    associated_to = fields.Many2One(
        'party.party', "Associated To", ondelete='RESTRICT',
        domain=[('id', '!=', Eval('party', -1))],
        states={'readonly': _readonly},
        help="The member whose status this associate member follows; "
        "an associate member is not invoiced.")
    legal_commitment = fields.Char(
        "Legal Commitment",
        states={'readonly': ~Eval('state').in_(['draft', 'called'])},
        help="The number of the legal commitment (engagement juridique) "
        "of the public body, printed on the invoice.")
    population = fields.Integer("Population", readonly=True)
    population_year = fields.Integer("Population Year", readonly=True)
    bracket = fields.Many2One(
        'association.dues.rule.bracket', "Bracket", readonly=True,
        ondelete='RESTRICT')
    currency = fields.Many2One(
        'currency.currency', "Currency", readonly=True,
        ondelete='RESTRICT')
    amount = Monetary(
        "Amount", currency='currency', digits='currency', readonly=True,
        help="The dues as they were computed and invoiced.")
    campaign_line = fields.Many2One(
        'association.dues.campaign.line', "Campaign Line", readonly=True,
        ondelete='SET NULL')
    invoice_line = fields.Many2One(
        'account.invoice.line', "Invoice Line", readonly=True,
        ondelete='RESTRICT')
    invoice = fields.Many2One(
        'account.invoice', "Invoice", readonly=True, ondelete='RESTRICT')
    credit_note = fields.Many2One(
        'account.invoice', "Credit Note", readonly=True,
        ondelete='RESTRICT')
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    associate_state = fields.Function(
        fields.Selection(STATES, "Associated Member State"),
        'get_associate_state')
    up_to_date = fields.Function(
        fields.Boolean("Up to Date"), 'get_up_to_date')

    del _readonly

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('party_type_year_unique', Unique(t, t.party, t.type, t.year),
                'association_membership.msg_membership_unique'),
            ]
        cls._sql_indexes.update({
                Index(t,
                    (t.year, Index.Range()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.party, Index.Range())),
                Index(t,
                    (t.campaign_line, Index.Range()),
                    where=t.campaign_line != Null),
                Index(t,
                    (t.invoice, Index.Range()),
                    where=t.invoice != Null),
                })
        cls._order = [
            ('year', 'DESC'),
            ('party', 'ASC'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('draft', 'called'),
            ('called', 'draft'),
            ('draft', 'invoiced'),
            ('called', 'invoiced'),
            ('invoiced', 'paid'),
            ('paid', 'invoiced'),
            ('draft', 'cancelled'),
            ('called', 'cancelled'),
            ('invoiced', 'cancelled'),
            ('paid', 'cancelled'),
            ('draft', 'lapsed'),
            ('called', 'lapsed'),
            ('invoiced', 'lapsed'),
            }
        cls._buttons.update({
                'invoice_late': {
                    'invisible': ((Eval('state') != 'draft')
                        | Eval('free', False)
                        | Bool(Eval('associated_to'))),
                    'depends': ['state', 'free', 'associated_to'],
                    },
                'cancel_dues': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'called', 'invoiced', 'paid']),
                    'depends': ['state'],
                    },
                'lapse': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'called', 'invoiced']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_year(cls):
        return Pool().get('ir.date').today().year

    @fields.depends('year', 'join_date')
    def on_change_year(self):
        if self.year and not self.join_date:
            self.join_date = dt.date(self.year, 1, 1)

    @classmethod
    def default_free(cls):
        return False

    def get_rec_name(self, name):
        return f'{self.party.rec_name} {self.type.rec_name} {self.year}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name',) + tuple(clause[1:])]

    @classmethod
    def validate_fields(cls, memberships, field_names):
        super().validate_fields(memberships, field_names)
        if field_names & {'year', 'join_date', 'leave_date'}:
            for membership in memberships:
                membership.check_dates()

    def check_dates(self):
        for date in [self.join_date, self.leave_date]:
            if date and date.year > self.year:
                raise MembershipError(gettext(
                        'association_membership.msg_membership_date_year',
                        membership=self.rec_name, date=date,
                        year=self.year))

    @classmethod
    def check_modification(
            cls, mode, memberships, values=None, external=False):
        super().check_modification(
            mode, memberships, values=values, external=external)
        if mode == 'delete':
            for membership in memberships:
                if membership.state != 'draft' or membership.invoice:
                    raise MembershipError(gettext(
                            'association_membership.msg_membership_delete',
                            membership=membership.rec_name))

    def get_associate_state(self, name):
        "The state that an associate member follows"
        if not self.associated_to:
            return self.state
        memberships = self.search([
                ('party', '=', self.associated_to.id),
                ('year', '=', self.year),
                ], limit=1)
        if memberships:
            return memberships[0].associate_state

    @classmethod
    def get_up_to_date(cls, memberships, name):
        result = {}
        for membership in memberships:
            if membership.free:
                result[membership.id] = membership.state in ACTIVE_STATES
            elif membership.associated_to:
                result[membership.id] = (
                    membership.associate_state == 'paid')
            else:
                result[membership.id] = (
                    membership.state in {'paid', 'cancelled'}
                    or (membership.state == 'invoiced'
                        and not membership.amount))
        return result

    def get_population(self, rule):
        """Return the population and its year that rule reads for the
        member, reading the history when the rule names a vintage"""
        pool = Pool()
        Population = pool.get('association.population')
        party = self.party
        if rule.population_year:
            populations = Population.search([
                    ('authority', '=', party.id),
                    ('year', '=', rule.population_year),
                    ], limit=1)
            if not populations:
                return None, None
            population, = populations
            if rule.population_basis == 'total':
                return population.population_total, population.year
            return population.population, population.year
        if rule.population_basis == 'total':
            return party.population_total, party.population_year
        return party.population, party.population_year

    def months(self):
        "Return the number of months of the year the membership covers"
        start = self.join_date or dt.date(self.year, 1, 1)
        if start.year < self.year:
            return 12
        return 12 - start.month + 1

    def compute_dues(self):
        """Set the population, bracket and amount of the dues
        or raise a DuesError"""
        rule = self.type.get_rule(self.year)
        if not rule:
            raise DuesError(gettext(
                    'association_membership.msg_dues_no_rule',
                    type=self.type.rec_name, year=self.year))
        population, population_year = self.get_population(rule)
        if population is None:
            raise DuesError(gettext(
                    'association_membership.msg_dues_no_population',
                    member=self.party.rec_name, year=(
                        f' {rule.population_year}'
                        if rule.population_year else '')))
        bracket, amount = rule.compute(population, self.months())
        if bracket is None:
            raise DuesError(gettext(
                    'association_membership.msg_dues_no_bracket',
                    member=self.party.rec_name, population=population,
                    rule=rule.rec_name))
        self.population = population
        self.population_year = population_year
        self.bracket = bracket
        self.currency = rule.currency
        self.amount = amount

    @classmethod
    def update_state(cls, memberships):
        "Set the state of the memberships from their invoices"
        to_write = {}
        for membership in memberships:
            state = membership.state
            if membership.credit_note:
                state = 'cancelled'
            elif membership.invoice:
                invoice_state = membership.invoice.state
                if invoice_state == 'paid':
                    state = 'paid'
                elif invoice_state == 'posted':
                    state = 'invoiced'
                elif invoice_state == 'cancelled':
                    state = 'cancelled'
            if state != membership.state and membership.state != 'lapsed':
                to_write.setdefault(state, []).append(membership)
        args = []
        for state, records in to_write.items():
            args.extend((records, {'state': state}))
        if args:
            cls.write(*args)

    @classmethod
    @ModelView.button
    def invoice_late(cls, memberships):
        """Invoice a member who joins during the year,
        from the rules of its year"""
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        Line.invoice_memberships(memberships)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel_dues(cls, memberships):
        """Cancel the dues: the invoiced ones get a credit note, which
        settles the invoice when it is not paid"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        to_credit = [
            m for m in memberships
            if m.invoice and m.state in {'invoiced', 'paid'}
            and not m.credit_note]
        for membership in to_credit:
            if membership.invoice.state not in {'posted', 'paid'}:
                raise MembershipError(gettext(
                        'association_membership.msg_cancel_invoice_state',
                        invoice=membership.invoice.rec_name))
        credit_notes = [m._get_credit_note() for m in to_credit]
        Invoice.save(credit_notes)
        Invoice.update_taxes(credit_notes)
        for membership, credit_note in zip(to_credit, credit_notes):
            membership.credit_note = credit_note
        cls.save(to_credit)
        Invoice.post(credit_notes)
        to_reconcile = []
        for membership, credit_note in zip(to_credit, credit_notes):
            invoice = membership.invoice
            if (invoice.state == 'posted'
                    and invoice.amount_to_pay == invoice.total_amount
                    and invoice.total_amount == -credit_note.total_amount):
                to_reconcile.append(
                    list(invoice.lines_to_pay)
                    + list(credit_note.lines_to_pay))
        if to_reconcile:
            MoveLine.reconcile(*to_reconcile)
        cls.write(
            [m for m in memberships if m.state in {'draft', 'called'}],
            {'campaign_line': None})

    def _get_credit_note(self):
        "Return the credit note of the membership's invoice line"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        invoice = self.invoice
        credit_note = Invoice(
            company=invoice.company, type='out', party=invoice.party,
            invoice_address=invoice.invoice_address,
            currency=invoice.currency, account=invoice.account,
            payment_term=invoice.payment_term, journal=invoice.journal,
            dues_year=self.year,
            reference=invoice.reference, description=invoice.description)
        line = self.invoice_line._credit()
        line.origin = self
        credit_note.lines = [line]
        return credit_note

    @classmethod
    @ModelView.button
    @Workflow.transition('lapsed')
    def lapse(cls, memberships):
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        for membership in memberships:
            if not membership.leave_date:
                membership.leave_date = min(
                    today, dt.date(membership.year, 12, 31))
        cls.save(memberships)

    @classmethod
    def renew(cls, types, year):
        """Create the memberships of year for the members of the
        previous year that did not leave and return them

        The membership of a commune merged since passes to its successor."""
        pool = Pool()
        Party = pool.get('party.party')
        table = cls.__table__()
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        type_ids = [t.id for t in types]
        start = dt.date(year, 1, 1)
        cursor.execute(*table.join(party,
                condition=table.party == party.id).select(
                table.party, table.type, table.free, table.associated_to,
                party.active, party.successor,
                where=table.type.in_(type_ids)
                & (table.year == year - 1)
                & table.state.in_(['draft', 'called', 'invoiced', 'paid'])
                & ((table.leave_date == Null) | (table.leave_date >= start)),
                order_by=[table.party, table.type]))
        previous = cursor.fetchall()
        existing = set()
        cursor.execute(*table.select(
                table.party, table.type,
                where=table.type.in_(type_ids) & (table.year == year)))
        existing.update(cursor)
        to_create = []
        for party_id, type_, free, associated_to, active, successor in (
                previous):
            if not active:
                if not successor:
                    continue
                party_id = successor
            if (party_id, type_) in existing:
                continue
            existing.add((party_id, type_))
            to_create.append({
                    'party': party_id,
                    'type': type_,
                    'year': year,
                    'join_date': start,
                    'free': bool(free),
                    'associated_to': associated_to,
                    })
        memberships = []
        for sub_values in grouped_slice(to_create, count=SLICE):
            memberships.extend(cls.create(list(sub_values)))
        return memberships
