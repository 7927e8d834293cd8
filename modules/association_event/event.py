# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from collections import defaultdict

from sql import Null
from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields,
    sequence_ordered)
from trytond.modules.association.tools import TemplateMixin, format_moment
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.tools import timezone as tz
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .exceptions import EventDateError, EventSessionWarning

# Number of ids in one IN clause
SLICE = 1000

KINDS = [
    ('trade_show', "Trade Show"),
    ('congress', "Congress"),
    ('webinar', "Webinar"),
    ('committee_meeting', "Committee Meeting"),
    ('workshop', "Workshop"),
    ('debate', "Debate"),
    ('briefing', "Briefing"),
    ('speed_meeting', "Speed Meeting"),
    ('other', "Other"),
    ]
FORMATS = [
    ('on_site', "On Site"),
    ('online', "Online"),
    ('hybrid', "Hybrid"),
    ]
STATES = [
    ('draft', "Draft"),
    ('open', "Open"),
    ('closed', "Closed"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ]
SESSION_KINDS = [
    ('conference', "Conference"),
    ('webinar', "Webinar"),
    ('pitch', "Pitch"),
    ('interview', "Interview"),
    ('round_table', "Round Table"),
    ('workshop', "Workshop"),
    ]
TIMEZONES = [(z, z) for z in tz.available_timezones()]
# The registration states that take a seat
SEATED = ['registered', 'confirmed', 'attended', 'absent']
# The registration states of the people told about a change of the event
NOTIFIED = ['invited', 'waiting', 'registered', 'confirmed']


def check_dates(records, start='start', end='end'):
    for record in records:
        start_value = getattr(record, start)
        end_value = getattr(record, end)
        if start_value and end_value and end_value < start_value:
            raise EventDateError(gettext(
                    'association_event.msg_end_before_start',
                    record=record.rec_name))


class Series(DeactivableMixin, ModelSQL, ModelView):
    "Event Series"
    __name__ = 'association.event.series'

    name = fields.Char("Name", required=True)
    kind = fields.Selection(
        [(None, "")] + KINDS, "Kind",
        help="The kind of the events of the series.")
    description = fields.Text("Description")
    themes = fields.Many2Many(
        'association.event.series-association.theme', 'series', 'theme',
        "Themes")
    events = fields.One2Many(
        'association.event', 'series', "Events",
        order=[('start', 'ASC'), ('id', 'ASC')])
    series_registrations = fields.One2Many(
        'association.event.series.registration', 'series',
        "Cycle Registrations",
        help="The people registered to every event of the series.")

    @classmethod
    def copy(cls, series, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('events')
        default.setdefault('series_registrations')
        return super().copy(series, default=default)


class SeriesTheme(ModelSQL):
    "Event Series - Theme"
    __name__ = 'association.event.series-association.theme'
    series = fields.Many2One(
        'association.event.series', "Series", required=True,
        ondelete='CASCADE')
    theme = fields.Many2One(
        'association.theme', "Theme", required=True, ondelete='CASCADE')


class Event(Workflow, ModelSQL, ModelView):
    "Event"
    __name__ = 'association.event'

    _states = {
        'readonly': Eval('state').in_(['done', 'cancelled']),
        }

    name = fields.Char("Name", required=True, states=_states)
    kind = fields.Selection(
        KINDS, "Kind", required=True, states=_states)
    kind_string = kind.translated('kind')
    format = fields.Selection(
        FORMATS, "Format", required=True, states=_states)
    format_string = format.translated('format')
    series = fields.Many2One(
        'association.event.series', "Series", ondelete='RESTRICT',
        states=_states,
        help="The cycle or the yearly editions the event belongs to.")
    venue = fields.Char(
        "Venue",
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('format') == 'online',
            })
    address = fields.Text(
        "Address",
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('format') == 'online',
            })
    online_url = fields.Char(
        "Online Link",
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('format') == 'on_site',
            'required': (Eval('format') == 'online')
            & Eval('state').in_(['open', 'closed']),
            },
        help="The link to join the event online.")
    start = fields.DateTime(
        "Start", required=True, states=_states)
    end = fields.DateTime(
        "End", required=True, states=_states)
    timezone = fields.Selection(
        TIMEZONES, "Time Zone", required=True, translate=False,
        states=_states,
        help="The time zone of the venue, used on the invitations.")
    description = fields.Text("Description")
    themes = fields.Many2Many(
        'association.event-association.theme', 'event', 'theme', "Themes",
        states=_states)
    organiser = fields.Many2One(
        'party.party', "Organiser", ondelete='RESTRICT', states=_states)
    co_organisers = fields.Many2Many(
        'association.event-party.party', 'event', 'party', "Co-organisers",
        states=_states,
        help="The partners who organise the event with the association.")
    capacity = fields.Integer(
        "Capacity", states=_states,
        domain=[
            If(Eval('capacity'),
                ('capacity', '>', 0),
                ()),
            ],
        help="The number of seats; leave empty for no limit.")
    waiting_list = fields.Boolean(
        "Waiting List", states=_states,
        help="When the event is full, new registrations wait for a seat and "
        "are promoted when someone cancels.")
    registration_start = fields.DateTime(
        "Registration Opening", states=_states)
    registration_end = fields.DateTime(
        "Registration Closing", states=_states,
        help="After this time, nobody can register any more.")
    sessions = fields.One2Many(
        'association.event.session', 'event', "Programme", states=_states,
        order=[('start', 'ASC'), ('id', 'ASC')])
    registrations = fields.One2Many(
        'association.event.registration', 'event', "Registrations",
        states=_states)
    registration_count = fields.Function(
        fields.Integer("Registered",
            help="The registrations that take a seat."),
        'get_counts')
    attended_count = fields.Function(
        fields.Integer("Attended"), 'get_counts')
    waiting_count = fields.Function(
        fields.Integer("Waiting"), 'get_counts')
    invited_count = fields.Function(
        fields.Integer("Invited",
            help="The invitations not answered yet; they take no seat."),
        'get_counts')
    seats_left = fields.Function(
        fields.Integer("Seats Left"), 'get_counts')
    registration_open = fields.Function(
        fields.Boolean(
            "Registration Open",
            help="Whether the organisations can register from the portal "
            "now: the event is open and not started, its registration "
            "opened and not closed."),
        'get_registration_open', searcher='search_registration_open')
    registration_message = fields.Function(
        fields.Char("Registration Message",
            help="Why the organisations cannot register from the portal "
            "now."),
        'get_registration_message')
    replaced_by = fields.Many2One(
        'association.event', "Replaced by", readonly=True,
        states={
            'invisible': ~Eval('replaced_by'),
            },
        help="The event that took over after the cancellation.")
    replaces = fields.One2Many(
        'association.event', 'replaced_by', "Replaces", readonly=True,
        states={
            'invisible': ~Eval('replaces'),
            })
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.start, Index.Range())),
                Index(t,
                    (t.series, Index.Range()),
                    where=t.series != Null),
                Index(t,
                    (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(['draft', 'open', 'closed'])),
                })
        cls._order = [
            ('start', 'DESC'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('draft', 'open'),
            ('open', 'closed'),
            ('closed', 'open'),
            ('open', 'done'),
            ('closed', 'done'),
            ('draft', 'cancelled'),
            ('open', 'cancelled'),
            ('closed', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'open': {
                    'invisible': ~Eval('state').in_(['draft', 'closed']),
                    'icon': If(Eval('state') == 'closed',
                        'tryton-back', 'tryton-forward'),
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'do': {
                    'invisible': ~Eval('state').in_(['open', 'closed']),
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'open', 'closed']),
                    'depends': ['state'],
                    },
                'replace': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'open', 'closed']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_format(cls):
        return 'on_site'

    @classmethod
    def default_timezone(cls):
        return 'Europe/Paris'

    @classmethod
    def default_waiting_list(cls):
        return False

    @classmethod
    def default_organiser(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        if company_id is not None and company_id >= 0:
            return Company(company_id).party.id

    @fields.depends(
        'series', 'kind', 'themes', '_parent_series.kind',
        '_parent_series.themes')
    def on_change_series(self):
        if self.series:
            if not self.kind and self.series.kind:
                self.kind = self.series.kind
            if not self.themes:
                self.themes = self.series.themes

    @fields.depends('start', 'end')
    def on_change_start(self):
        if self.start and (not self.end or self.end < self.start):
            self.end = self.start + dt.timedelta(hours=2)

    def get_rec_name(self, name):
        pool = Pool()
        Lang = pool.get('ir.lang')
        start = self.start
        if start:
            start = start.replace(tzinfo=dt.timezone.utc).astimezone(
                tz.get_tzinfo(self.timezone or 'UTC')).date()
            return f'{self.name} ({Lang.get().strftime(start)})'
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('name', *clause[1:])]

    @staticmethod
    def _registration_open_domain():
        now = dt.datetime.now()
        return [
            ('state', '=', 'open'),
            ('start', '>', now),
            ['OR',
                ('registration_start', '=', None),
                ('registration_start', '<=', now),
                ],
            ['OR',
                ('registration_end', '=', None),
                ('registration_end', '>=', now),
                ],
            ]

    def get_registration_open(self, name):
        now = dt.datetime.now()
        return (self.state == 'open'
            and self.start > now
            and (not self.registration_start
                or self.registration_start <= now)
            and (not self.registration_end
                or self.registration_end >= now))

    def registration_refusal(self, origin='staff', override=False):
        """Return why a registration from origin is refused now or None

        The one rule of the staff and the portal: the event is open (or
        being prepared, for the staff), not started for the portal, its
        registration opened and not closed.  The staff may override the
        opening, not the closing."""
        now = dt.datetime.now()
        if (self.state not in {'draft', 'open'}
                or (self.registration_end
                    and self.registration_end < now)
                or (origin == 'portal' and self.start <= now)):
            return gettext(
                'association_event.msg_registration_closed',
                event=self.rec_name)
        if origin == 'portal' and self.state != 'open':
            return gettext(
                'association_event.msg_registration_not_open',
                event=self.rec_name)
        if (self.registration_start and self.registration_start > now
                and not (override and origin != 'portal')):
            return gettext(
                'association_event.msg_registration_opens',
                event=self.rec_name,
                date=format_moment(
                    self.registration_start, timezone=self.timezone))

    def get_registration_message(self, name):
        return self.registration_refusal('portal')

    @classmethod
    def search_registration_open(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            raise ValueError(operator)
        if (operator == '=') == bool(value):
            return cls._registration_open_domain()
        now = dt.datetime.now()
        return ['OR',
            ('state', '!=', 'open'),
            ('start', '<=', now),
            ('registration_start', '>', now),
            ('registration_end', '<', now),
            ]

    @classmethod
    def get_counts(cls, events, names):
        pool = Pool()
        Registration = pool.get('association.event.registration')
        registration = Registration.__table__()
        cursor = Transaction().connection.cursor()
        counts = {
            'registration_count': defaultdict(int),
            'attended_count': defaultdict(int),
            'waiting_count': defaultdict(int),
            'invited_count': defaultdict(int),
            }
        for sub_ids in grouped_slice(list(map(int, events)), count=SLICE):
            cursor.execute(*registration.select(
                    registration.event,
                    Count(registration.id, filter_=registration.state.in_(
                            SEATED)),
                    Count(registration.id,
                        filter_=registration.state == 'attended'),
                    Count(registration.id,
                        filter_=registration.state == 'waiting'),
                    Count(registration.id,
                        filter_=registration.state == 'invited'),
                    where=registration.event.in_(list(sub_ids)),
                    group_by=[registration.event]))
            for event_id, seated, attended, waiting, invited in cursor:
                counts['registration_count'][event_id] = seated
                counts['attended_count'][event_id] = attended
                counts['waiting_count'][event_id] = waiting
                counts['invited_count'][event_id] = invited
        result = {}
        for name in names:
            if name == 'seats_left':
                result[name] = {
                    e.id: max(e.capacity
                        - counts['registration_count'][e.id], 0)
                    if e.capacity else None
                    for e in events}
            else:
                result[name] = {e.id: counts[name][e.id] for e in events}
        return result

    @classmethod
    def validate_fields(cls, events, field_names):
        super().validate_fields(events, field_names)
        if not field_names or field_names & {
                'start', 'end', 'registration_start', 'registration_end'}:
            check_dates(events)
            check_dates(events, 'registration_start', 'registration_end')

    @classmethod
    def check_sessions_within(cls, events, start=None, end=None):
        "Warn about the sessions outside the new times of the events"
        pool = Pool()
        Warning = pool.get('res.user.warning')
        outside = []
        for event in events:
            event_start = start or event.start
            event_end = end or event.end
            outside.extend(
                s for s in event.sessions
                if s.start < event_start or s.end > event_end)
        if outside:
            key = Warning.format('event_sessions_outside', outside)
            if Warning.check(key):
                raise EventSessionWarning(key, gettext(
                        'association_event.msg_event_sessions_outside',
                        sessions=', '.join(
                            f'{s.name} ({s.event.name})' for s in outside)))

    @classmethod
    def on_modification(cls, mode, events, field_names=None):
        pool = Pool()
        Registration = pool.get('association.event.registration')
        super().on_modification(mode, events, field_names=field_names)
        if mode == 'write' and field_names & {'capacity', 'waiting_list'}:
            # More seats or no more limit: the first people waiting come in
            Registration.promote_waiting(events)
        if mode == 'write' and field_names & {'start', 'end'}:
            # Written with the programme: the staff confirms the sessions
            # left outside the new times
            cls.check_sessions_within(events)
            # The people are told the new times, with the new invitation
            moved = [e for e in events if e.state in {'open', 'closed'}]
            if moved:
                Registration.send_notice(Registration.search([
                            ('event', 'in', [e.id for e in moved]),
                            ('state', 'in', NOTIFIED),
                            ]), 'moved')

    @classmethod
    def copy(cls, events, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('registrations')
        default.setdefault('replaced_by')
        default.setdefault('replaces')
        return super().copy(events, default=default)

    def get_replacement_default(self, start, end, format, online_url):
        "Return the default values of the copy that replaces the event"
        default = {
            'start': start,
            'end': end,
            'format': format,
            'online_url': online_url if format != 'on_site' else None,
            'state': 'draft',
            }
        if format == 'online':
            default.update({
                    'venue': None,
                    'address': None,
                    'capacity': None,
                    })
        return default

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, events):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def open(cls, events):
        pool = Pool()
        SeriesRegistration = pool.get(
            'association.event.series.registration')
        series = {e.series for e in events if e.series}
        SeriesRegistration.register(
            [r for s in series for r in s.series_registrations
                if r.state == 'registered'],
            [e for e in events if e.series])

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, events):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, events):
        pool = Pool()
        Registration = pool.get('association.event.registration')
        # Nobody checked in was absent
        registrations = Registration.search([
                ('event', 'in', [e.id for e in events]),
                ('state', 'in', ['registered', 'confirmed']),
                ])
        Registration.write(registrations, {'state': 'absent'})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, events):
        pool = Pool()
        Registration = pool.get('association.event.registration')
        registrations = Registration.search([
                ('event', 'in', [e.id for e in events]),
                ('state', 'in', NOTIFIED),
                ])
        # No promotion: nobody takes the seats of a cancelled event
        Registration.write(registrations, {'state': 'cancelled'})
        if not Transaction().context.get('_event_replace'):
            # The replacement tells its own news
            Registration.send_notice(registrations, 'cancelled')

    @classmethod
    @ModelView.button_action('association_event.wizard_event_replace')
    def replace(cls, events):
        pass

    @property
    def attendance_sheet_registrations(self):
        "The registrations to sign the attendance sheet, by name"
        return sorted(
            (r for r in self.registrations if r.state in SEATED),
            key=lambda r: (r.person.name or '', r.id))

    @property
    def tzinfo(self):
        return tz.get_tzinfo(self.timezone or 'UTC')

    def local(self, value):
        "Return the UTC datetime value in the time zone of the event"
        if value:
            return value.replace(tzinfo=dt.timezone.utc).astimezone(
                self.tzinfo)


