# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta

from .page import reach
from .portal import Block, Section, exists

# The conventions a partner sees: the drafts are the association's own
VISIBLE_STATES = ['negotiation', 'signed', 'active', 'expired', 'terminated']
# The conventions whose document the partner downloads: those it signed
# (the text in negotiation may still change)
PRINTABLE_STATES = {'signed', 'active', 'expired', 'terminated'}
# The conventions that bind the parties now
CURRENT_STATES = ['signed', 'active']


@reach('association.convention')
def convention_domain(organisation):
    "The domain of the conventions the organisation sees"
    return [
        ('parties', '=', organisation.id),
        ('state', 'in', VISIBLE_STATES),
        ]


def has_conventions(organisation, states):
    "Return whether the organisation is a party to conventions in states"
    pool = Pool()
    Convention = pool.get('association.convention')
    ConventionParty = pool.get('association.convention-party.party')
    convention = Convention.__table__()
    convention_party = ConventionParty.__table__()
    return exists(
        convention_party.join(convention,
            condition=convention_party.convention == convention.id),
        (convention_party.party == organisation.id)
        & convention.state.in_(states))


def reminder_days():
    pool = Pool()
    Configuration = pool.get('association.partnership.configuration')
    return Configuration(1).reminder_days or 0


def ending_conventions(organisation):
    """Return the current conventions of the organisation that end (or
    must be renounced) within the reminder days of the configuration"""
    pool = Pool()
    Convention = pool.get('association.convention')
    Date = pool.get('ir.date')
    conventions = Convention.search(
        convention_domain(organisation) + [
            ('state', 'in', CURRENT_STATES),
            ],
        order=[('end_date', 'ASC'), ('id', 'ASC')])
    if not conventions:
        return []
    today = Date.today()
    limit = today + dt.timedelta(days=reminder_days())
    ending = []
    for convention in conventions:
        date = convention.end_date
        if convention.renewal == 'tacit' and convention.notice_date:
            date = convention.notice_date
        if date and today <= date <= limit:
            ending.append(convention)
    return ending


def late_commitments(organisation):
    "Return the late commitments of the organisation's current conventions"
    pool = Pool()
    Commitment = pool.get('association.convention.commitment')
    return Commitment.search([
            ('convention.parties', '=', organisation.id),
            ('convention.state', 'in', CURRENT_STATES),
            ('status', '=', 'late'),
            ], order=[('due_date', 'ASC'), ('id', 'ASC')])


class Portal(metaclass=PoolMeta):
    __name__ = 'association.portal'

    @classmethod
    def sections(cls, user):
        sections = super().sections(user)
        organisation = user.organisation
        if (organisation.partnership_level
                or has_conventions(organisation, VISIBLE_STATES)):
            sections.append(Section(
                    'conventions',
                    gettext('association_portal.msg_section_conventions'),
                    '/conventions', 50))
        return sections

    @classmethod
    def dashboard_blocks(cls, user):
        blocks = super().dashboard_blocks(user)
        ending, late = [], []
        # Most organisations have no current convention: ask it once
        if has_conventions(user.organisation, CURRENT_STATES):
            ending = ending_conventions(user.organisation)
            late = late_commitments(user.organisation)
        if ending or late:
            blocks.append(Block(
                    'conventions', 'partnership/block.html', {
                        'ending': ending,
                        'late': late,
                        }, 30))
        return blocks
