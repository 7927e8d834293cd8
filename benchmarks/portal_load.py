#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Load benchmark of the partners' portal, on PostgreSQL

As the README's production section says to serve it: trytond's WSGI
application in several gunicorn worker processes on a PostgreSQL database
(every module, the demo data, and 200 partner companies each with a portal
account, two event registrations and two posted invoices).  Locust
(benchmarks/portal_locustfile.py) simulates the partners on 127.0.0.1:

1. the portal: 200 partners sign in and browse the dashboard, the events
   and the invoices, 2 to 8 seconds between pages;
2. the baseline, in the same run: the same 200 users reading the same
   records through Tryton's JSON-RPC API (a staff session; the dashboard
   needs two calls there, counted as two requests).

For each, it prints the requests per second and the latency at the 50th,
95th and 99th percentiles of the pages (the requests made once every user
has signed in, after a warm-up), the errors, and the portal's ratio to the
baseline; the sign-ins are measured apart.
Targets: 95th percentile <= 200 ms and no error at 200 users.

Usage: .venv/bin/python benchmarks/portal_load.py [--users 200]
       [--duration 90] [--workers 4]
PostgreSQL runs in a throwaway cluster (as the test command does) unless
TRYTOND_DATABASE_URI names a postgresql:// server."""
import argparse
import configparser
import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal

from common import BIN, TOP, admin_env, backends, create_database, percentile

DATABASE = 'bench'
PASSWORD = 'bench-password'
CONFIG = os.path.join(TOP, 'config', 'trytond.conf')
LOCUSTFILE = os.path.join(os.path.dirname(__file__), 'portal_locustfile.py')
P95_TARGET = 200
# The time between the first user and the last one to start, and after
WARM_UP = 10


def modules():
    names = sorted(
        m for m in os.listdir(os.path.join(TOP, 'modules'))
        if os.path.exists(os.path.join(TOP, 'modules', m, 'tryton.cfg')))
    with open(os.path.join(TOP, 'config', 'modules')) as fp:
        return names + [
            line.strip() for line in fp
            if line.strip() and not line.startswith('#')]


def write_config(uri, workdir):
    "Write the configuration of the project for the backend"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(CONFIG)
    parser['database']['uri'] = uri
    parser['database']['path'] = workdir
    path = os.path.join(workdir, 'trytond.conf')
    with open(path, 'w') as fp:
        parser.write(fp)
    return path


def prepare(uri, workdir, partners):
    "Create the database with the demo data and the partners"
    started = time.perf_counter()
    create_database(uri, workdir, DATABASE, modules(), language='fr')
    subprocess.run([sys.executable, os.path.join(TOP, 'scripts',
                'setup_demo.py'), '-c', write_config(uri, workdir),
            '-d', DATABASE, '-q'],
        env=admin_env(uri, workdir), check=True)
    subprocess.run([sys.executable, __file__, '--child',
            '--uri', uri, '--workdir', workdir,
            '--partners', str(partners)], check=True)
    return time.perf_counter() - started


