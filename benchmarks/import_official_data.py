#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of the official-data import, on SQLite and PostgreSQL

For each backend: the full France file into an empty database, the same
file again (which must write nothing), and the naive way (one ORM create
per commune, with its SIREN) on a sample of 2,000 communes, with the ratio
of the rows per second of the import to the naive way's.

Usage: .venv/bin/python benchmarks/import_official_data.py [--data PATH]
       [--backend sqlite|postgresql] [--sample 2000]
PostgreSQL runs in a throwaway cluster (as the test command does) unless
TRYTOND_DATABASE_URI names a postgresql:// server."""
import os
import random
import sys
import time

from common import copy_database, create_database, main_per_backend

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(
    TOP, '..', 'shared', 'data', 'decoupage-administratif')
YEAR = 2026


def measure(uri, workdir, data_path, sample):
    "Run in a child process for one backend; return the figures"
    from trytond import config
    config.set('database', 'uri', uri)
    config.set('database', 'path', workdir)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.association.official_data import (
        Importer, OfficialData)

    figures = {}
    started = time.perf_counter()
    create_database(uri, workdir, 'template', ['association'])
    figures['template_s'] = time.perf_counter() - started

    copy_database(uri, workdir, 'template', 'bulk')
    pool = Pool('bulk')
    pool.init()

    def run_import(key):
        started = time.perf_counter()
        with Transaction().start('bulk', 1) as transaction:
            data = OfficialData.read_folder(YEAR, data_path)
            summary = Importer(data).run()
            transaction.commit()
        duration = time.perf_counter() - started
        figures[key] = {
            'seconds': duration,
            'rows': summary['total'],
            'rows_per_s': summary['total'] / duration,
            'summary': summary,
            }

    def state():
        with Transaction().start('bulk', 0, readonly=True) as transaction:
            cursor = transaction.connection.cursor()
            cursor.execute(
                'SELECT COUNT(*), MAX(write_date), MAX(create_date) '
                'FROM party_party')
            count, write, create = cursor.fetchone()
            cursor.execute(
                'SELECT COUNT(*), MAX(write_date), MAX(create_date) '
                'FROM association_population')
            return (count, str(write), str(create)) + tuple(
                map(str, cursor.fetchone()))

    run_import('first')
    before = state()
    run_import('again')
    figures['again']['database_unchanged'] = before == state()

    # The naive way: one create per commune through the ORM
    data = OfficialData.read_folder(YEAR, data_path)
    communes = [a for a in data.authorities.values() if a.kind == 'commune']
    random.Random(42).shuffle(communes)
    communes = communes[:sample]
    copy_database(uri, workdir, 'template', 'naive')
    pool = Pool('naive')
    pool.init()
    with Transaction().start('naive', 1) as transaction:
        importer = Importer(data)
        subdivisions = importer.ensure_subdivisions()
        Party = pool.get('party.party')
        started = time.perf_counter()
        for commune in communes:
            Party.create([{
                        'name': commune.name,
                        'kind': 'commune',
                        'official_code': commune.code,
                        'population': commune.population,
                        'population_year': YEAR,
                        'departement': subdivisions[
                            'departement', commune.departement],
                        'region': subdivisions['region', commune.region],
                        'identifiers': [('create', [{
                                        'type': 'fr_siren',
                                        'code': commune.siren,
                                        }])] if commune.siren else [],
                        }])
        transaction.commit()
        duration = time.perf_counter() - started
    figures['naive'] = {
        'seconds': duration,
        'rows': len(communes),
        'rows_per_s': len(communes) / duration,
        }
    figures['ratio'] = (
        figures['first']['rows_per_s'] / figures['naive']['rows_per_s'])
    return figures


def report(backend, figures):
    first, again, naive = figures['first'], figures['again'], figures['naive']
    summary = first['summary']
    print(f"\n{backend}")
    print(f"  first import    {first['seconds']:7.1f} s  "
        f"{first['rows_per_s']:8.0f} rows/s  ({first['rows']} authorities: "
        f"{summary['created']} created)")
    s = again['summary']
    print(f"  re-import       {again['seconds']:7.1f} s  "
        f"{again['rows_per_s']:8.0f} rows/s  ({s['created']} created, "
        f"{s['updated']} updated, {s['merged']} merged, {s['unchanged']} "
        f"unchanged; database unchanged: {again['database_unchanged']})")
    print(f"  naive ORM       {naive['seconds']:7.1f} s  "
        f"{naive['rows_per_s']:8.0f} rows/s  ({naive['rows']} communes, "
        "one create each)")
    print(f"  ratio import / naive: {figures['ratio']:.1f}x")


def main():
    return main_per_backend(
        __doc__, __file__, measure, report, DEFAULT_DATA)


if __name__ == '__main__':
    sys.exit(main())
