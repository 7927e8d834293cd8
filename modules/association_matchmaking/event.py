# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import secrets

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import scheduler
from .exceptions import PinError, ScheduleError, SlotError

VIDEO_BASE = 'https://meet.jit.si/'

SCHEDULE_STATUS = [
    (None, ""),
    ('optimal', "Optimal"),
    ('feasible', "Best Found in Time"),
    ]
SCHEDULE_STATES = [
    (None, ""),
    ('queued', "Scheduling"),
    ('done', "Scheduled"),
    ('failed', "Failed"),
    ]


class Event(metaclass=PoolMeta):
    __name__ = 'association.event'

    _meeting_states = {
        'invisible': Eval('kind') != 'speed_meeting',
        'readonly': Eval('state').in_(['done', 'cancelled']),
        }

    meeting_slots = fields.One2Many(
        'association.matchmaking.slot', 'event', "Slots",
        states=_meeting_states)
    meeting_tables = fields.One2Many(
        'association.matchmaking.table', 'event', "Tables",
        states=_meeting_states,
        help="The tables or online rooms where meetings take place.")
    meeting_participants = fields.One2Many(
        'association.matchmaking.participant', 'event', "Participants",
        states=_meeting_states)
    meeting_requests = fields.One2Many(
        'association.matchmaking.request', 'event', "Meeting Requests",
        states=_meeting_states)
    meetings = fields.One2Many(
        'association.matchmaking.meeting', 'event', "Meetings",
        states=_meeting_states)
    meeting_auto_accept = fields.Boolean(
        "Accept Requests Automatically", states=_meeting_states,
        help="Meeting requests are accepted as soon as they are made.")
    meeting_maximum = fields.Integer(
        "Default Maximum of Meetings", states=_meeting_states,
        domain=['OR',
            ('meeting_maximum', '=', None),
            ('meeting_maximum', '>=', 0),
            ],
        help="The maximum number of meetings of a new participant.")
    meeting_time_limit = fields.Float(
        "Scheduling Time Limit", states=_meeting_states, required=True,
        help="The deterministic time given to the solver "
        "(about seconds).")
    schedule_state = fields.Selection(
        SCHEDULE_STATES, "Scheduling State", readonly=True,
        states={'invisible': Eval('kind') != 'speed_meeting'},
        help="Scheduling runs in the background: the figures below are "
        "those of the last schedule until it is done.")
    schedule_message = fields.Char(
        "Scheduling Message", readonly=True,
        states={
            'invisible': Eval('schedule_state') != 'failed',
            })
    schedule_status = fields.Selection(
        SCHEDULE_STATUS, "Schedule Status", readonly=True,
        states={'invisible': Eval('kind') != 'speed_meeting'})
    schedule_score = fields.Integer(
        "Schedule Score", readonly=True,
        states={'invisible': Eval('kind') != 'speed_meeting'},
        help="The sum of the weights of the meetings scheduled: priority, "
        "doubled for mutual interest.")
    schedule_bound = fields.Integer(
        "Score Bound", readonly=True,
        states={'invisible': Eval('kind') != 'speed_meeting'},
        help="No schedule can score more than this bound.")
    schedule_gap = fields.Function(fields.Float(
            "Gap to Optimum", digits=(1, 4),
            states={'invisible': Eval('kind') != 'speed_meeting'}),
        'get_schedule_gap')
    schedule_communes = fields.Char(
        "Communes Served", readonly=True,
        states={'invisible': Eval('kind') != 'speed_meeting'},
        help="The communes with a meeting and the communes that asked.")
    schedule_communes_served = fields.Integer(
        "Number of Communes Served", readonly=True,
        states={'invisible': True})
    schedule_communes_bound = fields.Integer(
        "Communes Bound", readonly=True,
        states={'invisible': Eval('kind') != 'speed_meeting'},
        help="No schedule can serve more communes than this bound.")
    schedule_communes_gap = fields.Function(fields.Integer(
            "Communes Gap",
            states={'invisible': Eval('kind') != 'speed_meeting'},
            help="The communes that a better schedule might still serve: "
            "0 when none can."),
        'get_schedule_communes_gap')

    del _meeting_states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'schedule_meetings': {
                    'invisible': (
                        (Eval('kind') != 'speed_meeting')
                        | Eval('state').in_(['done', 'cancelled'])),
                    'depends': ['kind', 'state'],
                    },
                'publish_agendas': {
                    'invisible': (
                        (Eval('kind') != 'speed_meeting')
                        | Eval('state').in_(['draft', 'cancelled'])),
                    'depends': ['kind', 'state'],
                    },
                })

    @classmethod
    def default_meeting_auto_accept(cls):
        return False

    @classmethod
    def default_meeting_time_limit(cls):
        return 10.

    def get_schedule_gap(self, name):
        if self.schedule_bound:
            return (
                (self.schedule_bound - (self.schedule_score or 0))
                / self.schedule_bound)

    def get_schedule_communes_gap(self, name):
        if self.schedule_communes_bound is not None:
            return (self.schedule_communes_bound
                - (self.schedule_communes_served or 0))

    @classmethod
    @ModelView.button
    def schedule_meetings(cls, events):
        """Queue the scheduling of the accepted requests of the speed meetings

        The pinned meetings are checked now, so that the staff reads at once
        why they cannot be kept; the schedule is computed by a queued task
        and the event shows its state meanwhile."""
        events = [e for e in events if e._can_schedule()]
        for event in events:
            event._scheduler_instance()
        cls.write(events, {
                'schedule_state': 'queued',
                'schedule_message': None,
                })
        with Transaction().set_context(queue_name='matchmaking'):
            cls.__queue__.schedule_meetings_queued(events)

    def _can_schedule(self):
        return (self.kind == 'speed_meeting'
            and self.state not in {'done', 'cancelled'})

    @classmethod
    def schedule_meetings_queued(cls, events):
        """Schedule the accepted requests of the speed meetings

        The pinned meetings stay, the others are scheduled again.  An event
        whose pins cannot be kept any more fails with the message."""
        pool = Pool()
        Meeting = pool.get('association.matchmaking.meeting')
        User = pool.get('res.user')
        user = User(Transaction().user)
        language = user.language.code if user.language else None
        to_delete, to_save = [], []
        with Transaction().set_context(language=language):
            events = cls.browse([e.id for e in events])
            for event in events:
                if not event._can_schedule():
                    event.schedule_state = None
                    continue
                try:
                    result, requests = event._schedule()
                except ScheduleError as exception:
                    event.schedule_state = 'failed'
                    event.schedule_message = exception.message
                    continue
                event._schedule_meetings(result, requests, to_save, to_delete)
        Meeting.delete(to_delete)
        Meeting.save(to_save)
        cls.save(events)

    def _schedule_meetings(self, result, requests, to_save, to_delete):
        "Add the meetings of the Schedule to save and to delete"
        pool = Pool()
        Meeting = pool.get('association.matchmaking.meeting')
        # The meetings of requests still met are moved, so that they keep
        # their outcome; the others are deleted
        existing = {m.request.id: m for m in self.meetings}
        slots = {s.id: s for s in self.meeting_slots}
        tables = {t.id: t for t in self.meeting_tables}
        for meeting in result.meetings:
            record = existing.pop(meeting.request, None)
            if record is None:
                record = Meeting(event=self, pinned=False)
                record.request = requests[meeting.request]
            record.slot = slots[meeting.slot]
            record.table = tables[meeting.table]
            to_save.append(record)
        to_delete.extend(existing.values())
        self.schedule_state = 'done'
        self.schedule_message = None
        self.schedule_status = result.status
        self.schedule_score = result.score
        self.schedule_bound = result.bound
        self.schedule_communes = '%s / %s' % (
            result.communes_served, result.communes_asking)
        self.schedule_communes_served = result.communes_served
        self.schedule_communes_bound = result.communes_bound

    def _scheduler_input(self):
        """Return the participants, slots, tables, requests and pins of the
        scheduler and the accepted requests by id"""
        participants = []
        for participant in self.meeting_participants:
            participants.append(scheduler.Participant(
                    id=participant.id,
                    maximum=participant.maximum,
                    blocked=frozenset(s.id for s in participant.blocked_slots),
                    commune=participant.side == 'commune'))
        requests, pairs = {}, set()
        for request in sorted(self.meeting_requests, key=lambda r: r.id):
            if request.state != 'accepted':
                continue
            pair = frozenset([request.requester.id, request.requested.id])
            if pair in pairs:
                # A commune and a company who asked each other meet once
                continue
            pairs.add(pair)
            requests[request.id] = request
        pins = []
        for meeting in self.meetings:
            if meeting.pinned:
                if meeting.request.id not in requests:
                    raise ScheduleError(gettext(
                            'association_matchmaking.msg_pin_not_accepted',
                            meeting=meeting.rec_name))
                pins.append(scheduler.Pin(
                        request=meeting.request.id,
                        slot=meeting.slot.id,
                        table=meeting.table.id if meeting.table else None))
        return (participants,
            [s.id for s in self.meeting_slots],
            [t.id for t in self.meeting_tables],
            [scheduler.Request(
                    id=r.id,
                    participants=(r.requester.id, r.requested.id),
                    priority=int(r.priority),
                    mutual=bool(r.mutual))
                for r in requests.values()],
            pins), requests

    def _scheduler_instance(self):
        "Check the input of the scheduler, the pins above all"
        values, _ = self._scheduler_input()
        try:
            return scheduler.Instance(*values)
        except PinError as exception:
            raise ScheduleError(self._pin_error_message(exception))

    def _schedule(self):
        "Run the scheduler and return its Schedule and the requests by id"
        values, requests = self._scheduler_input()
        try:
            result = scheduler.schedule(
                *values, time_limit=self.meeting_time_limit)
        except PinError as exception:
            raise ScheduleError(self._pin_error_message(exception))
        return result, requests

    def _pin_error_message(self, exception):
        pool = Pool()
        Participant = pool.get('association.matchmaking.participant')
        Slot = pool.get('association.matchmaking.slot')
        Table = pool.get('association.matchmaking.table')
        Request = pool.get('association.matchmaking.request')
        values = {
            'event': self.rec_name,
            'participant': (Participant(exception.participant).rec_name
                if exception.participant is not None else ''),
            'slot': (Slot(exception.slot).rec_name
                if exception.slot is not None else ''),
            'table': (Table(exception.table).rec_name
                if exception.table is not None else ''),
            'requests': ', '.join(
                Request(r).rec_name for r in exception.requests),
            'count': exception.count,
            'maximum': exception.maximum,
            }
        return gettext(
            'association_matchmaking.msg_pin_%s' % exception.reason, **values)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, events):
        """The contacts of the participants who had a meeting attended the
        speed meeting"""
        pool = Pool()
        Registration = pool.get('association.event.registration')
        met = {
            (p.event.id, p.contact.id) for e in events
            if e.kind == 'speed_meeting'
            for p in e.meeting_participants if p.contact and p.meetings}
        registrations = [r for r in Registration.search([
                    ('event', 'in', [e.id for e in events]),
                    ('state', 'in', ['registered', 'confirmed']),
                    ])
            if (r.event.id, r.person.id) in met]
        if registrations:
            Registration.write(registrations, {'state': 'attended'})
        super().do(events)

    @classmethod
    @ModelView.button
    def publish_agendas(cls, events):
        "Send each participant its agenda with one invitation per meeting"
        pool = Pool()
        Participant = pool.get('association.matchmaking.participant')
        participants = [p for e in events for p in e.meeting_participants
            if p.meetings]
        Participant.send_agenda(participants)