def create_partners(uri, workdir, partners):
    "Run in a child process: the partners, their accounts and records"
    from trytond import config
    config.set('database', 'uri', uri)
    config.set('database', 'path', workdir)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool(DATABASE)
    pool.init()
    with Transaction().start(DATABASE, 0):
        Company = pool.get('company.company')
        company_id, = [c.id for c in Company.search([], limit=1)]
    context = {'company': company_id, 'language': 'fr'}

    def create():
        Account = pool.get('account.account')
        company = Company(company_id)
        Invoice = pool.get('account.invoice')
        Journal = pool.get('account.journal')
        ModelData = pool.get('ir.model.data')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        WebUser = pool.get('web.user')

        organisations = Party.create([{
                    'name': f'Bench Partner {i}',
                    'kind': 'company',
                    'addresses': [('create', [{
                                    'street': f'{i} rue de la Paix',
                                    'postal_code': '75002',
                                    'city': 'Paris',
                                    }])],
                    } for i in range(partners)])
        contacts = Party.create([{
                    'name': f'Contact {i}',
                    'kind': 'person',
                    } for i in range(partners)])
        password_hash = WebUser.hash_password(PASSWORD)
        WebUser.create([{
                    'email': f'contact{i}@bench.example',
                    'email_valid': True,
                    'password_hash': password_hash,
                    'party': contact.id,
                    'organisation': organisation.id,
                    } for i, (organisation, contact) in enumerate(
                    zip(organisations, contacts))])

        revenue, = Account.search([
                ('company', '=', company.id), ('code', '=', '706')])
        journal, = Journal.search([('type', '=', 'revenue')], limit=1)
        today = dt.date.today()
        invoices = []
        # By date: the invoices are numbered in the order of their dates
        for days, amount in [(90, 1200), (30, 2400)]:
            for organisation in organisations:
                invoices.append(Invoice(
                        company=company,
                        type='out',
                        party=organisation,
                        invoice_address=organisation.addresses[0],
                        journal=journal,
                        currency=company.currency,
                        account=organisation.account_receivable_used,
                        invoice_date=today - dt.timedelta(days=days),
                        lines=[{
                                'type': 'line',
                                'account': revenue.id,
                                'description': "Contribution de partenariat",
                                'quantity': 1,
                                'unit_price': Decimal(amount),
                                }]))
        for i in range(0, len(invoices), 200):
            Invoice.save(invoices[i:i + 200])
            Invoice.post(invoices[i:i + 200])

        User.create([{
                    'login': 'bench',
                    'name': "Bench staff",
                    'password': PASSWORD,
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    'groups': [('add', [
                                ModelData.get_id(*g.split('.'))
                                for g in [
                                    'association.group_association_staff',
                                    'association.'
                                    'group_association_treasurer',
                                    'account.group_account']])],
                    }])
        return [o.id for o in organisations], [c.id for c in contacts]

    # Posting locks the sequences and registrations their events: the
    # transactions restart with the locks declared
    organisation_ids, contact_ids = restarting(create, context)
    restarting(
        lambda: register(pool, organisation_ids, contact_ids), context)


def restarting(func, context):
    "Run func in a transaction, restarted with the locks it asks for"
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    while True:
        try:
            with Transaction().start(
                    DATABASE, 0, context=context, **extras) as transaction:
                result = func()
                transaction.commit()
            return result
        except TransactionError as exception:
            exception.fix(extras)


def register(pool, organisation_ids, contact_ids):
    "Register the contact of every organisation to the first open events"
    Event = pool.get('association.event')
    Registration = pool.get('association.event.registration')
    events = Event.search([('state', '=', 'open')], limit=2,
        order=[('start', 'ASC')])
    Registration.create([{
                'event': event.id,
                'person': contact_id,
                'organisation': organisation_id,
                'role': 'visitor',
                'origin': 'portal',
                } for organisation_id, contact_id in zip(
                organisation_ids, contact_ids)
            for event in events])


def free_port():
    sys.path.insert(0, TOP)
    from tests.run_all import free_port
    return free_port()


