# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import secrets
import urllib.parse
from collections import defaultdict
from email.utils import parseaddr

from sql.aggregate import Count

from trytond import config
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.modules.association.tools import (
    TemplateMixin, format_address, qrcode_svg, send_messages)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.report import Report, get_email
from trytond.rpc import RPC
from trytond.tools import grouped_slice
from trytond.tools.email_ import set_from_header
from trytond.transaction import Transaction
from trytond.url import host, http_host
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .event import SEATED, SLICE
from .exceptions import CheckInError, InvitationError, RegistrationError

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
    ('invited', "Invited"),
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
CANCELLABLE = ['invited', 'waiting', 'registered', 'confirmed']
# The news sent to the people, each with its subject
NOTICES = {
    'cancelled': 'association_event.msg_notice_cancelled_subject',
    'moved': 'association_event.msg_notice_moved_subject',
    'replaced': 'association_event.msg_notice_replaced_subject',
    'promoted': 'association_event.msg_notice_promoted_subject',
    }
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
    invited = fields.Boolean(
        "Invited", readonly=True,
        help="The person was invited by the association.")
    invitation_token = fields.Char("Invitation Token", readonly=True)
    invitation_sent_at = fields.DateTime(
        "Invitation Sent at", readonly=True,
        states={
            'invisible': ~Eval('invited'),
            })
    opening_override = fields.Boolean(
        "Before the Opening",
        states={
            'readonly': Bool(Eval('id', -1) >= 0),
            },
        help="Register the person before the registrations open; "
        "recorded with the user who did.")
    opening_override_by = fields.Many2One(
        'res.user', "Registered before the Opening by", readonly=True,
        states={
            'invisible': ~Eval('opening_override_by'),
            })
    checked_in_at = fields.DateTime("Checked in at", readonly=True)
    attendance_minutes = fields.Integer(
        "Minutes Attended", readonly=True,
        help="The time the person spent in the online event, "
        "as the platform's report gives it.")
    confirmation_sent_at = fields.DateTime(
        "Confirmation Sent at", readonly=True)
    email_error = fields.Text(
        "E-mail Error", readonly=True,
        states={
            'invisible': ~Eval('email_error'),
            },
        help="Why the last e-mail to the person could not be sent.")
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
            ('invited', 'registered'),
            ('invited', 'cancelled'),
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
                'accept': {
                    'invisible': Eval('state') != 'invited',
                    'depends': ['state'],
                    },
                'send_invitation': {
                    'invisible': Eval('state') != 'invited',
                    'depends': ['state'],
                    },
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
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.invitation_token, Index.Equality(cardinality='high')),
                where=t.invitation_token != None))  # noqa: E711

    @classmethod
    def default_state(cls):
        return 'registered'

    @classmethod
    def default_invited(cls):
        return False

    @classmethod
    def default_opening_override(cls):
        return False

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
        if mode == 'create' and values.get('state') == 'invited':
            values['invited'] = True
            values.setdefault('invitation_token', secrets.token_urlsafe())
        if mode == 'create' and values.get('opening_override'):
            values['opening_override_by'] = Transaction().user
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
        """Check that the registrations are made while they are open, by the
        rule of the event"""
        context = Transaction().context
        if (context.get('_event_replace')
                or not context.get('_check_registration_period', True)):
            # Carried over to the replacement of their event, or made by
            # the module that runs the event (the speed meetings)
            return
        for registration in registrations:
            if (registration.state not in {'invited', 'registered', 'waiting'}
                    or registration.origin == 'import'
                    or registration.series_registration):
                # Attendance recorded afterwards
                continue
            # An invitation is sent before the registrations open
            message = registration.event.registration_refusal(
                registration.origin,
                override=(registration.opening_override
                    or registration.state == 'invited'))
            if message:
                raise RegistrationError(message)

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
        """Register the people of the registrations to the event

        The people already registered to the event (by their cycle) keep
        their registration; an invitation stays an invitation."""
        existing = {
            r.person for r in cls.search([
                    ('event', '=', event.id),
                    ('person', 'in', [r.person.id for r in registrations]),
                    ('state', '!=', 'cancelled'),
                    ])}
        to_create = []
        for registration in registrations:
            if registration.person in existing:
                continue
            existing.add(registration.person)
            to_create.append(cls(
                    state=('invited' if registration.state == 'invited'
                        else 'registered'),
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
        # The people are told that a seat is theirs
        cls.send_notice(registrations, 'promoted')

    @classmethod
    @ModelView.button
    def accept(cls, registrations):
        """Accept the invitations: the people take a seat, or wait for one
        when the event is full"""
        registrations = [r for r in registrations if r.state == 'invited']
        for registration in registrations:
            message = registration.event.registration_refusal(
                'staff', override=True)
            if message:
                raise InvitationError(message)
        cls.write(registrations, {'state': 'registered'})
        cls.log(registrations, 'transition', 'state:registered')
        cls.allocate_seats(registrations)
        registrations = cls.browse(registrations)
        cls.send_confirmation(
            [r for r in registrations if r.state == 'registered'])

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
        "Return the QR code of the registration code as an SVG element"
        return qrcode_svg(self.code)

    @property
    def recipient(self):
        return self.email or self.person.email

    @property
    def invitation_url(self):
        "The address of the page where the person answers the invitation"
        if self.invitation_token:
            return '%s/%s/association_event/invitation/%s' % (
                (config.get('association_event', 'url')
                    or http_host()).rstrip('/'),
                urllib.parse.quote(
                    Transaction().database.name, safe=":@!$&'()*+,;="),
                self.invitation_token)

    def get_ics(self):
        "Return the iCalendar invitation of the registration as bytes"
        import icalendar
        event = self.event
        calendar = icalendar.Calendar()
        calendar.add('prodid', '-//Concorde//association_event//FR')
        calendar.add('version', '2.0')
        calendar.add('method', 'CANCEL'
            if self.event.state == 'cancelled' or self.state == 'cancelled'
            else 'REQUEST')
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
        cancelled = (event.state == 'cancelled' or self.state == 'cancelled')
        vevent.add('status', 'CANCELLED' if cancelled else 'CONFIRMED')
        # A calendar replaces the event it holds by a newer sequence
        vevent.add('sequence', int(
                (self.write_date or self.create_date or dt.datetime.now())
                .timestamp()) // 60 % 2 ** 31)
        calendar.add_component(vevent)
        calendar.add_missing_timezones()
        return calendar.to_ical()

    def _get_email(self, report, subject, **values):
        "Return the e-mail of the report with its subject and invitation"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get(self.person.document_language)
        msg, _ = get_email(report, self, [lang])
        with Transaction().set_context(language=lang.code):
            msg['Subject'] = gettext(
                subject, event=self.event.name, **values)
        msg['To'] = format_address(self.person.name, self.recipient)
        from_ = config.get('email', 'from')
        set_from_header(msg, from_, from_)
        ics = self.get_ics()
        msg.add_attachment(
            ics, maintype='text', subtype='calendar',
            filename='invitation.ics', params={
                'method': 'CANCEL' if b'METHOD:CANCEL' in ics else 'REQUEST',
                })
        return msg

    def get_confirmation_email(self):
        "Return the confirmation e-mail message with its invitation"
        return self._get_email(
            'association.event.registration.confirmation_email',
            'association_event.msg_confirmation_subject')

    def get_invitation_email(self):
        "Return the invitation e-mail with its link to accept"
        return self._get_email(
            'association.event.registration.invitation_email',
            'association_event.msg_invitation_subject')

    def get_notice_email(self, notice):
        "Return the e-mail that tells the news of the event"
        event = self.event
        replaced = ''
        if notice == 'replaced' and event.replaces:
            replaced = event.replaces[0].name
        with Transaction().set_context(event_notice=notice):
            return self._get_email(
                'association.event.registration.notice_email',
                NOTICES[notice], replaced=replaced)

    @classmethod
    def _send(cls, registrations, get_message, sent_field=None):
        """Send the e-mail of get_message to each registration now

        Each e-mail sent is kept in the e-mails of the registration; the
        error of an e-mail that could not be sent is shown on its
        registration and stops nobody else.  Return the registrations
        reached."""
        pool = Pool()
        Email = pool.get('ir.email')
        Attachment = pool.get('ir.attachment')
        messages, todo, failed = [], [], []
        for registration in registrations:
            if not registration.recipient:
                continue
            try:
                msg = get_message(registration)
            except ValueError:
                failed.append((registration, gettext(
                            'association_event.msg_email_invalid',
                            email=registration.recipient)))
                continue
            messages.append(msg)
            todo.append(registration)
        errors = send_messages(messages)
        emails, sent = [], []
        for registration, msg, error in zip(todo, messages, errors):
            if error:
                failed.append((registration, gettext(
                            'association_event.msg_email_failed',
                            email=registration.recipient, error=error)))
                continue
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
        now = dt.datetime.now()
        args = []
        if sent:
            values = {'email_error': None}
            if sent_field:
                values[sent_field] = now
            args.extend([sent, values])
        for registration, error in failed:
            args.extend([[registration], {'email_error': error}])
        if args:
            cls.write(*args)
        return sent

    @classmethod
    @ModelView.button
    def send_confirmation(cls, registrations):
        """Send the confirmation e-mail to the registrations

        A confirmation is marked sent only when its e-mail left."""
        cls._send(
            registrations, cls.get_confirmation_email,
            'confirmation_sent_at')

    @classmethod
    @ModelView.button
    def send_invitation(cls, registrations):
        "Send the invitation e-mail with its link to accept"
        cls._send(
            [r for r in registrations if r.state == 'invited'],
            cls.get_invitation_email, 'invitation_sent_at')

    @classmethod
    def send_notice(cls, registrations, notice):
        "Send the people the news of their event"
        cls._send(registrations, lambda r: r.get_notice_email(notice))

    @classmethod
    def answer_invitation(cls, token, accept):
        """Accept or decline the invitation of the token

        Return the registration."""
        registrations = cls.search([
                ('invitation_token', '=', token),
                ], limit=1)
        if not registrations:
            raise InvitationError(gettext(
                    'association_event.msg_invitation_unknown'))
        registration, = registrations
        if registration.state != 'invited':
            return registration
        if accept:
            cls.accept([registration])
        else:
            cls.cancel([registration])
        return registration


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


class BadgeReport(TemplateMixin, Report):
    "Event Badges"
    __name__ = 'association.event.registration.badge'


class ConfirmationEmail(TemplateMixin, Report):
    "Event Registration Confirmation"
    __name__ = 'association.event.registration.confirmation_email'


class InvitationEmail(TemplateMixin, Report):
    "Event Invitation"
    __name__ = 'association.event.registration.invitation_email'


class NoticeEmail(TemplateMixin, Report):
    "Event News"
    __name__ = 'association.event.registration.notice_email'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['notice'] = Transaction().context.get('event_notice')
        return context
