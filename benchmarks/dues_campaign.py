#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of the yearly dues campaign, on SQLite and PostgreSQL

For each backend, in a child process, a database with the French chart of
accounts, the 2026 official data of France and last year's memberships of
the communes and EPCI (all of them, or --members of them):

- the campaign computed (memberships renewed, one line per member),
  invoiced and posted by the queued batches, and the dues-call letters
  rendered; members per second for each step.  On SQLite the queued tasks
  run in this process one after the other (one worker); on PostgreSQL two
  trytond-worker processes run them;
- on a sample of --sample members, Tryton's batch floor: the same one-line
  invoices created with Invoice.save(list) and posted with
  Invoice.post(list) in chunks, documents left to the queue;
- on the --naive first members of that sample (all of them by default),
  the naive way: one invoice at a time through proteus, as a treasurer's
  script would do (with the invoice document rendered at the end of each
  request, as without a worker);

and the ratios of the campaign's members per second (compute, invoice and
post) to the floor's and the naive way's.  A queued letter task renders 20
letters with one execution of the report (WeasyPrint converts each one).
The machine's load average (1 minute) is printed at the start and at the
end of the invoicing and of the letters: the figures depend on what else
runs on the cores.

Usage: .venv/bin/python benchmarks/dues_campaign.py [--data PATH]
       [--backend sqlite|postgresql] [--members N] [--sample 1000]
       [--naive 1000] [--workers 2] [--progress]
PostgreSQL runs in a throwaway cluster (as the test command does) unless
TRYTOND_DATABASE_URI names a postgresql:// server."""
import argparse
import datetime as dt
import json
import logging
import os
import random
import re
import subprocess
import sys
import time
from decimal import Decimal

from common import (
    TOP, backends, copy_database, create_database, stop_workers, transaction)
DEFAULT_DATA = os.path.join(
    TOP, '..', 'shared', 'data', 'decoupage-administratif')
YEAR = 2026
MODULES = ['association_membership', 'account_fr']
LETTER_QUEUE = 'association_membership_letter'
CHUNK = 250


def write_config(uri, workdir):
    "Write the trytond configuration file of the workers"
    path = os.path.join(workdir, 'trytond.conf')
    with open(path, 'w') as fp:
        fp.write(f"[database]\nuri = {uri}\npath = {workdir}\n"
            "[queue]\nworker = True\n"
            "[email]\nuri = smtp://localhost:25\n")
    return path


def setup_association(database):
    "Set the company, the French chart, the fiscal year and the dues up"
    from proteus import Model, Wizard
    from proteus import config as pconfig

    from trytond.modules.association.tests.tools import setup_accounting
    config = pconfig.set_trytond(database)
    Currency = Model.get('currency.currency')
    Party = Model.get('party.party')
    User = Model.get('res.user')
    currency = Currency(name="Euro", code='EUR', symbol="€")
    currency.save()
    company_config = Wizard('company.company.config')
    company_config.execute('company')
    party = Party(name="Association des maires")
    party.save()
    company_config.form.party = party
    company_config.form.currency = currency
    company_config.execute('add')
    config._context = User.get_preferences(True, {})
    Company = Model.get('company.company')
    company, = Company.find()

    Account = Model.get('account.account')
    ModelData = Model.get('ir.model.data')
    setup_accounting(years=[YEAR], config=config)

    Category = Model.get('product.category')
    Template = Model.get('product.template')
    Uom = Model.get('product.uom')
    revenue, = Account.find([('code', '=', '706')])
    category = Category(name="Cotisations", accounting=True,
        account_revenue=revenue)
    category.save()
    template = Template(name="Cotisation", type='service',
        default_uom=Uom(ModelData.get_id(
            'product', 'uom_unit', config.context)),
        account_category=category, list_price=Decimal(0))
    template.save()
    product, = template.products

    Type = Model.get('association.membership.type')
    Rule = Model.get('association.dues.rule')
    types = {}
    for code, name in [('C', "Commune"), ('EPCI', "Intercommunalité")]:
        types[code] = type_ = Type(name=name, code=code, product=product)
        type_.save()
    rule = Rule(type=types['C'], year=YEAR, population_basis='municipal',
        minimum=Decimal(50), maximum=Decimal(5000), rounding=Decimal(1))
    for start, end, fixed, rate in [
            (0, 999, 50, '0'), (1000, 9999, 100, '0.10'),
            (10000, 49999, 500, '0.06'), (50000, None, 1500, '0.04')]:
        rule.brackets.new(population_from=start, population_to=end,
            fixed_amount=Decimal(fixed), rate=Decimal(rate))
    rule.save()
    rule = Rule(type=types['EPCI'], year=YEAR, population_basis='total',
        minimum=Decimal(500), maximum=Decimal(10000), rounding=Decimal(1))
    rule.brackets.new(population_from=0, fixed_amount=Decimal(0),
        rate=Decimal('0.02'))
    rule.save()
    return {
        'company': company.id,
        'types': {k: t.id for k, t in types.items()},
        'product': product.id,
        }


