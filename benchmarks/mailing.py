#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of a mailing to 35,000 officials, on PostgreSQL

In a child process, a database with the mailings and 35,000 elected
officials of 1,000 communes (inserted with python-sql), each with an e-mail
address of their own, a few hundred more who share an address with another
(one e-mail for both) or have none:

- the mailing is sent to the audience of every official: the send button
  (timed on its own) queues the preparation of the mailing, which one of
  two trytond-worker processes runs (it refreshes the audience and makes
  and queues the lines of the recipients: timed from the queue's record
  of the task), then the workers render the e-mails and hand them to a
  local SMTP server (aiosmtpd, in this process, on 127.0.0.1) that counts
  them by address: messages per second from the end of the preparation to
  the last e-mail received, the duplicates (an address that received it
  twice: must be 0) and the SMTP connections;
- the naive way on the first --naive recipients (2,000 by default: the
  35,000 would take minutes): in one transaction, each e-mail built from
  the message and sent with trytond's sendmail one after the other;

and the ratio of the two rates.  The target is 50 messages per second.
The machine's load average (1 minute) is printed: the figures depend on
what else runs on the cores.

Usage: .venv/bin/python benchmarks/mailing.py [--recipients 35000]
       [--naive 2000] [--workers 2] [--batch-size 50] [--profile FILE]
