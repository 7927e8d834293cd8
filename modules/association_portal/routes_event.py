# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the portal for the events and committees

The events an organisation sees are those open to its registrations and
those it has registrations to; its registrations are those made for it
(their organisation); its commissions those where it, or one of its
persons, is a member in office.  Any other id answers 404."""
import mimetypes
import re
import urllib.parse

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction
from werkzeug.exceptions import NotFound

from .event import (
    BADGE_STATES, CANCELLABLE, now, open_events_domain,
    organisation_commission_members, organisation_person_ids,
    organisation_persons, visible_events_domain)
from .page import parse_id, route

# A light check: the address is checked for real when mail is sent to it
EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
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


def _event(page, event_id):
    "Return the event the organisation sees or raise 404"
    Event = page.pool.get('association.event')
    events = Event.search([
            ('id', '=', event_id),
            visible_events_domain(page.organisation),
            ], limit=1)
    if not events:
        raise NotFound()
    event, = events
    return event


def _registration(page, registration_id, states=None):
    "Return the registration of the organisation or raise 404"
    Registration = page.pool.get('association.event.registration')
    domain = [
        ('id', '=', registration_id),
        ('organisation', '=', page.organisation.id),
        ]
    if states is not None:
        domain.append(('state', 'in', states))
    registrations = Registration.search(domain, limit=1)
    if not registrations:
        raise NotFound()
    registration, = registrations
    return registration


def _download(data, content_type, filename):
    response = Response(bytes(data), content_type=content_type)
    response.headers['Content-Disposition'] = (
        "attachment; filename*=UTF-8''%s"
        % urllib.parse.quote(filename, safe=''))
    response.headers['Cache-Control'] = 'private, no-store'
    return response


def _filename(text):
    "Return the text as a file name"
    return '-'.join(re.findall(r'\w+', text or '')) or 'document'


@route('/events', requires=EVENT_MODELS)
def events(page):
    Event = page.pool.get('association.event')
    page.section = 'events'
    events = Event.search(
        open_events_domain(page.organisation),
        order=[('start', 'ASC'), ('id', 'ASC')])
    return page.render('event_list.html', events=events)


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
        'event_detail.html', status=status,
        event=event,
        registrations=registrations,
        registrable=registrable,
        persons=persons,
        form=form,
        errors=errors or [],
        cancellable=CANCELLABLE,
        badge_states=BADGE_STATES,
        now=now(),
        notice=page.request.args.get('notice'))


@route('/events/<id:event>', requires=EVENT_MODELS)
def event(page, event):
    return _render_event(page, _event(page, event))


def _new_person(page, name, email, persons):
    """Return the person of the organisation with the e-mail address or a
    new person (saved)"""
    pool = page.pool
    Party = pool.get('party.party')
    if not name:
        raise UserError(gettext('association_portal.msg_event_person_name'))
    if not EMAIL.match(email):
        raise UserError(gettext(
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
    requires=EVENT_MODELS)
def event_register(page, event):
    pool = page.pool
    Registration = pool.get('association.event.registration')
    Party = pool.get('party.party')
    event = _event(page, event)
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
            raise UserError(gettext(
                    'association_portal.msg_event_no_person'))
        if event.start <= now():
            raise UserError(gettext(
                    'association_event.msg_registration_closed',
                    event=event.rec_name))
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
            page, _event(page, event.id), status=400,
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
        'event_registrations.html',
        coming=coming, past=past,
        cancellable=CANCELLABLE,
        badge_states=BADGE_STATES,
        now=time,
        notice=page.request.args.get('notice'))


@route('/registrations/<id:registration>/cancel', methods=['POST'],
    requires=EVENT_MODELS)
def registration_cancel(page, registration):
    Registration = page.pool.get('association.event.registration')
    registration = _registration(page, registration)
    event = registration.event
    if registration.state not in CANCELLABLE:
        raise UserError(gettext(
                'association_portal.msg_event_cancel_state',
                person=registration.person.rec_name,
                event=event.rec_name,
                state=registration.state_string))
    if event.start <= now():
        raise UserError(gettext(
                'association_portal.msg_event_cancel_started',
                person=registration.person.rec_name,
                event=event.rec_name))
    Registration.cancel([registration])
    next_ = page.safe_next(page.request.form.get('next'))
    if next_ not in {'/registrations', '/events/%d' % event.id}:
        next_ = '/registrations'
    return page.redirect(next_, notice='cancelled')


@route('/registrations/<id:registration>/badge.pdf',
    requires=EVENT_MODELS)
def registration_badge(page, registration):
    pool = page.pool
    Badge = pool.get('association.event.registration.badge', type='report')
    registration = _registration(page, registration, states=BADGE_STATES)
    if registration.event.state == 'cancelled':
        raise NotFound()
    extension, data, _, _ = Badge.execute([registration.id], {})
    return _download(
        data, 'application/pdf',
        'badge-%s.%s' % (_filename(registration.person.name), extension))


@route('/registrations/<id:registration>/calendar.ics',
    requires=EVENT_MODELS)
def registration_calendar(page, registration):
    registration = _registration(
        page, registration, states=CANCELLABLE + ['attended', 'absent'])
    return _download(
        registration.get_ics(), 'text/calendar; charset=utf-8',
        '%s.ics' % _filename(registration.event.name))


def _commissions(page):
    """Return the commissions of the organisation with the members in
    office who sit for it"""
    members = organisation_commission_members(page.organisation)
    commissions = {}
    for member in members:
        commissions.setdefault(member.commission, []).append(member)
    return commissions


@route('/committees', requires=COMMISSION_MODELS)
def committees(page):
    Event = page.pool.get('association.event')
    page.section = 'committees'
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
        'committee_list.html',
        commissions=sorted(
            commissions.items(), key=lambda c: (c[0].name, c[0].id)),
        next_sittings=next_sittings)


def _sittings(page, commission_ids, sitting_id=None):
    Event = page.pool.get('association.event')
    domain = [
        ('commission', 'in', commission_ids),
        ('kind', '=', 'committee_meeting'),
        ('state', '!=', 'draft'),
        ]
    if sitting_id is not None:
        domain.append(('id', '=', sitting_id))
    return Event.search(domain, order=[('start', 'DESC'), ('id', 'DESC')])


@route('/committees/<id:commission>', requires=COMMISSION_MODELS)
def committee(page, commission):
    page.section = 'committees'
    commissions = _commissions(page)
    for record, members in commissions.items():
        if record.id == commission:
            break
    else:
        raise NotFound()
    sittings = _sittings(page, [record.id])
    time = now()
    return page.render(
        'committee_detail.html',
        commission=record,
        members=members,
        coming=[s for s in reversed(sittings) if s.end >= time],
        past=[s for s in sittings if s.end < time])


@route('/committees/sittings/<id:sitting>/minutes',
    requires=COMMISSION_MODELS)
def committee_minutes(page, sitting):
    commissions = _commissions(page)
    sittings = _sittings(
        page, [c.id for c in commissions], sitting_id=sitting)
    if not sittings or not sittings[0].minutes:
        raise NotFound()
    sitting, = sittings
    filename = sitting.minutes_filename or (
        'compte-rendu-%s' % _filename(sitting.rec_name))
    content_type, _ = mimetypes.guess_type(filename)
    if content_type not in MINUTES_TYPES:
        content_type = 'application/octet-stream'
    elif content_type == 'text/plain':
        content_type = 'text/plain; charset=utf-8'
    return _download(sitting.minutes, content_type, filename)
