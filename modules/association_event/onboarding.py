# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.association.mandate import OFFICES
from trytond.pool import Pool
from trytond.pyson import PYSONEncoder
from trytond.tools import grouped_slice
from trytond.wizard import Button, StateAction, StateView, Wizard

from .event import SLICE
from .exceptions import OnboardingError

OFFICE_ORDER = {o: i for i, (o, _) in enumerate(OFFICES)}


class OnboardingInviteStart(ModelView):
    "Onboarding Invitation"
    __name__ = 'association.event.onboarding.invite.start'

    event = fields.Many2One(
        'association.event', "Workshop", required=True,
        domain=[
            ('state', 'in', ['draft', 'open']),
            ],
        help="The onboarding workshop the officials are invited to.")
    date = fields.Date(
        "Mandates Started from", required=True,
        help="Invite the officials whose mandate started on or after "
        "this date.")
    offices = fields.MultiSelection(
        OFFICES, "Offices",
        help="Leave empty to invite the holders of every office.")
    send_email = fields.Boolean(
        "Send Invitations",
        help="Send each official the invitation e-mail with the link "
        "to accept it and the calendar invitation.")

    @classmethod
    def default_send_email(cls):
        return True


class OnboardingInvite(Wizard):
    "Onboarding Invitation"
    __name__ = 'association.event.onboarding.invite'

    start = StateView(
        'association.event.onboarding.invite.start',
        'association_event.onboarding_invite_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Invite", 'invite', 'tryton-ok', default=True),
            ])
    invite = StateAction('association_event.act_registration_form')

    def default_start(self, fields):
        pool = Pool()
        Event = pool.get('association.event')
        if self.model and self.model.__name__ == 'association.event':
            event = Event(self.record.id) if self.record else None
            if event and event.state in {'draft', 'open'}:
                return {'event': event.id}
        return {}

    def do_invite(self, action):
        pool = Pool()
        Registration = pool.get('association.event.registration')
        registrations = invite_officials(
            self.start.event, self.start.date, self.start.offices)
        if self.start.send_email:
            Registration.send_invitation(registrations)
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', 'in', [r.id for r in registrations])])
        return action, {}


def invite_officials(event, date, offices=None):
    """Invite to the event the officials whose mandate started on or after
    the date

    The invitations take no seat until accepted; nobody already invited or
    registered is invited again; each official comes for the authority of
    the first of their new offices."""
    pool = Pool()
    Mandate = pool.get('association.mandate')
    Registration = pool.get('association.event.registration')
    if event.state not in {'draft', 'open'}:
        raise OnboardingError(gettext(
                'association_event.msg_onboarding_event_state',
                event=event.rec_name))
    domain = [
        ('start_date', '>=', date),
        ['OR',
            ('end_date', '=', None),
            ('end_date', '>=', event.local(event.start).date()),
            ],
        ('person.active', '=', True),
        ]
    if offices:
        domain.append(('office', 'in', list(offices)))
    officials = {}
    for mandate in Mandate.search(domain):
        current = officials.get(mandate.person)
        if (current is None
                or OFFICE_ORDER[mandate.office]
                < OFFICE_ORDER[current.office]):
            officials[mandate.person] = mandate
    registered = set()
    for sub_persons in grouped_slice(list(officials), count=SLICE):
        for registration in Registration.search([
                    ('event', '=', event.id),
                    ('person', 'in', [p.id for p in sub_persons]),
                    ('state', '!=', 'cancelled'),
                    ]):
            registered.add(registration.person)
    registrations = []
    for person, mandate in sorted(
            officials.items(), key=lambda i: i[0].name):
        if person in registered:
            continue
        registrations.append(Registration(
                event=event,
                person=person,
                organisation=mandate.authority,
                role='elected_official',
                email=person.email,
                state='invited'))
    Registration.save(registrations)
    return registrations