def prepare_members(database, data_path, members, setup):
    """Import the official data and give the members an address and
    their membership of the previous year; return the member ids"""
    from trytond.modules.association.official_data import (
        Importer, OfficialData)
    from trytond.pool import Pool
    pool = Pool(database)

    def import_():
        data = OfficialData.read_folder(YEAR, data_path)
        return Importer(data).run()
    transaction(database, import_)

    def create():
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        Membership = pool.get('association.membership')
        parties = Party.search([
                ('kind', 'in', ['commune', 'epci']),
                ('population', '!=', None),
                ], order=[('id', 'ASC')])
        if members:
            # Browse the sample on its own: the records of the search
            # would read their neighbours in the whole list
            parties = Party.browse([p.id for p in random.Random(42).sample(
                        parties, members)])
        for i in range(0, len(parties), 1000):
            sub = parties[i:i + 1000]
            Address.create([{
                        'party': p.id,
                        'street': "Hôtel de ville",
                        'city': p.name,
                        'invoice': True,
                        } for p in sub])
            Membership.create([{
                        'party': p.id,
                        'type': setup['types'][
                            'C' if p.kind == 'commune' else 'EPCI'],
                        'year': YEAR - 1,
                        'join_date': dt.date(YEAR - 1, 1, 1),
                        } for p in sub])
        return [p.id for p in parties]
    return transaction(
        database, create, context={'company': setup['company']})


def pending(database, name=None, method=None):
    "Return the ids of the tasks not finished"
    from trytond.pool import Pool
    pool = Pool(database)

    def read():
        Queue = pool.get('ir.queue')
        return [t.id for t in Queue.search([
                    ('finished_at', '=', None),
                    ], order=[('id', 'ASC')])
            if (not name or t.name == name)
            and (not method or t.data['method'] == method)]
    return transaction(database, read)


class Timings(logging.Handler):
    "Collect the create and post durations logged by the campaign"
    pattern = re.compile(
        r"invoiced (\d+) members in ([\d.]+)s and posted in ([\d.]+)s"
        r"(?: \(prepared in ([\d.]+)s)?")
    # The posting of the invoices prepared by other tasks
    posted = re.compile(r"posted (\d+) members in ([\d.]+)s")

    def __init__(self):
        super().__init__()
        self.count = self.create = self.post = self.prepare = 0

    def emit(self, record):
        self.add(record.getMessage())

    def add(self, message):
        match = self.pattern.search(message)
        if match:
            self.count += int(match.group(1))
            self.create += float(match.group(2))
            self.post += float(match.group(3))
            self.prepare += float(match.group(4) or 0)
        elif match := self.posted.search(message):
            self.post += float(match.group(2))


def start_workers(conf, database, processes, name, log):
    return subprocess.Popen([
            os.path.join(os.path.dirname(sys.executable), 'trytond-worker'),
            '-c', conf, '-d', database, '-n', str(processes),
            '--name', name, '-vv', '-t', '1'],
        stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)


def wait(database, name, timeout=4 * 3600):
    started = time.monotonic()
    while pending(database, name=name):
        if time.monotonic() - started > timeout:
            raise RuntimeError("The workers did not finish")
        time.sleep(0.5)