def start_server(uri, workdir, workers):
    port = free_port()
    env = dict(admin_env(uri, workdir),
        TRYTOND_CONFIG=write_config(uri, workdir),
        TRYTOND_DATABASE_NAMES=DATABASE)
    log = open(os.path.join(workdir, 'gunicorn.log'), 'w')
    server = subprocess.Popen([os.path.join(BIN, 'gunicorn'),
            '--workers', str(workers), '--bind', f'127.0.0.1:{port}',
            'trytond.application:app'],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 180
    ready = 0
    # Every worker loads the pool: wait until several answers in a row
    while ready < workers * 4:
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError(
                "gunicorn did not start, see "
                + os.path.join(workdir, 'gunicorn.log'))
        try:
            with urllib.request.urlopen(
                    f'{url}/{DATABASE}/portal/login', timeout=30) as response:
                ready += response.status == 200
        except (urllib.error.URLError, ConnectionError):
            ready = 0
            time.sleep(1)
    return server, url


def load(url, workdir, kind, users, duration):
    "Run locust with the users of the kind; return the samples"
    output = os.path.join(workdir, f'{kind}.json')
    env = dict(os.environ,
        CONCORDE_LOAD_OUTPUT=output,
        CONCORDE_LOAD_DATABASE=DATABASE,
        CONCORDE_LOAD_PASSWORD=PASSWORD,
        CONCORDE_LOAD_WARM_UP=str(WARM_UP),
        CONCORDE_LOAD_USERS=str(users))
    spawn_rate = max(1, users // 10)
    user_class = {'portal': 'PortalPartner', 'rpc': 'RpcPartner'}[kind]
    subprocess.run([os.path.join(BIN, 'locust'), '-f', LOCUSTFILE,
            '--headless', '--users', str(users),
            '--spawn-rate', str(spawn_rate), '--run-time', f'{duration}s',
            '--host', url, '--only-summary', '--loglevel', 'ERROR',
            user_class],
        env=env, check=False, stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(workdir, f'locust-{kind}.log'), 'w'))
    with open(output) as fp:
        samples = json.load(fp)
    if not [s for s in samples if s['name'] not in {'sign in'}]:
        # Show why: the users failed before measuring anything
        with open(os.path.join(workdir, f'locust-{kind}.log')) as fp:
            print(''.join(fp.readlines()[-30:]), file=sys.stderr)
    return samples


def figures(samples):
    if not samples:
        return None
    window = (max(s['at'] for s in samples) - min(s['at'] for s in samples)
        or 1)
    latencies = [s['ms'] for s in samples]
    return {
        'requests': len(samples),
        'per_s': len(samples) / window,
        'p50': percentile(latencies, 0.50),
        'p95': percentile(latencies, 0.95),
        'p99': percentile(latencies, 0.99),
        'errors': sum(s['error'] for s in samples),
        }


def report(kind, samples):
    """Print the figures of the pages, all together and one by one, and of
    the sign-ins apart; return the figures of the pages"""
    print(f"\n  {kind}")

    def page(sample):
        # The calls of a JSON-RPC page are measured with their page
        return (sample['name'] != 'sign in'
            and not sample['name'].endswith(' call'))
    pages = [s for s in samples if page(s)]
    names = sorted({s['name'] for s in pages})
    for name in [None] + names + ['sign in']:
        figure = figures([s for s in samples
                if s['name'] == name or (name is None and page(s))])
        if not figure:
            print(f"    {name or 'all':<10} no request measured")
            continue
        print(f"    {name or 'all':<10} {figure['requests']:6d} requests "
            f"{figure['per_s']:6.1f}/s  p50 {figure['p50']:6.0f} ms  "
            f"p95 {figure['p95']:6.0f} ms  p99 {figure['p99']:6.0f} ms  "
            f"errors {figure['errors']}")
    return figures(pages)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--users', type=int, default=200)
    parser.add_argument('--duration', type=int, default=90,
        help="seconds of each load (with the ramp-up and warm-up)")
    parser.add_argument('--workers', type=int, default=4,
        help="gunicorn worker processes")
    parser.add_argument('--partners', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--child', action='store_true',
        help=argparse.SUPPRESS)
    parser.add_argument('--uri', help=argparse.SUPPRESS)
    parser.add_argument('--workdir', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return create_partners(args.uri, args.workdir, args.partners)

    print(f"Portal load: {args.users} users, {args.duration} s each, "
        f"gunicorn with {args.workers} workers, {os.cpu_count()} CPUs")
    with backends(['postgresql']) as each:
        for backend, uri, workdir in each:
            seconds = prepare(uri, workdir, args.users)
            print(f"\n{backend}\n  set-up {seconds:.0f} s (not measured)")
            server, url = start_server(uri, workdir, args.workers)
            try:
                results = {}
                for kind in ['portal', 'rpc']:
                    samples = load(
                        url, workdir, kind, args.users, args.duration)
                    results[kind] = report(
                        {'portal': 'portal pages',
                            'rpc': 'JSON-RPC baseline'}[kind], samples)
            finally:
                server.terminate()
                server.wait()
            portal, rpc = results['portal'], results['rpc']
            print(f"\n  load average {os.getloadavg()[0]:.1f}")
            if portal and rpc:
                print(f"  portal / baseline: p95 "
                    f"{portal['p95'] / rpc['p95']:.2f}  pages/s "
                    f"{portal['per_s'] / rpc['per_s']:.2f}")
            if portal:
                print(f"  p95 / target ({P95_TARGET} ms): "
                    f"{portal['p95'] / P95_TARGET:.2f}  errors: "
                    f"{portal['errors']}")


if __name__ == '__main__':
    sys.exit(main())
