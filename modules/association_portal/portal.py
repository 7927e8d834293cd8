# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import namedtuple
from weakref import WeakKeyDictionary

from sql import Literal

from trytond.i18n import gettext
from trytond.model import Model
from trytond.pool import Pool
from trytond.transaction import Transaction

from .page import reach

# A section of the portal: an entry of its menu.
# key: a short identifier (also used to mark the current page)
# title: the translated title shown in the menu
# path: the path under /<database>/portal
# sequence: the order of the entry in the menu
Section = namedtuple('Section', ['key', 'title', 'path', 'sequence'])

# A block of the dashboard: a template of templates/ and its values.
Block = namedtuple('Block', ['key', 'template', 'values', 'sequence'])

# The kinds of contact mechanisms an organisation edits in the portal
CONTACT_TYPES = ['email', 'phone', 'mobile', 'website']

_transaction_caches = WeakKeyDictionary()


@reach('party.contact_mechanism')
def contact_domain(organisation):
    "The domain of the contact mechanisms the organisation edits"
    return [
        ('party', '=', organisation.id),
        ('type', 'in', CONTACT_TYPES),
        ]


def transaction_cache(name):
    """Return the dictionary name of the current transaction

    It keeps what a page asks several times (the menu and the blocks of the
    dashboard ask which commissions the organisation sits in) and is
    emptied whenever the transaction writes a record."""
    transaction = Transaction()
    counter, caches = _transaction_caches.get(transaction, (None, None))
    if counter != transaction.counter:
        caches = {}
        _transaction_caches[transaction] = (transaction.counter, caches)
    return caches.setdefault(name, {})


def exists(table, where):
    """Return whether a row of the python-sql table (or join) matches where

    The menu asks on every page whether the organisation has records of
    each kind: one small query each rather than a search through the
    ORM."""
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(Literal(1), where=where, limit=1))
    return cursor.fetchone() is not None


class Portal(Model):
    "Association Portal"
    __name__ = 'association.portal'

    @classmethod
    def sections(cls, user):
        """Return the sections of the portal's menu for the web user

        A module that adds pages to the portal extends this method through
        the pool and appends its sections."""
        return [
            Section(
                'dashboard',
                gettext('association_portal.msg_section_dashboard'),
                '/', 10),
            Section(
                'organisation',
                gettext('association_portal.msg_section_organisation'),
                '/organisation', 20),
            ]

    @classmethod
    def get_sections(cls, user):
        return sorted(cls.sections(user), key=lambda s: s.sequence)

    @classmethod
    def dashboard_blocks(cls, user):
        """Return the blocks of the dashboard of the web user

        A module that adds pages to the portal extends this method through
        the pool and appends a block with what is coming, what is owed and
        what to do."""
        pool = Pool()
        WebUser = pool.get('web.user')
        organisation = user.organisation
        accounts = WebUser.search([
                ('organisation', '=', organisation.id),
                ], order=[('email', 'ASC')])
        return [
            Block(
                'organisation', 'organisation/block.html', {
                    'organisation': organisation,
                    'contacts': [
                        c for c in organisation.contact_mechanisms
                        if c.type in CONTACT_TYPES],
                    'accounts': accounts,
                    }, 10),
            ]

    @classmethod
    def get_dashboard_blocks(cls, user):
        return sorted(cls.dashboard_blocks(user), key=lambda b: b.sequence)