def run_campaign(
        uri, workdir, database, setup, count, workers, verbose=False):
    "Compute, invoice, post and render the letters; return the figures"
    from trytond.pool import Pool
    from trytond.worker import run_task
    pool = Pool(database)
    context = {'company': setup['company']}
    figures = {'members': count}

    def compute():
        Campaign = pool.get('association.dues.campaign')
        campaign, = Campaign.create([{
                    'name': f"Cotisations {YEAR}",
                    'year': YEAR,
                    'invoice_date': dt.date(YEAR, 1, 15),
                    'types': [('add', list(setup['types'].values()))],
                    }])
        Campaign.compute([campaign])
        return campaign.id
    figures['load_start'] = os.getloadavg()[0]
    started = time.perf_counter()
    campaign_id = transaction(database, compute, context=context)
    figures['compute_s'] = time.perf_counter() - started

    def invoice():
        Campaign = pool.get('association.dues.campaign')
        Campaign.invoice(Campaign.browse([campaign_id]))

    def progress():
        Campaign = pool.get('association.dues.campaign')
        campaign = Campaign(campaign_id)
        return (campaign.state, campaign.invoiced_count,
            campaign.failed_count, campaign.letter_count)

    timings = Timings()
    if uri.startswith('sqlite'):
        # One worker: the tasks run here one after the other
        logger = logging.getLogger(
            'trytond.modules.association_membership.campaign')
        logger.setLevel(logging.INFO)
        logger.addHandler(timings)
        if verbose:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter(
                    '%(relativeCreated)9.0f ms %(message)s'))
            logger.addHandler(handler)
        started = time.perf_counter()
        transaction(database, invoice, context=context)
        while tasks := pending(database, name='default'):
            for task in tasks:
                run_task(database, task)
        figures['invoice_wall_s'] = time.perf_counter() - started
        started = time.perf_counter()
        figures['load_letters'] = os.getloadavg()[0]
        for task in pending(database, name=LETTER_QUEUE):
            run_task(database, task)
        figures['letters_s'] = time.perf_counter() - started
        figures['letter_workers'] = 1
        # The campaign is done with its last letter
        for task in pending(database, name='default'):
            run_task(database, task)
    else:
        conf = write_config(uri, workdir)
        log_path = os.path.join(workdir, 'worker.log')
        with open(log_path, 'w') as log:
            process = start_workers(conf, database, workers, 'default', log)
            try:
                time.sleep(3)
                started = time.perf_counter()
                transaction(database, invoice, context=context)
                # Invoiced once no line is left to invoice (the campaign is
                # done with its letters)
                wait(database, 'default')
                figures['invoice_wall_s'] = time.perf_counter() - started
            finally:
                stop_workers(process)
            process = start_workers(
                conf, database, workers, LETTER_QUEUE, log)
            try:
                figures['load_letters'] = os.getloadavg()[0]
                started = time.perf_counter()
                wait(database, LETTER_QUEUE)
                figures['letters_s'] = time.perf_counter() - started
            finally:
                stop_workers(process)
            # The task that closes the campaign after its last letter
            process = start_workers(conf, database, 1, 'default', log)
            try:
                wait(database, 'default')
            finally:
                stop_workers(process)
        with open(log_path) as log:
            for line in log:
                timings.add(line)
        figures['letter_workers'] = workers
    figures['load_end'] = os.getloadavg()[0]
    state, invoiced, failed, letters = transaction(database, progress)
    figures.update({
            'state': state,
            'invoiced': invoiced,
            'failed': failed,
            'letters': letters,
            'create_s': timings.create,
            'post_s': timings.post,
            'prepare_s': timings.prepare,
            })

    def check():
        Invoice = pool.get('account.invoice')
        invoices = Invoice.search([('dues_year', '=', YEAR)])
        return len(invoices), len({i.party.id for i in invoices})
    figures['invoices'], figures['invoiced_parties'] = transaction(
        database, check)
    return figures


