# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Import the official division files into a Tryton database

Usage: concorde-import-official-data -c trytond.conf -d DATABASE \\
    --year 2026 PATH

PATH is a folder holding communes.json and optionally epci.json and
ept.json (the full France files or an extract).  Everything is written in
one transaction: on any error the database is left unchanged."""
import argparse
import os
import sys
import time


def parse_arguments(args=None):
    parser = argparse.ArgumentParser(
        prog='concorde-import-official-data',
        description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', dest='configfile',
        default=os.environ.get('TRYTOND_CONFIG'),
        help="the trytond configuration file")
    parser.add_argument('-d', '--database', dest='database', required=True,
        help="the database name")
    parser.add_argument('--year', type=int, required=True,
        help="the vintage of the files, recorded with the populations")
    parser.add_argument('--user', default='admin',
        help="the login of the user who imports (default: admin)")
    parser.add_argument('-q', '--quiet', action='store_true',
        help="do not print the progress")
    parser.add_argument('path', help="the folder of the JSON files")
    return parser.parse_args(args)


def run(database, path, year, user='admin', progress=None, output=None):
    "Import the files of path and return the summary"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.association.official_data import (
        OfficialData, import_official_data)

    pool = Pool(database)
    pool.init()
    with Transaction().start(database, 0, readonly=True):
        User = pool.get('res.user')
        user, = User.search([('login', '=', user)], limit=1)
        user_id = user.id
        with Transaction().set_user(user_id):
            context = User.get_preferences(context_only=True)
    with Transaction().start(
            database, user_id, context=context) as transaction:
        data = OfficialData.read_folder(year, path)
        summary = import_official_data(data, progress=progress)
        transaction.commit()
    return summary


def main(args=None):
    options = parse_arguments(args)
    from trytond import config
    config.update_etc(options.configfile)
    from trytond.exceptions import UserError

    def progress(done, total):
        if not options.quiet:
            sys.stderr.write(f"\r{done} / {total} rows")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    start = time.monotonic()
    try:
        summary = run(
            options.database, options.path, options.year,
            user=options.user, progress=progress)
    except UserError as exception:
        sys.stderr.write(f"\nError: {exception.message}\n")
        return 1
    duration = time.monotonic() - start
    print(
        f"Vintage {summary['year']}: {summary['total']} authorities, "
        f"{summary['created']} created, {summary['updated']} updated, "
        f"{summary['merged']} merged, {summary['unchanged']} unchanged "
        f"({summary['skipped']} rows skipped) in {duration:.1f} s")
    return 0


if __name__ == '__main__':
    sys.exit(main())