class Slot(sequence_ordered(), ModelSQL, ModelView):
    "Speed Meeting Slot"
    __name__ = 'association.matchmaking.slot'

    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE',
        domain=[('kind', '=', 'speed_meeting')])
    start = fields.DateTime("Start", required=True)
    duration = fields.TimeDelta("Duration", required=True)
    end = fields.Function(fields.DateTime("End"), 'on_change_with_end')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.event, Index.Range())))
        cls._order = [('event', 'ASC'), ('start', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_duration(cls):
        return dt.timedelta(minutes=15)

    @fields.depends('start', 'duration')
    def on_change_with_end(self, name=None):
        if self.start and self.duration:
            return self.start + self.duration

    def get_rec_name(self, name):
        if self.start:
            event = self.event
            start = event.local(self.start) if event else self.start
            return start.strftime('%Y-%m-%d %H:%M')
        return str(self.id)

    @classmethod
    def validate_fields(cls, slots, field_names):
        super().validate_fields(slots, field_names)
        cls.check_overlap(slots, field_names)

    @classmethod
    def check_overlap(cls, slots, field_names=None):
        "Check that the slots of an event do not overlap"
        if field_names and not (
                field_names & {'start', 'duration', 'event'}):
            return
        events = {s.event for s in slots}
        for event in events:
            ordered = sorted(event.meeting_slots, key=lambda s: s.start)
            for previous, slot in zip(ordered, ordered[1:]):
                if previous.end > slot.start:
                    raise SlotError(gettext(
                            'association_matchmaking.msg_slot_overlap',
                            slot=slot.rec_name, other=previous.rec_name,
                            event=event.rec_name))


class Table(sequence_ordered(), ModelSQL, ModelView):
    "Speed Meeting Table"
    __name__ = 'association.matchmaking.table'

    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE',
        domain=[('kind', '=', 'speed_meeting')])
    name = fields.Char(
        "Name", required=True,
        help="The number of the table or the name of the online room.")
    video_url = fields.Char(
        "Video Link",
        help="The link of the online room, generated when left empty for an "
        "online or hybrid event.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.event, Index.Range())))

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Event = pool.get('association.event')
        values = super().preprocess_values(mode, values)
        if (mode == 'create' and not values.get('video_url')
                and values.get('event')):
            event = Event(values['event'])
            if event.format != 'on_site':
                values['video_url'] = cls.generate_video_url(event)
        return values

    @classmethod
    def generate_video_url(cls, event):
        "Return a new unguessable link to a room of the event"
        return '%sconcorde-%s-%s' % (
            VIDEO_BASE, event.id, secrets.token_urlsafe(12))

    @property
    def location(self):
        return self.video_url or self.name

    def grid(self):
        "Return the slots of the event with the meeting at the table or None"
        pool = Pool()
        Meeting = pool.get('association.matchmaking.meeting')
        meetings = {m.slot.id: m
            for m in Meeting.search([('table', '=', self.id)])}
        return [(s, meetings.get(s.id)) for s in self.event.meeting_slots]
