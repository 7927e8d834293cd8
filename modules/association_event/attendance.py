# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Import of registrations and attendance from an event platform's CSV file"
import csv
import io
import re
import unicodedata
from collections import defaultdict

from sql import Literal
from sql.functions import Lower

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .event import SLICE
from .exceptions import AttendanceImportError

# The names platforms give to each column, normalised: the exports of
# Zoom, Microsoft Teams, Google Meet and Webex in English and in French,
# and the plain files of the staff
COLUMNS = {
    'email': {
        'email', 'e-mail', 'mail', 'courriel', 'adresse e-mail',
        'adresse email', 'adresse mail', 'email address', 'e-mail address',
        'user email', "e-mail de l'utilisateur", "email de l'utilisateur",
        'attendee email', 'participant email', 'e-mail du participant',
        'adresse e-mail du participant', 'email du participant'},
    'name': {
        'name', 'nom', 'full name', 'nom complet', 'participant',
        'nom du participant', 'attendee', 'display name',
        'name (original name)', 'nom (nom original)', 'attendee name',
        "nom d'affichage", 'last name', 'nom de famille'},
    'first_name': {'first name', 'prenom'},
    'organisation': {
        'organisation', 'organization', 'structure', 'commune', 'company',
        'entreprise', 'societe', 'collectivite'},
    'joined': {
        'joined', 'attended', 'present', 'presence', 'a participe',
        'participe', 'has joined'},
    'duration': {
        'duration', 'duration (minutes)', 'total duration (minutes)',
        'in-meeting duration', 'attendance duration', 'duree',
        'duree (minutes)', 'duree totale (minutes)', 'duree de la reunion',
        'duree dans la reunion', 'duree de participation',
        'duree de presence'},
    'join_time': {
        'join time', 'first join', 'time joined', "heure d'arrivee",
        'premiere arrivee', 'premiere participation',
        "heure d'entree", 'joined at'},
    }
REQUIRED_COLUMNS = ['email', 'name']
YES = {'yes', 'y', 'oui', 'o', 'true', 'vrai', '1', 'x'}
NO = {'no', 'n', 'non', 'false', 'faux', '0', ''}
DELIMITERS = ',;\t'
# The parts of a duration: "1h 2m 3s", "1 h 2 min", "1 hr 5 mins", "45 s"
DURATION_PART = re.compile(
    r'(\d+(?:[.,]\d+)?)\s*(h|hr|hrs|hours?|heures?|m|min|mins|minutes?|'
    r's|sec|secs|seconds?|secondes?)\b')


def normalise(text):
    "Return the text without accents, case and extra spaces"
    text = unicodedata.normalize('NFKD', text or '')
    text = ''.join(c for c in text if not unicodedata.combining(c))
    text = text.replace('\u2019', "'")
    return ' '.join(text.split()).casefold()


def parse_duration(text):
    """Return the minutes of the duration text: a number of minutes,
    hh:mm:ss, or parts such as "1h 2m 3s" or "1 h 5 min"; None when
    empty

    Raise ValueError for a text that is no duration."""
    text = normalise(text)
    if not text:
        return None
    if re.fullmatch(r'\d+(?:[.,]\d+)?', text):
        return round(float(text.replace(',', '.')))
    if re.fullmatch(r'\d+:\d{2}(?::\d{2})?', text):
        parts = [int(p) for p in text.split(':')]
        if len(parts) == 2:
            parts.append(0)
        hours, minutes, seconds = parts
        return round(hours * 60 + minutes + seconds / 60)
    parts = DURATION_PART.findall(text)
    if not parts or DURATION_PART.sub('', text).strip():
        raise ValueError(text)
    minutes = 0
    for value, unit in parts:
        value = float(value.replace(',', '.'))
        if unit.startswith('h'):
            minutes += value * 60
        elif unit.startswith('m'):
            minutes += value
        else:
            minutes += value / 60
    return round(minutes)


class Row:
    __slots__ = (
        'number', 'email', 'name', 'organisation', 'joined', 'duration')

    def __init__(self, number, email, name, organisation, joined,
            duration=None):
        self.number = number
        self.email = email
        self.name = name
        self.organisation = organisation
        self.joined = joined
        self.duration = duration


