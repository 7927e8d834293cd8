# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the portal for the invoices

The organisation sees its customer invoices once posted (never the drafts)
and downloads the document the association sent."""
from trytond.report.report import FORMAT2EXT, MIMETYPES
from trytond.transaction import Transaction

from .invoice import InvoiceSummary, organisation_invoices
from .page import download, route


@route('/invoices', requires=['account.invoice'])
def invoices(page):
    page.section = 'invoices'
    summaries = InvoiceSummary.get(organisation_invoices(page.organisation))
    return page.render(
        'invoice/list.html', invoices=summaries,
        totals=InvoiceSummary.totals(summaries))


def invoice_document(page, invoice):
    """Return the format and the content of the document of the invoice

    It is the document stored when the invoice was sent; if it was not
    rendered yet, it is rendered by the invoice report (which gives the
    dues-call letter for dues) and stored, as printing it does."""
    pool = page.pool
    Invoice = pool.get('account.invoice')
    InvoiceReport = pool.get('account.invoice', type='report')
    if invoice.invoice_report_cache:
        return invoice.invoice_report_format, invoice.invoice_report_cache
    # The pages are read in a read-only transaction: store the document in
    # a transaction of its own
    with Transaction().new_transaction():
        format_, content, _, _ = InvoiceReport.execute([invoice.id], {})
        invoice = Invoice(invoice.id)
        if invoice.invoice_report_cache:
            format_ = invoice.invoice_report_format
            content = bytes(invoice.invoice_report_cache)
    return format_, content


def document_response(content, format_, name):
    "Return the response that downloads the document of a report"
    extension = FORMAT2EXT.get(format_, format_)
    filename = '%s.%s' % (name.replace('/', '-'), extension)
    return download(content, filename, MIMETYPES.get(format_))


@route('/invoices/<id:invoice>/pdf', requires=['account.invoice'],
    records={'invoice': 'account.invoice'})
def invoice_pdf(page, invoice):
    format_, content = invoice_document(page, invoice)
    return document_response(
        content, format_, invoice.number or str(invoice.id))