def batch_floor(database, setup, party_ids):
    "Create and post one-line invoices with lists, in chunks"
    from trytond.pool import Pool
    pool = Pool(database)
    context = {'company': setup['company'], '_skip_warnings': True}
    figures = {}

    def create():
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        Party = pool.get('party.party')
        Product = pool.get('product.product')
        Company = pool.get('company.company')
        company = Company(setup['company'])
        product = Product(setup['product'])
        journal = Invoice.default_journal() if hasattr(
            Invoice, 'default_journal') else None
        ids = []
        for i in range(0, len(party_ids), CHUNK):
            invoices = []
            for party in Party.browse(party_ids[i:i + CHUNK]):
                invoice = Invoice(company=company, type='out', party=party,
                    invoice_address=party.address_get('invoice'),
                    currency=company.currency,
                    account=party.account_receivable_used,
                    invoice_date=dt.date(YEAR, 1, 15))
                if journal:
                    invoice.journal = journal
                else:
                    invoice.set_journal()
                invoice.lines = [Line(type='line', product=product,
                        quantity=1, unit=product.default_uom,
                        unit_price=Decimal('250.00'),
                        account=product.account_revenue_used,
                        description="Cotisation")]
                invoices.append(invoice)
            Invoice.save(invoices)
            ids.extend(i.id for i in invoices)
        return ids
    started = time.perf_counter()
    ids = transaction(database, create, context=context)
    figures['create_s'] = time.perf_counter() - started

    def post():
        Invoice = pool.get('account.invoice')
        for i in range(0, len(ids), CHUNK):
            Invoice.post(Invoice.browse(ids[i:i + CHUNK]))
    started = time.perf_counter()
    transaction(database, post, context=context)
    figures['post_s'] = time.perf_counter() - started
    figures['count'] = len(ids)
    return figures


def naive(database, setup, party_ids):
    "One invoice at a time through proteus, as a script would do"
    from proteus import Model
    from proteus import config as pconfig

    import trytond.config as tconfig
    # No worker: the invoice document is rendered at the end of the request
    tconfig.set('queue', 'worker', 'False')
    config = pconfig.set_trytond(database)
    User = Model.get('res.user')
    config._context = User.get_preferences(True, {})
    Invoice = Model.get('account.invoice')
    Party = Model.get('party.party')
    Product = Model.get('product.product')
    product = Product(setup['product'])
    started = time.perf_counter()
    for party_id in party_ids:
        invoice = Invoice(type='out', party=Party(party_id))
        invoice.invoice_date = dt.date(YEAR, 1, 15)
        line = invoice.lines.new()
        line.product = product
        line.quantity = 1
        line.unit_price = Decimal('250.00')
        invoice.save()
        invoice.click('post')
    duration = time.perf_counter() - started
    tconfig.set('queue', 'worker', 'True')
    return {'seconds': duration, 'count': len(party_ids)}


def measure(args):
    "Run in a child process for one backend; return the figures"
    import trytond.config as tconfig
    tconfig.set('database', 'uri', args.uri)
    tconfig.set('database', 'path', args.workdir)
    tconfig.set('queue', 'worker', 'True')
    from trytond.pool import Pool

    figures = {}
    started = time.perf_counter()
    create_database(args.uri, args.workdir, 'template', MODULES)
    Pool('template').init()
    setup = setup_association('template')
    party_ids = prepare_members(
        'template', args.data, args.members, setup)
    figures['setup_s'] = time.perf_counter() - started
    for name in ['campaign', 'floor', 'naive']:
        copy_database(args.uri, args.workdir, 'template', name)

    Pool('campaign').init()
    figures['campaign'] = run_campaign(
        args.uri, args.workdir, 'campaign', setup, len(party_ids),
        args.workers, verbose=args.progress)
    sample = random.Random(7).sample(
        party_ids, min(args.sample, len(party_ids)))
    Pool('floor').init()
    figures['floor'] = batch_floor('floor', setup, sample)
    Pool('naive').init()
    figures['naive'] = naive('naive', setup, sample[:args.naive])
    return figures


def child(args):
    figures = measure(args)
    with open(args.output, 'w') as fp:
        json.dump(figures, fp, default=str)


