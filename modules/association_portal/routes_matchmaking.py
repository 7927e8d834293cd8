# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the portal for the speed meetings

A company publishes its solutions, a commune its needs.  In a speed meeting
it takes part in, the organisation browses the other side, sends meeting
requests, answers those it receives and reads its agenda.  Every record is
searched through the organisation of the web user: an id of another
organisation's record answers like an unknown one (404)."""
import re
from decimal import Decimal, InvalidOperation

from werkzeug.exceptions import NotFound

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.transaction import Transaction

from .exceptions import PortalFormError
from .matchmaking import MESSAGE_SIZE, OTHER_SIDE, organisation_side
from .page import download, parse_id, route
from .routes_organisation import theme_tree

EVENT = 'association.event'
PARTICIPANT = 'association.matchmaking.participant'
SOLUTION = 'association.matchmaking.solution'
NEED = 'association.matchmaking.need'
REQUEST = 'association.matchmaking.request'
MEETING = 'association.matchmaking.meeting'
REQUIRES = [EVENT, PARTICIPANT, SOLUTION, NEED, REQUEST, MEETING]
# The states of the events whose requests can still be answered
ANSWERABLE = ['draft', 'open', 'closed']
PRIORITIES = ['1', '2', '3']
BUDGET_HORIZONS = ['current_year', 'next_year', 'multi_year']


def _field_string(Model, name):
    "Return the translated label of the field"
    return Model.fields_get([name])[name]['string']


def _parse_integer(Model, name, value):
    value = value.strip().replace(' ', '').replace('\u202f', '')
    if not value:
        return None
    if not re.fullmatch(r'\d{1,12}', value):
        raise PortalFormError(gettext(
                'association_portal.msg_matchmaking_integer',
                value=value, field=_field_string(Model, name)))
    return int(value)


def _parse_amount(Model, name, value):
    typed = value.strip()
    value = typed.replace(' ', '').replace('\u202f', '').replace(',', '.')
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = None
    # The size first: 1e400 cannot be quantized
    if (amount is None or not amount.is_finite()
            or abs(amount) >= 10 ** 14
            or amount != amount.quantize(Decimal('0.01'))):
        raise PortalFormError(gettext(
                'association_portal.msg_matchmaking_amount',
                value=typed, field=_field_string(Model, name)))
    return amount


def _parse_themes(pool, form):
    "Return the ids and the themes chosen in the form"
    Theme = pool.get('association.theme')
    ids = {parse_id(i) for i in form.getlist('themes')}
    if None in ids:
        raise PortalFormError(gettext('association_portal.msg_theme_unknown'))
    themes = Theme.search([('id', 'in', list(ids))]) if ids else []
    if len(themes) != len(ids):
        raise PortalFormError(gettext('association_portal.msg_theme_unknown'))
    return ids, themes


def _side(page):
    "Return the side of the organisation or answer 404"
    side = organisation_side(page.organisation)
    if not side:
        raise NotFound()
    return side


def _joinable_domain():
    "The domain of the speed meetings an organisation can join now"
    return [
        ('kind', '=', 'speed_meeting'),
        ('registration_open', '=', True),
        ]


# The path's id of a participation of the organisation is its event's
PARTICIPATION = {'participant': (PARTICIPANT, 'event')}


def _offers(pool, parties, side):
    """Return the active solutions (of companies) or needs (of communes) of
    the parties by party id"""
    Solution = pool.get(SOLUTION)
    Need = pool.get(NEED)
    party_ids = [p.id for p in parties]
    result = {i: [] for i in party_ids}
    if not party_ids:
        return result
    if side == 'company':
        for solution in Solution.search(
                [('company', 'in', party_ids)],
                order=[('title', 'ASC'), ('id', 'ASC')]):
            result[solution.company.id].append(solution)
    else:
        for need in Need.search(
                [('commune', 'in', party_ids)], order=[('id', 'ASC')]):
            result[need.commune.id].append(need)
    return result


def _local(event, value):
    return event.local(value) if value else None


# Speed meetings

