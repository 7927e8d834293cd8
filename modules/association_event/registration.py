# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import base64
import datetime as dt
import secrets
from collections import defaultdict
from email.utils import formataddr, parseaddr

from sql.aggregate import Count

from trytond import config
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.report import Report, get_email
from trytond.rpc import RPC
from trytond.sendmail import send_message_transactional
from trytond.tools import grouped_slice
from trytond.tools.email_ import set_from_header
from trytond.transaction import Transaction
from trytond.url import host
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .event import SEATED, SLICE
from .exceptions import CheckInError, RegistrationError

try:
    from trytond.tools import qrcode
except ImportError:
    qrcode = None

ROLES = [
    ('visitor', "Visitor"),
    ('elected_official', "Elected Official"),
    ('speaker', "Speaker"),
    ('exhibitor', "Exhibitor"),
    ('partner', "Partner"),
    ('staff', "Staff"),
    ('press', "Press"),
    ]
STATES = [
    ('waiting', "Waiting List"),
    ('registered', "Registered"),
    ('confirmed', "Confirmed"),
    ('attended', "Attended"),
    ('absent', "Absent"),
    ('cancelled', "Cancelled"),
    ]
ORIGINS = [
    ('staff', "Staff"),
    ('import', "Import"),
    ('portal', "Portal"),
    ]
# The states in which a registration can be cancelled
CANCELLABLE = ['waiting', 'registered', 'confirmed']
# The states of the registrations that get a badge
BADGE_STATES = ['registered', 'confirmed', 'attended']
# Letters and digits that cannot be mistaken for one another
CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
CODE_LENGTH = 10


def generate_code():
    return ''.join(
        secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code):
    return ''.join((code or '').split()).upper().replace('-', '')


def ics_organizer():
    """Return the organizer of the iCalendar invitations: the sender of the
    association's e-mails"""
    import icalendar
    name, address = parseaddr(config.get('email', 'from') or '')
    address = address or f'noreply@{host()}'
    organizer = icalendar.vCalAddress(f'mailto:{address}')
    if name:
        organizer.params['cn'] = icalendar.vText(name)
    return organizer


