# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import secrets

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields, sequence_ordered
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from . import scheduler
from .exceptions import PinError, ScheduleError, SlotError

VIDEO_BASE = 'https://meet.jit.si/'

SCHEDULE_STATUS = [
    (None, ""),
    ('optimal', "Optimal"),
    ('feasible', "Best Found in Time"),
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
        states={'invisible': Eval('kind') != 'speed_meeting'})

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

    @classmethod
    @ModelView.button
    def schedule_meetings(cls, events):
        """Schedule the accepted requests of the speed meetings

        The pinned meetings stay, the others are scheduled again."""
        pool = Pool()
        Meeting = pool.get('association.matchmaking.meeting')
        to_delete, to_save = [], []
        for event in events:
            if (event.kind != 'speed_meeting'
                    or event.state in {'done', 'cancelled'}):
                continue
            result, requests = event._schedule()
            # The meetings of requests still met are moved, so that they
            # keep their outcome; the others are deleted
            existing = {m.request.id: m for m in event.meetings}
            slots = {s.id: s for s in event.meeting_slots}
            tables = {t.id: t for t in event.meeting_tables}
            for meeting in result.meetings:
                record = existing.pop(meeting.request, None)
                if record is None:
                    record = Meeting(event=event, pinned=False)
                    record.request = requests[meeting.request]
                record.slot = slots[meeting.slot]
                record.table = tables[meeting.table]
                to_save.append(record)
            to_delete.extend(existing.values())
            event.schedule_status = result.status
            event.schedule_score = result.score
            event.schedule_bound = result.bound
            event.schedule_communes = '%s / %s' % (
                result.communes_served, result.communes_asking)
        Meeting.delete(to_delete)
        Meeting.save(to_save)
        cls.save(events)

    def _schedule(self):
        "Run the scheduler and return its Schedule and the requests by id"
        participants = []
        for participant in self.meeting_participants:
            participants.append(scheduler.Participant(
                    id=participant.id,
                    maximum=participant.maximum,
                    blocked=frozenset(s.id for s in participant.blocked_slots),
                    commune=participant.side == 'commune'))
        requests = {}
        for request in self.meeting_requests:
            if request.state != 'accepted':
                continue
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
        try:
            result = scheduler.schedule(
                participants,
                [s.id for s in self.meeting_slots],
                [t.id for t in self.meeting_tables],
                [scheduler.Request(
                        id=r.id,
                        participants=(r.requester.id, r.requested.id),
                        priority=int(r.priority),
                        mutual=bool(r.mutual))
                    for r in requests.values()],
                pins,
                time_limit=self.meeting_time_limit)
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
