# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.association.tools import (
    TemplateMixin, format_address, send_messages)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report, get_email
from trytond.tools.email_ import set_from_header
from trytond.transaction import Transaction

SIDES = [
    ('commune', "Commune"),
    ('company', "Company"),
    ]


class Participant(ModelSQL, ModelView):
    "Speed Meeting Participant"
    __name__ = 'association.matchmaking.participant'

    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE',
        domain=[('kind', '=', 'speed_meeting')])
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='RESTRICT',
        help="The commune or the company that takes part.")
    side = fields.Selection(SIDES, "Side", required=True)
    side_string = side.translated('side')
    contact = fields.Many2One(
        'party.party', "Contact", ondelete='RESTRICT',
        domain=[('kind', '=', 'person')],
        help="The person who attends the meetings.")
    email = fields.Char(
        "E-Mail", help="Where the agenda is sent; the contact's by default.")
    maximum = fields.Integer(
        "Maximum of Meetings",
        domain=['OR',
            ('maximum', '=', None),
            ('maximum', '>=', 0),
            ])
    blocked_slots = fields.Many2Many(
        'association.matchmaking.participant-blocked-slot', 'participant',
        'slot', "Blocked Slots",
        domain=[('event', '=', Eval('event', -1))],
        help="The slots in which the participant is not available.")
    meetings = fields.Function(fields.Many2Many(
            'association.matchmaking.meeting', None, None, "Meetings"),
        'get_meetings')
    suggestions = fields.Function(fields.Many2Many(
            'association.matchmaking.participant', None, None,
            "Suggestions",
            help="Participants of the other side whose solutions or needs "
            "share themes and fit the size of the commune."),
        'get_suggestions')
    agenda_sent_at = fields.DateTime("Agenda Sent at", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('event_party_unique', Unique(t, t.event, t.party),
                'association_matchmaking.msg_participant_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))
        cls._buttons.update({
                'send_agenda': {},
                })

    @fields.depends('party', 'event', 'maximum', 'side',
        '_parent_event.meeting_maximum')
    def on_change_party(self):
        if self.party:
            if self.party.kind in {'company', 'association', 'foundation'}:
                self.side = 'company'
            elif self.party.is_authority:
                self.side = 'commune'
        if self.maximum is None and self.event:
            self.maximum = self.event.meeting_maximum

    def get_rec_name(self, name):
        return self.party.rec_name

    @classmethod
    def on_modification(cls, mode, participants, field_names=None):
        super().on_modification(mode, participants, field_names=field_names)
        if mode == 'create' or (
                mode == 'write' and field_names & {'contact', 'party'}):
            cls.register_contacts(participants)

    @classmethod
    def register_contacts(cls, participants):
        """Register the contacts of the participants to their speed meeting,
        so that they count in the participation and in their history"""
        pool = Pool()
        Registration = pool.get('association.event.registration')
        participants = [p for p in participants
            if p.contact and p.event.state in {'draft', 'open', 'closed'}]
        if not participants:
            return
        registered = {
            (r.event, r.person) for r in Registration.search([
                    ('event', 'in', list({p.event.id for p in participants})),
                    ('person', 'in', list(
                            {p.contact.id for p in participants})),
                    ('state', '!=', 'cancelled'),
                    ])}
        to_create = []
        for participant in participants:
            key = (participant.event, participant.contact)
            if key in registered:
                continue
            registered.add(key)
            registration = Registration(
                event=participant.event, person=participant.contact,
                organisation=participant.party,
                role='partner' if participant.side == 'company'
                else Registration.default_role(),
                email=participant.email or participant.contact.email)
            registration.on_change_person()
            registration.organisation = participant.party
            to_create.append(registration)
        with Transaction().set_context(_check_registration_period=False):
            Registration.save(to_create)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name',) + tuple(clause[1:])]

    @classmethod
    def get_meetings(cls, participants, name):
        pool = Pool()
        Meeting = pool.get('association.matchmaking.meeting')
        result = {p.id: [] for p in participants}
        meetings = Meeting.search(['OR',
                ('request.requester', 'in', list(result)),
                ('request.requested', 'in', list(result)),
                ], order=[('slot.start', 'ASC'), ('id', 'ASC')])
        for meeting in meetings:
            for participant in [
                    meeting.request.requester, meeting.request.requested]:
                if participant.id in result:
                    result[participant.id].append(meeting.id)
        return result

    @classmethod
    def get_suggestions(cls, participants, name):
        pool = Pool()
        Solution = pool.get('association.matchmaking.solution')
        Need = pool.get('association.matchmaking.need')
        result = {}
        events = {p.event for p in participants}
        others = cls.search([('event', 'in', [e.id for e in events])])
        parties = list({p.party.id for p in others})
        solutions = Solution.search([('company', 'in', parties)])
        needs = Need.search([('commune', 'in', parties)])
        by_party_themes = {}
        by_party_solutions = {}
        for solution in solutions:
            by_party_themes.setdefault(solution.company.id, set()).update(
                t.id for t in solution.themes)
            by_party_solutions.setdefault(solution.company.id, []).append(
                solution)
        for need in needs:
            by_party_themes.setdefault(need.commune.id, set()).update(
                t.id for t in need.themes)
        for participant in participants:
            suggested = []
            for other in others:
                if (other.event != participant.event
                        or other.side == participant.side):
                    continue
                if participant.side == 'commune':
                    commune, company = participant, other
                else:
                    commune, company = other, participant
                themes = by_party_themes.get(commune.party.id, set())
                fits = False
                for solution in by_party_solutions.get(
                        company.party.id, []):
                    if (themes & {t.id for t in solution.themes}
                            and solution.fits(commune.party.population)):
                        fits = True
                        break
                if fits:
                    suggested.append(other.id)
            result[participant.id] = suggested
        return result

    @property
    def recipient(self):
        return self.email or (self.contact.email if self.contact else None)

    def get_ics(self):
        "Return the iCalendar of the meetings of the participant as bytes"
        import icalendar
        calendar = icalendar.Calendar()
        calendar.add('prodid', '-//Concorde//association_matchmaking//FR')
        calendar.add('version', '2.0')
        calendar.add('method', 'PUBLISH')
        for meeting in self.meetings:
            calendar.add_component(meeting.get_vevent(self))
        calendar.add_missing_timezones()
        return calendar.to_ical()

    def get_agenda_email(self):
        "Return the agenda e-mail with one invitation per meeting"
        pool = Pool()
        Lang = pool.get('ir.lang')
        # In the association's language when the contact has none
        lang = Lang.get((self.contact or self.party).document_language)
        msg, _ = get_email(
            'association.matchmaking.agenda_email', self, [lang])
        with Transaction().set_context(language=lang.code):
            msg['Subject'] = gettext(
                'association_matchmaking.msg_agenda_subject',
                event=self.event.name)
        msg['To'] = format_address(
            self.contact.name if self.contact else self.party.name,
            self.recipient)
        from_ = config.get('email', 'from')
        set_from_header(msg, from_, from_)
        for i, meeting in enumerate(self.meetings, 1):
            msg.add_attachment(
                meeting.get_ics(self), maintype='text', subtype='calendar',
                filename='meeting-%s.ics' % i, params={'method': 'REQUEST'})
        return msg

    @classmethod
    @ModelView.button
    def send_agenda(cls, participants):
        """Send each participant its agenda

        The e-mails are kept in the e-mails of the participants."""
        pool = Pool()
        Email = pool.get('ir.email')
        Attachment = pool.get('ir.attachment')
        messages, todo, failed = [], [], []
        for participant in participants:
            if not participant.recipient or not participant.meetings:
                continue
            try:
                messages.append(participant.get_agenda_email())
            except ValueError:
                failed.append(participant)
                continue
            todo.append(participant)
        # One address that fails stops nobody else
        errors = send_messages(messages)
        emails, sent = [], []
        for participant, msg, error in zip(todo, messages, errors):
            if error:
                failed.append(participant)
                continue
            html = msg.get_body(preferencelist=('html', 'plain'))
            emails.append(Email.from_message(
                    msg, body=html.get_content() if html else None,
                    resource=participant))
            sent.append(participant)
        Email.save(emails)
        attachments = []
        for email, participant in zip(emails, sent):
            for i, meeting in enumerate(participant.meetings, 1):
                attachments.append(Attachment(
                        resource=email, name='meeting-%s.ics' % i,
                        data=meeting.get_ics(participant)))
        Attachment.save(attachments)
        cls.write(sent, {'agenda_sent_at': dt.datetime.now()})


class ParticipantBlockedSlot(ModelSQL):
    "Speed Meeting Participant - Blocked Slot"
    __name__ = 'association.matchmaking.participant-blocked-slot'
    participant = fields.Many2One(
        'association.matchmaking.participant', "Participant", required=True,
        ondelete='CASCADE')
    slot = fields.Many2One(
        'association.matchmaking.slot', "Slot", required=True,
        ondelete='CASCADE')


class AgendaEmail(TemplateMixin, Report):
    "Speed Meeting Agenda E-mail"
    __name__ = 'association.matchmaking.agenda_email'


class Agenda(TemplateMixin, Report):
    "Speed Meeting Agenda"
    __name__ = 'association.matchmaking.agenda'


class TableGrid(TemplateMixin, Report):
    "Speed Meeting Table Grid"
    __name__ = 'association.matchmaking.table_grid'
