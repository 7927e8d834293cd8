#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of the trade show registrations, on SQLite and PostgreSQL

For each backend, on a trade show:
1. the creation of the registrations (50,000 by default) through the ORM in
   batches, as an import or the portal would make them: registrations/s;
2. the check-in of 10,000 of them one by one, as at the gate: one
   transaction per code, from the lookup by code to the commit; the
   latency at the 50th, 95th and 99th percentiles against the 50 ms target
   at the 95th;
3. the participation statistics over all the registrations, grouped by
   event, kind, format, département and month, against the 1 s target.

Usage: .venv/bin/python benchmarks/event_registrations.py
       [--backend sqlite|postgresql] [--registrations 50000]
       [--check-ins 10000]
PostgreSQL runs in a throwaway cluster (as the test command does) unless
TRYTOND_DATABASE_URI names a postgresql:// server."""
import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time

from common import backends, create_database, percentile

BATCH = 1000
CHECK_IN_TARGET = 0.050
STATISTICS_TARGET = 1.0
GROUPS = ['event', 'kind', 'format', 'departement', 'month']


def measure(uri, workdir, registrations, check_ins):
    "Run in a child process for one backend; return the figures"
    from trytond import config
    config.set('database', 'uri', uri)
    config.set('database', 'path', workdir)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    figures = {}
    started = time.perf_counter()
    create_database(uri, workdir, 'bench', ['association_event'])
    figures['template_s'] = time.perf_counter() - started
    pool = Pool('bench')
    pool.init()
    User = pool.get('res.user')
    with Transaction().start('bench', 0, readonly=True):
        admin, = User.search([('login', '=', 'admin')])
        admin_id = admin.id
        context = User.get_preferences(context_only=True)

    # The directory and the show: set up, not measured
    started = time.perf_counter()
    with Transaction().start('bench', admin_id, context=context) as t:
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        Party = pool.get('party.party')
        Event = pool.get('association.event')
        france, = Country.create([{'name': 'France', 'code': 'FR'}])
        departements = Subdivision.create([{
                    'name': f'Département {i:02d}',
                    'code': f'FR-{i:02d}',
                    'type': 'metropolitan department',
                    'country': france.id,
                    } for i in range(1, 96)])
        organisations = []
        for start in range(0, 2000, BATCH):
            organisations.extend(Party.create([{
                            'name': f'Commune {i}',
                            'kind': 'commune',
                            'departement': departements[
                                i % len(departements)].id,
                            } for i in range(start, start + BATCH)]))
        # The visitors are inserted in bulk: their creation is not what is
        # measured and the party sequence would take minutes
        party = Party.__table__()
        cursor = t.connection.cursor()
        now = dt.datetime.now()
        for start in range(0, registrations, BATCH):
            cursor.execute(*party.insert(
                    [party.name, party.code, party.kind, party.active,
                        party.create_uid, party.create_date],
                    [[f'Visiteur {i}', f'V{i}', 'person', True, admin_id, now]
                        for i in range(
                            start, min(start + BATCH, registrations))]))
        cursor.execute(*party.select(
                party.id, where=party.kind == 'person', order_by=[party.id]))
        persons = Party.browse([i for i, in cursor])
        show_start = dt.datetime.combine(
            dt.date.today() + dt.timedelta(days=1), dt.time(7))
        show, = Event.create([{
                    'name': 'Salon des maires',
                    'kind': 'trade_show',
                    'format': 'on_site',
                    'start': show_start,
                    'end': show_start + dt.timedelta(days=1, hours=11),
                    }])
        Event.open([show])
        show_id = show.id
        person_ids = [p.id for p in persons]
        organisation_ids = [o.id for o in organisations]
        t.commit()
    figures['setup_s'] = time.perf_counter() - started

    # 1. Creation of the registrations
    started = time.perf_counter()
    with Transaction().start('bench', admin_id, context=context) as t:
        Registration = pool.get('association.event.registration')
        for start in range(0, registrations, BATCH):
            Registration.create([{
                        'event': show_id,
                        'person': person_id,
                        'organisation': organisation_ids[
                            i % len(organisation_ids)],
                        'role': 'visitor',
                        'origin': 'portal',
                        } for i, person_id in enumerate(
                            person_ids[start:start + BATCH], start)])
        t.commit()
    duration = time.perf_counter() - started
    figures['create'] = {
        'seconds': duration,
        'count': registrations,
        'per_s': registrations / duration,
        }

    with Transaction().start('bench', admin_id, readonly=True) as t:
        cursor = t.connection.cursor()
        cursor.execute(
            'SELECT code FROM association_event_registration '
            'WHERE event = %s' % show_id)
        codes = [c for c, in cursor]
    random.Random(42).shuffle(codes)
    codes = codes[:check_ins]

    # 2. Check-in one by one, a transaction each as each request at the gate
    latencies = []
    started = time.perf_counter()
    for code in codes:
        begin = time.perf_counter()
        with Transaction().start('bench', admin_id, context=context) as t:
            Registration = pool.get('association.event.registration')
            Registration.check_in(code)
            t.commit()
        latencies.append(time.perf_counter() - begin)
    duration = time.perf_counter() - started
    with Transaction().start('bench', admin_id, readonly=True) as t:
        cursor = t.connection.cursor()
        cursor.execute(
            "SELECT COUNT(*) FROM association_event_registration "
            "WHERE state = 'attended'")
        attended, = cursor.fetchone()
    figures['check_in'] = {
        'count': len(codes),
        'attended': attended,
        'seconds': duration,
        'p50': percentile(latencies, 0.50),
        'p95': percentile(latencies, 0.95),
        'p99': percentile(latencies, 0.99),
        'max': max(latencies),
        'mean': statistics.mean(latencies),
        }

    # 3. Statistics: the table query and the read of its rows
    figures['statistics'] = {}
    for group_by in GROUPS:
        with Transaction().start('bench', admin_id, readonly=True,
                context=dict(context, group_by=group_by)):
            Statistic = pool.get('association.event.statistic')
            begin = time.perf_counter()
            rows = Statistic.search_read([], fields_names=[
                    'label', 'registrations', 'attended', 'first_time',
                    'attendance_rate'])
            seconds = time.perf_counter() - begin
        figures['statistics'][group_by] = {
            'seconds': seconds,
            'rows': len(rows),
            'registrations': sum(r['registrations'] for r in rows),
            'attended': sum(r['attended'] for r in rows),
            }
    return figures


