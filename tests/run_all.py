# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Run every test of Concorde (called by scripts/test)

1. the tests of every module on SQLite;
2. the same on PostgreSQL, in a throwaway cluster on 127.0.0.1 that is
   stopped and removed at the end whatever happens;
3. the tests that cross modules: those of tests/browser/ (the web
   client and the portal served by scripts/run) after the SQLite ones,
   those of the commands (tests/*.py) and of the desktop client (on the
   same server) after the PostgreSQL ones.
The PostgreSQL suites run beside the SQLite ones (two lanes: a small
machine's two cores), and the tests across modules are shared between the
lanes so that they end together.
It ends with the line "N passed, N failed" (and skipped when any).

Usage: run_all.py [MODULE ...]
With module names, only those modules' tests run, on both backends (the
tests across modules are left out): what a developer runs while working on
one module; CONCORDE_TEST_PATTERN=test_routes*.py runs only the files
matching it.  CONCORDE_TEST_RESULTS=folder keeps there the counts and the
duration of every test and class set-up of each suite (JSON)."""
import configparser
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = sys.executable


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def postgresql_bin():
    candidates = sorted(
        glob.glob('/usr/lib/postgresql/*/bin'),
        key=lambda p: int(p.split('/')[-2]) if p.split('/')[-2].isdigit()
        else 0)
    for path in reversed(candidates):
        if os.path.exists(os.path.join(path, 'initdb')):
            return path
    if shutil.which('initdb') and shutil.which('pg_ctl'):
        return os.path.dirname(shutil.which('initdb'))


class PostgreSQL:
    "A throwaway PostgreSQL cluster on 127.0.0.1"

    def __init__(self, bindir, workdir):
        self.bindir = bindir
        self.datadir = os.path.join(workdir, 'pgdata')
        self.sockdir = os.path.join(workdir, 'pgsocket')
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.started = False

    def run(self, *args, **kwargs):
        # The postgres user may not enter the current folder
        return subprocess.run(
            self.command(*args), cwd='/', stdout=subprocess.DEVNULL,
            **kwargs)

    def command(self, *args):
        cmd = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self.as_root:
            # initdb and pg_ctl refuse to run as root
            cmd = ['runuser', '-u', 'postgres', '--'] + cmd
        return cmd

    def start(self):
        for path in [self.datadir, self.sockdir]:
            os.makedirs(path)
            if self.as_root:
                shutil.chown(path, 'postgres', 'postgres')
        if self.as_root:
            shutil.chown(os.path.dirname(self.datadir), 'postgres')
        self.run(
            'initdb', '-D', self.datadir, '--auth=trust', '-E', 'UTF8',
            '--locale=C.UTF-8', '-U', 'postgres', check=True)
        with open(os.path.join(self.datadir, 'postgresql.conf'), 'a') as fp:
            fp.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.sockdir}'\n"
                "fsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nmax_connections = 200\n")
        self.run(
            'pg_ctl', '-D', self.datadir, '-w', '-l',
            os.path.join(self.datadir, 'server.log'), 'start', check=True)
        self.started = True
        return f'postgresql://postgres@127.0.0.1:{self.port}/'

    def cpu_time(self):
        """The processor time (s) that the server spent so far: the
        postmaster's and its ended backends' (Linux's /proc)"""
        try:
            with open(os.path.join(self.datadir, 'postmaster.pid')) as fp:
                pid = int(fp.readline())
            with open(f'/proc/{pid}/stat') as fp:
                fields = fp.read().rsplit(')', 1)[1].split()
        except (OSError, ValueError):
            return None
        # utime, stime, cutime and cstime, in clock ticks
        ticks = sum(int(f) for f in fields[11:15])
        return ticks / os.sysconf('SC_CLK_TCK')

    def stop(self):
        if self.started:
            cpu = self.cpu_time()
            if cpu is not None:
                print(f"PostgreSQL server: {cpu:.0f} s of processor time")
            self.run(
                'pg_ctl', '-D', self.datadir, '-m', 'fast', '-w', 'stop')
            self.started = False


def test_order(names):
    """The modules in the order their tests run: each after the modules its
    own depends on, even optionally, so that its test database is built on
    theirs (the number of Concorde's modules it may use, then the name)"""
    uses = {}
    for name in names:
        cfg = configparser.ConfigParser()
        cfg.read(os.path.join(TOP, 'modules', name, 'tryton.cfg'))
        uses[name] = {
            m for option in ['depends', 'extras_depend']
            for m in cfg.get('tryton', option, fallback='').split()
            if m in names}

    def closure(name, seen):
        for used in uses[name] - seen:
            seen.add(used)
            closure(used, seen)
        return seen
    return sorted(names, key=lambda n: (len(closure(n, {n})), n))