@route('/speed-meetings', requires=REQUIRES)
def speed_meetings(page):
    pool = page.pool
    Participant = pool.get(PARTICIPANT)
    Request = pool.get(REQUEST)
    Event = pool.get(EVENT)
    side = _side(page)
    page.section = 'matchmaking'
    participants = Participant.search([
            ('party', '=', page.organisation.id),
            ('event.kind', '=', 'speed_meeting'),
            ])
    participants.sort(key=lambda p: (p.event.start, p.id), reverse=True)
    pending = {p.id: 0 for p in participants}
    for request in Request.search([
                ('requested', 'in', list(pending)),
                ('state', '=', 'pending'),
                ]):
        pending[request.requested.id] += 1
    joinable = Event.search(
        _joinable_domain()
        + [('id', 'not in', [p.event.id for p in participants])],
        order=[('start', 'ASC'), ('id', 'ASC')])
    return page.render(
        'matchmaking/index.html', side=side,
        participants=[(p, p.event, pending[p.id], len(p.meetings))
            for p in participants],
        joinable=joinable, local=_local,
        notice=page.request.args.get('notice'))


@route('/speed-meetings/<id:event>/join', methods=['POST'],
    requires=REQUIRES, records={'event': EVENT})
def speed_meeting_join(page, event):
    pool = page.pool
    Participant = pool.get(PARTICIPANT)
    organisation = page.organisation
    if (event.kind != 'speed_meeting'
            or event.state not in {'open', 'closed'}):
        raise NotFound()
    if Participant.search([
                ('event', '=', event.id),
                ('party', '=', organisation.id),
                ], limit=1):
        return page.redirect('/speed-meetings/%d' % event.id)
    side = organisation_side(organisation)
    if not side:
        raise PortalFormError(gettext(
                'association_portal.msg_matchmaking_no_side'))
    if not event.registration_open:
        raise PortalFormError(gettext(
                'association_portal.msg_matchmaking_join_closed',
                event=event.rec_name))
    user = page.user
    contact = user.party
    if contact and contact.kind != 'person':
        contact = None
    participant = Participant(
        event=event, party=organisation, side=side,
        contact=contact, email=user.email,
        maximum=event.meeting_maximum)
    participant.save()
    return page.redirect('/speed-meetings/%d' % event.id, notice='joined')


@route('/speed-meetings/<id:participant>', requires=REQUIRES,
    records=PARTICIPATION)
def speed_meeting(page, participant):
    pool = page.pool
    Participant = pool.get(PARTICIPANT)
    Request = pool.get(REQUEST)
    page.section = 'matchmaking'
    event = participant.event
    other_side = OTHER_SIDE[participant.side]
    others = Participant.search([
            ('event', '=', event.id),
            ('side', '=', other_side),
            ])
    offers = _offers(pool, [o.party for o in others], other_side)
    theme = parse_id(page.request.args.get('theme'))
    themes = {}
    for party_offers in offers.values():
        for offer in party_offers:
            for t in offer.themes:
                themes[t.id] = t
    if theme is not None:
        others = [o for o in others
            if any(theme in {t.id for t in offer.themes}
                for offer in offers[o.party.id])]
    others.sort(key=lambda o: (o.party.name or '', o.id))
    sent = {r.requested.id: r for r in Request.search([
                ('requester', '=', participant.id),
                ])}
    received = {r.requester.id: r for r in Request.search([
                ('requested', '=', participant.id),
                ])}
    suggested = {p.id for p in participant.suggestions}
    return page.render(
        'matchmaking/event.html',
        participant=participant, event=event, local=_local,
        others=others, offers=offers, sent=sent, received=received,
        suggested=suggested, theme=theme,
        themes=sorted(themes.values(), key=lambda t: t.name or ''),
        notice=page.request.args.get('notice'))


# Meeting requests

def _render_participant(
        page, participant, other, status=200, errors=None, form=None):
    pool = page.pool
    Request = pool.get(REQUEST)
    page.section = 'matchmaking'
    if form is None:
        form = {'priority': '2', 'message': '', 'solution': None,
            'need': None}
    own_offers = _offers(pool, [participant.party], participant.side)
    other_offers = _offers(pool, [other.party], other.side)
    if participant.side == 'company':
        solutions = own_offers[participant.party.id]
        needs = other_offers[other.party.id]
    else:
        solutions = other_offers[other.party.id]
        needs = own_offers[participant.party.id]
    sent = Request.search([
            ('requester', '=', participant.id),
            ('requested', '=', other.id),
            ], limit=1)
    received = Request.search([
            ('requester', '=', other.id),
            ('requested', '=', participant.id),
            ], limit=1)
    return page.render(
        'matchmaking/participant.html', status=status,
        participant=participant, event=participant.event, other=other,
        offers=other_offers[other.party.id],
        solutions=solutions, needs=needs,
        sent=sent[0] if sent else None,
        received=received[0] if received else None,
        form=form, errors=errors or [], message_size=MESSAGE_SIZE)


