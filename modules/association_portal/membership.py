# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from .invoice import VISIBLE_STATES as INVOICE_STATES
from .invoice import InvoiceSummary
from .portal import Block, Section, exists


def membership_domain(organisation):
    "The domain of the memberships of the organisation"
    return [
        ('party', '=', organisation.id),
        ]


def organisation_memberships(organisation, year=None):
    """Return the memberships of the organisation, the latest year first,
    with the summaries of their invoices that the organisation sees"""
    pool = Pool()
    Membership = pool.get('association.membership')
    domain = membership_domain(organisation)
    if year is not None:
        domain.append(('year', '=', year))
    memberships = Membership.search(
        domain, order=[('year', 'DESC'), ('type', 'ASC'), ('id', 'ASC')])
    invoices = {
        m.invoice for m in memberships
        if m.invoice and m.invoice.type == 'out'
        and m.invoice.state in INVOICE_STATES
        and m.invoice.party == organisation}
    summaries = {s.id: s for s in InvoiceSummary.get(list(invoices))}
    return memberships, summaries


class Portal(metaclass=PoolMeta):
    __name__ = 'association.portal'

    @classmethod
    def sections(cls, user):
        pool = Pool()
        Membership = pool.get('association.membership')
        membership = Membership.__table__()
        sections = super().sections(user)
        if exists(membership, membership.party == user.organisation.id):
            sections.append(Section(
                    'dues',
                    gettext('association_portal.msg_section_dues'),
                    '/dues', 55))
        return sections

    @classmethod
    def dashboard_blocks(cls, user):
        pool = Pool()
        Date = pool.get('ir.date')
        blocks = super().dashboard_blocks(user)
        year = Date.today().year
        memberships, summaries = organisation_memberships(
            user.organisation, year)
        if memberships:
            blocks.append(Block(
                    'dues', 'membership/block.html', {
                        'year': year,
                        'memberships': memberships,
                        'summaries': summaries,
                        }, 25))
        return blocks