class Registration(Workflow, ModelSQL, ModelView):
    "Event Registration"
    __name__ = 'association.event.registration'

    _states = {
        'readonly': Eval('state') != 'registered',
        }

    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE',
        states={
            'readonly': Bool(Eval('id', -1) >= 0) | _states['readonly'],
            })
    person = fields.Many2One(
        'party.party', "Person", required=True, ondelete='RESTRICT',
        domain=[
            ('kind', '=', 'person'),
            ],
        context={
            'party_kind': 'person',
            },
        states=_states, depends={'person'})
    organisation = fields.Many2One(
        'party.party', "Organisation", ondelete='RESTRICT',
        domain=[
            ('kind', '!=', 'person'),
            ],
        states=_states,
        help="The commune, partner or other organisation "
        "the person comes for.")
    role = fields.Selection(ROLES, "Role", required=True, states=_states)
    role_string = role.translated('role')
    email = fields.Char(
        "E-mail", states=_states,
        help="Where the confirmation is sent.")
    code = fields.Char(
        "Code", readonly=True,
        help="The unique code of the registration, "
        "printed on the badge and read at check-in.")
    origin = fields.Selection(ORIGINS, "Origin", required=True,
        states={
            'readonly': True,
            })
    origin_string = origin.translated('origin')
    series_registration = fields.Many2One(
        'association.event.series.registration', "Cycle Registration",
        readonly=True, ondelete='CASCADE',
        states={
            'invisible': ~Eval('series_registration'),
            })
    checked_in_at = fields.DateTime("Checked in at", readonly=True)
    confirmation_sent_at = fields.DateTime(
        "Confirmation Sent at", readonly=True)
    event_state = fields.Function(
        fields.Selection('get_event_states', "Event State"),
        'on_change_with_event_state')
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'association_event.msg_registration_code_unique'),
            ]
        cls._sql_indexes.update({
                # Check-in by code at the gate
                Index(t, (t.code, Index.Equality(cardinality='high'))),
                Index(t,
                    (t.event, Index.Range()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.person, Index.Range())),
                Index(t, (t.organisation, Index.Range())),
                })
        cls._order = [
            ('event', 'ASC'),
            ('id', 'ASC'),
            ]
        cls._transitions |= {
            ('waiting', 'registered'),
            ('registered', 'confirmed'),
            ('registered', 'attended'),
            ('confirmed', 'attended'),
            ('registered', 'absent'),
            ('confirmed', 'absent'),
            ('absent', 'attended'),
            ('attended', 'absent'),
            ('waiting', 'cancelled'),
            ('registered', 'cancelled'),
            ('confirmed', 'cancelled'),
            }
        cls._buttons.update({
                'promote': {
                    'invisible': Eval('state') != 'waiting',
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'registered',
                    'depends': ['state'],
                    },
                'attend': {
                    'invisible': ~Eval('state').in_(
                        ['registered', 'confirmed', 'absent']),
                    'depends': ['state'],
                    },
                'absent': {
                    'invisible': ~Eval('state').in_(
                        ['registered', 'confirmed', 'attended']),
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(CANCELLABLE),
                    'depends': ['state'],
                    },
                'send_confirmation': {
                    'invisible': ~Eval('state').in_(
                        ['registered', 'confirmed']),
                    'depends': ['state'],
                    },
                })
        cls.__rpc__.update({
                'check_in': RPC(readonly=False, instantiate=None),
                })

    @classmethod
    def default_state(cls):
        return 'registered'

    @property
    def cancellable(self):
        "Whether the organisation can still cancel the registration"
        return (self.state in CANCELLABLE
            and self.event.start > dt.datetime.now())

    @property
    def badge_printable(self):
        "Whether the registration has a badge to print"
        return (self.state in BADGE_STATES
            and self.event.state != 'cancelled')

    @classmethod
    def default_role(cls):
        return 'visitor'

    @classmethod
    def default_origin(cls):
        return 'staff'

    @classmethod
    def get_event_states(cls):
        pool = Pool()
        Event = pool.get('association.event')
        return Event.fields_get(['state'])['state']['selection']

    @fields.depends('event', '_parent_event.state')
    def on_change_with_event_state(self, name=None):
        if self.event:
            return self.event.state

    @fields.depends('person', 'organisation', 'role', 'email')
    def on_change_person(self):
        if not self.person:
            return
        if not self.email:
            self.email = self.person.email
        mandates = self.person.current_mandates
        if mandates:
            if not self.organisation:
                self.organisation = mandates[0].authority
            if self.role == 'visitor':
                self.role = 'elected_official'

    def get_rec_name(self, name):
        return f'{self.code} - {self.person.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('code', *clause[1:]),
            ('person.rec_name', *clause[1:]),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('code'):
            values['code'] = generate_code()
        return values

    @classmethod
    def check_modification(cls, mode, registrations, values=None,
            external=False):
        super().check_modification(
            mode, registrations, values=values, external=external)
        if mode == 'create':
            cls.check_period(registrations)

    @classmethod
    def on_modification(cls, mode, registrations, field_names=None):
        super().on_modification(
            mode, registrations, field_names=field_names)
        if mode == 'create':
            cls.allocate_seats(registrations)

    @classmethod
    def check_period(cls, registrations):
        "Check that the registrations are made while they are open"
        now = dt.datetime.now()
        for registration in registrations:
            if (registration.state not in {'registered', 'waiting'}
                    or registration.origin == 'import'
                    or registration.series_registration):
                # Attendance recorded afterwards
                continue
            event = registration.event
            if (event.state not in {'draft', 'open'}
                    or (event.registration_end
                        and event.registration_end < now)):
                raise RegistrationError(gettext(
                        'association_event.msg_registration_closed',
                        event=event.rec_name))
            if (registration.origin == 'portal'
                    and (event.state != 'open'
                        or (event.registration_start
                            and event.registration_start > now))):
                raise RegistrationError(gettext(
                        'association_event.msg_registration_not_open',
                        event=event.rec_name))

    @classmethod
    def _seated_counts(cls, event_ids):
        "Return the number of seats taken by event"
        registration = cls.__table__()
        cursor = Transaction().connection.cursor()
        counts = defaultdict(int)
        for sub_ids in grouped_slice(list(event_ids), count=SLICE):
            cursor.execute(*registration.select(
                    registration.event, Count(registration.id),
                    where=registration.event.in_(list(sub_ids))
                    & registration.state.in_(SEATED),
                    group_by=[registration.event]))
            counts.update(cursor)
        return counts

    @classmethod
    def allocate_seats(cls, registrations):
        """Put on the waiting list the new registrations beyond capacity

        The registrations created last wait; an event without waiting list
        refuses them."""
        pool = Pool()
        Event = pool.get('association.event')
        events = {
            r.event for r in registrations
            if r.event.capacity and r.state == 'registered'}
        if not events:
            return
        Event.lock(list(events))
        counts = cls._seated_counts(e.id for e in events)
        by_event = defaultdict(list)
        for registration in registrations:
            if registration.event in events and (
                    registration.state == 'registered'):
                by_event[registration.event].append(registration)
        to_wait = []
        for event, event_registrations in by_event.items():
            over = counts[event.id] - event.capacity
            if over <= 0:
                continue
            if not event.waiting_list:
                raise RegistrationError(gettext(
                        'association_event.msg_registration_full',
                        event=event.rec_name,
                        capacity=event.capacity))
            event_registrations.sort(key=lambda r: r.id)
            to_wait.extend(event_registrations[-over:])
        if to_wait:
            cls.write(to_wait, {'state': 'waiting'})

    @classmethod
    def promote_waiting(cls, events):
        "Give the free seats of the events to the first people waiting"
        events = [e for e in events
            if e.waiting_list and e.state in {'draft', 'open', 'closed'}]
        if not events:
            return
        counts = cls._seated_counts(e.id for e in events)
        waiting = defaultdict(list)
        for sub_events in grouped_slice(events, count=SLICE):
            for registration in cls.search([
                        ('event', 'in', [e.id for e in sub_events]),
                        ('state', '=', 'waiting'),
                        ], order=[('id', 'ASC')]):
                waiting[registration.event].append(registration)
        to_promote = []
        for event in events:
            free = (event.capacity - counts[event.id]
                if event.capacity else len(waiting[event]))
            if free > 0:
                to_promote.extend(waiting[event][:free])
        if to_promote:
            cls.promote(to_promote)

    @classmethod
    def validate_fields(cls, registrations, field_names):
        super().validate_fields(registrations, field_names)
        cls.check_duplicate(registrations, field_names)

    @classmethod
    def check_duplicate(cls, registrations, field_names=None):
        "Check that nobody is registered twice to an event"
        # No transition leaves the cancelled state: only a new event or person
        # may make a duplicate
        if field_names and not (field_names & {'event', 'person'}):
            return
        registration = cls.__table__()
        cursor = Transaction().connection.cursor()
        registrations = [r for r in registrations if r.state != 'cancelled']
        for sub_registrations in grouped_slice(registrations, count=SLICE):
            sub_registrations = list(sub_registrations)
            events = list({r.event.id for r in sub_registrations})
            persons = list({r.person.id for r in sub_registrations})
            wanted = {(r.event.id, r.person.id) for r in sub_registrations}
            cursor.execute(*registration.select(
                    registration.event, registration.person,
                    where=registration.event.in_(events)
                    & registration.person.in_(persons)
                    & (registration.state != 'cancelled'),
                    group_by=[registration.event, registration.person],
                    having=Count(registration.id) > 1))
            for event_id, person_id in cursor:
                if (event_id, person_id) in wanted:
                    duplicate = next(r for r in sub_registrations
                        if (r.event.id, r.person.id) == (
                            event_id, person_id))
                    raise RegistrationError(gettext(
                            'association_event.msg_registration_duplicate',
                            person=duplicate.person.rec_name,
                            event=duplicate.event.rec_name))

    @classmethod
    def copy(cls, registrations, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('code')
        default.setdefault('checked_in_at')
        default.setdefault('confirmation_sent_at')
        default.setdefault('series_registration')
        default.setdefault('state', 'registered')
        return super().copy(registrations, default=default)

    @classmethod
    def carry_over(cls, registrations, event):
        "Register the people of the registrations to the event"
        to_create = []
        for registration in registrations:
            to_create.append(cls(
                    event=event,
                    person=registration.person,
                    organisation=registration.organisation,
                    role=registration.role,
                    email=registration.email,
                    origin=registration.origin,
                    series_registration=registration.series_registration,
                    ))
        cls.save(to_create)
        return to_create

    @classmethod
    @ModelView.button
    @Workflow.transition('registered')
    def promote(cls, registrations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, registrations):
        cls.send_confirmation(registrations)

    @classmethod
    @ModelView.button
    @Workflow.transition('attended')
    def attend(cls, registrations):
        now = dt.datetime.now()
        # One write for the state and the time: the gate waits for it
        cls.write(list(registrations), {
                'state': 'attended',
                'checked_in_at': now,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('absent')
    def absent(cls, registrations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, registrations):
        events = {r.event for r in registrations}
        # The seats must be free before promoting
        cls.write(list(registrations), {'state': 'cancelled'})
        cls.promote_waiting(list(events))

    @classmethod
    def check_in(cls, code):
        """Check in the registration with the code at the gate

        Return the id of the registration."""
        registrations = cls.search([
                ('code', '=', normalise_code(code)),
                ], limit=1)
        if not registrations:
            raise CheckInError(gettext(
                    'association_event.msg_check_in_unknown',
                    code=code))
        registration, = registrations
        if registration.state == 'attended':
            raise CheckInError(gettext(
                    'association_event.msg_check_in_twice',
                    registration=registration.rec_name,
                    time=registration.event.local(
                        registration.checked_in_at).strftime('%H:%M')))
        if registration.state not in {'registered', 'confirmed'}:
            raise CheckInError(gettext(
                    'association_event.msg_check_in_state',
                    registration=registration.rec_name,
                    state=registration.state_string))
        if registration.event.state not in {'open', 'closed'}:
            raise CheckInError(gettext(
                    'association_event.msg_check_in_event_state',
                    registration=registration.rec_name,
                    event=registration.event.rec_name))
        # The state is checked above: one write, as the gate waits for it
        cls.write([registration], {
                'state': 'attended',
                'checked_in_at': dt.datetime.now(),
                })
        cls.log([registration], 'transition', 'state:attended')
        return registration.id

    @property
    def qrcode(self):
        "Return the QR code of the registration code as a data URI"
        if qrcode and self.code:
            image = qrcode.generate_svg(self.code, box_size=8, border=2)
            return 'data:image/svg+xml;base64,' + base64.b64encode(
                image.getvalue()).decode('ascii')

    @property
    def recipient(self):
        return self.email or self.person.email

    def get_ics(self):
        "Return the iCalendar invitation of the registration as bytes"
        import icalendar
        event = self.event
        calendar = icalendar.Calendar()
        calendar.add('prodid', '-//Concorde//association_event//FR')
        calendar.add('version', '2.0')
        calendar.add('method', 'REQUEST')
        vevent = icalendar.Event()
        vevent.add('uid', f'{self.code}@{host()}')
        vevent.add('dtstamp', dt.datetime.now(dt.timezone.utc))
        vevent.add('dtstart', event.local(event.start))
        vevent.add('dtend', event.local(event.end))
        vevent.add('summary', event.name)
        location = ', '.join(filter(None, [
                    event.venue,
                    ' '.join((event.address or '').split())]))
        if event.format != 'on_site' and event.online_url:
            vevent.add('url', event.online_url)
            if not location:
                location = event.online_url
        if location:
            vevent.add('location', location)
        description = [event.description or '']
        if event.format != 'on_site' and event.online_url:
            description.append(event.online_url)
        description.append(self.code)
        vevent.add('description', '\n\n'.join(filter(None, description)))
        # An invitation (METHOD:REQUEST) names its organizer
        vevent.add('organizer', ics_organizer(), encode=0)
        if self.recipient:
            attendee = icalendar.vCalAddress(f'mailto:{self.recipient}')
            attendee.params['cn'] = icalendar.vText(self.person.name)
            attendee.params['role'] = icalendar.vText('REQ-PARTICIPANT')
            vevent.add('attendee', attendee, encode=0)
        vevent.add('status', 'CANCELLED'
            if event.state == 'cancelled' else 'CONFIRMED')
        calendar.add_component(vevent)
        calendar.add_missing_timezones()
        return calendar.to_ical()

    def get_confirmation_email(self):
        "Return the confirmation e-mail message with its invitation"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = self.person.lang or Lang.get()
        msg, _ = get_email(
            'association.event.registration.confirmation_email', self,
            [lang])
        with Transaction().set_context(language=lang.code):
            msg['Subject'] = gettext(
                'association_event.msg_confirmation_subject',
                event=self.event.name)
        msg['To'] = formataddr((self.person.name, self.recipient))
        from_ = config.get('email', 'from')
        set_from_header(msg, from_, from_)
        msg.add_attachment(
            self.get_ics(), maintype='text', subtype='calendar',
            filename='invitation.ics', params={'method': 'REQUEST'})
        return msg

    @classmethod
    @ModelView.button
    def send_confirmation(cls, registrations):
        """Send the confirmation e-mail to the registrations

        Each e-mail is kept in the e-mails of the registration."""
        pool = Pool()
        Email = pool.get('ir.email')
        Attachment = pool.get('ir.attachment')
        emails, sent = [], []
        for registration in registrations:
            if not registration.recipient:
                continue
            msg = registration.get_confirmation_email()
            send_message_transactional(msg)
            html = msg.get_body(preferencelist=('html', 'plain'))
            emails.append(Email.from_message(
                    msg, body=html.get_content() if html else None,
                    resource=registration))
            sent.append(registration)
        Email.save(emails)
        attachments = []
        for email, registration in zip(emails, sent):
            attachments.append(Attachment(
                    resource=email, name='invitation.ics',
                    data=registration.get_ics()))
        Attachment.save(attachments)
        cls.write(sent, {'confirmation_sent_at': dt.datetime.now()})


class SeriesRegistration(Workflow, ModelSQL, ModelView):
    "Event Cycle Registration"
    __name__ = 'association.event.series.registration'

    _states = {
        'readonly': Eval('state') != 'registered',
        }

    series = fields.Many2One(
        'association.event.series', "Series", required=True,
        ondelete='CASCADE',
        states={
            'readonly': Bool(Eval('id', -1) >= 0),
            })
    person = fields.Many2One(
        'party.party', "Person", required=True, ondelete='RESTRICT',
        domain=[
            ('kind', '=', 'person'),
            ],
        states=_states)
    organisation = fields.Many2One(
        'party.party', "Organisation", ondelete='RESTRICT',
        domain=[
            ('kind', '!=', 'person'),
            ],
        states=_states)
    role = fields.Selection(ROLES, "Role", required=True, states=_states)
    email = fields.Char("E-mail", states=_states)
    origin = fields.Selection(ORIGINS, "Origin", required=True,
        states={
            'readonly': True,
            })
    registrations = fields.One2Many(
        'association.event.registration', 'series_registration',
        "Registrations", readonly=True)
    state = fields.Selection([
            ('registered', "Registered"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.series, Index.Range()), (t.person, Index.Range())))
        cls._transitions |= {
            ('registered', 'cancelled'),
            }
        cls._buttons.update({
                'cancel': {
                    'invisible': Eval('state') != 'registered',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'registered'

    @classmethod
    def default_role(cls):
        return 'visitor'

    @classmethod
    def default_origin(cls):
        return 'staff'

    @fields.depends('person', 'organisation', 'role', 'email')
    def on_change_person(self):
        Registration.on_change_person(self)

    def get_rec_name(self, name):
        return f'{self.series.rec_name} - {self.person.rec_name}'

    @classmethod
    def on_modification(cls, mode, series_registrations, field_names=None):
        super().on_modification(
            mode, series_registrations, field_names=field_names)
        if mode == 'create':
            cls.register(series_registrations)

    @classmethod
    def register(cls, series_registrations, events=None):
        """Register the people to the events of their series

        Only the events still open to registration are concerned; nobody is
        registered twice."""
        pool = Pool()
        Event = pool.get('association.event')
        Registration = pool.get('association.event.registration')
        series_registrations = [
            r for r in series_registrations if r.state == 'registered']
        if not series_registrations:
            return []
        now = dt.datetime.now()
        if events is None:
            events = Event.search([
                    ('series', 'in', list({
                                r.series.id for r in series_registrations})),
                    ('state', 'in', ['draft', 'open']),
                    ])
        events = [e for e in events
            if e.state in {'draft', 'open'}
            and not (e.registration_end and e.registration_end < now)]
        if not events:
            return []
        existing = set()
        persons = list({r.person.id for r in series_registrations})
        for sub_persons in grouped_slice(persons, count=SLICE):
            for registration in Registration.search([
                        ('event', 'in', [e.id for e in events]),
                        ('person', 'in', list(sub_persons)),
                        ('state', '!=', 'cancelled'),
                        ]):
                existing.add((registration.event, registration.person))
        to_create = []
        for series_registration in series_registrations:
            for event in events:
                if event.series != series_registration.series:
                    continue
                key = (event, series_registration.person)
                if key in existing:
                    continue
                existing.add(key)
                to_create.append(Registration(
                        event=event,
                        person=series_registration.person,
                        organisation=series_registration.organisation,
                        role=series_registration.role,
                        email=series_registration.email,
                        origin=series_registration.origin,
                        series_registration=series_registration))
        Registration.save(to_create)
        return to_create

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, series_registrations):
        pool = Pool()
        Registration = pool.get('association.event.registration')
        Registration.cancel([
                r for s in series_registrations for r in s.registrations
                if r.state in CANCELLABLE])


class CheckInStart(ModelView):
    "Event Check-in"
    __name__ = 'association.event.check_in.start'

    code = fields.Char(
        "Code", required=True,
        help="Type or scan the code of the badge.")
    last = fields.Char("Last Check-in", readonly=True,
        states={
            'invisible': ~Eval('last'),
            })


class CheckIn(Wizard):
    "Event Check-in"
    __name__ = 'association.event.check_in'

    start = StateView(
        'association.event.check_in.start',
        'association_event.check_in_start_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Check In", 'check_in', 'tryton-ok', default=True),
            ])
    check_in = StateTransition()

    def default_start(self, fields):
        return {
            'last': getattr(self.start, 'last', None),
            }

    def transition_check_in(self):
        pool = Pool()
        Registration = pool.get('association.event.registration')
        registration = Registration(Registration.check_in(self.start.code))
        self.start.last = gettext(
            'association_event.msg_check_in_done',
            person=registration.person.rec_name,
            organisation=(registration.organisation.rec_name
                if registration.organisation else ''),
            role=registration.role_string,
            event=registration.event.rec_name)
        self.start.code = None
        return 'start'


class BadgeReport(Report):
    "Event Badges"
    __name__ = 'association.event.registration.badge'


class ConfirmationEmail(Report):
    "Event Registration Confirmation"
    __name__ = 'association.event.registration.confirmation_email'