@route('/speed-meetings/<id:participant>/participants/<id:other>',
    requires=REQUIRES,
    records=dict(PARTICIPATION, other='counterpart'))
def speed_meeting_participant(page, participant, other):
    if other.event != participant.event:
        raise NotFound()
    return _render_participant(page, participant, other)


@route('/speed-meetings/<id:participant>/requests', methods=['POST'],
    requires=REQUIRES, records=PARTICIPATION)
def request_create(page, participant):
    pool = page.pool
    Participant = pool.get(PARTICIPANT)
    Request = pool.get(REQUEST)
    Solution = pool.get(SOLUTION)
    Need = pool.get(NEED)
    event = participant.event
    form = page.request.form
    # A participant of the same side is not offered: unknown as any other
    other = page.record('counterpart', parse_id(form.get('requested')))
    if other.event != event:
        raise NotFound()
    submitted = {
        'priority': form.get('priority', '2'),
        'message': form.get('message', '').strip(),
        'solution': parse_id(form.get('solution')),
        'need': parse_id(form.get('need')),
        }
    try:
        if submitted['priority'] not in PRIORITIES:
            raise PortalFormError(gettext(
                    'association_portal.msg_matchmaking_priority'))
        request = Request(
            event=event, requester=participant, requested=other,
            priority=submitted['priority'],
            message=submitted['message'] or None)
        sides = {p.side: p.party for p in [participant, other]}
        if form.get('solution'):
            solutions = Solution.search([
                    ('id', '=', submitted['solution']),
                    ('company', '=', sides['company'].id),
                    ], limit=1) if submitted['solution'] else []
            if not solutions:
                raise PortalFormError(gettext(
                        'association_portal'
                        '.msg_matchmaking_solution_unknown'))
            request.solution, = solutions
        if form.get('need'):
            needs = Need.search([
                    ('id', '=', submitted['need']),
                    ('commune', '=', sides['commune'].id),
                    ], limit=1) if submitted['need'] else []
            if not needs:
                raise PortalFormError(gettext(
                        'association_portal.msg_matchmaking_need_unknown'))
            request.need, = needs
        request.save()
    except UserError as exception:
        Transaction().rollback()
        return _render_participant(
            page, Participant(participant.id), Participant(other.id),
            status=400, errors=[exception.message], form=submitted)
    return page.redirect(
        '/speed-meetings/%d/requests' % event.id, notice='request_sent')


@route('/speed-meetings/<id:participant>/requests', requires=REQUIRES,
    records=PARTICIPATION)
def requests(page, participant):
    pool = page.pool
    Request = pool.get(REQUEST)
    page.section = 'matchmaking'
    order = [('id', 'DESC')]
    received = Request.search([('requested', '=', participant.id)],
        order=order)
    sent = Request.search([('requester', '=', participant.id)], order=order)
    return page.render(
        'matchmaking/requests.html',
        participant=participant, event=participant.event,
        received=received, sent=sent,
        answerable=participant.event.state in ANSWERABLE,
        notice=page.request.args.get('notice'))


def _check_answerable(page, request):
    "Check that the organisation can answer the request (or answer 404)"
    if request.requested.party != page.organisation:
        raise NotFound()
    if request.event.state not in ANSWERABLE:
        raise PortalFormError(gettext(
                'association_portal.msg_matchmaking_answer_closed',
                event=request.event.rec_name))


@route('/speed-meetings/requests/<id:meeting_request>/accept',
    methods=['POST'], requires=REQUIRES,
    records={'meeting_request': REQUEST})
def request_accept(page, meeting_request):
    # (The endpoint's argument request is werkzeug's request)
    request = meeting_request
    Request = page.pool.get(REQUEST)
    _check_answerable(page, request)
    Request.accept([request])
    return page.redirect(
        '/speed-meetings/%d/requests' % request.event.id, notice='accepted')


