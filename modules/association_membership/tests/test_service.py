# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The dues campaign under the worker's service of config/systemd

trytond-worker runs as systemd runs it in production, from the unit
shipped in config/systemd (only its paths and its user adapted to the test
machine), under a systemd instance of the test's own.  A child process of
the worker is killed in the middle of the invoicing: the worker stops as a
whole, systemd starts it again, the scheduler's resumption takes up the
task that was lost and the campaign ends with one invoice and one letter
per member."""
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from trytond import backend
import trytond.config as trytond_config
from trytond.tests.test_tryton import DB_NAME

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))
UNITS = os.path.join(TOP, 'config', 'systemd')
WORKER_UNIT = 'concorde-worker.service'
# The user units of Debian's packages that the instance must not start
MASKED = [
    'dbus.service', 'dbus.socket', 'dirmngr.socket', 'gpg-agent.socket',
    'gpg-agent-browser.socket', 'gpg-agent-extra.socket',
    'gpg-agent-ssh.socket', 'pk-debconf-helper.socket',
    'systemd-tmpfiles-setup.service', 'systemd-tmpfiles-clean.service',
    'systemd-tmpfiles-clean.timer',
    ]
# A private /run marked as booted with systemd, in a mount namespace of its
# own, so that a user instance starts; nothing of the machine is changed
START = '''set -e
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system
exec "$@"
'''
TIMEOUT = 180


class Systemd:
    "A systemd user instance of a folder"

    def __init__(self, folder):
        self.folder = folder
        self.home = os.path.join(folder, 'home')
        self.runtime = os.path.join(folder, 'runtime')
        self.units = os.path.join(self.home, '.config', 'systemd', 'user')
        os.makedirs(self.units)
        os.makedirs(self.runtime, mode=0o700)
        for unit in MASKED:
            os.symlink('/dev/null', os.path.join(self.units, unit))
        self.log = open(os.path.join(folder, 'systemd.log'), 'w+')
        self.process = None

    @property
    def env(self):
        return {
            'HOME': self.home, 'XDG_RUNTIME_DIR': self.runtime,
            'PATH': '/usr/bin:/bin', 'USER': 'root', 'LOGNAME': 'root',
            }

    def start(self):
        self.process = subprocess.Popen(
            ['unshare', '--mount', 'sh', '-c', START, 'start',
                shutil.which('systemd', path='/lib/systemd:/usr/lib/systemd'),
                '--user', '--log-target=console'],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        bus = os.path.join(self.runtime, 'systemd', 'private')
        deadline = time.monotonic() + 30
        while not os.path.exists(bus):
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(
                    "systemd did not start:\n" + self.log.read())
            if time.monotonic() > deadline:
                raise RuntimeError("systemd did not start in 30 s")
            time.sleep(0.1)

    def systemctl(self, *args):
        return subprocess.run(
            ['systemctl', '--user', *args], env=self.env, check=True,
            capture_output=True, text=True).stdout

    def show(self, unit, name):
        return self.systemctl(
            'show', unit, '--property', name, '--value').strip()

    def stop(self):
        if self.process is None:
            return
        try:
            self.systemctl('stop', WORKER_UNIT)
        except subprocess.CalledProcessError:
            pass
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        self.log.close()


def children(pid):
    "Return the processes whose parent is pid"
    found = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat') as fp:
                stat = fp.read()
        except OSError:
            continue
        # The name of the command is in parentheses and may hold spaces
        if int(stat.rsplit(')', 1)[1].split()[1]) == pid:
            found.append(int(name))
    return found


@unittest.skipIf(backend.name != 'postgresql',
    "trytond-worker takes its tasks with the row locks of PostgreSQL")
class WorkerServiceTestCase(unittest.TestCase):
    "Test the dues campaign under the worker's service"

    def setUp(self):
        self.folder = tempfile.mkdtemp(
            prefix='service-', dir=os.environ.get('CONCORDE_TEST_WORKDIR'))
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)
        self.systemd = Systemd(self.folder)
        self.addCleanup(self.systemd.stop)

    def install_worker(self):
        """Install the worker's unit of config/systemd in the instance, with
        the programs of this virtual environment, the test's database and
        no user to switch to"""
        with open(os.path.join(UNITS, WORKER_UNIT)) as fp:
            unit = fp.read()
        bindir = os.path.dirname(sys.executable)
        unit = unit.replace('/opt/concorde/.venv/bin/', bindir + '/')
        unit = unit.replace('WorkingDirectory=/opt/concorde',
            f'WorkingDirectory={self.folder}')
        env_file = os.path.join(self.folder, 'concorde.env')
        unit = unit.replace('/etc/concorde/concorde.env', env_file)
        # A user instance runs its services as its own user
        unit = re.sub(r'^(User|Group)=.*\n', '', unit, flags=re.M)
        with open(os.path.join(self.systemd.units, WORKER_UNIT), 'w') as fp:
            fp.write(unit)
        conf = os.path.join(self.folder, 'trytond.conf')
        with open(conf, 'w') as fp:
            fp.write('[database]\nuri = %s\n[queue]\nworker = True\n' % (
                    trytond_config.get('database', 'uri')))
        with open(os.path.join(UNITS, 'concorde.env')) as fp:
            env = fp.read()
        env = re.sub(r'^TRYTOND_CONFIG=.*$', f'TRYTOND_CONFIG={conf}',
            env, flags=re.M)
        env = re.sub(r'^TRYTOND_DATABASE_NAMES=.*$',
            f'TRYTOND_DATABASE_NAMES={DB_NAME}', env, flags=re.M)
        with open(env_file, 'w') as fp:
            fp.write(env)
        return unit

    def count(self, query):
        from trytond.transaction import Transaction
        with Transaction().start(DB_NAME, 0, readonly=True) as transaction:
            cursor = transaction.connection.cursor()
            cursor.execute(query)
            count, = cursor.fetchone()
            return count

    def wait_for(self, condition, message):
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            if time.monotonic() > deadline:
                self.systemd.log.seek(0)
                self.fail(message + '\n' + self.systemd.log.read()[-3000:])
            time.sleep(0.1)

    def test_killed_worker(self):
        "A killed worker is started again and the campaign ends"
        from proteus import Model

        from trytond.pool import Pool
        from trytond.transaction import Transaction

        from ..campaign import STALLED_AFTER
        from .tools import activate_membership, prepare_campaign

        year = dt.date.today().year
        config = activate_membership()
        commune_type, communes = prepare_campaign(config, year)
        Campaign = Model.get('association.dues.campaign')
        Invoice = Model.get('account.invoice')
        campaign = Campaign(name="Cotisations", year=year, batch_size=4)
        campaign.types.append(commune_type)
        campaign.save()
        campaign.click('compute')
        self.assertEqual(campaign.to_invoice_count, len(communes))

        unit = self.install_worker()
        self.assertIn('\nRestart=always\n', unit)
        self.systemd.start()
        self.systemd.systemctl('start', WORKER_UNIT)
        first = int(self.systemd.show(WORKER_UNIT, 'MainPID'))
        self.assertTrue(first)

        # The treasurer invoices: the tasks wait for the worker's service
        trytond_config.set('queue', 'worker', 'True')
        self.addCleanup(trytond_config.set, 'queue', 'worker', 'False')
        campaign.click('invoice')

        # Once a batch is invoiced and while a task runs, a child process
        # of the worker is killed, as the out-of-memory killer would
        taken = (
            "SELECT COUNT(*) FROM ir_queue "
            "WHERE dequeued_at IS NOT NULL AND finished_at IS NULL")
        self.wait_for(lambda: self.count(
                "SELECT COUNT(*) FROM association_dues_campaign_line "
                "WHERE state = 'invoiced'") and self.count(taken),
            "No task ran")
        child, *_ = children(first)
        os.kill(child, signal.SIGKILL)

        # The worker stops as a whole and systemd starts it again
        self.wait_for(lambda: self.systemd.show(
                WORKER_UNIT, 'NRestarts') not in {'', '0'},
            "The worker was not started again")
        self.wait_for(lambda: self.systemd.show(
                WORKER_UNIT, 'ActiveState') == 'active',
            "The worker is not active")
        second = int(self.systemd.show(WORKER_UNIT, 'MainPID'))
        self.assertNotEqual(second, first)
        try:
            os.kill(first, 0)
        except ProcessLookupError:
            pass
        else:
            self.fail("The first worker still runs")

        # The started worker runs what waits; the task that was lost with
        # the killed process is taken up by the scheduled resumption, run
        # as the scheduler runs it once no task waits (a lost task is one
        # taken for longer than the configuration's delay, here none)
        waiting = "SELECT COUNT(*) FROM ir_queue WHERE dequeued_at IS NULL"
        self.wait_for(lambda: not self.count(waiting),
            "The started worker took no task")
        if not trytond_config.has_section('association_membership'):
            trytond_config.add_section('association_membership')
        trytond_config.set('association_membership', 'stalled_after', '0')
        self.addCleanup(trytond_config.set, 'association_membership',
            'stalled_after', str(STALLED_AFTER))
        with Transaction().start(DB_NAME, 0) as transaction:
            Cron = Pool().get('ir.cron')
            cron, = Cron.search([
                    ('method', '=',
                        'association.dues.campaign|resume_stalled'),
                    ])
            Cron.run_once([cron])
            transaction.commit()

        def done():
            campaign.reload()
            return campaign.state == 'done'
        self.wait_for(done, "The campaign did not end")

        invoices = Invoice.find([])
        self.assertEqual(len(invoices), len(communes))
        self.assertEqual(
            len({i.party.id for i in invoices}), len(communes))
        self.assertEqual({i.state for i in invoices}, {'posted'})
        self.assertEqual(
            (campaign.invoiced_count, campaign.to_invoice_count,
                campaign.failed_count, campaign.letter_count),
            (len(communes), 0, 0, len(communes)))
        # The worker still runs the one that systemd started
        self.assertEqual(
            self.systemd.show(WORKER_UNIT, 'ActiveState'), 'active')
