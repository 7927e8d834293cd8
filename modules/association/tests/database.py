# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The test databases of the modules, each built from the largest one
built before it

Activating the modules of a test case costs most of the time of the tests
(a minute on PostgreSQL for the accounting modules).  With DB_CACHE, each
set of modules is activated once per backend and kept; here a new set is
also built on the cached database of the largest set of modules it contains
(the association's modules for the events', the events' for the speed
meetings'), so that only the modules it adds are activated, as an
administrator activates a module in a running database.

Every test database has the French translations, as the run command's
(``trytond-admin -l fr``): the first one, created in English, loads them,
and each module activated after loads its own, as trytond does for every
translatable language.  The pages, letters and e-mails of the scenarios are
in French, as the association's users get them, and no scenario loads the
translations again (several seconds for each set of modules)."""
import os
from functools import cache, partial

from pwdlib.hashers.argon2 import Argon2Hasher
from sql import Table

import trytond.modules as trytond_modules
import trytond.pool as trytond_pool
from trytond import backend, convert
from trytond.model import ModelStorage
from trytond.modules import get_module_info, load_modules
from trytond.pool import Pool
from trytond.res.user import PASSWORD_HASH
from trytond.tests.test_tryton import (
    DB_CACHE, DB_NAME, _DBTestCase, activate_module, backup_db_cache,
    create_db, db_exist, drop_db, restore_db_cache)
from trytond.tools import misc
from trytond.transaction import Transaction, TransactionError

# The checks of trytond's ModuleTestCase ask for the module of each class
# of the pool (isregisteredby), and trytond finds a module by scanning
# every entry point of the environment each time: more than a second per
# check, most of the time of a module's test case.  A module's name always
# gives the same module in a process: it is looked up once.
if not hasattr(misc.import_module, 'cache_info'):
    misc.import_module = cache(misc.import_module)


def _load_modules(
        database_name, pool, update=None, lang=None, indexes=None,
        activatedeps=False):
    """Fill the pool of the database with the classes built before for the
    same activated modules

    The tests restore a database of the cache (and proteus connects to it)
    several hundred times per backend, but for a dozen sets of modules;
    each time trytond rebuilds the classes of the pool and sets up every
    model again: about two seconds for the accounting modules.  The classes
    depend only on the modules activated (their caches are trytond's Cache,
    dropped with the database), so a set of modules already loaded by this
    process gets the same classes.  An activation or an update loads the
    modules as trytond does."""
    if update or indexes or activatedeps:
        return load_modules(
            database_name, pool, update=update, lang=lang, indexes=indexes,
            activatedeps=activatedeps)
    ir_module = Table('ir_module')
    transaction = Transaction()
    if transaction.connection:
        context = transaction.new_transaction(readonly=True)
    else:
        context = transaction.start(database_name, 0, readonly=True)
    with context as transaction, transaction.connection.cursor() as cursor:
        cursor.execute(*ir_module.select(
                ir_module.name, ir_module.state,
                where=ir_module.state.in_(
                    ['activated', 'to upgrade', 'to remove'])))
        states = dict(cursor)
    key = frozenset(states)
    if set(states.values()) != {'activated'}:
        key = None
    if key in _POOLS:
        classes, modules = _POOLS[key]
        pool._pool.update(classes)
        pool._modules.extend(modules)
        return True
    result = load_modules(database_name, pool, lang=lang)
    if key is not None and result:
        _POOLS[key] = (dict(pool._pool), list(pool._modules))
    return result


# The modules of Concorde: the folders beside this one
_CONCORDE = frozenset(os.listdir(
        os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
# The Tryton module whose XML records are being created or written
_LOADING = []


def _load_unvalidated(method):
    """The XML records of Tryton's own modules are not validated again when
    a test database is built

    Their validation (the domains of the thousand accounts and taxes of the
    French chart, a query each) is half of an activation: 20 s of the
    memberships' database on SQLite, 40 s on PostgreSQL.  Tryton's tests
    validate them; the records of Concorde's modules are validated, and the
    activation of every module by the run command (trytond-admin, in the
    tests across modules) validates them all together."""
    def wrapper(self, *args, **kwargs):
        if self.module in _CONCORDE:
            return method(self, *args, **kwargs)
        _LOADING.append(self.module)
        try:
            return method(self, *args, **kwargs)
        finally:
            _LOADING.pop()
    wrapper.__wrapped__ = method
    return wrapper


# The records that trytond keeps of what a module loads: the identifiers
# of its XML records and its translations
_BOOKKEEPING = {'ir.model.data', 'ir.translation'}
# Set while modules are activated or upgraded
_ACTIVATING = []


def _load_module_graph(*args, **kwargs):
    """trytond's records of what the modules load are not validated when a
    test database is built

    trytond makes them itself (a few thousand identifiers and translations
    for each set of modules), and their validation was a third of the
    activation of the memberships' modules over the accounting's.  The run
    command's activation (trytond-admin) validates them."""
    _ACTIVATING.append(True)
    try:
        return _load_module_graph.__wrapped__(*args, **kwargs)
    finally:
        _ACTIVATING.pop()


def _validate(cls, records, field_names=None):
    if _LOADING or (_ACTIVATING and cls.__name__ in _BOOKKEEPING):
        return
    _validate.__wrapped__(cls, records, field_names=field_names)


if not hasattr(convert.TrytondXmlHandler.create_records, '__wrapped__'):
    for name in ['create_records', 'write_records']:
        setattr(convert.TrytondXmlHandler, name, _load_unvalidated(
                getattr(convert.TrytondXmlHandler, name)))
    _validate.__wrapped__ = ModelStorage._validate.__func__
    ModelStorage._validate = classmethod(_validate)
    _load_module_graph.__wrapped__ = trytond_modules.load_module_graph
    trytond_modules.load_module_graph = _load_module_graph


def _fk_deltypes(self):
    """The delete rule of each column of the foreign keys of the table, read
    from PostgreSQL's catalog

    trytond reads them from information_schema's key_column_usage and
    referential_constraints, for each table that an activation registers
    again.  Depending on the plan PostgreSQL makes of these views, that
    costs from a few milliseconds to more than a second each time: 70 s of
    the server in a run of the tests (120 times), against a millisecond
    from the catalog, for the same rows."""
    if self._TableHandler__fk_deltypes is None:
        cursor = Transaction().connection.cursor()
        cursor.execute(
            "SELECT c.conname, a.attname, "
            "CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' "
            "WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' "
            "WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END "
            "FROM pg_catalog.pg_constraint AS c "
            "JOIN pg_catalog.pg_class AS r ON r.oid = c.conrelid "
            "JOIN pg_catalog.pg_namespace AS n ON n.oid = r.relnamespace "
            "JOIN pg_catalog.pg_attribute AS a "
            "ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
            "WHERE c.contype = 'f' AND r.relname = %s AND n.nspname = %s",
            (self.table_name, self.table_schema))
        self._TableHandler__fk_deltypes = {r[:2]: r[2] for r in cursor}
    return self._TableHandler__fk_deltypes


if backend.name == 'postgresql':
    backend.TableHandler._fk_deltypes = property(_fk_deltypes)

# The passwords of the tests (the users of the scenarios, the accounts of
# the portal) are hashed with argon2, as in production, but with its
# lightest parameters: the default ones cost a tenth of a second of
# processor per hash or check, by design, several hundred times per backend
# for passwords that protect nothing
PASSWORD_HASH.hashers[0] = Argon2Hasher(
    time_cost=1, memory_cost=8, parallelism=1)

# The classes of the pool by set of activated modules
_POOLS = {}
if trytond_pool.load_modules is load_modules:
    trytond_pool.load_modules = _load_modules

# The databases kept by this process: (the modules with their
# dependencies, the language, the name of the cache)
_BUILT = []
# Sets of modules that several test databases contain, built on their own
# first: the accounting with the French chart costs most of the activation.
# The banks are in it: activating them later upgrades the invoices (an
# extra dependency of account_invoice), a quarter of a minute each time.
LAYERS = [
    ['association', 'account_invoice', 'account_fr', 'bank'],
    ]


def depends(modules):
    "The modules with all their dependencies"
    result = {'ir', 'res'}
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in result:
            continue
        result.add(name)
        todo.extend((get_module_info(name) or {}).get('depends', []))
    return frozenset(result)


def cache_name(modules, lang='en'):
    "The name under which trytond's tests keep the database of modules"
    name = '-'.join(modules)
    if lang != 'en':
        name += '--' + lang
    return name


def setup_name(func):
    "The name of a set-up function in the name of its cached database"
    if isinstance(func, partial):
        return (f'{func.func.__qualname__}'
            f'(*{func.args}, **{func.keywords})')
    return func.__qualname__


def lock_extras(models, pool=None):
    """The extras of a transaction that locks the tables of the models (of
    those the pool has) from its start"""
    classes = dict((pool or Pool(DB_NAME)).iterobject())
    tables = [classes[m]._table for m in models if m in classes]
    return {'_lock_tables': tables} if tables else {}


def run_setup(func):
    """Run the set-up function in a transaction of its own, committed, that
    declares the tables it locks (as the transactions of the server do)

    The models whose tables the function locks may be named in its
    lock_models attribute: the transaction locks them from its start
    instead of being restarted at each lock (after all the work done before
    it, the creation of a chart of accounts for example)."""
    extras = lock_extras(getattr(func, 'lock_models', ()))
    while True:
        try:
            with Transaction().start(DB_NAME, 1, **extras) as transaction:
                func()
                transaction.commit()
        except TransactionError as exception:
            exception.fix(extras)
        else:
            break


def load_translations(codes):
    "Load the translations of the languages of codes in the database"
    with Transaction().start(DB_NAME, 0, close=True) as transaction:
        Lang = Pool().get('ir.lang')
        Lang.load_translations(Lang.search([('code', 'in', list(codes))]))
        transaction.commit()


def activate_modules(modules, lang='en', setup=()):
    """Activate modules in a new database in language lang, as trytond's
    test cases do, built on the largest database kept before whose modules
    it contains; then run the set-up functions (each in a
    transaction)"""
    if setup:
        name = cache_name(modules, lang) + '--' + '|'.join(
            setup_name(f) for f in setup)
        drop_db()
        if not (DB_CACHE and restore_db_cache(name)):
            activate_modules(modules, lang=lang)
            for func in setup:
                run_setup(func)
            backup_db_cache(name)
        return
    name = cache_name(modules, lang)
    wanted = depends(modules)
    if DB_CACHE:
        for layer in LAYERS:
            layer_wanted = depends(layer)
            if layer_wanted < wanted and not any(
                    layer_wanted <= m < wanted and l == lang
                    for m, l, _ in _BUILT):
                activate_modules(layer, lang=lang)
    drop_db()
    if DB_CACHE and not restore_db_cache(name):
        # The data of some modules depends on the language of the database
        # when they are activated (the charts of accounts of the account
        # module): only a database of the same language is a base
        bases = [(m, n) for m, l, n in _BUILT if m < wanted and l == lang]
        if bases:
            _, base = max(bases, key=lambda b: len(b[0]))
            restore_db_cache(base)
    if not db_exist(DB_NAME):
        # A new database has the French translations, as the run command's
        # (trytond-admin -l fr): the modules activated in it and in the
        # databases built on it load theirs
        create_db(lang=lang)
        if lang != 'fr':
            load_translations(['fr'])
    # Activates the modules the database lacks and keeps it
    activate_module(modules, lang=lang)
    if DB_CACHE and not any(n == name for _, _, n in _BUILT):
        _BUILT.append((wanted, lang, name))


class LayeredDatabaseMixin:
    """A test case whose database is built on the largest one kept before
    (to put before trytond's test case in the bases), with the set-up
    functions run (kept with the database: the test cases that ask for the
    same modules and set-up share it)"""
    setup = ()

    @classmethod
    def setUpClass(cls):
        # The set-up of trytond's test case but for its database
        super(_DBTestCase, cls).setUpClass()
        cls.activate()

    @classmethod
    def activate(cls):
        "Activate the modules of the test case"
        activate_modules(
            [cls.module, *(cls.extras or [])], lang=cls.language,
            setup=cls.setup)
