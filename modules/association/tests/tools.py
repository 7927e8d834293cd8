# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the scenarios"
import json
import os

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
