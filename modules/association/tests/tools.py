# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the scenarios"
import io
import json
import os
from functools import partial

import trytond.modules.association as module

IDF = os.path.join(os.path.dirname(module.__file__), 'data', 'idf')


def read_official_file(name, path=IDF):
    "Return the bytes of the official data file name"
    with open(os.path.join(path, name), 'rb') as fp:
        return fp.read()


def load_official_file(name, path=IDF):
    "Return the rows of the official data file name"
    return json.loads(read_official_file(name, path))


def dump_official_file(rows):
    "Return the bytes of a file of rows"
    return json.dumps(rows, ensure_ascii=False).encode('utf-8')


def import_official_data(communes, epci=None, ept=None, year=2026):
    "Run the import wizard and return its result form"
    from proteus import Wizard
    import_ = Wizard('association.official_data.import')
    import_.form.year = year
    import_.form.communes = communes
    import_.form.epci = epci
    import_.form.ept = ept
    import_.execute('import_')
    return import_.form


def import_register(data, filename, epci=None, epci_filename=None,
        date=None):
    """Run the import wizard of the register of officials on the CSV data
    and return its result form"""
    from proteus import Wizard
    import_ = Wizard('association.officials.import')
    import_.form.source = 'file'
    import_.form.municipal_file = data
    import_.form.municipal_filename = filename
    import_.form.epci_file = epci
    import_.form.epci_filename = epci_filename
    if date:
        import_.form.date = date
    import_.execute('import_')
    return import_.form


def _func_name(func):
    "The name of a set-up function in the name of its cached database"
    if isinstance(func, partial):
        return (f'{func.func.__qualname__}'
            f'(*{func.args}, **{func.keywords})')
    return func.__qualname__


def activate(module, *setup, extras=(), lang='en'):
    """Activate module with extras as its ModuleTestCase does, then run the
    set-up functions (each called with config), and return proteus' config

    The database of the modules is the one that the module's test case
    keeps in DB_CACHE, and the database after the set-up functions is kept
    there too: each is built once per backend and restored by every
    scenario that asks for the same modules and set-up (for example the
    chart of accounts, the fiscal year, the official data of Île-de-France
    and the French translations)."""
    from proteus import config as pconfig

    from trytond.tests.test_tryton import (
        backup_db_cache, drop_db, restore_db_cache)

    from .database import activate_modules, cache_name
    modules = [module, *extras]
    name = cache_name(modules, lang)
    if setup:
        name += '--' + '|'.join(_func_name(f) for f in setup)
        drop_db()
        if restore_db_cache(name):
            return pconfig.set_trytond()
    activate_modules(modules, lang=lang)
    config = pconfig.set_trytond()
    if setup:
        for func in setup:
            func(config=config)
        backup_db_cache(name)
    return config


def load_french(config):
    "Load the French translations of the activated modules"
    from proteus import Model
    Lang = Model.get('ir.lang')
    french, = Lang.find([('code', '=', 'fr')])
    french.click('load_translations')


def pdf_text(data):
    "Return the text of the PDF data"
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(data))
    return '\n'.join(page.extract_text() for page in reader.pages)


def pdf_pages(data):
    "Return the number of pages of the PDF data"
    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(data)).pages)