PostgreSQL runs in a throwaway cluster (as the test command does) unless
TRYTOND_DATABASE_URI names a postgresql:// server.  --profile FILE writes
the cProfile statistics of the queued sendings run by one worker process
(those of the preparation to FILE.prepare and of the send button to
FILE.send)."""
import argparse
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

from common import backends, create_database, stop_workers, transaction

DATABASE = 'mailing'
COMMUNES = 1000
QUEUE = 'association_mailing'
FROM = 'Association des maires <contact@association.example>'
CONTENT = '''<html><body>
<p>${civility},</p>
<p>En votre qualité de ${office} de ${commune}, nous avons le plaisir de
vous adresser la lettre d'information de l'association.</p>
<h2>Le congrès des maires</h2>
<p>Le congrès se tiendra du 17 au 19 novembre à Paris, porte de Versailles.
Les inscriptions sont ouvertes sur le portail de l'association : les
délégations des communes membres y sont accueillies sans frais.</p>
<h2>Les cotisations</h2>
<p>Les appels de cotisation de l'année partiront en janvier. Les communes
qui règlent par prélèvement SEPA n'ont rien à faire ; les autres recevront
leur facture sur Chorus Pro.</p>
<h2>Les commissions</h2>
<ul>
<li>Commission des finances locales : le 4 février ;</li>
<li>Commission du numérique : le 11 février ;</li>
<li>Commission de l'urbanisme : le 18 février.</li>
</ul>
<p>Nous vous prions d'agréer, ${civility}, l'expression de nos salutations
distinguées.</p>
<p>${name}, cette lettre vous est adressée à ${email}.</p>
</body></html>'''


class Sink:
    """The handler of the SMTP server: counts the e-mails by address with
    the moment each one arrived and the connections"""

    def __init__(self):
        self.lock = threading.Lock()
        self.clear()

    def clear(self):
        with self.lock:
            self.counts = Counter()
            self.times = []
            self.sessions = set()
            self.sample = None

    async def handle_DATA(self, server, session, envelope):
        now = time.time()
        with self.lock:
            for address in envelope.rcpt_tos:
                self.counts[address.lower()] += 1
            self.times.append(now)
            # The session itself, kept: the id of a freed one and the
            # client's port are given again to later connections
            self.sessions.add(session)
            if self.sample is None:
                self.sample = envelope.content
        return '250 OK'

    def start(self):
        from aiosmtpd.controller import Controller
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            self.port = sock.getsockname()[1]
        self.controller = Controller(
            self, hostname='127.0.0.1', port=self.port,
            enable_SMTPUTF8=True)
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def figures(self):
        with self.lock:
            times = sorted(self.times)
            return {
                'received': sum(self.counts.values()),
                'addresses': len(self.counts),
                'duplicates': sum(
                    c - 1 for c in self.counts.values() if c > 1),
                'first': times[0] if times else None,
                'last': times[-1] if times else None,
                'connections': len(self.sessions),
                'sample_subject': self.subject(),
                }

    def subject(self):
        "The subject of the first e-mail received, decoded"
        import email
        import email.policy
        if self.sample is None:
            return None
        return email.message_from_bytes(
            self.sample, policy=email.policy.default)['Subject']


def write_config(uri, workdir, port):
    "Write the trytond configuration file of the workers"
    path = os.path.join(workdir, 'trytond.conf')
    with open(path, 'w') as fp:
        fp.write(f"[database]\nuri = {uri}\npath = {workdir}\n"
            "[queue]\nworker = True\n"
            f"[email]\nuri = smtp://127.0.0.1:{port}\nfrom = {FROM}\n")
    return path


def prepare(recipients):
    """Insert the communes and the officials with their addresses and
    mandates, the audience of every official and the mailing; return the
    mailing's id and the number of distinct addresses"""
    from sql import Literal

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Party = pool.get('party.party')
    Mechanism = pool.get('party.contact_mechanism')
    Mandate = pool.get('association.mandate')
    Audience = pool.get('association.mailing.audience')
    Message = pool.get('marketing.email.message')
    Lang = pool.get('ir.lang')
    List = pool.get('marketing.email.list')
    party = Party.__table__()
    mechanism = Mechanism.__table__()
    mandate = Mandate.__table__()
    cursor = Transaction().connection.cursor()
    now = dt.datetime.now()
    user = Transaction().user

    communes = Party.create([{
                'name': f"Commune {i:04d}",
                'kind': 'commune',
                'population': 100 + 37 * i,
                'population_year': 2026,
                } for i in range(COMMUNES)])
    # The officials: their own address each; then some who share the
    # address of another (one line for both) and some without one
    shared = recipients // 100
    without = recipients // 100
    people = recipients + shared + without

    def insert(table, columns, rows):
        query, _ = table.insert(
            [getattr(table, c) for c in columns + [
                        'create_uid', 'create_date']],
            [[Literal(None)] * (len(columns) + 2)])
        for start in range(0, len(rows), 1000):
            cursor.executemany(query, [tuple(r) + (user, now)
                    for r in rows[start:start + 1000]])
    insert(party,
        ['name', 'code', 'code_alnum', 'kind', 'civility', 'active'], [
            (f"Élu {i:05d}", f'BENCH{i:05d}', f'BENCH{i:05d}', 'person',
                'ms' if i % 2 else 'mr', True)
            for i in range(people)])
    cursor.execute(*party.select(party.id,
            where=party.code.like('BENCH%'), order_by=[party.code]))
    person_ids = [i for i, in cursor]
    emails = [f'elu{i:05d}@commune{i % COMMUNES:04d}.example'
        for i in range(recipients)]
    emails += emails[:shared]
    insert(mechanism,
        ['party', 'type', 'value', 'value_compact', 'active', 'sequence'], [
            (p, 'email', e, e, True, 10)
            for p, e in zip(person_ids, emails)])
    offices = ['mayor'] + ['deputy_mayor'] * 9 + ['councillor'] * 100
    insert(mandate, ['person', 'authority', 'office', 'start_date'], [
            (p, communes[i % COMMUNES].id,
                offices[i // COMMUNES % len(offices)],
                dt.date(2020, 7, 1))
            for i, p in enumerate(person_ids)])

    audience, = Audience.create([{
                'name': "Tous les élus",
                'rules': [('create', [{'source': 'official'}])],
                }])
    # The e-mails in French, the language of the list
    french, = Lang.search([('code', '=', 'fr')])
    List.write([audience.list_], {'language': french.id})
    message, = Message.create([{
                'title': "${civility}, la lettre de l'association",
                'content': CONTENT,
                'audience': audience.id,
                'list_': audience.list_.id,
                }])
    return message.id, len(set(emails))


def pending(database):
    "Return the number of queued tasks of the mailings not finished"
    from trytond.pool import Pool

    def count():
        Queue = Pool().get('ir.queue')
        return Queue.search([
                ('name', '=', QUEUE),
                ('finished_at', '=', None),
                ], count=True)
    return transaction(database, count)


def line_states(database, message_id):
    from trytond.pool import Pool

    def read():
        Recipient = Pool().get('association.mailing.recipient')
        lines = Recipient.search_read([
                ('message', '=', message_id),
                ], fields_names=['state'])
        return dict(Counter(l['state'] for l in lines))
    return transaction(database, read)


def start_workers(conf, processes, log, profile=None):
    env = dict(os.environ)
    command = [os.path.join(os.path.dirname(sys.executable), 'trytond-worker'),
        '-c', conf, '-d', DATABASE, '-n', str(processes),
        '--name', QUEUE, '-v', '-t', '1']
    if profile:
        # One worker process in this script, under cProfile
        command = [sys.executable, __file__, '--profile-worker', profile,
            '--config', conf]
    return subprocess.Popen(command, env=env,
        stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)


def profile_worker(args):
    """Run the tasks of the queue one after the other in this process under
    cProfile, as a worker would, until stopped"""
    import cProfile

    from trytond.config import update_etc
    update_etc(args.config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.worker import run_task
    pool = Pool(DATABASE)
    with Transaction().start(DATABASE, 0, readonly=True):
        pool.init()
    Queue = pool.get('ir.queue')
    profiler = cProfile.Profile()
    # The preparation apart from the sendings
    preparer = cProfile.Profile()

    def stop(signum, frame):
        raise SystemExit
    # Stopped as the workers are
    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            with Transaction().start(DATABASE, 0) as t:
                task_id, _ = Queue.pull(
                    t.database, t.connection, name=QUEUE)
                method = Queue(task_id).data['method'] if task_id else None
                t.commit()
            if not task_id:
                time.sleep(0.2)
                continue
            current = preparer if method == 'prepare' else profiler
            current.enable()
            try:
                run_task(DATABASE, task_id)
            finally:
                current.disable()
    except SystemExit:
        pass
    finally:
        profiler.dump_stats(args.profile_worker)
        preparer.dump_stats(args.profile_worker + '.prepare')


def send(database, message_id, profile=None):
    "Click the send button (under cProfile into profile if given)"
    from trytond.pool import Pool

    def send():
        Message = Pool().get('marketing.email.message')
        Message.send(Message.browse([message_id]))
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.runcall(transaction, database, send)
        profiler.dump_stats(profile)
    else:
        transaction(database, send)


def preparation(database):
    """Return the moments (seconds since the epoch) when the queued
    preparation of the mailing was taken by a worker and finished"""
    from trytond.pool import Pool

    def read():
        Queue = Pool().get('ir.queue')
        for task in Queue.search([('name', '=', QUEUE)]):
            if task.data['method'] == 'prepare' and task.finished_at:
                return (task.dequeued_at.timestamp(),
                    task.finished_at.timestamp())
        return None, None
    return transaction(database, read)


def naive(database, message_id, count, sink):
    """In one transaction, build each e-mail of the first count recipients
    and send it with sendmail, one after the other"""
    from trytond.pool import Pool
    from trytond.sendmail import sendmail
    from trytond.transaction import Transaction

    def run():
        pool = Pool()
        Message = pool.get('marketing.email.message')
        Recipient = pool.get('association.mailing.recipient')
        language = Message(message_id).language
        with Transaction().set_context(language=language):
            message = Message(message_id)
            lines = Recipient.search([
                    ('message', '=', message_id),
                    ('email', '!=', None),
                    ], order=[('id', 'ASC')], limit=count)
            for line in lines:
                msg = message.get_email(line.get_values())
                sendmail(FROM, [line.email], msg)
        return len(lines)
    sink.clear()
    started = time.perf_counter()
    sent = transaction(database, run)
    seconds = time.perf_counter() - started
    return dict(sink.figures(), count=sent, seconds=seconds)


def measure(args):
    "Run in the child process; return the figures"
    from trytond import config
    config.set('database', 'uri', args.uri)
    config.set('database', 'path', args.workdir)
    config.set('queue', 'worker', 'True')
    config.set('email', 'from', FROM)
    from trytond.pool import Pool

    figures = {'recipients': args.recipients, 'workers': args.workers}
    started = time.perf_counter()
    create_database(args.uri, args.workdir, DATABASE, ['association_mailing'],
        language='fr')
    Pool(DATABASE).init()

    def configure():
        Configuration = Pool().get('association.mailing.configuration')
        Configuration.write([Configuration(1)], {
                'batch_size': args.batch_size,
                'throttle': None,
                })
        return prepare(args.recipients)
    message_id, addresses = transaction(DATABASE, configure)
    figures['setup_s'] = time.perf_counter() - started
    figures['addresses'] = addresses

    sink = Sink().start()
    config.set('email', 'uri', f'smtp://127.0.0.1:{sink.port}')
    conf = write_config(args.uri, args.workdir, sink.port)
    log_path = os.path.join(args.workdir, 'worker.log')
    try:
        with open(log_path, 'w') as log:
            process = start_workers(conf, args.workers, log, args.profile)
            try:
                # The workers load the pool before the first task
                time.sleep(8)
                figures['load_start'] = os.getloadavg()[0]
                started = time.perf_counter()
                send_started = time.time()
                send(DATABASE, message_id,
                    args.profile + '.send' if args.profile else None)
                figures['send_s'] = time.perf_counter() - started
                while pending(DATABASE):
                    if process.poll() is not None:
                        raise RuntimeError("The workers stopped")
                    time.sleep(0.5)
                figures['load_end'] = os.getloadavg()[0]
            finally:
                stop_workers(process)
        figures['sink'] = sink.figures()
        taken, prepared = preparation(DATABASE)
        figures['wait_s'] = taken - send_started
        figures['prepare_s'] = prepared - taken
        figures['delivery_s'] = figures['sink']['last'] - prepared
        figures['end_to_end_s'] = figures['sink']['last'] - send_started
        figures['states'] = line_states(DATABASE, message_id)
        figures['naive'] = naive(DATABASE, message_id, args.naive, sink)
    finally:
        sink.stop()
    return figures


def report(figures):
    sink, naive = figures['sink'], figures['naive']

    def rate(count, seconds):
        return count / seconds if seconds else float('inf')
    sent = figures['states'].get('sent', 0)
    print(f"\npostgresql ({figures['recipients']} recipients, "
        f"{figures['workers']} workers; setup {figures['setup_s']:.0f} s)")
    print(f"  send button {figures['send_s']:7.2f} s  (the client's call: "
        "the preparation queued)")
    print(f"  preparation {figures['prepare_s']:7.1f} s  (a worker, "
        f"{figures['wait_s']:.1f} s after the click: the audience refreshed, "
        "the lines made and queued)")
    delivery_rate = rate(sink['received'], figures['delivery_s'])
    print(f"  delivery   {figures['delivery_s']:7.1f} s  "
        f"{delivery_rate:7.1f} messages/s  (from the preparation's commit to "
        "the last e-mail received; target 50)")
    print(f"  end to end {figures['end_to_end_s']:7.1f} s  "
        f"{rate(sink['received'], figures['end_to_end_s']):7.1f} "
        "messages/s  (from the click of the send button)")
    print(f"  received {sink['received']} e-mails for "
        f"{sink['addresses']} addresses ({figures['addresses']} expected) "
        f"through {sink['connections']} SMTP connections; lines: "
        + ', '.join(f'{k} {v}' for k, v in sorted(
                figures['states'].items())))
    print(f"  duplicates: {sink['duplicates']}; the subject of the first "
        f"e-mail: {sink['sample_subject']!r}")
    naive_rate = rate(naive['count'], naive['seconds'])
    subset = (f"on the first {naive['count']} recipients"
        if naive['count'] < sent else "on every recipient")
    print(f"  naive way  {naive['seconds']:7.1f} s  {naive_rate:7.1f} "
        f"messages/s  ({subset}: built and sent with sendmail one after "
        "the other in one transaction; "
        f"{naive['duplicates']} duplicates)")
    end_to_end_rate = rate(sink['received'], figures['end_to_end_s'])
    print(f"  ratio queued workers / naive: {delivery_rate / naive_rate:.1f}x"
        f" ({end_to_end_rate / naive_rate:.1f}x end to end)")
    print(f"  load average: {figures.get('load_start', 0):.1f} at the "
        f"start, {figures.get('load_end', 0):.1f} at the end "
        f"({os.cpu_count()} cores)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--recipients', type=int, default=35000)
    parser.add_argument('--naive', type=int, default=2000,
        help="the recipients sent the naive way")
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=50,
        help="the e-mails of one queued task")
    parser.add_argument('--profile', metavar='FILE',
        help="run the tasks in one process under cProfile, "
        "statistics written to FILE (FILE.prepare for the preparation, "
        "FILE.send for the send button)")
    parser.add_argument('--child', action='store_true',
        help=argparse.SUPPRESS)
    parser.add_argument('--uri', help=argparse.SUPPRESS)
    parser.add_argument('--workdir', help=argparse.SUPPRESS)
    parser.add_argument('--output', help=argparse.SUPPRESS)
    parser.add_argument('--profile-worker', help=argparse.SUPPRESS)
    parser.add_argument('--config', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile_worker:
        return profile_worker(args)
    if args.child:
        figures = measure(args)
        with open(args.output, 'w') as fp:
            json.dump(figures, fp, default=str)
        return

    with backends(['postgresql']) as each:
        for backend, uri, folder in each:
            output = os.path.join(folder, 'figures.json')
            subprocess.run([sys.executable, __file__, '--child',
                    '--uri', uri, '--workdir', folder, '--output', output,
                    '--recipients', str(args.recipients),
                    '--naive', str(args.naive),
                    '--workers', str(args.workers),
                    '--batch-size', str(args.batch_size)]
                + (['--profile', os.path.abspath(args.profile)]
                    if args.profile else []), check=True)
            with open(output) as fp:
                report(json.load(fp))


if __name__ == '__main__':
    sys.exit(main())