class EventTheme(ModelSQL):
    "Event - Theme"
    __name__ = 'association.event-association.theme'
    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE')
    theme = fields.Many2One(
        'association.theme', "Theme", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.theme, Index.Range())))


class EventCoOrganiser(ModelSQL):
    "Event - Co-organiser"
    __name__ = 'association.event-party.party'
    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='CASCADE')


class Session(sequence_ordered(), ModelSQL, ModelView):
    "Event Session"
    __name__ = 'association.event.session'

    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE')
    name = fields.Char("Title", required=True)
    kind = fields.Selection(SESSION_KINDS, "Kind", required=True)
    kind_string = kind.translated('kind')
    start = fields.DateTime(
        "Start", required=True)
    end = fields.DateTime(
        "End", required=True)
    room = fields.Char("Room")
    online_url = fields.Char("Online Link")
    description = fields.Text("Description")
    themes = fields.Many2Many(
        'association.event.session-association.theme', 'session', 'theme',
        "Themes")
    speakers = fields.One2Many(
        'association.event.session.speaker', 'session', "Speakers")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.event, Index.Range())))
        cls._order.insert(0, ('start', 'ASC'))

    @classmethod
    def default_kind(cls):
        return 'conference'

    @fields.depends('event', '_parent_event.kind')
    def on_change_event(self):
        if self.event and self.event.kind == 'webinar':
            self.kind = 'webinar'

    @fields.depends('start', 'end')
    def on_change_start(self):
        if self.start and (not self.end or self.end < self.start):
            self.end = self.start + dt.timedelta(hours=1)

    @classmethod
    def validate_fields(cls, sessions, field_names):
        super().validate_fields(sessions, field_names)
        if not field_names or field_names & {'start', 'end'}:
            check_dates(sessions)