def _decode(data):
    "Return the text of the file: UTF-16 (Teams) or UTF-8"
    if data[:2] in {b'\xff\xfe', b'\xfe\xff'}:
        try:
            return data.decode('utf-16')
        except UnicodeDecodeError as exception:
            raise AttendanceImportError(gettext(
                    'association_event.msg_attendance_encoding',
                    position=exception.start)) from exception
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as exception:
        raise AttendanceImportError(gettext(
                'association_event.msg_attendance_encoding',
                position=exception.start)) from exception
    if '\x00' in text:
        raise AttendanceImportError(gettext(
                'association_event.msg_attendance_encoding',
                position=text.index('\x00')))
    return text


def _header_positions(cells):
    positions = {}
    for position, title in enumerate(cells):
        title = normalise(title)
        for column, names in COLUMNS.items():
            if title in names and column not in positions:
                positions[column] = position
                break
    return positions


def parse_attendance(data):
    """Return the rows of the CSV data and whether it tells who joined

    The header is the first line that names the columns: the exports of
    the platforms put a summary of the meeting above it (Zoom, Teams) and
    other sections after a blank line (Teams).  A report with the join
    time or the duration of each participant lists the people who joined.

    Raise AttendanceImportError for a file that is not UTF-8 or UTF-16
    text, misses a column or has an unreadable joined value or duration."""
    text = _decode(data)
    lines = text.splitlines()
    header, positions, delimiter = None, {}, ','
    for index, line in enumerate(lines):
        line_delimiter = max(DELIMITERS, key=line.count)
        cells = next(csv.reader([line], delimiter=line_delimiter), [])
        line_positions = _header_positions(cells)
        if {'name', 'email'} <= line_positions.keys():
            header, positions, delimiter = index, line_positions, (
                line_delimiter)
            break
    if header is None:
        first_line = lines[0] if lines else ''
        delimiter = max(DELIMITERS, key=first_line.count)
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        positions = _header_positions(cells)
        missing = [c for c in REQUIRED_COLUMNS if c not in positions]
        raise AttendanceImportError(gettext(
                'association_event.msg_attendance_header',
                missing=', '.join(missing or REQUIRED_COLUMNS),
                header=delimiter.join(cells)[:200]))
    original_name = normalise(
        next(csv.reader([lines[header]], delimiter=delimiter))[
            positions['name']]) in {'name (original name)',
        'nom (nom original)'}
    # A report of who joined: every row joined
    attendance_report = (
        'joined' not in positions
        and bool(positions.keys() & {'duration', 'join_time'}))

    def value(row, column):
        position = positions.get(column)
        if position is not None and position < len(row):
            return row[position].strip()
        return ''

    rows = []
    reader = csv.reader(
        io.StringIO('\n'.join(lines[header + 1:])), delimiter=delimiter)
    for number, row in enumerate(reader, header + 2):
        if not any(c.strip() for c in row):
            if rows:
                # The next section of the report
                break
            continue
        joined = None
        if 'joined' in positions:
            joined = normalise(value(row, 'joined'))
            if joined in YES:
                joined = True
            elif joined in NO:
                joined = False
            else:
                raise AttendanceImportError(gettext(
                        'association_event.msg_attendance_joined',
                        row=number, value=value(row, 'joined')))
        elif attendance_report:
            joined = True
        try:
            duration = parse_duration(value(row, 'duration'))
        except ValueError:
            raise AttendanceImportError(gettext(
                    'association_event.msg_attendance_duration',
                    row=number, value=value(row, 'duration')))
        name = value(row, 'name')
        if value(row, 'first_name'):
            name = ' '.join(filter(None, [value(row, 'first_name'), name]))
        if original_name:
            # Zoom: the name shown in the meeting, then the account's
            match = re.fullmatch(r'.*\((.+)\)', name)
            if match:
                name = match.group(1).strip()
        rows.append(Row(
                number, value(row, 'email').casefold(), name,
                value(row, 'organisation'), joined, duration))
    return rows, 'joined' in positions or attendance_report


