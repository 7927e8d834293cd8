# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The page of the portal where a contact sees and changes its
subscriptions to the mailings

Its lists are those its addresses are (or were) subscribed to, and "All
mailings"; a list of the form that is not one of them is refused.  Every
change is logged in the consents as made on the portal."""
import datetime as dt

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from .exceptions import PortalFormError
from .mailing import (
    contact_emails, history, set_subscription, subscriptions)
from .page import parse_id, route

# The association's: the times of the choices are shown in it
TIMEZONE = 'Europe/Paris'
REQUIRES = ['association.mailing.consent']


def local(value):
    "Return the UTC time value in the association's time zone"
    if value:
        return value.replace(tzinfo=dt.timezone.utc).astimezone(
            tz.get_tzinfo(TIMEZONE))


def _render(page, status=200, errors=None):
    Consent = page.pool.get('association.mailing.consent')
    page.section = 'subscriptions'
    emails = contact_emails(page.user)
    everything, lists = subscriptions(emails)
    notice = page.request.args.get('notice')
    changed = parse_id(page.request.args.get('list'))
    # The list of the notice, among the contact's own
    changed = {
        s.list.id: s.list for s in [everything] + lists}.get(changed)
    return page.render(
        'mailing/subscriptions.html', status=status,
        emails=emails, everything=everything, lists=lists,
        history=history(emails), local=local,
        methods=dict(
            Consent.fields_get(['method'])['method']['selection']),
        notice=notice if changed else None, changed=changed,
        errors=errors or [])


@route('/subscriptions', requires=REQUIRES)
def subscriptions_page(page):
    return _render(page)


@route('/subscriptions', methods=['POST'], requires=REQUIRES)
def subscriptions_save(page):
    form = page.request.form
    try:
        emails = contact_emails(page.user)
        if not emails:
            raise PortalFormError(gettext(
                    'association_portal.msg_subscription_no_email'))
        action = form.get('action')
        if action not in {'subscribe', 'unsubscribe'}:
            raise PortalFormError(gettext(
                    'association_portal.msg_subscription_action'))
        everything, lists = subscriptions(emails)
        visible = {s.list.id: s.list for s in [everything] + lists}
        list_ = visible.get(parse_id(form.get('list')))
        if list_ is None:
            raise PortalFormError(gettext(
                    'association_portal.msg_subscription_list_unknown'))
        set_subscription(
            page.user, emails, list_, action == 'subscribe')
    except UserError as exception:
        Transaction().rollback()
        return _render(page, status=400, errors=[exception.message])
    return page.redirect(
        '/subscriptions', notice=action + 'd', list=list_.id)