class SessionTheme(ModelSQL):
    "Event Session - Theme"
    __name__ = 'association.event.session-association.theme'
    session = fields.Many2One(
        'association.event.session', "Session", required=True,
        ondelete='CASCADE')
    theme = fields.Many2One(
        'association.theme', "Theme", required=True, ondelete='CASCADE')


class Speaker(sequence_ordered(), ModelSQL, ModelView):
    "Event Session Speaker"
    __name__ = 'association.event.session.speaker'

    session = fields.Many2One(
        'association.event.session', "Session", required=True,
        ondelete='CASCADE')
    person = fields.Many2One(
        'party.party', "Person", required=True, ondelete='RESTRICT',
        domain=[
            ('kind', '=', 'person'),
            ],
        context={
            'party_kind': 'person',
            },
        depends={'person'})
    organisation = fields.Many2One(
        'party.party', "Organisation", ondelete='RESTRICT',
        domain=[
            ('kind', '!=', 'person'),
            ],
        help="The organisation the speaker speaks for.")
    title = fields.Char(
        "Title", help="The speaker's title as printed in the programme.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('session_person_unique', Unique(t, t.session, t.person),
                'association_event.msg_speaker_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.person, Index.Range())))

    def get_rec_name(self, name):
        if self.organisation:
            return f'{self.person.rec_name} ({self.organisation.rec_name})'
        return self.person.rec_name


class EventReplaceStart(ModelView):
    "Event Replace"
    __name__ = 'association.event.replace.start'

    event = fields.Many2One('association.event', "Event", readonly=True)
    name = fields.Char("Name", required=True)
    format = fields.Selection(FORMATS, "Format", required=True)
    start = fields.DateTime(
        "Start", required=True)
    end = fields.DateTime(
        "End", required=True)
    online_url = fields.Char(
        "Online Link",
        states={
            'required': Eval('format') == 'online',
            'invisible': Eval('format') == 'on_site',
            })
    carry_over = fields.Boolean(
        "Carry Over Registrations",
        help="Register the people of the cancelled event to the new one.")


class EventReplace(Wizard):
    "Event Replace"
    __name__ = 'association.event.replace'

    start = StateView(
        'association.event.replace.start',
        'association_event.event_replace_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Replace", 'replace', 'tryton-ok', default=True),
            ])
    replace = StateAction('association_event.act_event_form')

    def default_start(self, fields):
        event = self.record
        return {
            'event': event.id,
            'name': event.name,
            # The usual replacement of an event that cannot take place
            'format': 'online',
            'start': event.start,
            'end': event.end,
            'online_url': event.online_url,
            'carry_over': True,
            }

    def do_replace(self, action):
        pool = Pool()
        Event = pool.get('association.event')
        Session = pool.get('association.event.session')
        Registration = pool.get('association.event.registration')
        event = self.record
        if event.state not in {'draft', 'open', 'closed'}:
            raise EventDateError(gettext(
                    'association_event.msg_event_replace_state',
                    event=event.rec_name))
        if self.start.end < self.start.start:
            raise EventDateError(gettext(
                    'association_event.msg_end_before_start',
                    record=self.start.name))
        offset = self.start.start - event.start
        # The sessions keep their place in the programme: those that fall
        # outside the new times are shown to the staff before anything
        shifted = [
            Session(s.id, start=s.start + offset, end=s.end + offset,
                name=s.name, event=event)
            for s in event.sessions]
        outside = [s for s in shifted
            if s.start < self.start.start or s.end > self.start.end]
        if outside:
            Event.check_sessions_within(
                [Event(event.id, sessions=outside)],
                self.start.start, self.start.end)
        default = event.get_replacement_default(
            self.start.start, self.start.end, self.start.format,
            self.start.online_url)
        default['name'] = self.start.name
        new, = Event.copy([event], default=default)
        sessions = []
        for session in new.sessions:
            session.start += offset
            session.end += offset
            if new.format == 'online':
                session.room = None
            if new.format != 'on_site':
                session.online_url = session.online_url or new.online_url
            sessions.append(session)
        Session.save(sessions)
        Event.write([event], {'replaced_by': new.id})
        carried = []
        if self.start.carry_over:
            carried = [r for r in event.registrations
                if r.state in {'invited', 'registered', 'confirmed',
                    'waiting'}]
        not_carried = [r for r in event.registrations
            if r.state in {'invited', 'registered', 'confirmed', 'waiting'}
            and r not in carried]
        with Transaction().set_context(_event_replace=True):
            Event.cancel([event])
            if new.state != 'open':
                # The people of its cycle are registered when it opens
                Event.open([new])
            created = Registration.carry_over(carried, new)
        Registration.send_notice(not_carried, 'cancelled')
        Registration.send_notice(created, 'replaced')
        action['res_id'] = [new.id]
        action['views'].reverse()
        return action, {}


class AttendanceSheet(TemplateMixin, Report):
    "Event Attendance Sheet"
    __name__ = 'association.event.attendance_sheet'
