# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the portal for the conventions

The organisation sees the conventions it is a counterpart of, once out of
the draft, and downloads the document of those it signed."""
from werkzeug.exceptions import NotFound

from .invoice import VISIBLE_STATES as INVOICE_STATES
from .invoice import InvoiceSummary
from .page import route
from .routes_invoice import document_response
from .partnership import PRINTABLE_STATES, convention_domain


@route('/conventions', requires=['association.convention'])
def conventions(page):
    Convention = page.pool.get('association.convention')
    page.section = 'conventions'
    conventions = Convention.search(convention_domain(page.organisation))
    visible = {c.id for c in conventions}
    return page.render(
        'partnership/list.html', conventions=conventions, visible=visible,
        printable=PRINTABLE_STATES)


@route('/conventions/<id:convention>', requires=['association.convention'],
    records={'convention': 'association.convention'})
def convention(page, convention):
    pool = page.pool
    Convention = pool.get('association.convention')
    page.section = 'conventions'
    organisation = page.organisation
    # The renewal chain, without the conventions the organisation does not
    # see (drafts or conventions of other parties)
    chain = Convention.search(
        convention_domain(organisation)
        + [('id', 'in', [c.id for c in convention.chain])],
        order=[('start_date', 'ASC NULLS LAST'), ('id', 'ASC')])
    # The invoices of the instalments that the organisation sees and may
    # download: those addressed to it, once posted
    invoices = [
        i.invoice for i in convention.instalments
        if i.invoice and i.invoice.type == 'out'
        and i.invoice.state in INVOICE_STATES
        and i.invoice.party == organisation]
    summaries = {s.id: s for s in InvoiceSummary.get(invoices)}
    commitments = [c for c in convention.commitments]
    return page.render(
        'partnership/detail.html', convention=convention, chain=chain,
        association_commitments=[
            c for c in commitments if c.side == 'association'],
        partner_commitments=[c for c in commitments if c.side == 'partner'],
        summaries=summaries,
        printable=convention.state in PRINTABLE_STATES)


@route(
    '/conventions/<id:convention>/pdf', requires=['association.convention'],
    records={'convention': 'association.convention'})
def convention_pdf(page, convention):
    pool = page.pool
    ConventionReport = pool.get('association.convention', type='report')
    if convention.state not in PRINTABLE_STATES:
        raise NotFound()
    format_, content, _, _ = ConventionReport.execute([convention.id], {})
    return document_response(
        content, format_, convention.number or str(convention.id))
