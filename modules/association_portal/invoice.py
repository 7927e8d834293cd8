# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice

from .page import environment
from .portal import Block, Section

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


def invoice_domain(organisation):
    "The domain of the customer invoices the organisation sees"
    return [
        ('party', '=', organisation.id),
        ('type', '=', 'out'),
        ('state', 'in', VISIBLE_STATES),
        ]


class InvoiceSummary:
    "What the portal shows of an invoice, read in bulk"

    def __init__(self, invoice, amount_to_pay, due_date, today):
        self.invoice = invoice
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
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        Date = pool.get('ir.date')
        today = Date.today()
        amounts, lines = {}, {}
        for sub_invoices in grouped_slice(invoices, count=SLICE):
            sub_invoices = list(sub_invoices)
            amounts.update(Invoice.get_amount_to_pay(
                    sub_invoices, 'amount_to_pay'))
            lines.update(Invoice.get_lines_to_pay(
                    sub_invoices, 'lines_to_pay'))
        line_ids = [l for ls in lines.values() for l in ls]
        maturities = {}
        for sub_ids in grouped_slice(line_ids, count=SLICE):
            for line in MoveLine.browse(list(sub_ids)):
                maturities[line.id] = (
                    line.maturity_date, bool(line.reconciliation))
        summaries = []
        for invoice in invoices:
            dates = [maturities[l] for l in lines.get(invoice.id, [])]
            open_dates = [d for d, reconciled in dates if d and not reconciled]
            all_dates = [d for d, _ in dates if d]
            due_date = min(open_dates or all_dates or [None]) or (
                invoice.payment_term_date or invoice.invoice_date)
            summaries.append(cls(
                    invoice, amounts.get(invoice.id, Decimal(0)), due_date,
                    today))
        return summaries

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
        sections = super().sections(user)
        if Invoice.search(
                invoice_domain(user.organisation), limit=1, order=[]):
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
                    'invoices', 'blocks/invoices.html', {
                        'invoices': owed,
                        'totals': InvoiceSummary.totals(owed),
                        'late': [s for s in owed if s.status == 'late'],
                        }, 20))
        return blocks
