# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the benchmarks share: databases on each backend and percentiles

Each benchmark measures a backend in a child process (so that trytond's pool
starts clean); PostgreSQL runs in a throwaway cluster as the test command
starts it, unless TRYTOND_DATABASE_URI names a postgresql:// server.
Never import a module's test helpers here: they switch the pool to test
mode."""
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def admin_env(uri, workdir):
    "Return the environment of trytond-admin for the backend"
    password = os.path.join(workdir, 'password')
    if not os.path.exists(password):
        with open(password, 'w') as fp:
            fp.write('admin\n')
    return dict(os.environ, TRYTOND_DATABASE__URI=uri,
        TRYTOND_DATABASE__PATH=workdir, TRYTONPASSFILE=password)


def execute_postgresql(uri, query):
    import psycopg
    with psycopg.connect(uri + 'postgres', autocommit=True) as conn:
        conn.execute(query)


def create_database(uri, workdir, name, modules, language=None):
    "Create the database with the modules (and their dependencies)"
    if uri.startswith('sqlite'):
        open(os.path.join(workdir, f'{name}.sqlite'), 'w').close()
    else:
        execute_postgresql(uri, f'CREATE DATABASE "{name}"')
    command = [os.path.join(BIN, 'trytond-admin'), '-d', name,
        '-u', *modules, '--activate-dependencies',
        '--email', 'admin@localhost']
    if language:
        command += ['-l', language]
    subprocess.run(command, env=admin_env(uri, workdir), check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def copy_database(uri, workdir, template, name):
    "Copy the database template into a new database name"
    if uri.startswith('sqlite'):
        import sqlite3
        path = os.path.join(workdir, f'{template}.sqlite')
        # Write the journal (WAL) into the file before copying it
        with sqlite3.connect(path) as conn:
            conn.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        shutil.copy(path, os.path.join(workdir, f'{name}.sqlite'))
    else:
        if 'trytond.backend' in sys.modules:
            # The connections of this process to the template
            from trytond import backend
            backend.Database(template).close()
        execute_postgresql(
            uri, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def transaction(database, func, context=None, user=1):
    "Run func in a transaction, restarted with the locks it asks for"
    from trytond.transaction import Transaction, TransactionError
    extras = {}
    while True:
        with Transaction().start(
                database, user, context=context or {},
                **extras) as transaction:
            try:
                result = func()
            except TransactionError as exception:
                transaction.rollback()
                exception.fix(extras)
                continue
            transaction.commit()
            return result


def stop_workers(process):
    """Stop the trytond-worker process started in a session of its own
    (with its children), killing it after 30 s"""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def percentile(values, share):
    "Return the value under which the share of the values lies"
    values = sorted(values)
    index = min(len(values) - 1, max(0, round(share * len(values)) - 1))
    return values[index]


@contextlib.contextmanager
def backends(names):
    """Yield (backend, uri, folder) for each backend name

    The folder is a new folder of the backend (the SQLite files, the
    password of trytond-admin); everything is removed at the end."""
    sys.path.insert(0, TOP)
    from tests.run_all import PostgreSQL, postgresql_bin
    workdir = tempfile.mkdtemp(prefix='concorde-bench-')
    # The postgres user of the cluster enters it
    os.chmod(workdir, 0o755)
    postgresql = None

    def generate():
        nonlocal postgresql
        for backend in names:
            if backend == 'sqlite':
                uri = 'sqlite://'
            elif os.environ.get('TRYTOND_DATABASE_URI', '').startswith(
                    'postgresql'):
                uri = os.environ['TRYTOND_DATABASE_URI']
            else:
                postgresql = PostgreSQL(postgresql_bin(), workdir)
                uri = postgresql.start()
            folder = os.path.join(workdir, backend)
            os.makedirs(folder)
            yield backend, uri, folder
    try:
        yield generate()
    finally:
        if postgresql:
            postgresql.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main_per_backend(doc, script, measure, report, default_data):
    """Run measure(uri, workdir, data, sample) in a child process of script
    for each backend asked on the command line and print its figures with
    report(backend, figures)"""
    import argparse
    import json
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('--data', default=default_data)
    parser.add_argument('--backend', action='append',
        choices=['sqlite', 'postgresql'])
    parser.add_argument('--sample', type=int, default=2000)
    parser.add_argument('--child', action='store_true',
        help=argparse.SUPPRESS)
    parser.add_argument('--uri', help=argparse.SUPPRESS)
    parser.add_argument('--workdir', help=argparse.SUPPRESS)
    parser.add_argument('--output', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = measure(args.uri, args.workdir, args.data, args.sample)
        with open(args.output, 'w') as fp:
            json.dump(figures, fp, default=str)
        return

    print(f"Official data: {os.path.abspath(args.data)}")
    with backends(args.backend or ['sqlite', 'postgresql']) as each:
        for backend, uri, backend_dir in each:
            output = os.path.join(backend_dir, 'figures.json')
            subprocess.run([sys.executable, script, '--child',
                    '--uri', uri, '--workdir', backend_dir,
                    '--output', output, '--data', args.data,
                    '--sample', str(args.sample)], check=True)
            with open(output) as fp:
                report(backend, json.load(fp))
