# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import logging
import secrets
import time
import urllib.parse

import trytond.config as config
from trytond.exceptions import RateLimitException
from trytond.i18n import gettext
from trytond.model import Index, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.report import Report, get_email
from trytond.res.user import PASSWORD_HASH
from trytond.sendmail import send_message_transactional
from trytond.tools.email_ import normalize_email, set_from_header
from trytond.transaction import Transaction, without_check_access
from trytond.url import http_host
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import InvitationError, PortalConfigurationError

logger = logging.getLogger(__name__)

ORGANISATION_DOMAIN = ['OR',
    ('kind', '=', None),
    ('kind', '!=', 'person'),
    ]


def portal_url(path='/', database_name=None, **params):
    """Return the absolute URL of a page of the portal, for the e-mails

    The base is the option url of the section association_portal, or the
    address of the request being served when its host is one of the option
    hosts.  Never the host that a request names alone: behind a proxy it
    comes from X-Forwarded-Host, and whoever asks a password reset for
    somebody else would receive the link of his token."""
    if database_name is None:
        database_name = Transaction().database.name
    base = config.get('association_portal', 'url')
    if not base:
        request = Transaction().context.get('_request') or {}
        host = (request.get('http_host') or '').lower()
        if not host or host not in allowed_hosts():
            logger.error(
                "No link sent for the host %r: set the option url (or hosts) "
                "of the section [association_portal]", host)
            raise PortalConfigurationError(gettext(
                    'association_portal.msg_portal_url_missing'))
        base = http_host() + (request.get('root_path') or '')
    url = '%s/%s/portal%s' % (
        base.rstrip('/'),
        urllib.parse.quote(database_name, safe=":@!$&'()*+,;="), path)
    if params:
        url += '?' + urllib.parse.urlencode(sorted(params.items()))
    return url


def allowed_hosts():
    "Return the hosts (with their port) that may name the portal's address"
    hosts = config.get('association_portal', 'hosts', default='')
    return {h.strip().lower() for h in hosts.split(',') if h.strip()}


_DUMMY_HASH = []


def _dummy_hash():
    "Return the hash of a password that nobody knows"
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(PASSWORD_HASH.hash(secrets.token_hex(16)))
    return _DUMMY_HASH[0]


def invitation_timeout():
    return datetime.timedelta(seconds=config.getint(
            'association_portal', 'invitation_timeout',
            default=7 * 24 * 60 * 60))