def match_rows(rows):
    """Return the person and organisation ids of each row number

    A row matches by e-mail first, then by name with the organisation the
    person is linked to (by a mandate or an earlier registration).
    Rows that match nobody or several people are left out."""
    pool = Pool()
    Party = pool.get('party.party')
    ContactMechanism = pool.get('party.contact_mechanism')
    Mandate = pool.get('association.mandate')
    Registration = pool.get('association.event.registration')
    party = Party.__table__()
    contact = ContactMechanism.__table__()
    mandate = Mandate.__table__()
    registration = Registration.__table__()
    cursor = Transaction().connection.cursor()

    by_email = defaultdict(set)
    emails = list({r.email for r in rows if r.email})
    for sub_emails in grouped_slice(emails, count=SLICE):
        cursor.execute(*contact.join(party,
                condition=contact.party == party.id).select(
                Lower(contact.value), contact.party,
                where=(contact.type == 'email')
                & Lower(contact.value).in_(list(sub_emails))
                & (party.kind == 'person')
                & (party.active == Literal(True))))
        for email, party_id in cursor:
            by_email[email].add(party_id)

    # Persons and organisations by normalised name
    persons_by_name = defaultdict(set)
    organisations_by_name = defaultdict(set)
    wanted_names = {normalise(r.name) for r in rows if r.name}
    wanted_organisations = {
        normalise(r.organisation) for r in rows if r.organisation}
    cursor.execute(*party.select(
            party.id, party.name, party.kind,
            where=party.active == Literal(True)))
    for party_id, name, kind in cursor:
        name = normalise(name)
        if kind == 'person':
            if name in wanted_names:
                persons_by_name[name].add(party_id)
        elif name in wanted_organisations:
            organisations_by_name[name].add(party_id)

    # The organisations each candidate person is linked to, and the
    # authority of the current mandates of the persons found by e-mail
    candidates = list(set().union(
            *persons_by_name.values(), *by_email.values()))
    links = defaultdict(set)
    current = {}
    today = Pool().get('ir.date').today()
    for sub_ids in grouped_slice(candidates, count=SLICE):
        sub_ids = list(sub_ids)
        cursor.execute(*mandate.select(
                mandate.person, mandate.authority, mandate.start_date,
                mandate.end_date,
                where=mandate.person.in_(sub_ids),
                order_by=[mandate.start_date.desc, mandate.id.asc]))
        for person_id, organisation_id, start_date, end_date in cursor:
            links[person_id].add(organisation_id)
            if (person_id not in current
                    and (not start_date or start_date <= today)
                    and (not end_date or end_date >= today)):
                current[person_id] = organisation_id
        cursor.execute(*registration.select(
                registration.person, registration.organisation,
                where=registration.person.in_(sub_ids)
                & (registration.organisation != None)))  # noqa: E711
        for person_id, organisation_id in cursor:
            links[person_id].add(organisation_id)

    matches = {}
    for row in rows:
        organisations = organisations_by_name.get(
            normalise(row.organisation), set())
        persons = by_email.get(row.email, set()) if row.email else set()
        if len(persons) != 1:
            namesakes = persons_by_name.get(normalise(row.name), set())
            if row.organisation:
                persons = {p for p in namesakes if links[p] & organisations}
            else:
                # Without organisation, only a name nobody else has
                persons = namesakes
        if len(persons) == 1:
            person_id, = persons
            organisation_ids = organisations & links[person_id]
            if not organisation_ids and len(organisations) == 1:
                organisation_ids = organisations
            organisation_id = (
                min(organisation_ids) if len(organisation_ids) == 1
                else None)
            if not row.organisation:
                # The authority of the person's mandate
                organisation_id = current.get(person_id)
            matches[row.number] = (person_id, organisation_id)
    return matches


class AttendanceImportStart(ModelView):
    "Event Attendance Import"
    __name__ = 'association.event.attendance.import.start'

    event = fields.Many2One(
        'association.event', "Event", required=True,
        domain=[
            ('state', '!=', 'cancelled'),
            ])
    file = fields.Binary(
        "CSV File", required=True, filename='filename',
        help="The participants exported by the meeting or event platform "
        "(Zoom, Teams, Google Meet, Webex: the file as downloaded) or a "
        "UTF-8 file with the columns e-mail, name, organisation and joined "
        "(without \"joined\" nor times, the rows are registrations).")
    filename = fields.Char("File Name")


class AttendanceImportUnmatched(ModelView):
    "Event Attendance Import Unmatched Row"
    __name__ = 'association.event.attendance.import.unmatched'

    row = fields.Integer("Row", readonly=True)
    email = fields.Char("E-mail", readonly=True)
    name = fields.Char("Name", readonly=True)
    organisation = fields.Char("Organisation", readonly=True)
    joined = fields.Boolean("Joined", readonly=True)


class AttendanceImportResult(ModelView):
    "Event Attendance Import"
    __name__ = 'association.event.attendance.import.result'

    rows = fields.Integer("Rows", readonly=True)
    matched = fields.Integer("Matched", readonly=True)
    created = fields.Integer(
        "Registrations Created", readonly=True)
    attended = fields.Integer("Attended", readonly=True)
    absent = fields.Integer("Absent", readonly=True)
    duplicates = fields.Integer(
        "Duplicates", readonly=True,
        help="The rows of a person already found in an earlier row.")
    unmatched = fields.One2Many(
        'association.event.attendance.import.unmatched', None,
        "Unmatched Rows", readonly=True,
        help="Nobody of the directory was found for these rows: "
        "add the persons and import the file again.")


