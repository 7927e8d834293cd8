# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

from sql import Literal

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .page import environment, reach
from .portal import Block, Section, exists

# Number of ids in one IN clause
SLICE = 1000
# The invoices a partner sees: never the drafts nor the cancelled ones
VISIBLE_STATES = ['posted', 'paid']


def format_amount(amount, currency):
    "Format the amount in French with the symbol of the currency"
    pool = Pool()
    Lang = pool.get('ir.lang')
    if amount is None:
        return ''
    return Lang.get('fr').currency(amount, currency, grouping=True)


environment.filters['amount_currency'] = format_amount


@reach('account.invoice')
def invoice_domain(organisation):
    "The domain of the customer invoices the organisation sees"
    return [
        ('party', '=', organisation.id),
        ('type', '=', 'out'),
        ('state', 'in', VISIBLE_STATES),
        ]


class InvoiceSummary:
    "What the portal shows of an invoice, read in bulk"

    # The fields of the invoices that the summaries read
    FIELDS = ['number', 'invoice_date', 'description', 'currency',
        'company', 'total_amount', 'state', 'type', 'payment_term_date']

    def __init__(self, invoice, amount_to_pay, due_date, today):
        "invoice: the values read of the invoice, as attributes"
        self.id = invoice.id
        self.number = invoice.number
        self.invoice_date = invoice.invoice_date
        self.description = invoice.description
        self.currency = invoice.currency
        self.total_amount = invoice.total_amount
        self.amount_to_pay = amount_to_pay
        self.due_date = due_date
        self.credit_note = invoice.total_amount < 0
        if self.credit_note:
            self.status = 'credit_note'
        elif invoice.state == 'paid' or not amount_to_pay:
            self.status = 'paid'
        elif due_date and due_date < today:
            self.status = 'late'
        else:
            self.status = 'to_pay'

    @property
    def owed(self):
        return self.status in {'to_pay', 'late'}

    @classmethod
    def get(cls, invoices):
        "Return the summaries of the invoices, in the same order"
        pool = Pool()
        Date = pool.get('ir.date')
        Invoice = pool.get('account.invoice')
        today = Date.today()
        # Read only the fields shown: an invoice's attributes would read
        # all its columns
        invoices = cls._read_invoices(invoices)
        amounts, maturities, others = {}, defaultdict(list), []
        for sub_invoices in grouped_slice(invoices, count=SLICE):
            sub_invoices = list(sub_invoices)
            sub_amounts, sub_maturities, sub_others = cls._read_lines(
                sub_invoices)
            amounts.update(sub_amounts)
            maturities.update(sub_maturities)
            others.extend(sub_others)
        for sub_invoices in grouped_slice(others, count=SLICE):
            amounts.update(Invoice.get_amount_to_pay(
                    Invoice.browse([i.id for i in sub_invoices]),
                    'amount_to_pay'))
        summaries = []
        for invoice in invoices:
            dates = maturities.get(invoice.id, [])
            open_dates = [d for d, reconciled in dates if d and not reconciled]
            all_dates = [d for d, _ in dates if d]
            due_date = min(open_dates or all_dates or [None]) or (
                invoice.payment_term_date or invoice.invoice_date)
            summaries.append(cls(
                    invoice, amounts.get(invoice.id, Decimal(0)), due_date,
                    today))
        return summaries

    @classmethod
    def _read_invoices(cls, invoices):
        "Return the values of the invoices as attributes, in the same order"
        pool = Pool()
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        Invoice = pool.get('account.invoice')
        if not invoices:
            return []
        values = {}
        for sub_invoices in grouped_slice(invoices, count=SLICE):
            for row in Invoice.read(
                    [i.id for i in sub_invoices], cls.FIELDS):
                values[row['id']] = row
        company_currencies = {
            c['id']: c['currency'] for c in Company.read(
                list({v['company'] for v in values.values()}),
                ['currency'])}
        currencies = {}
        result = []
        for invoice in invoices:
            row = dict(values[invoice.id])
            currency_id = row['currency']
            if currency_id not in currencies:
                currencies[currency_id] = Currency(currency_id)
            row['currency'] = currencies[currency_id]
            row['company_currency'] = company_currencies[row['company']]
            result.append(SimpleNamespace(**row))
        return result

    @classmethod
    def _read_lines(cls, invoices):
        """Read the lines to pay and the payment lines of the invoices in
        one query

        Return the amounts to pay by invoice id, computed as
        Invoice.get_amount_to_pay does for the invoices in the company's
        currency whose open lines have no second currency nor payment (the
        attribute access of the lines costs most of a page), the maturity
        dates of their lines to pay (with whether they are reconciled) and
        the invoices left to Invoice.get_amount_to_pay."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        PaymentLine = pool.get('account.invoice-account.move.line')
        try:
            Payment = pool.get('account.payment')
        except KeyError:
            Payment = None
        line = MoveLine.__table__()
        payment_line = PaymentLine.__table__()
        cursor = Transaction().connection.cursor()

        to_pay = Invoice._query_lines_to_pay([i.id for i in invoices])
        columns = [line.id, line.debit, line.credit, line.second_currency,
            line.reconciliation, line.maturity_date]
        query = to_pay.join(line, condition=line.id == to_pay.line).select(
            to_pay.invoice, Literal(True).as_('to_pay'), *columns)
        query |= payment_line.join(
            line, condition=line.id == payment_line.line).select(
            payment_line.invoice, Literal(False).as_('to_pay'), *columns,
            where=fields.SQL_OPERATORS['in'](
                payment_line.invoice, [i.id for i in invoices]))
        balances = defaultdict(Decimal)
        maturities = defaultdict(list)
        open_lines = defaultdict(list)
        others = set()
        cursor.execute(*query)
        for (invoice_id, is_to_pay, line_id, debit, credit, second_currency,
                reconciliation, maturity_date) in cursor:
            if is_to_pay:
                maturities[invoice_id].append(
                    (maturity_date, bool(reconciliation)))
            if reconciliation:
                continue
            if second_currency is not None:
                others.add(invoice_id)
            balances[invoice_id] += Decimal(str(debit)) - Decimal(str(credit))
            if is_to_pay:
                open_lines[invoice_id].append(line_id)
        if Payment:
            # The payments in progress lessen the amount to pay
            payment = Payment.__table__()
            line_ids = {l: i for i, ls in open_lines.items() for l in ls}
            for sub_ids in grouped_slice(line_ids, count=SLICE):
                cursor.execute(*payment.select(
                        payment.line,
                        where=fields.SQL_OPERATORS['in'](
                            payment.line, list(sub_ids))
                        & (payment.state != 'failed'),
                        group_by=[payment.line]))
                others.update(line_ids[l] for l, in cursor)
        amounts = {}
        for invoice in invoices:
            if (invoice.id in others
                    or invoice.currency.id != invoice.company_currency):
                continue
            amount = Decimal(0)
            if invoice.state == 'posted':
                amount = invoice.currency.round(balances[invoice.id])
                if invoice.type == 'in':
                    amount = -amount
            amounts[invoice.id] = amount
        return (amounts, maturities,
            [i for i in invoices if i.id not in amounts])

    @classmethod
    def totals(cls, summaries):
        "Return the amounts owed by currency"
        totals = defaultdict(Decimal)
        currencies = {}
        for summary in summaries:
            if summary.owed:
                totals[summary.currency.id] += summary.amount_to_pay
                currencies[summary.currency.id] = summary.currency
        return [(currencies[c], a) for c, a in totals.items()]


def organisation_invoices(organisation):
    "Return the invoices the organisation sees, the latest first"
    pool = Pool()
    Invoice = pool.get('account.invoice')
    return Invoice.search(
        invoice_domain(organisation),
        order=[('invoice_date', 'DESC'), ('number', 'DESC'), ('id', 'DESC')])


def owed_invoices(organisation):
    "Return the summaries of the invoices the organisation has to pay"
    pool = Pool()
    Invoice = pool.get('account.invoice')
    invoices = Invoice.search(
        invoice_domain(organisation) + [('state', '=', 'posted')],
        order=[('invoice_date', 'ASC'), ('number', 'ASC'), ('id', 'ASC')])
    return [s for s in InvoiceSummary.get(invoices) if s.owed]


class Portal(metaclass=PoolMeta):
    __name__ = 'association.portal'

    @classmethod
    def sections(cls, user):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        invoice = Invoice.__table__()
        sections = super().sections(user)
        if exists(invoice, (invoice.party == user.organisation.id)
                & (invoice.type == 'out')
                & invoice.state.in_(VISIBLE_STATES)):
            sections.append(Section(
                    'invoices',
                    gettext('association_portal.msg_section_invoices'),
                    '/invoices', 60))
        return sections

    @classmethod
    def dashboard_blocks(cls, user):
        blocks = super().dashboard_blocks(user)
        owed = owed_invoices(user.organisation)
        if owed:
            blocks.append(Block(
                    'invoices', 'invoice/block.html', {
                        'invoices': owed,
                        'totals': InvoiceSummary.totals(owed),
                        'late': [s for s in owed if s.status == 'late'],
                        }, 20))
        return blocks
