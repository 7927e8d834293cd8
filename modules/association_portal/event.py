# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The events and commissions of an organisation in the portal

The people of an organisation are those the association links to it (as
the attendance import of the Association Event Module does): the persons
holding a mandate in it today, the persons registered earlier for it and
the persons of its portal accounts.  A person added from the portal is
linked to the organisation by the registration made for it."""
import datetime as dt

from sql import Null, Union

from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.modules.association_event.registration import CANCELLABLE
from trytond.transaction import Transaction

from .page import reach
from .portal import Block, Section, transaction_cache

# The number of records a dashboard block lists
BLOCK_SIZE = 5


def now():
    "The time of the request (events store UTC)"
    return dt.datetime.now()


def _organisation_persons_query(organisation):
    "Return the query of the ids of the active persons of the organisation"
    pool = Pool()
    Party = pool.get('party.party')
    Registration = pool.get('association.event.registration')
    WebUser = pool.get('web.user')
    registration = Registration.__table__()
    web_user = WebUser.__table__()
    party = Party.__table__()
    mandate, in_office = Party._current_mandates()
    persons = Union(
        mandate.select(
            mandate.person.as_('person'),
            where=(mandate.authority == organisation.id) & in_office),
        registration.select(
            registration.person.as_('person'),
            where=registration.organisation == organisation.id),
        web_user.select(
            web_user.party.as_('person'),
            where=(web_user.organisation == organisation.id)
            & (web_user.party != Null)))
    return party.select(
        party.id,
        where=party.id.in_(persons)
        & (party.kind == 'person')
        & (party.active == True))  # noqa: E712


def organisation_person_ids(organisation):
    "Return the ids of the active persons of the organisation"
    cursor = Transaction().connection.cursor()
    cursor.execute(*_organisation_persons_query(organisation))
    return {i for i, in cursor}


def organisation_persons(organisation):
    "Return the persons of the organisation by name"
    pool = Pool()
    Party = pool.get('party.party')
    persons = Party.browse(sorted(organisation_person_ids(organisation)))
    return sorted(persons, key=lambda p: ((p.name or '').lower(), p.id))


def open_events_domain(organisation):
    "Return the domain of the events the organisation can register to"
    return [
        ('registration_open', '=', True),
        # The sittings of a commission are for its members
        ['OR',
            ('commission', '=', None),
            ('commission', 'in', organisation_commission_ids(organisation)),
            ],
        ]


def upcoming_events_domain(organisation):
    """Return the domain of the events the organisation can register to or
    will be able to when their registration opens"""
    return [
        ('state', '=', 'open'),
        ('start', '>', dt.datetime.now()),
        ['OR',
            ('registration_end', '=', None),
            ('registration_end', '>=', dt.datetime.now()),
            ],
        ['OR',
            ('commission', '=', None),
            ('commission', 'in', organisation_commission_ids(organisation)),
            ],
        ]


@reach('association.event')
def visible_events_domain(organisation):
    """Return the domain of the events the organisation can see:
    those open to it, those it has registrations to, the speed meetings
    it may join or know it could not and the sittings of its
    commissions"""
    return ['OR',
        upcoming_events_domain(organisation),
        ('registrations.organisation', '=', organisation.id),
        [
            ('kind', '=', 'speed_meeting'),
            ('state', 'in', ['open', 'closed']),
            ],
        [
            ('commission', 'in', organisation_commission_ids(organisation)),
            ('state', '!=', 'draft'),
            ],
        ]


@reach('association.event.registration')
def registration_domain(organisation):
    "Return the domain of the registrations made for the organisation"
    return [('organisation', '=', organisation.id)]


def _commission_members_query(organisation, *columns):
    """Return the query of the columns of the commission members in office
    today who sit for the organisation or are its persons"""
    pool = Pool()
    Commission = pool.get('association.commission')
    Date = pool.get('ir.date')
    Member = pool.get('association.commission.member')
    commission = Commission.__table__()
    member = Member.__table__()
    today = Date.today()
    return member.join(commission,
        condition=member.commission == commission.id).select(
        *[getattr(member, c) for c in columns],
        where=(member.start_date <= today)
        & ((member.end_date == Null) | (member.end_date >= today))
        & (commission.active == True)  # noqa: E712
        & ((member.authority == organisation.id)
            | member.person.in_(_organisation_persons_query(organisation))),
        group_by=[getattr(member, c) for c in columns])


def organisation_commission_members(organisation):
    """Return the members in office today of the commissions who sit for
    the organisation or are its persons"""
    pool = Pool()
    Member = pool.get('association.commission.member')
    cursor = Transaction().connection.cursor()
    cursor.execute(*_commission_members_query(organisation, 'id'))
    return Member.browse(sorted(i for i, in cursor))


@reach('association.commission')
def commission_domain(organisation):
    "Return the domain of the commissions the organisation sits in"
    return [('id', 'in', organisation_commission_ids(organisation))]


def organisation_commission_ids(organisation):
    "Return the ids of the commissions the organisation sits in"
    cache = transaction_cache('commission_ids')
    if organisation.id not in cache:
        # The menu asks it on every page
        cursor = Transaction().connection.cursor()
        cursor.execute(
            *_commission_members_query(organisation, 'commission'))
        cache[organisation.id] = sorted(i for i, in cursor)
    return cache[organisation.id]


class Portal(metaclass=PoolMeta):
    __name__ = 'association.portal'

    @classmethod
    def sections(cls, user):
        sections = super().sections(user)
        sections.append(Section(
                'events',
                gettext('association_portal.msg_section_events'),
                '/events', 30))
        sections.append(Section(
                'registrations',
                gettext('association_portal.msg_section_registrations'),
                '/registrations', 31))
        if organisation_commission_ids(user.organisation):
            sections.append(Section(
                    'commissions',
                    gettext('association_portal.msg_section_commissions'),
                    '/commissions', 70))
        return sections

    @classmethod
    def dashboard_blocks(cls, user):
        pool = Pool()
        Event = pool.get('association.event')
        Registration = pool.get('association.event.registration')
        blocks = super().dashboard_blocks(user)
        organisation = user.organisation
        registrations = Registration.search([
                ('organisation', '=', organisation.id),
                ('state', 'in', CANCELLABLE),
                ('event.end', '>=', now()),
                ('event.state', 'in', ['draft', 'open', 'closed']),
                ], order=[('event.start', 'ASC'), ('id', 'ASC')],
            limit=BLOCK_SIZE)
        events = Event.search(
            open_events_domain(organisation),
            order=[('start', 'ASC'), ('id', 'ASC')], limit=BLOCK_SIZE)
        blocks.append(Block(
                'events', 'event/block.html', {
                    'registrations': registrations,
                    'events': events,
                    }, 30))
        commission_ids = organisation_commission_ids(organisation)
        if commission_ids:
            sittings = Event.search([
                    ('commission', 'in', commission_ids),
                    ('state', 'in', ['open', 'closed']),
                    ('end', '>=', now()),
                    ], order=[('start', 'ASC'), ('id', 'ASC')],
                limit=BLOCK_SIZE)
            blocks.append(Block(
                    'commissions', 'commission/block.html', {
                        'sittings': sittings,
                        }, 70))
        return blocks
