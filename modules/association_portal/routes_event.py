# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the portal for the events and commissions

The events an organisation sees are those open to its registrations and
those it has registrations to; its registrations are those made for it
(their organisation); its commissions those where it, or one of its
persons, is a member in office.  Any other id answers 404."""
import mimetypes
import re

from werkzeug.exceptions import NotFound

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.modules.association_event.registration import CANCELLABLE
from trytond.transaction import Transaction

from .event import (
    now, open_events_domain, organisation_commission_ids,
    organisation_commission_members, organisation_person_ids,
    organisation_persons, upcoming_events_domain)
from .exceptions import PortalFormError
from .page import EMAIL, download, parse_id, route

# The types of minutes served as they are; any other is downloaded as bytes
MINUTES_TYPES = {
    'application/pdf',
    'application/vnd.oasis.opendocument.text',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/msword',
    'text/plain',
    }
EVENT_MODELS = ['association.event', 'association.event.registration']
COMMISSION_MODELS = ['association.commission']


def _filename(text):
    "Return the text as a file name"
    return '-'.join(re.findall(r'\w+', text or '')) or 'document'


@route('/events', requires=EVENT_MODELS)
def events(page):
    Event = page.pool.get('association.event')
    page.section = 'events'
    events = Event.search(
        upcoming_events_domain(page.organisation),
        order=[('start', 'ASC'), ('id', 'ASC')])
    return page.render('event/list.html', events=events)


def _render_event(page, event, status=200, errors=None, form=None):
    pool = page.pool
    Event = pool.get('association.event')
    Registration = pool.get('association.event.registration')
    page.section = 'events'
    organisation = page.organisation
    registrations = Registration.search([
            ('event', '=', event.id),
            ('organisation', '=', organisation.id),
            ], order=[('id', 'ASC')])
    registrable = bool(Event.search([
                ('id', '=', event.id),
                open_events_domain(organisation),
                ], limit=1))
    registered = {
        r.person.id for r in registrations if r.state != 'cancelled'}
    persons = []
    if registrable:
        persons = [
            p for p in organisation_persons(organisation)
            if p.id not in registered]
    if form is None:
        form = {'persons': set(), 'name': '', 'email': ''}
    return page.render(
        'event/detail.html', status=status,
        event=event,
        registrations=registrations,
        registrable=registrable,
        persons=persons,
        form=form,
        errors=errors or [],
        notice=page.request.args.get('notice'))


@route('/events/<id:event>', requires=EVENT_MODELS,
    records={'event': 'association.event'})
def event(page, event):
    return _render_event(page, event)


def _new_person(page, name, email, persons):
    """Return the person of the organisation with the e-mail address or a
    new person (saved)"""
    pool = page.pool
    Party = pool.get('party.party')
    if not name:
        raise PortalFormError(gettext(
                'association_portal.msg_event_person_name'))
    if not EMAIL.match(email):
        raise PortalFormError(gettext(
                'association_portal.msg_event_person_email', value=email))
    for person in persons:
        if person.email and person.email.lower() == email.lower():
            return person
    person = Party(
        name=name, kind='person',
        contact_mechanisms=[{'type': 'email', 'value': email}])
    person.save()
    return person


@route('/events/<id:event>/register', methods=['POST'],
    requires=EVENT_MODELS, records={'event': 'association.event'})
def event_register(page, event):
    pool = page.pool
    Event = pool.get('association.event')
    Registration = pool.get('association.event.registration')
    Party = pool.get('party.party')
    organisation = page.organisation
    request = page.request
    name = ' '.join(request.form.get('name', '').split())
    email = request.form.get('email', '').strip()
    ids = {parse_id(i) for i in request.form.getlist('persons')}
    if None in ids:
        raise NotFound()
    # Only the persons of the organisation: any other id is unknown
    known = organisation_person_ids(organisation)
    if not ids <= known:
        raise NotFound()
    form = {'persons': ids, 'name': name, 'email': email}
    try:
        persons = Party.browse(sorted(ids))
        if name or email:
            persons.append(_new_person(
                    page, name, email,
                    Party.browse(sorted(known))))
        if not persons:
            raise PortalFormError(gettext(
                    'association_portal.msg_event_no_person'))
        # The rule of the event, which the registrations check too
        refusal = event.registration_refusal('portal')
        if refusal:
            raise PortalFormError(refusal)
        registrations = []
        for person in dict.fromkeys(persons):
            registration = Registration(
                event=event, organisation=organisation, origin='portal',
                person=person, role=Registration.default_role())
            registration.on_change_person()
            registrations.append(registration)
        Registration.save(registrations)
    except UserError as exception:
        Transaction().rollback()
        return _render_event(
            page, Event(event.id), status=400,
            errors=[exception.message], form=form)
    waiting = any(r.state == 'waiting' for r in registrations)
    return page.redirect(
        '/events/%d' % event.id,
        notice='waiting' if waiting else 'registered')


@route('/registrations', requires=EVENT_MODELS)
def registrations(page):
    Registration = page.pool.get('association.event.registration')
    page.section = 'registrations'
    registrations = Registration.search([
            ('organisation', '=', page.organisation.id),
            ], order=[('event.start', 'ASC'), ('id', 'ASC')])
    time = now()
    coming = [r for r in registrations if r.event.end >= time]
    past = [r for r in reversed(registrations) if r.event.end < time]
    return page.render(
        'event/registrations.html',
        coming=coming, past=past,
        notice=page.request.args.get('notice'))


@route('/registrations/<id:registration>/cancel', methods=['POST'],
    requires=EVENT_MODELS,
    records={'registration': 'association.event.registration'})
def registration_cancel(page, registration):
    Registration = page.pool.get('association.event.registration')
    event = registration.event
    if registration.state not in CANCELLABLE:
        raise PortalFormError(gettext(
                'association_portal.msg_event_cancel_state',
                person=registration.person.rec_name,
                event=event.rec_name,
                state=registration.state_string))
    if not registration.cancellable:
        raise PortalFormError(gettext(
                'association_portal.msg_event_cancel_started',
                person=registration.person.rec_name,
                event=event.rec_name))
    Registration.cancel([registration])
    next_ = page.safe_next(page.request.form.get('next'))
    if next_ not in {'/registrations', '/events/%d' % event.id}:
        next_ = '/registrations'
    return page.redirect(next_, notice='cancelled')


@route('/registrations/<id:registration>/badge.pdf',
    requires=EVENT_MODELS,
    records={'registration': 'association.event.registration'})
def registration_badge(page, registration):
    pool = page.pool
    Badge = pool.get('association.event.registration.badge', type='report')
    if not registration.badge_printable:
        raise NotFound()
    extension, data, _, _ = Badge.execute([registration.id], {})
    return download(
        data, 'badge-%s.%s' % (_filename(registration.person.name), extension),
        'application/pdf')


@route('/registrations/<id:registration>/calendar.ics',
    requires=EVENT_MODELS,
    records={'registration': 'association.event.registration'})
def registration_calendar(page, registration):
    if registration.state == 'cancelled':
        raise NotFound()
    return download(
        registration.get_ics(), '%s.ics' % _filename(registration.event.name),
        'text/calendar; charset=utf-8')


def _commissions(page):
    """Return the commissions of the organisation with the members in
    office who sit for it"""
    members = organisation_commission_members(page.organisation)
    commissions = {}
    for member in members:
        commissions.setdefault(member.commission, []).append(member)
    return commissions


@route('/commissions', requires=COMMISSION_MODELS)
def commissions(page):
    Event = page.pool.get('association.event')
    page.section = 'commissions'
    commissions = _commissions(page)
    coming = Event.search([
            ('commission', 'in', [c.id for c in commissions]),
            ('state', 'in', ['open', 'closed']),
            ('end', '>=', now()),
            ], order=[('start', 'ASC'), ('id', 'ASC')])
    next_sittings = {}
    for sitting in coming:
        next_sittings.setdefault(sitting.commission, sitting)
    return page.render(
        'commission/list.html',
        commissions=sorted(
            commissions.items(), key=lambda c: (c[0].name, c[0].id)),
        next_sittings=next_sittings)


def _sittings(page, commission):
    "Return the sittings of the commission, the latest first"
    Event = page.pool.get('association.event')
    return Event.search([
            ('commission', '=', commission.id),
            ('kind', '=', 'committee_meeting'),
            ('state', '!=', 'draft'),
            ], order=[('start', 'DESC'), ('id', 'DESC')])


@route('/commissions/<id:commission>', requires=COMMISSION_MODELS,
    records={'commission': 'association.commission'})
def commission(page, commission):
    page.section = 'commissions'
    members = _commissions(page)[commission]
    sittings = _sittings(page, commission)
    time = now()
    return page.render(
        'commission/detail.html',
        commission=commission,
        members=members,
        coming=[s for s in reversed(sittings) if s.end >= time],
        past=[s for s in sittings if s.end < time])


@route('/commissions/sittings/<id:sitting>/minutes',
    requires=COMMISSION_MODELS, records={'sitting': 'association.event'})
def commission_minutes(page, sitting):
    # Only the sittings of the commissions it sits in today
    if (sitting.kind != 'committee_meeting' or not sitting.commission
            or sitting.commission.id not in organisation_commission_ids(
                page.organisation)
            or sitting.state == 'draft' or not sitting.minutes):
        raise NotFound()
    filename = sitting.minutes_filename or (
        'compte-rendu-%s' % _filename(sitting.rec_name))
    content_type, _ = mimetypes.guess_type(filename)
    if content_type not in MINUTES_TYPES:
        content_type = 'application/octet-stream'
    elif content_type == 'text/plain':
        content_type = 'text/plain; charset=utf-8'
    return download(sitting.minutes, filename, content_type)
