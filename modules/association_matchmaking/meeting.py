# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.association.tools import elide_de
from trytond.modules.association_event.registration import ics_organizer
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.url import host

from .exceptions import MeetingError

OUTCOMES = [
    (None, ""),
    ('no_follow_up', "No Follow-up"),
    ('contact', "Contact"),
    ('experimentation', "Experimentation"),
    ('innovative_purchase', "Innovative Purchase"),
    ('convention', "Convention"),
    ]


class Meeting(ModelSQL, ModelView):
    "Speed Meeting"
    __name__ = 'association.matchmaking.meeting'

    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE',
        domain=[('kind', '=', 'speed_meeting')])
    request = fields.Many2One(
        'association.matchmaking.request', "Request", required=True,
        ondelete='CASCADE',
        domain=[
            ('event', '=', Eval('event', -1)),
            ('state', '=', 'accepted'),
            ])
    commune = fields.Function(fields.Many2One(
            'association.matchmaking.participant', "Commune"),
        'get_sides', searcher='search_side')
    company = fields.Function(fields.Many2One(
            'association.matchmaking.participant', "Company"),
        'get_sides', searcher='search_side')
    slot = fields.Many2One(
        'association.matchmaking.slot', "Slot", required=True,
        ondelete='RESTRICT',
        domain=[('event', '=', Eval('event', -1))])
    table = fields.Many2One(
        'association.matchmaking.table', "Table", ondelete='RESTRICT',
        domain=[('event', '=', Eval('event', -1))],
        states={
            'required': ~Eval('pinned'),
            })
    pinned = fields.Boolean(
        "Pinned",
        help="The scheduler keeps the meeting in its slot "
        "(and at its table when set).")
    start = fields.Function(fields.DateTime("Start"), 'get_times')
    end = fields.Function(fields.DateTime("End"), 'get_times')
    outcome = fields.Selection(OUTCOMES, "Outcome", sort=False)
    outcome_string = outcome.translated('outcome')
    outcome_date = fields.Date(
        "Outcome Date",
        states={
            'invisible': ~Eval('outcome'),
            'required': Eval('outcome').in_(
                ['experimentation', 'innovative_purchase', 'convention']),
            },
        help="When the follow-up was decided.")
    outcome_end_date = fields.Date(
        "Outcome End Date",
        domain=[If(Eval('outcome_end_date') & Eval('outcome_date'),
                ('outcome_end_date', '>=', Eval('outcome_date')), ())],
        states={
            'invisible': ~Eval('outcome').in_(
                ['experimentation', 'convention']),
            },
        help="The end of the experimentation or of the convention.")
    outcome_amount = fields.Numeric(
        "Outcome Amount", digits=(16, 2),
        domain=[If(Eval('outcome_amount'),
                ('outcome_amount', '>=', 0), ())],
        states={
            'invisible': ~Eval('outcome').in_(
                ['experimentation', 'innovative_purchase', 'convention']),
            })
    outcome_notes = fields.Text(
        "Outcome Notes", states={'invisible': ~Eval('outcome')})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('request_unique', Unique(t, t.request),
                'association_matchmaking.msg_meeting_request_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.event, Index.Range())),
                Index(t, (t.slot, Index.Range())),
                })
        cls._order = [('slot', 'ASC'), ('table', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_pinned(cls):
        return False

    @classmethod
    def get_sides(cls, meetings, names):
        result = {n: {} for n in names}
        for meeting in meetings:
            sides = {p.side: p.id for p in [
                    meeting.request.requester, meeting.request.requested]}
            for name in names:
                result[name][meeting.id] = sides.get(name)
        return result

    @classmethod
    def search_side(cls, name, clause):
        nested = clause[0][len(name):]
        if not nested and isinstance(clause[2], str):
            nested = '.rec_name'
        return ['OR',
            [('request.requester.side', '=', name),
                ('request.requester' + nested,) + tuple(clause[1:])],
            [('request.requested.side', '=', name),
                ('request.requested' + nested,) + tuple(clause[1:])],
            ]

    @classmethod
    def get_times(cls, meetings, names):
        result = {n: {} for n in names}
        for meeting in meetings:
            if 'start' in result:
                result['start'][meeting.id] = meeting.slot.start
            if 'end' in result:
                result['end'][meeting.id] = meeting.slot.end
        return result

    def get_rec_name(self, name):
        return '%s @ %s' % (self.request.rec_name, self.slot.rec_name)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('request.rec_name',) + tuple(clause[1:])]

    def other(self, participant):
        "Return the other participant of the meeting"
        if self.request.requester == participant:
            return self.request.requested
        return self.request.requester

    @property
    def location(self):
        if self.table:
            return self.table.location

    def get_vevent(self, participant):
        import icalendar
        event = self.event
        vevent = icalendar.Event()
        vevent.add('uid', 'meeting-%s@%s' % (self.id, host()))
        vevent.add('dtstamp', dt.datetime.now(dt.timezone.utc))
        vevent.add('dtstart', event.local(self.slot.start))
        vevent.add('dtend', event.local(self.slot.end))
        other = self.other(participant)
        vevent.add('summary', '%s: %s' % (event.name, other.rec_name))
        if self.table:
            if self.table.video_url:
                vevent.add('url', self.table.video_url)
            vevent.add('location', self.table.location)
        description = [other.rec_name]
        if self.request.solution:
            description.append(self.request.solution.title)
        if self.table:
            description.append(self.table.location)
        vevent.add('description', '\n\n'.join(description))
        vevent.add('organizer', ics_organizer(), encode=0)
        for attendee_participant in [participant, other]:
            recipient = attendee_participant.recipient
            if recipient:
                attendee = icalendar.vCalAddress(f'mailto:{recipient}')
                attendee.params['cn'] = icalendar.vText(
                    attendee_participant.rec_name)
                attendee.params['role'] = icalendar.vText('REQ-PARTICIPANT')
                vevent.add('attendee', attendee, encode=0)
        vevent.add('status', 'CONFIRMED')
        return vevent

    def get_ics(self, participant):
        "Return the iCalendar of the meeting for the participant as bytes"
        import icalendar
        calendar = icalendar.Calendar()
        calendar.add('prodid', '-//Concorde//association_matchmaking//FR')
        calendar.add('version', '2.0')
        calendar.add('method', 'REQUEST')
        calendar.add_component(self.get_vevent(participant))
        calendar.add_missing_timezones()
        return calendar.to_ical()

    @classmethod
    def validate_fields(cls, meetings, field_names):
        super().validate_fields(meetings, field_names)
        cls.check_event(meetings, field_names)

    @classmethod
    def check_event(cls, meetings, field_names=None):
        if field_names and not (
                field_names & {'event', 'request', 'slot', 'table'}):
            return
        for meeting in meetings:
            if (meeting.request.event != meeting.event
                    or meeting.slot.event != meeting.event
                    or (meeting.table
                        and meeting.table.event != meeting.event)):
                raise MeetingError(gettext(
                        'association_matchmaking.msg_meeting_event',
                        meeting=meeting.rec_name))


class MeetingConvention(metaclass=PoolMeta):
    __name__ = 'association.matchmaking.meeting'

    convention = fields.Many2One(
        'association.convention', "Convention", ondelete='SET NULL',
        states={
            'invisible': ~Eval('outcome').in_(
                ['experimentation', 'convention']),
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'create_convention': {
                    'invisible': (
                        ~Eval('outcome').in_(
                            ['experimentation', 'convention'])
                        | Eval('convention')),
                    'depends': ['outcome', 'convention'],
                    },
                })

    @classmethod
    @ModelView.button
    def create_convention(cls, meetings):
        "Create the convention of the meetings that lead to one"
        pool = Pool()
        Convention = pool.get('association.convention')
        conventions, todo = [], []
        for meeting in meetings:
            if meeting.convention or meeting.outcome not in {
                    'experimentation', 'convention'}:
                continue
            conventions.append(meeting._get_convention())
            todo.append(meeting)
        Convention.save(conventions)
        for meeting, convention in zip(todo, conventions):
            meeting.convention = convention
        cls.save(todo)

    def _get_convention(self):
        pool = Pool()
        Convention = pool.get('association.convention')
        commune, company = self.commune.party, self.company.party
        solution = self.request.solution
        convention = Convention(
            kind='experimentation',
            parties=[commune, company],
            object=gettext(
                'association_matchmaking.msg_convention_object',
                of_solution=elide_de(
                    solution.title if solution else company.rec_name),
                commune=commune.rec_name),
            amount=self.outcome_amount,
            description=self.outcome_notes,
            start_date=self.outcome_date,
            end_date=self.outcome_end_date)
        return convention