def run_suite(name, start, env, workdir):
    """Run the suite in a child process and return its counts and its
    output"""
    result_file = os.path.join(
        workdir, f'{name}.json'.replace(' ', '-').replace('/', '-'))
    env = dict(os.environ, **env)
    started = time.monotonic()
    with tempfile.TemporaryFile('w+') as log:
        subprocess.run(
            [PYTHON, '-m', 'tests.suite', result_file, start,
                'modules' if start.startswith('modules') else '.'],
            cwd=TOP, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.seek(0)
        output = log.read()
    duration = time.monotonic() - started
    try:
        with open(result_file) as fp:
            counts = json.load(fp)
        if os.environ.get('CONCORDE_TEST_RESULTS'):
            # Every test's duration kept, for who looks where time goes
            os.makedirs(os.environ['CONCORDE_TEST_RESULTS'], exist_ok=True)
            shutil.copy(result_file, os.environ['CONCORDE_TEST_RESULTS'])
    except (FileNotFoundError, ValueError):
        # The suite could not even start
        counts = {'run': 1, 'passed': 0, 'failed': 1, 'skipped': 0}
    output = (f"\n===== {name}\n{output}"
        f"===== {name}: {counts['passed']} passed, {counts['failed']} "
        f"failed, {counts['skipped']} skipped in {duration:.0f} s"
        + (f" ({counts['cpu']:.0f} s of processor time)"
            if counts.get('cpu') else '') + "\n")
    return counts, output


def run_lanes(lanes, workdir):
    """Run each lane (a list of suites, one after the other) beside the
    others: the SQLite suites run in one Python process and the PostgreSQL
    ones share their work with the server, so the lanes keep both cores of
    a small machine busy.  A suite may come with what to do before it
    starts (a function).  Each suite's output is printed whole when it
    ends."""
    totals = {'passed': 0, 'failed': 0, 'skipped': 0}
    lock = threading.Lock()

    def run_lane(suites):
        for name, start, env, *before in suites:
            for function in before:
                function()
            counts, output = run_suite(name, start, env, workdir)
            with lock:
                print(output, end='', flush=True)
                for key in totals:
                    totals[key] += counts[key]

    threads = [threading.Thread(target=run_lane, args=(lane,))
        for lane in lanes if lane]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return totals


class BrowserServer:
    """The server of the browser tests (scripts/run on a folder of its own),
    started once for the browser tests of both lanes, then stopped

    env is what the suites of the browser tests get once it started (its
    folder and port); if it could not start, they start their own (and
    report why it fails)."""

    def __init__(self, workdir):
        sys.path.insert(0, TOP)
        from tests.browser.tools import Server
        self.server = Server(tempfile.mkdtemp(prefix='browser-', dir=workdir))
        self.env = {'CONCORDE_TEST_WORKDIR': workdir}
        self.ready = threading.Event()

    def start(self):
        started = time.monotonic()
        try:
            self.server.start()
        except Exception as exception:
            print(f"\nThe browser tests' server did not start: {exception}",
                flush=True)
        else:
            self.env.update(
                CONCORDE_BROWSER_WORKDIR=self.server.workdir,
                CONCORDE_BROWSER_PORT=str(self.server.port))
            print("\nThe browser tests' server (scripts/run) started in "
                f"{time.monotonic() - started:.0f} s", flush=True)
        finally:
            self.ready.set()

    def wait(self):
        self.ready.wait(timeout=3600)

    def stop(self):
        self.server.stop()


def main(modules=None):
    workdir = tempfile.mkdtemp(prefix='concorde-test-')
    if os.geteuid() == 0:
        os.chmod(workdir, 0o755)
    bindir = postgresql_bin()
    if not bindir:
        print("PostgreSQL server binaries (initdb, pg_ctl) are missing: "
            "install them (Debian: apt-get install postgresql).",
            file=sys.stderr)
        return 2
    postgresql = PostgreSQL(bindir, workdir)
    for module in modules or []:
        if not os.path.isfile(
                os.path.join(TOP, 'modules', module, 'tryton.cfg')):
            print(f"No module {module}", file=sys.stderr)
            return 2
    names = modules or [
        n for n in os.listdir(os.path.join(TOP, 'modules'))
        if os.path.isfile(os.path.join(TOP, 'modules', n, 'tryton.cfg'))]
    # One process for the modules of a backend: each database is built on
    # those built before it
    start = ','.join(f'modules/{m}' for m in test_order(names))
    label = 'modules ' + ', '.join(modules) if modules else 'modules'
    started = time.monotonic()
    browser = None
    try:
        sqlite = [(f'{label} on SQLite', start, {
                    'TRYTOND_DATABASE_URI': 'sqlite://',
                    'DB_NAME': ':memory:',
                    'DB_CACHE': os.path.join(workdir, 'cache-sqlite'),
                    })]
        uri = postgresql.start()
        postgres = [(f'{label} on PostgreSQL', start, {
                    'TRYTOND_DATABASE_URI': uri,
                    'DB_NAME': 'test',
                    'DB_CACHE': 'postgresql://',
                    })]
        if not modules:
            across = {'CONCORDE_TEST_WORKDIR': workdir}
            # The server of the browser tests starts after the SQLite
            # suites; the desktop client's tests run on it after the
            # PostgreSQL ones, beside the web client's and the portal's
            browser = BrowserServer(workdir)
            files = sorted(glob.glob(os.path.join('tests', 'browser',
                        'test*.py'), root_dir=TOP))
            desktop = os.path.join('tests', 'browser',
                'test_desktop_client.py')
            sqlite.append(('across modules: browsers',
                    ','.join(f for f in files if f != desktop),
                    browser.env, browser.start))
            postgres.append(('across modules: commands', 'tests/*.py',
                    across))
            postgres.append(('across modules: desktop client', desktop,
                    browser.env, browser.wait))
        totals = run_lanes([sqlite, postgres], workdir)
    finally:
        if browser is not None:
            browser.stop()
        postgresql.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nAll the tests ran in {time.monotonic() - started:.0f} s")
    line = f"{totals['passed']} passed, {totals['failed']} failed"
    if totals['skipped']:
        line += f", {totals['skipped']} skipped"
    print()
    print(line)
    return 0 if not totals['failed'] and totals['passed'] else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