class AttendanceImport(Wizard):
    "Event Attendance Import"
    __name__ = 'association.event.attendance.import'

    start = StateView(
        'association.event.attendance.import.start',
        'association_event.attendance_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView(
        'association.event.attendance.import.result',
        'association_event.attendance_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        pool = Pool()
        Event = pool.get('association.event')
        context = Transaction().context
        if (context.get('active_model') == 'association.event'
                and context.get('active_id')):
            event = Event(context['active_id'])
            if event.state != 'cancelled':
                return {'event': event.id}
        return {}

    def transition_import_(self):
        pool = Pool()
        Unmatched = pool.get('association.event.attendance.import.unmatched')
        rows, with_joined = parse_attendance(self.start.file)
        figures = import_attendance(self.start.event, rows, with_joined)
        for name, value in figures.items():
            if name == 'unmatched':
                value = [Unmatched(**v) for v in value]
            setattr(self.result, name, value)
        return 'result'

    def default_result(self, fields):
        return self.result._default_values


def import_attendance(event, rows, with_joined):
    """Record the registrations and attendance of the rows to the event

    Return the figures and the unmatched rows."""
    pool = Pool()
    Registration = pool.get('association.event.registration')
    if event.state == 'cancelled':
        raise AttendanceImportError(gettext(
                'association_event.msg_attendance_event_cancelled',
                event=event.rec_name))
    matches = match_rows(rows)
    joined = {}
    organisations = {}
    emails = {}
    durations = defaultdict(int)
    duplicates = 0
    unmatched = []
    for row in rows:
        if row.number not in matches:
            unmatched.append({
                    'row': row.number,
                    'email': row.email,
                    'name': row.name,
                    'organisation': row.organisation,
                    'joined': row.joined,
                    })
            continue
        person_id, organisation_id = matches[row.number]
        if row.duration:
            # Who left and came back has a row for each time
            durations[person_id] += row.duration
        if person_id in joined:
            duplicates += 1
            # Someone who joined twice (two devices) joined
            joined[person_id] = joined[person_id] or row.joined
        else:
            joined[person_id] = row.joined
        organisations.setdefault(person_id, organisation_id)
        if row.email:
            emails.setdefault(person_id, row.email)

    existing = {}
    for sub_ids in grouped_slice(list(joined), count=SLICE):
        for registration in Registration.search([
                    ('event', '=', event.id),
                    ('person', 'in', list(sub_ids)),
                    ('state', '!=', 'cancelled'),
                    ]):
            existing[registration.person.id] = registration

    length = round((event.end - event.start).total_seconds() / 60)
    for person_id in durations:
        durations[person_id] = min(durations[person_id], length)
    to_create, to_attend, to_absent, to_time = [], [], [], []
    for person_id, has_joined in joined.items():
        registration = existing.get(person_id)
        if registration:
            if not with_joined:
                continue
            if has_joined and registration.state != 'attended':
                to_attend.append(registration)
            elif (not has_joined
                    and registration.state in {'registered', 'confirmed'}):
                to_absent.append(registration)
            if (durations.get(person_id)
                    and registration.attendance_minutes
                    != durations[person_id]):
                to_time.append(registration)
            continue
        state = 'registered'
        if with_joined:
            state = 'attended' if has_joined else 'absent'
        to_create.append(Registration(
                event=event,
                person=person_id,
                organisation=organisations[person_id],
                email=emails.get(person_id),
                origin='import',
                attendance_minutes=durations.get(person_id),
                state=state))
    Registration.save(to_create)
    args = []
    if to_attend:
        args.extend([to_attend, {'state': 'attended'}])
    if to_absent:
        args.extend([to_absent, {'state': 'absent'}])
    for registration in to_time:
        args.extend([[registration], {
                    'attendance_minutes': durations[
                        registration.person.id]}])
    if args:
        Registration.write(*args)
    return {
        'rows': len(rows),
        'matched': len(rows) - len(unmatched),
        'created': len(to_create),
        'attended': sum(
            1 for r in to_create if r.state == 'attended') + len(to_attend),
        'absent': sum(
            1 for r in to_create if r.state == 'absent') + len(to_absent),
        'duplicates': duplicates,
        'unmatched': unmatched,
        }