def child(args):
    figures = measure(
        args.uri, args.workdir, args.registrations, args.check_ins)
    with open(args.output, 'w') as fp:
        json.dump(figures, fp, default=str)


def report(backend, figures):
    create, check_in = figures['create'], figures['check_in']
    print(f"\n{backend}")
    print(f"  set-up          {figures['setup_s']:7.1f} s  (directory and "
        "show, not measured)")
    print(f"  registrations   {create['seconds']:7.1f} s  "
        f"{create['per_s']:8.0f} registrations/s  ({create['count']})")
    print(f"  check-in        {check_in['count']} one by one in "
        f"{check_in['seconds']:.1f} s ({check_in['attended']} attended)")
    print(f"    latency p50 {check_in['p50'] * 1000:6.1f} ms  "
        f"p95 {check_in['p95'] * 1000:6.1f} ms  "
        f"p99 {check_in['p99'] * 1000:6.1f} ms  "
        f"max {check_in['max'] * 1000:6.1f} ms")
    print(f"    p95 / target ({CHECK_IN_TARGET * 1000:.0f} ms): "
        f"{check_in['p95'] / CHECK_IN_TARGET:.2f}")
    for group_by, figure in figures['statistics'].items():
        print(f"  statistics by {group_by:<12} {figure['seconds']:6.3f} s  "
            f"({figure['rows']} rows, {figure['registrations']} "
            f"registrations, {figure['attended']} attended; "
            f"/ target ({STATISTICS_TARGET:.0f} s): "
            f"{figure['seconds'] / STATISTICS_TARGET:.2f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--backend', action='append',
        choices=['sqlite', 'postgresql'])
    parser.add_argument('--registrations', type=int, default=50000)
    parser.add_argument('--check-ins', type=int, default=10000)
    parser.add_argument('--child', action='store_true',
        help=argparse.SUPPRESS)
    parser.add_argument('--uri', help=argparse.SUPPRESS)
    parser.add_argument('--workdir', help=argparse.SUPPRESS)
    parser.add_argument('--output', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    print(f"Trade show: {args.registrations} registrations, "
        f"{args.check_ins} check-ins")
    with backends(args.backend or ['sqlite', 'postgresql']) as each:
        for backend, uri, backend_dir in each:
            output = os.path.join(backend_dir, 'figures.json')
            subprocess.run([sys.executable, __file__, '--child',
                    '--uri', uri, '--workdir', backend_dir,
                    '--output', output,
                    '--registrations', str(args.registrations),
                    '--check-ins', str(args.check_ins)], check=True)
            with open(output) as fp:
                report(backend, json.load(fp))


if __name__ == '__main__':
    sys.exit(main())
