# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Import the official division files into a Tryton database

Usage: concorde-import-official-data -c trytond.conf -d DATABASE \\
    --year 2026 [--older] PATH

PATH is a folder holding communes.json and optionally epci.json and
ept.json (the full France files or an extract); what a missing file would
feed is left unchanged.  Everything is written in one transaction: on any
error the database is left unchanged."""
import os
import sys
import time

from . import (
    CommandError, argument_parser, configure, open_database, seconds)


def parse_arguments(args=None):
    parser = argument_parser('concorde-import-official-data',
        "Importe les fichiers du découpage administratif officiel dans une "
        "base Tryton.")
    parser.add_argument('--year', type=int, required=True,
        help="le millésime des fichiers, enregistré avec les populations")
    parser.add_argument('--older', action='store_true',
        help="accepter un millésime plus ancien que celui de la base : "
        "seules ses populations sont enregistrées dans l'historique")
    parser.add_argument('-q', '--quiet', action='store_true',
        help="ne pas afficher la progression")
    parser.add_argument('path', help="le dossier des fichiers JSON")
    return parser.parse_args(args)


def run(database, path, year, user='admin', progress=None, older=False):
    """Import the files of path and return the summary and the lines of
    its report"""
    from trytond.transaction import Transaction

    from trytond.modules.association.official_data import (
        OfficialData, format_summary, import_official_data)

    if not os.path.isdir(path):
        raise CommandError(f"le dossier « {path} » n'existe pas.")
    user_id, context = open_database(database, user)
    with Transaction().start(
            database, user_id, context=context) as transaction:
        data = OfficialData.read_folder(year, path)
        summary = import_official_data(
            data, progress=progress, older=older)
        report = format_summary(summary)
        transaction.commit()
    return summary, report


def main(args=None):
    options = parse_arguments(args)
    configure(options.configfile)
    from trytond.exceptions import UserError

    def progress(done, total):
        if not options.quiet:
            sys.stderr.write(f"\r{done} / {total} lignes")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    start = time.monotonic()
    try:
        summary, report = run(
            options.database, options.path, options.year,
            user=options.user, progress=progress, older=options.older)
    except (CommandError, UserError) as exception:
        message = getattr(exception, 'message', None) or str(exception)
        sys.stderr.write(f"\nErreur : {message}\n")
        return 1
    duration = time.monotonic() - start
    if summary['history_only']:
        print(
            f"Millésime {summary['year']} : {summary['total']} "
            f"collectivités lues en {seconds(duration)}")
    else:
        print(
            f"Millésime {summary['year']} : {summary['total']} "
            f"collectivités, "
            f"{summary['created']} créées, {summary['updated']} mises à "
            f"jour, {summary['merged']} fusionnées, {summary['unchanged']} "
            f"inchangées ({summary['skipped']} lignes ignorées) en "
            f"{seconds(duration)}")
    for line in report:
        print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
