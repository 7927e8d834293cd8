# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every string of Concorde's modules is translated into French

On the database of the run command (every module, French loaded), the
administrator runs Tryton's "Set Translations" (which collects the strings
of the views and reports beside those of the models, fields, selections,
messages, menus and actions) and every English string of the association
modules must have its French translation, from the modules' locale/fr.po."""
import glob
import os
import unittest

from .test_desktop_client import JSONRPC
from .tools import TOP, server

MODULES = sorted(
    os.path.basename(os.path.dirname(p))
    for p in glob.glob(os.path.join(TOP, 'modules', '*', 'tryton.cfg')))


class TranslationsTestCase(unittest.TestCase):
    "Test the French translations of the modules"

    def test_french_complete(self):
        "Every string of the modules has a French translation"
        run = server()
        rpc = JSONRPC(
            f'{run.url}{run.database}/rpc/', 'admin', run.admin_password)
        session, _, _ = rpc.call('wizard.ir.translation.set.create', {})
        rpc.call('wizard.ir.translation.set.execute', session, {}, 'set_', {})
        rpc.call('wizard.ir.translation.set.delete', session, {})

        def strings(lang):
            rows = rpc.call('model.ir.translation.search_read', [
                    ('lang', '=', lang),
                    ('module', 'in', MODULES),
                    ], 0, None, None,
                ['module', 'type', 'name', 'res_id', 'src', 'value'], {})
            return {(r['module'], r['type'], r['name'], r['res_id'],
                    r['src']): r['value'] for r in rows if r['src']}
        english = strings('en')
        french = strings('fr')
        self.assertTrue(english)
        missing = sorted(
            f"{m}: {t} {n} {s!r}" for (m, t, n, r, s) in english
            if not french.get((m, t, n, r, s)))
        self.maxDiff = None
        self.assertEqual(missing, [],
            msg=f"{len(missing)} strings without French translation")