@route('/speed-meetings/requests/<id:meeting_request>/decline',
    methods=['POST'], requires=REQUIRES,
    records={'meeting_request': REQUEST})
def request_decline(page, meeting_request):
    # (The endpoint's argument request is werkzeug's request)
    request = meeting_request
    Request = page.pool.get(REQUEST)
    _check_answerable(page, request)
    Request.decline([request])
    return page.redirect(
        '/speed-meetings/%d/requests' % request.event.id, notice='declined')


@route('/speed-meetings/requests/<id:meeting_request>/withdraw',
    methods=['POST'], requires=REQUIRES,
    records={'meeting_request': REQUEST})
def request_withdraw(page, meeting_request):
    # (The endpoint's argument request is werkzeug's request)
    request = meeting_request
    Request = page.pool.get(REQUEST)
    if request.requester.party != page.organisation:
        raise NotFound()
    event = request.event
    if request.state != 'pending':
        raise PortalFormError(gettext(
                'association_portal.msg_matchmaking_withdraw_answered',
                party=request.requested.rec_name))
    Request.delete([request])
    return page.redirect(
        '/speed-meetings/%d/requests' % event.id,
        notice='withdrawn_request')


# Agenda

@route('/speed-meetings/<id:participant>/agenda', requires=REQUIRES,
    records=PARTICIPATION)
def agenda(page, participant):
    page.section = 'matchmaking'
    event = participant.event
    meetings = [(m, m.other(participant)) for m in participant.meetings]
    return page.render(
        'matchmaking/agenda.html',
        participant=participant, event=event, meetings=meetings,
        local=_local)


@route('/speed-meetings/<id:participant>/agenda.ics', requires=REQUIRES,
    records=PARTICIPATION)
def agenda_ics(page, participant):
    return download(
        participant.get_ics(), 'agenda-%d.ics' % participant.event.id,
        'text/calendar; charset=utf-8')


@route('/speed-meetings/<id:participant>/agenda.pdf', requires=REQUIRES,
    records=PARTICIPATION)
def agenda_pdf(page, participant):
    Agenda = page.pool.get('association.matchmaking.agenda', type='report')
    extension, data, _, _ = Agenda.execute([participant.id], {})
    if extension != 'pdf':
        raise NotFound()
    return download(
        data, 'agenda-%d.pdf' % participant.event.id, 'application/pdf')


@route('/speed-meetings/meetings/<id:meeting>.ics', requires=REQUIRES,
    records={'meeting': MEETING})
def meeting_ics(page, meeting):
    organisation = page.organisation
    request = meeting.request
    if request.requester.party == organisation:
        participant = request.requester
    else:
        participant = request.requested
    return download(
        meeting.get_ics(participant), 'rendez-vous-%d.ics' % meeting.id,
        'text/calendar; charset=utf-8')


# Solutions and needs

class _Offers:
    "The pages of the solutions of a company or the needs of a commune"
    side = None
    model = None
    owner = None
    path = None
    template = None
    notices = {}

    @classmethod
    def records(cls, page):
        Model = page.pool.get(cls.model)
        with Transaction().set_context(active_test=False):
            return Model.search([
                    (cls.owner, '=', page.organisation.id),
                    ], order=[('active', 'DESC'), ('id', 'DESC')])

    @classmethod
    def check_side(cls, page):
        if organisation_side(page.organisation) != cls.side:
            raise NotFound()

    @classmethod
    def form(cls, record):
        raise NotImplementedError

    @classmethod
    def set(cls, page, record, form):
        "Set the values of the form on the record"
        raise NotImplementedError

    @classmethod
    def render_list(cls, page):
        page.section = 'matchmaking'
        return page.render(
            cls.template + 's.html', records=cls.records(page),
            notice=page.request.args.get('notice'))

    @classmethod
    def render_form(cls, page, record, form=None, status=200, errors=None):
        page.section = 'matchmaking'
        return page.render(
            cls.template + '.html', status=status, record=record,
            form=form if form is not None else cls.form(record),
            themes=theme_tree(page.pool), errors=errors or [],
            notice=page.request.args.get('notice'))

    @classmethod
    def save(cls, page, record):
        try:
            cls.set(page, record, page.request.form)
            record.save()
        except UserError as exception:
            Transaction().rollback()
            submitted = cls.submitted(page.request.form)
            if record.id is not None and record.id >= 0:
                record = page.record(cls.model, record.id)
            else:
                record = None
            return cls.render_form(
                page, record, form=submitted, status=400,
                errors=[exception.message])
        return page.redirect(
            '%s/%d' % (cls.path, record.id), notice='saved')

    @classmethod
    def submitted(cls, form):
        "Return the values typed in the form to show them again"
        values = {k: form.get(k, '') for k in cls.fields}
        values['themes'] = {i for i in map(parse_id, form.getlist('themes'))
            if i}
        return values

    @classmethod
    def set_active(cls, page, record, active):
        Model = page.pool.get(cls.model)
        Model.write([record], {'active': active})
        return page.redirect(
            cls.path, notice='published' if active else 'withdrawn')


