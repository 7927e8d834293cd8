# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta

from .page import reach
from .portal import Block, Section, exists

# The kinds of party on each side of a speed meeting: the companies offer
# solutions (like the participant's side), the communes express needs (like
# the domain of the need)
COMPANY_KINDS = {'company', 'association', 'foundation'}
COMMUNE_KINDS = {'commune', 'epci', 'ept'}
# The number of requests and meetings shown on the dashboard
DASHBOARD_LIMIT = 5
MESSAGE_SIZE = 2000
OTHER_SIDE = {'company': 'commune', 'commune': 'company'}


def organisation_side(organisation):
    "Return the side of the organisation in speed meetings or None"
    if organisation.kind in COMPANY_KINDS:
        return 'company'
    elif organisation.kind in COMMUNE_KINDS:
        return 'commune'


@reach('association.matchmaking.participant')
def participant_domain(organisation):
    "The participations of the organisation in speed meetings"
    return [
        ('party', '=', organisation.id),
        ('event.kind', '=', 'speed_meeting'),
        ]


@reach('counterpart', model='association.matchmaking.participant')
def counterpart_domain(organisation):
    """The participants of the other side in the speed meetings the
    organisation takes part in"""
    side = organisation_side(organisation)
    return [
        ('side', '=', OTHER_SIDE.get(side)),
        ('event.kind', '=', 'speed_meeting'),
        ('event.meeting_participants.party', '=', organisation.id),
        ]


@reach('association.matchmaking.request')
def request_domain(organisation):
    "The requests the organisation sent or received"
    return ['OR',
        ('requester.party', '=', organisation.id),
        ('requested.party', '=', organisation.id),
        ]


@reach('association.matchmaking.meeting')
def meeting_domain(organisation):
    "The meetings of the organisation"
    return ['OR',
        ('request.requester.party', '=', organisation.id),
        ('request.requested.party', '=', organisation.id),
        ]


@reach('association.matchmaking.solution', active_test=False)
def solution_domain(organisation):
    "The solutions of the company, withdrawn ones too"
    return [('company', '=', organisation.id)]


@reach('association.matchmaking.need', active_test=False)
def need_domain(organisation):
    "The needs of the commune, withdrawn ones too"
    return [('commune', '=', organisation.id)]


def other_participant(meeting, organisation):
    "Return the participant of the meeting that is not the organisation"
    request = meeting.request
    if request.requester.party == organisation:
        return request.requested
    return request.requester


class Portal(metaclass=PoolMeta):
    __name__ = 'association.portal'

    @classmethod
    def sections(cls, user):
        sections = super().sections(user)
        if organisation_side(user.organisation):
            sections.append(Section(
                    'matchmaking',
                    gettext('association_portal.msg_section_matchmaking'),
                    '/speed-meetings', 50))
        return sections

    @classmethod
    def dashboard_blocks(cls, user):
        pool = Pool()
        Request = pool.get('association.matchmaking.request')
        Meeting = pool.get('association.matchmaking.meeting')
        Participant = pool.get('association.matchmaking.participant')
        blocks = super().dashboard_blocks(user)
        organisation = user.organisation
        if not organisation_side(organisation):
            return blocks
        pending, pending_count, meetings = [], 0, []
        # The requests and meetings are between participants: most
        # organisations never took part in a speed meeting
        participant = Participant.__table__()
        if exists(participant, participant.party == organisation.id):
            now = dt.datetime.now()
            pending_domain = [
                ('requested.party', '=', organisation.id),
                ('state', '=', 'pending'),
                ('event.state', 'in', ['draft', 'open', 'closed']),
                ]
            pending = Request.search(
                pending_domain, order=[('id', 'ASC')],
                limit=DASHBOARD_LIMIT)
            pending_count = len(pending)
            if pending_count == DASHBOARD_LIMIT:
                pending_count = Request.search_count(pending_domain)
            meetings = Meeting.search([
                    ['OR',
                        ('request.requester.party', '=', organisation.id),
                        ('request.requested.party', '=', organisation.id),
                        ],
                    ('slot.start', '>=', now - dt.timedelta(hours=1)),
                    ('event.state', 'in', ['open', 'closed']),
                    ], order=[('slot.start', 'ASC'), ('id', 'ASC')],
                limit=DASHBOARD_LIMIT)
        blocks.append(Block(
                'matchmaking', 'matchmaking/block.html', {
                    'pending': pending,
                    'pending_count': pending_count,
                    'meetings': [
                        (m, other_participant(m, organisation))
                        for m in meetings],
                    }, 50))
        return blocks


class Request(metaclass=PoolMeta):
    __name__ = 'association.matchmaking.request'

    message = fields.Text(
        "Message", size=MESSAGE_SIZE, readonly=True,
        help="What the requester wrote to the other participant "
        "from the portal.")
