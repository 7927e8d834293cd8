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
administrator activates a module in a running database."""
from trytond.modules import get_module_info
from trytond.tests.test_tryton import (
    DB_CACHE, _DBTestCase, activate_module, drop_db, restore_db_cache)

# The databases kept by this process: (the modules with their
# dependencies, the language, the name of the cache)
_BUILT = []
# Sets of modules that several test databases contain, built on their own
# first: the accounting with the French chart costs most of the activation
LAYERS = [
    ['association', 'account_invoice', 'account_fr'],
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


def activate_modules(modules, lang='en'):
    """Activate modules in a new database in language lang, as trytond's
    test cases do, built on the largest database kept before whose modules
    it contains"""
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
    # Activates the modules the database lacks and keeps it
    activate_module(modules, lang=lang)
    if DB_CACHE and not any(n == name for _, _, n in _BUILT):
        _BUILT.append((wanted, lang, name))


class LayeredDatabaseMixin:
    """A test case whose database is built on the largest one kept before
    (to put before trytond's test case in the bases)"""

    @classmethod
    def setUpClass(cls):
        # The set-up of trytond's test case but for its database
        super(_DBTestCase, cls).setUpClass()
        activate_modules(
            [cls.module, *(cls.extras or [])], lang=cls.language)
