# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Consent: who unsubscribed from (or subscribed again to) which list, when
and how, and the signed tokens of the unsubscription links

The choice is kept by e-mail address on the subscriptions of
marketing_email (an inactive address of a list is unsubscribed, the list
"All mailings" stands for every mailing), so it survives the refresh of the
audiences and the import of the officials, which recognise people and not
addresses.  Every change of a subscription is logged."""
import base64
import datetime as dt
import hashlib
import hmac
import time
import urllib.parse

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import (
    Transaction, inactive_records, without_check_access)
from trytond.url import http_host

from .exceptions import TokenError

METHODS = [
    ('one_click', "One-Click (Mail Client)"),
    ('link', "Link of the E-mail"),
    ('staff', "Staff"),
    ]


def _encode(data):
    return base64.urlsafe_b64encode(data).decode('ascii').rstrip('=')


def _decode(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def _signature(secret, payload):
    return _encode(hmac.new(
            secret.encode('utf-8'), payload, hashlib.sha256).digest()[:18])


def make_token(email, list_id, days=None, secret=None):
    """Return the token that unsubscribes email from the list: signed with
    the secret of the database (or secret) and valid for days (or those of
    the configuration)"""
    pool = Pool()
    Configuration = pool.get('association.mailing.configuration')
    if secret is None:
        secret = Configuration.get_secret()
    if days is None:
        days = Configuration(1).token_validity or 0
    expires = int(time.time() + days * 24 * 60 * 60)
    payload = f'{email}\n{list_id}\n{expires}'.encode('utf-8')
    return f'{_encode(payload)}.{_signature(secret, payload)}'


def read_token(token):
    """Return the e-mail address and the list of the token; raise
    TokenError when it was altered or expired"""
    pool = Pool()
    Configuration = pool.get('association.mailing.configuration')
    List = pool.get('marketing.email.list')
    secret = Configuration.get_secret(create=False)
    try:
        encoded, signature = token.split('.')
        payload = _decode(encoded)
        email, list_id, expires = payload.decode('utf-8').split('\n')
        list_id, expires = int(list_id), int(expires)
    except (ValueError, UnicodeError):
        raise TokenError(gettext('association_mailing.msg_token_invalid'))
    if not secret or not hmac.compare_digest(
            signature, _signature(secret, payload)):
        raise TokenError(gettext('association_mailing.msg_token_invalid'))
    if expires < time.time():
        raise TokenError(gettext('association_mailing.msg_token_expired'))
    with inactive_records():
        lists = List.search([('id', '=', list_id)])
    if not lists:
        raise TokenError(gettext('association_mailing.msg_token_invalid'))
    list_, = lists
    return email, list_


def unsubscribe_url(token):
    "The address of the unsubscription page of the token"
    return '%s/%s/association_mailing/unsubscribe/%s' % (
        (config.get('association_mailing', 'url')
            or http_host()).rstrip('/'),
        urllib.parse.quote(
            Transaction().database.name, safe=":@!$&'()*+,;="),
        token)


class Consent(ModelSQL, ModelView):
    "Mailing Consent"
    __name__ = 'association.mailing.consent'

    email = fields.Char("E-mail", required=True, readonly=True)
    party = fields.Many2One(
        'party.party', "Party", readonly=True, ondelete='SET NULL')
    list_ = fields.Many2One(
        'marketing.email.list', "Mailing List", required=True,
        readonly=True, ondelete='CASCADE')
    action = fields.Selection([
            ('subscribed', "Subscribed"),
            ('unsubscribed', "Unsubscribed"),
            ], "Action", required=True, readonly=True)
    date = fields.Timestamp("Date", required=True, readonly=True)
    method = fields.Selection(METHODS, "Method", required=True,
        readonly=True)
    user = fields.Many2One(
        'res.user', "User", readonly=True, ondelete='SET NULL',
        help="The user who changed the subscription in the client.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.email, Index.Equality(cardinality='high'))),
                Index(t, (t.party, Index.Range())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def log(cls, emails, method=None):
        "Log the subscription of the marketing e-mails as they are now"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        context = Transaction().context
        method = method or context.get('mailing_consent_method') or 'staff'
        addresses = {e.email for e in emails}
        parties = {}
        for mechanism in ContactMechanism.search_read([
                    ('type', '=', 'email'),
                    ('value', 'in', list(addresses)),
                    ], fields_names=['party', 'value']):
            parties.setdefault(mechanism['value'].lower(), mechanism['party'])
        now = dt.datetime.now()
        user = Transaction().user if method == 'staff' else None
        # The log is the module's to write, never the users'
        with without_check_access():
            cls.save([cls(
                        email=e.email,
                        party=parties.get(e.email),
                        list_=e.list_,
                        action='subscribed' if e.active else 'unsubscribed',
                        date=now,
                        method=method,
                        user=user or None)
                    for e in emails])


class Email(metaclass=PoolMeta):
    __name__ = 'marketing.email'

    @classmethod
    def on_modification(cls, mode, emails, field_names=None):
        pool = Pool()
        Consent = pool.get('association.mailing.consent')
        super().on_modification(mode, emails, field_names=field_names)
        if mode == 'create':
            # An address that the audience brings is not a consent; one
            # created unsubscribed is a refusal
            logged = [e for e in emails if not e.active]
            if logged:
                Consent.log(logged)

    @classmethod
    def on_write(cls, emails, values):
        pool = Pool()
        Consent = pool.get('association.mailing.consent')
        callbacks = super().on_write(emails, values)
        if 'active' in values:
            # Only a change of the subscription is a consent or a refusal
            changed = [e for e in emails if e.active != values['active']]
            if changed:
                callbacks.append(lambda: Consent.log(cls.browse(changed)))
        return callbacks

    @classmethod
    def set_subscription(cls, email, list_, active, method):
        """Subscribe (active) or unsubscribe the address from list_ by
        method; return whether it changed"""
        pool = Pool()
        Consent = pool.get('association.mailing.consent')
        email = email.strip().lower()
        with inactive_records():
            records = cls.search([
                    ('email', '=', email),
                    ('list_', '=', list_.id),
                    ])
        with Transaction().set_context(mailing_consent_method=method):
            if not records:
                record = cls(email=email, list_=list_, active=active)
                record.save()
                if active:
                    Consent.log([record])
                return True
            record, = records
            if record.active != active:
                cls.write([record], {'active': active})
                return True
        return False