def report(backend, figures):
    campaign, floor, naive = (
        figures['campaign'], figures['floor'], figures['naive'])
    n = campaign['members']

    def rate(count, seconds):
        return count / seconds if seconds else float('inf')
    print(f"\n{backend} ({n} members; setup {figures['setup_s']:.0f} s)")
    print(f"  compute   {campaign['compute_s']:8.1f} s  "
        f"{rate(n, campaign['compute_s']):8.1f} members/s  "
        "(memberships renewed, lines computed)")
    if campaign['create_s']:
        print("  steps, summed over the workers:")
        for step, key, what in [
                ('build', 'prepare_s', "  (invoices built in memory)"),
                ('create', 'create_s',
                    "  (saved, validated, draft moves; side by side)"),
                ('post', 'post_s', "  (numbered and posted, one at a time)")]:
            seconds = campaign.get(key, 0)
            print(f"  {step:9} {seconds:8.1f} s  "
                f"{rate(campaign['invoiced'], seconds):8.1f} members/s{what}")
    else:
        print("  invoice, post: see the wall time of the queued batches "
            "(the workers' log gave no step timings)")
    print(f"  invoicing {campaign['invoice_wall_s']:8.1f} s  "
        f"{rate(n, campaign['invoice_wall_s']):8.1f} members/s  "
        "(queued batches, wall time)")
    print(f"  letters   {campaign['letters_s']:8.1f} s  "
        f"{rate(campaign['letters'], campaign['letters_s']):8.1f} letters/s"
        f"  ({campaign['letter_workers']} worker(s))")
    end_to_end = campaign['compute_s'] + campaign['invoice_wall_s']
    with_letters = end_to_end + campaign['letters_s']
    print(f"  end to end {end_to_end:7.1f} s  {rate(n, end_to_end):8.1f} "
        f"members/s (compute, invoice, post); {with_letters:.1f} s "
        f"with the letters ({rate(n, with_letters):.1f} members/s)")
    print(f"  check: state {campaign['state']}, {campaign['invoices']} "
        f"invoices for {campaign['invoiced_parties']} members, "
        f"{campaign['failed']} failed, {campaign['letters']} letters")
    floor_rate = rate(floor['count'], floor['create_s'] + floor['post_s'])
    print(f"  batch floor {floor['count']} invoices: create "
        f"{rate(floor['count'], floor['create_s']):.1f}/s, post "
        f"{rate(floor['count'], floor['post_s']):.1f}/s, end to end "
        f"{floor_rate:.1f}/s")
    naive_rate = rate(naive['count'], naive['seconds'])
    print(f"  naive proteus {naive['count']} invoices: {naive_rate:.2f}/s "
        "(with the invoice document)")
    print(f"  ratio campaign / batch floor: "
        f"{rate(n, end_to_end) / floor_rate:.2f}x")
    print(f"  ratio campaign / naive: {rate(n, end_to_end) / naive_rate:.1f}x"
        f" ({rate(n, with_letters) / naive_rate:.1f}x with the letters)")
    print(f"  load average: {campaign.get('load_start', 0):.1f} at the "
        f"start, {campaign.get('load_letters', 0):.1f} before the letters, "
        f"{campaign.get('load_end', 0):.1f} at the end "
        f"({os.cpu_count()} cores)")
    full = 36224
    print(f"  projected full France ({full} members): "
        f"{full / rate(n, with_letters) / 60:.1f} min with the letters")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default=DEFAULT_DATA)
    parser.add_argument('--backend', action='append',
        choices=['sqlite', 'postgresql'])
    parser.add_argument('--members', type=int, default=0,
        help="the number of members (default: every commune and EPCI)")
    parser.add_argument('--sample', type=int, default=1000)
    parser.add_argument('--naive', type=int, default=1000,
        help="the invoices of the sample made the naive way")
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--progress', action='store_true',
        help="print the timings of every batch (SQLite) to stderr")
    parser.add_argument('--child', action='store_true',
        help=argparse.SUPPRESS)
    parser.add_argument('--uri', help=argparse.SUPPRESS)
    parser.add_argument('--workdir', help=argparse.SUPPRESS)
    parser.add_argument('--output', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    print(f"Official data: {os.path.abspath(args.data)}")
    with backends(args.backend or ['sqlite', 'postgresql']) as each:
        for backend, uri, folder in each:
            output = os.path.join(folder, 'figures.json')
            subprocess.run([sys.executable, __file__, '--child',
                    '--uri', uri, '--workdir', folder,
                    '--output', output, '--data', args.data,
                    '--members', str(args.members),
                    '--sample', str(args.sample),
                    '--naive', str(args.naive),
                    '--workers', str(args.workers)]
                + (['--progress'] if args.progress else []), check=True)
            with open(output) as fp:
                report(backend, json.load(fp))


if __name__ == '__main__':
    sys.exit(main())
