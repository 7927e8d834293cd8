# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The page where an invited person answers the invitation of the e-mail

The token of the link is the person's key: the page asks to accept or to
decline (a link opened by a mail scanner changes nothing), the answer is
posted back."""
from html import escape

from werkzeug.exceptions import NotFound

from trytond.i18n import gettext
from trytond.modules.association.tools import format_period, public_page
from trytond.pool import Pool
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from .exceptions import InvitationError


@app.route(
    '/<database_name>/association_event/invitation/<token>',
    methods=['GET', 'POST'])
@with_pool
@with_transaction()
def invitation(request, pool, token):
    try:
        Registration = pool.get('association.event.registration')
    except KeyError:
        raise NotFound()
    Lang = Pool().get('ir.lang')
    registrations = Registration.search([
            ('invitation_token', '=', token),
            ], limit=1)
    if not registrations:
        with Transaction().set_context(language='fr'):
            message = gettext('association_event.msg_invitation_unknown')
        return public_page(message, '', status=404)
    registration, = registrations
    language = registration.person.document_language
    with Transaction().set_context(language=language):
        registration = Registration(registration.id)
        event = registration.event
        title = event.name
        if request.method == 'POST':
            answer = request.form.get('answer')
            if answer not in {'accept', 'decline'}:
                raise NotFound()
            try:
                Registration.answer_invitation(token, answer == 'accept')
            except InvitationError as exception:
                Transaction().rollback()
                return public_page(title,
                    f'<p>{escape(exception.message)}</p>', lang=language,
                    status=400)
            registration = Registration(registration.id)
        key = {
            'invited': 'msg_invitation_page',
            'registered': 'msg_invitation_accepted',
            'confirmed': 'msg_invitation_accepted',
            'waiting': 'msg_invitation_waiting',
            'cancelled': 'msg_invitation_declined',
            }.get(registration.state, 'msg_invitation_accepted')
        text = gettext('association_event.' + key,
            person=registration.person.name, event=event.name,
            date=format_period(event.start, event.end,
                Lang.get(language), event.timezone))
        body = f'<p>{escape(text)}</p>'
        if registration.state == 'invited':
            accept = gettext('association_event.msg_invitation_accept')
            decline = gettext('association_event.msg_invitation_decline')
            body += (
                '<form method="post">'
                '<button name="answer" value="accept" type="submit">'
                f'{escape(accept)}'
                '</button>'
                '<button name="answer" value="decline" type="submit">'
                f'{escape(decline)}'
                '</button></form>')
        return public_page(title, body, lang=language)