class User(metaclass=PoolMeta):
    __name__ = 'web.user'

    organisation = fields.Many2One(
        'party.party', "Organisation", ondelete='RESTRICT',
        domain=[ORGANISATION_DOMAIN],
        help="The partner or member whose portal the user signs in to.")
    invitation_sent_at = fields.Timestamp(
        "Invitation Sent At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.organisation, Index.Range())))
        cls.party.domain = [
            If(Eval('organisation'), ('kind', '=', 'person'), ()),
            ]
        cls._buttons.update({
                'invite': {
                    'readonly': ~Eval('organisation') | ~Eval('active', True),
                    'depends': ['organisation', 'active'],
                    },
                })

    @classmethod
    def copy(cls, users, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('invitation_sent_at')
        return super().copy(users, default=default)

    @classmethod
    @ModelView.button
    def invite(cls, users, from_=None):
        "Send to the users the invitation to choose their portal password"
        # Refuse before any token is set when the links cannot be made
        portal_url()
        now = datetime.datetime.now()
        for user in users:
            if not user.organisation:
                raise InvitationError(gettext(
                        'association_portal.msg_invite_no_organisation',
                        user=user.rec_name))
            user.set_reset_password_token()
            user.reset_password_token_expire = now + invitation_timeout()
            user.invitation_sent_at = now
        cls.save(users)
        from_cfg = config.get('email', 'from')
        for user in users:
            msg, title = user.get_email_invitation()
            set_from_header(msg, from_cfg, from_ or from_cfg)
            msg['To'] = user.email
            msg['Subject'] = title
            send_message_transactional(msg)

    @classmethod
    def authenticate(cls, email, password):
        """Return the user of the email and password or None

        As web_user's, except that:
        - the attempt is counted, in a transaction of its own, before the
          password is checked, so that simultaneous attempts see each other
          and cannot pass the limit together;
        - an unknown address and an account without password yet cost the
          check of a hash as a known one does, so that the time of the
          answer does not tell which addresses have an account."""
        pool = Pool()
        Attempt = pool.get('web.user.authenticate.attempt')
        email = email.lower()
        if Attempt.count_ip() > config.getint(
                'session', 'max_attempt_ip_network', default=300):
            raise RateLimitException()
        with Transaction().new_transaction():
            Attempt.add(email)
        with Transaction().new_transaction(readonly=True):
            # This attempt and the ones committed before it
            failures = Attempt.count(email) - 1
        if failures > config.getint('session', 'max_attempt', default=5):
            raise RateLimitException()
        # Prevent brute force attack
        Transaction().atexit(time.sleep, 2 ** failures - 1)

        users = cls.search([('email', '=', email)])
        user = users[0] if users else None
        hash_ = user.password_hash if user else None
        valid, new_hash = cls.check_password(
            password, hash_ or _dummy_hash())
        if user and hash_ and valid:
            if new_hash:
                logger.info("Update password hash for %s", user.id)
                with Transaction().new_transaction():
                    with without_check_access():
                        cls.write([cls(user.id)], {
                                'password_hash': new_hash,
                                })
            # In a transaction of its own, which sees the attempt added in
            # one: on PostgreSQL this one's snapshot is older and would
            # leave it, slowing the next sign-in by a second
            with Transaction().new_transaction():
                Attempt.remove(email)
            return user

    @classmethod
    def reset_password(cls, users, from_=None):
        if users and not config.get('web', 'reset_password_url'):
            # Refuse before any token is set when the links cannot be made
            portal_url()
        super().reset_password(users, from_=from_)

    @classmethod
    def set_password(cls, users, name, value):
        super().set_password(users, name, value)
        if value != 'x' * 10:
            # A new password ends the sessions opened with the old one
            cls.logout_everywhere(users)

    @classmethod
    def logout_everywhere(cls, users):
        "End every session of the users"
        pool = Pool()
        Session = pool.get('web.user.session')
        Session.delete(Session.search([
                    ('user', 'in', [u.id for u in users]),
                    ]))

    def get_email_invitation(self):
        return get_email(
            'association.portal.email_invitation', self, self.languages)

    def get_email_reset_password_url(self, url=None):
        if url is None and not config.get('web', 'reset_password_url'):
            return portal_url(
                '/password', email=self.email,
                token=self.reset_password_token)
        return super().get_email_reset_password_url(url=url)

    @classmethod
    def check_reset_password_token(cls, email, token):
        "Return the user whose reset-password token is valid or None"
        if not email or not token:
            return None
        users = cls.search([
                ('email', '=', email.lower()),
                ('reset_password_token', '=', token),
                ('reset_password_token_expire', '>',
                    datetime.datetime.now()),
                ], limit=1)
        if users:
            user, = users
            return user


class InviteStart(ModelView):
    "Invite to the Portal"
    __name__ = 'association.portal.invite.start'

    organisation = fields.Many2One(
        'party.party', "Organisation", required=True,
        domain=[ORGANISATION_DOMAIN],
        help="The partner or member whose portal the person joins.")
    person = fields.Many2One(
        'party.party', "Person", required=True,
        domain=[('kind', '=', 'person')],
        help="The contact who receives the invitation.")
    email = fields.Char(
        "Email", required=True,
        help="The address the invitation is sent to; "
        "it is also the login of the portal.")

    @fields.depends('person', 'organisation', 'email')
    def on_change_person(self):
        if not self.person:
            return
        if self.person.email:
            self.email = self.person.email
        if not self.organisation:
            mandates = getattr(self.person, 'current_mandates', None) or []
            if mandates:
                self.organisation = mandates[0].authority


class Invite(Wizard):
    "Invite to the Portal"
    __name__ = 'association.portal.invite'

    start = StateView(
        'association.portal.invite.start',
        'association_portal.invite_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Invite", 'invite', 'tryton-ok', default=True),
            ])
    invite = StateTransition()

    def default_start(self, fields):
        values = {}
        party = self.record
        if party and party.__name__ == 'party.party':
            if party.kind == 'person':
                values['person'] = party.id
                if party.email:
                    values['email'] = party.email
                mandates = getattr(party, 'current_mandates', None) or []
                if mandates:
                    values['organisation'] = mandates[0].authority.id
            else:
                values['organisation'] = party.id
                # A town hall is invited at its e-mail, in its mayor's name
                mayor = getattr(party, 'mayor', None)
                if mayor:
                    values['person'] = mayor.id
                if party.email:
                    values['email'] = party.email
        return values

    def transition_invite(self):
        pool = Pool()
        User = pool.get('web.user')
        email = normalize_email(self.start.email).lower()
        users = User.search([('email', '=', email)])
        if users:
            user, = users
            if (user.organisation
                    and user.organisation != self.start.organisation):
                raise InvitationError(gettext(
                        'association_portal.msg_invite_other_organisation',
                        email=email,
                        organisation=user.organisation.rec_name))
            if user.party and user.party != self.start.person:
                raise InvitationError(gettext(
                        'association_portal.msg_invite_other_person',
                        email=email,
                        person=user.party.rec_name))
        else:
            user = User(email=email)
        user.party = self.start.person
        user.organisation = self.start.organisation
        user.save()
        User.invite([user])
        return 'end'


class EmailInvitation(Report):
    __name__ = 'association.portal.email_invitation'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        expire_delay = (
            records[0].reset_password_token_expire
            - datetime.datetime.now())
        context['expire_delay'] = datetime.timedelta(
            days=expire_delay.days,
            minutes=round(expire_delay.seconds / 60))
        return context