class _Solutions(_Offers):
    side = 'company'
    model = SOLUTION
    owner = 'company'
    path = '/speed-meetings/solutions'
    template = 'matchmaking/solution'
    fields = ['title', 'description', 'population_min', 'population_max',
        'price_min', 'price_max', 'references']

    @classmethod
    def form(cls, record):
        if record is None:
            values = {k: '' for k in cls.fields}
            values['themes'] = set()
            return values
        values = {}
        for name in cls.fields:
            value = getattr(record, name)
            values[name] = '' if value is None else str(value)
        values['themes'] = {t.id for t in record.themes}
        return values

    @classmethod
    def set(cls, page, record, form):
        Solution = page.pool.get(SOLUTION)
        _, themes = _parse_themes(page.pool, form)
        record.title = form.get('title', '').strip() or None
        record.description = form.get('description', '').strip() or None
        record.references = form.get('references', '').strip() or None
        for name in ['population_min', 'population_max']:
            setattr(record, name, _parse_integer(
                    Solution, name, form.get(name, '')))
        for name in ['price_min', 'price_max']:
            setattr(record, name, _parse_amount(
                    Solution, name, form.get(name, '')))
        record.themes = themes


class _Needs(_Offers):
    side = 'commune'
    model = NEED
    owner = 'commune'
    path = '/speed-meetings/needs'
    template = 'matchmaking/need'
    fields = ['description', 'budget_horizon']

    @classmethod
    def form(cls, record):
        if record is None:
            return {'description': '', 'budget_horizon': '',
                'themes': set()}
        return {
            'description': record.description or '',
            'budget_horizon': record.budget_horizon or '',
            'themes': {t.id for t in record.themes},
            }

    @classmethod
    def set(cls, page, record, form):
        _, themes = _parse_themes(page.pool, form)
        horizon = form.get('budget_horizon', '')
        if horizon and horizon not in BUDGET_HORIZONS:
            raise PortalFormError(gettext(
                    'association_portal.msg_matchmaking_budget_horizon'))
        record.description = form.get('description', '').strip() or None
        record.budget_horizon = horizon or None
        record.themes = themes


def _declare(offers, name):
    "Declare the routes of the solutions or the needs"

    def listing(page):
        offers.check_side(page)
        return offers.render_list(page)

    def new(page):
        offers.check_side(page)
        return offers.render_form(page, None)

    def create(page):
        offers.check_side(page)
        Model = page.pool.get(offers.model)
        record = Model(**{offers.owner: page.organisation.id})
        return offers.save(page, record)

    def edit(page, record):
        offers.check_side(page)
        return offers.render_form(page, record)

    def update(page, record):
        offers.check_side(page)
        return offers.save(page, record)

    def withdraw(page, record):
        offers.check_side(page)
        return offers.set_active(page, record, False)

    def publish(page, record):
        offers.check_side(page)
        return offers.set_active(page, record, True)

    path = offers.path
    for func, suffix, methods in [
            (listing, '', ['GET']),
            (new, '/new', ['GET']),
            (create, '', ['POST']),
            (edit, '/<id:record>', ['GET']),
            (update, '/<id:record>', ['POST']),
            (withdraw, '/<id:record>/withdraw', ['POST']),
            (publish, '/<id:record>/publish', ['POST']),
            ]:
        func.__name__ = func.__qualname__ = '%s_%s' % (name, func.__name__)
        records = {'record': offers.model} if '<id:' in suffix else None
        route(
            path + suffix, methods=methods, requires=REQUIRES,
            records=records)(func)


_declare(_Solutions, 'solution')
_declare(_Needs, 'need')
