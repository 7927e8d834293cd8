# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The subscriptions of a contact to the mailings in the portal

The mailings keep the choices by e-mail address (the subscriptions of
marketing_email, see the Association Mailing Module): the contact signed
in to the portal changes those of the address it signs in with and of the
addresses of its person, which are the ones the audiences write to."""
from collections import namedtuple

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, inactive_records

from .portal import Section

# The changes of the subscriptions logged in the name of a portal account
# (the id of the web.user in this key of the context)
WEB_USER_CONTEXT = 'mailing_consent_web_user'
# The number of the latest choices shown to the contact
HISTORY_SIZE = 10

# A mailing list of the contact and whether it receives it (at one of its
# addresses at least)
Subscription = namedtuple('Subscription', ['list', 'subscribed'])


def contact_emails(user):
    """Return the e-mail addresses of the web user, in lower case: the one
    it signs in with and those of its person"""
    pool = Pool()
    ContactMechanism = pool.get('party.contact_mechanism')
    emails = set()
    if user.email:
        emails.add(user.email)
    if user.party:
        for mechanism in ContactMechanism.search_read([
                    ('party', '=', user.party.id),
                    ('type', '=', 'email'),
                    ('value', '!=', None),
                    ], fields_names=['value']):
            emails.add(mechanism['value'])
    # As the audiences write them (Audience.get_emails)
    return sorted({e.strip().lower() for e in emails} - {''})


def all_mailings():
    "Return the mailing list that stands for every mailing"
    pool = Pool()
    List = pool.get('marketing.email.list')
    ModelData = pool.get('ir.model.data')
    return List(ModelData.get_id('association_mailing', 'list_all'))


def subscriptions(emails):
    """Return the subscription of the addresses to all mailings and their
    subscriptions to the active lists that they are or were subscribed to,
    by name

    A list is received while one of the addresses is subscribed to it;
    all mailings are received until an address is unsubscribed from them
    (and none subscribed again)."""
    pool = Pool()
    Email = pool.get('marketing.email')
    all_ = all_mailings()
    states = {}
    if emails:
        with inactive_records():
            records = Email.search([
                    ('email', 'in', emails),
                    ])
        for record in records:
            states[record.list_] = (
                states.get(record.list_, False) or record.active)
    everything = Subscription(all_, states.pop(all_, True))
    lists = [
        Subscription(l, s) for l, s in states.items() if l.active]
    lists.sort(key=lambda s: (s.list.name.lower(), s.list.id))
    return everything, lists


def history(emails):
    "Return the latest changes of the subscriptions of the addresses"
    pool = Pool()
    Consent = pool.get('association.mailing.consent')
    if not emails:
        return []
    return Consent.search([
            ('email', 'in', emails),
            ], limit=HISTORY_SIZE)


def set_subscription(user, emails, list_, subscribed):
    """Subscribe the addresses of the web user again to list_ or
    unsubscribe them, each change logged as made on the portal by the user

    Only the addresses that were unsubscribed are subscribed again (the
    audience decides who receives a list); every address is unsubscribed,
    so that the choice holds for those an audience brings later."""
    pool = Pool()
    Email = pool.get('marketing.email')
    if subscribed:
        with inactive_records():
            emails = [e.email for e in Email.search([
                        ('email', 'in', emails),
                        ('list_', '=', list_.id),
                        ('active', '=', False),
                        ])]
    with Transaction().set_context({WEB_USER_CONTEXT: user.id}):
        # The few addresses of one person
        for email in emails:
            Email.set_subscription(email, list_, subscribed, 'portal')


class Portal(metaclass=PoolMeta):
    __name__ = 'association.portal'

    @classmethod
    def sections(cls, user):
        sections = super().sections(user)
        sections.append(Section(
                'subscriptions',
                gettext('association_portal.msg_section_subscriptions'),
                '/subscriptions', 80))
        return sections


class Consent(metaclass=PoolMeta):
    __name__ = 'association.mailing.consent'

    web_user = fields.Many2One(
        'web.user', "Portal Account", readonly=True, ondelete='SET NULL',
        help="The portal account that changed the subscription.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(('portal', "Portal"))

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        WebUser = pool.get('web.user')
        values = super().preprocess_values(mode, values)
        web_user = Transaction().context.get(WEB_USER_CONTEXT)
        if (mode == 'create' and web_user
                and values.get('method') == 'portal'):
            values['web_user'] = web_user
            # Who chose, when the address is no party's
            if not values.get('party'):
                party = WebUser(web_user).party
                values['party'] = party.id if party else None
        return values
