# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access


class DuesReportContext(ModelView):
    "Dues Report Context"
    __name__ = 'association.dues.report.context'

    year = fields.Integer(
        "Dues Year",
        help="Leave empty to see every year.")

    @classmethod
    def default_year(cls):
        "The latest dues year called, up to next year's, or this year"
        pool = Pool()
        Date = pool.get('ir.date')
        Membership = pool.get('association.membership')
        year = Date.today().year
        with without_check_access():
            memberships = Membership.search([
                    ('year', '<=', year + 1),
                    ], order=[('year', 'DESC')], limit=1)
        if memberships:
            year = memberships[0].year
        return year


def _not_excluded(membership):
    """Return the condition of the memberships whose campaign line the
    treasurer did not exclude"""
    pool = Pool()
    Line = pool.get('association.dues.campaign.line')
    line = Line.__table__()
    return ((membership.campaign_line == Null)
        | ~membership.campaign_line.in_(line.select(
                line.id, where=line.state == 'excluded')))


def _year_where(table):
    year = Transaction().context.get('year')
    if year:
        return table.year == year
    return Literal(True)


class DuesReport(ModelSQL, ModelView):
    "Dues Report"
    __name__ = 'association.dues.report'

    year = fields.Integer("Dues Year")
    type = fields.Many2One('association.membership.type', "Type")
    departement = fields.Many2One('country.subdivision', "Département")
    bracket = fields.Many2One('association.dues.rule.bracket', "Bracket")
    currency = fields.Many2One('currency.currency', "Currency")
    members = fields.Integer("Members")
    expected = Monetary("Expected", currency='currency', digits='currency')
    invoiced = Monetary("Invoiced", currency='currency', digits='currency')
    collected = Monetary("Collected", currency='currency', digits='currency')
    overdue = Monetary("Overdue", currency='currency', digits='currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('year', 'DESC'),
            ('type', 'ASC'),
            ('departement', 'ASC'),
            ('bracket', 'ASC'),
            ('id', 'ASC'),
            ]

    @classmethod
    def _overdue_moves(cls):
        "Return the query of the moves with an unpaid line past due"
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        Account = pool.get('account.account')
        AccountType = pool.get('account.account.type')
        Date = pool.get('ir.date')
        line = MoveLine.__table__()
        account = Account.__table__()
        type_ = AccountType.__table__()
        return line.join(account, condition=line.account == account.id
            ).join(type_, condition=account.type == type_.id
            ).select(line.move,
                where=(type_.receivable == Literal(True))
                & (line.reconciliation == Null)
                & (line.maturity_date < Date.today()))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Membership = pool.get('association.membership')
        Invoice = pool.get('account.invoice')
        Party = pool.get('party.party')
        membership = Membership.__table__()
        invoice = Invoice.__table__()
        party = Party.__table__()
        amount = Coalesce(membership.amount, 0)
        counted = (membership.state.in_(['called', 'invoiced', 'paid'])
            & _not_excluded(membership))
        invoiced = membership.state.in_(['invoiced', 'paid'])
        overdue = ((membership.state == 'invoiced')
            & invoice.move.in_(cls._overdue_moves()))
        return membership.join(party,
            condition=membership.party == party.id
            ).join(invoice, 'LEFT',
                condition=membership.invoice == invoice.id
            ).select(
                Min(membership.id).as_('id'),
                membership.year.as_('year'),
                membership.type.as_('type'),
                party.departement.as_('departement'),
                membership.bracket.as_('bracket'),
                Min(membership.currency).as_('currency'),
                Sum(Case((counted, 1), else_=0)).as_('members'),
                Sum(Case((counted, amount), else_=0)).as_('expected'),
                Sum(Case((invoiced, amount), else_=0)).as_('invoiced'),
                Sum(Case((membership.state == 'paid', amount), else_=0)
                    ).as_('collected'),
                Sum(Case((overdue, amount), else_=0)).as_('overdue'),
                where=_year_where(membership)
                & (membership.free == Literal(False))
                & (membership.associated_to == Null),
                group_by=[
                    membership.year, membership.type, party.departement,
                    membership.bracket])


class UnpaidMember(ModelSQL, ModelView):
    "Member Not Up to Date"
    __name__ = 'association.dues.unpaid'

    party = fields.Many2One('party.party', "Member")
    year = fields.Integer("Dues Year")
    type = fields.Many2One('association.membership.type', "Type")
    departement = fields.Many2One('country.subdivision', "Département")
    invoice = fields.Many2One('account.invoice', "Invoice")
    currency = fields.Many2One('currency.currency', "Currency")
    amount = Monetary("Amount", currency='currency', digits='currency')
    overdue = fields.Boolean("Overdue")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('year', 'ASC'),
            ('party', 'ASC'),
            ('id', 'ASC'),
            ]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Membership = pool.get('association.membership')
        Invoice = pool.get('account.invoice')
        Party = pool.get('party.party')
        Report = pool.get('association.dues.report')
        membership = Membership.__table__()
        invoice = Invoice.__table__()
        party = Party.__table__()
        return membership.join(party,
            condition=membership.party == party.id
            ).join(invoice, condition=membership.invoice == invoice.id
            ).select(
                membership.id.as_('id'),
                membership.party.as_('party'),
                membership.year.as_('year'),
                membership.type.as_('type'),
                party.departement.as_('departement'),
                membership.invoice.as_('invoice'),
                membership.currency.as_('currency'),
                membership.amount.as_('amount'),
                invoice.move.in_(Report._overdue_moves()).as_('overdue'),
                where=_year_where(membership)
                & (membership.state == 'invoiced')
                & (invoice.state == 'posted'))


class Coverage(ModelSQL, ModelView):
    "Membership Coverage"
    __name__ = 'association.dues.coverage'

    departement = fields.Many2One('country.subdivision', "Département")
    communes = fields.Integer("Communes")
    member_communes = fields.Integer("Member Communes")
    population = fields.Integer("Population")
    member_population = fields.Integer("Member Population")
    commune_share = fields.Float(
        "Share of Communes", digits=(1, 4))
    population_share = fields.Float(
        "Share of Population", digits=(1, 4))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('departement', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Membership = pool.get('association.membership')
        Party = pool.get('party.party')
        Date = pool.get('ir.date')
        membership = Membership.__table__()
        party = Party.__table__()
        year = Transaction().context.get('year') or Date.today().year
        members = membership.select(
            membership.party,
            where=(membership.year == year)
            & membership.state.in_(['draft', 'called', 'invoiced', 'paid'])
            & _not_excluded(membership))
        is_member = party.id.in_(members)
        population = Coalesce(party.population, 0)
        communes = Count(party.id)
        member_communes = Sum(Case((is_member, 1), else_=0))
        total = Sum(population)
        member_population = Sum(Case((is_member, population), else_=0))
        return party.select(
            party.departement.as_('id'),
            party.departement.as_('departement'),
            communes.as_('communes'),
            member_communes.as_('member_communes'),
            total.as_('population'),
            member_population.as_('member_population'),
            (member_communes * 1.0 / communes).as_('commune_share'),
            Case((total > 0, member_population * 1.0 / total),
                else_=0.0).as_('population_share'),
            where=(party.kind == 'commune')
            & (party.active == Literal(True))
            & (party.departement != Null),
            group_by=[party.departement])
