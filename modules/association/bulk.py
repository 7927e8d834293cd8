# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"What the bulk imports share: statements that write many rows at once"
from sql import Literal

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .party import SLICE


class BulkWriter:
    """Insert and update rows with one statement for a slice of them

    The importer sets user and now, written in the create and write
    columns, and error, the class of its user errors."""
    user = now = None
    error = None

    def insert(self, table, columns, rows):
        "Insert the rows of values of the columns with one query"
        if not rows:
            return
        cursor = Transaction().connection.cursor()
        columns = columns + ['create_uid', 'create_date']
        # Literal values are parameters: one query for every row
        query, _ = table.insert(
            [getattr(table, c) for c in columns],
            [[Literal(None)] * len(columns)])
        for sub_rows in grouped_slice(rows, count=SLICE):
            cursor.executemany(query, [
                    tuple(r) + (self.user, self.now) for r in sub_rows])

    def update(self, table, columns, rows):
        "Update the columns with the values of rows, ending with the id"
        if not rows:
            return
        cursor = Transaction().connection.cursor()
        columns = columns + ['write_uid', 'write_date']
        query, _ = table.update(
            [getattr(table, c) for c in columns],
            [Literal(None)] * len(columns),
            where=table.id == Literal(0))
        for sub_rows in grouped_slice(rows, count=SLICE):
            cursor.executemany(query, [
                    tuple(r[:-1]) + (self.user, self.now, r[-1])
                    for r in sub_rows])

    def party_codes(self, n):
        "Return n codes from the party sequence"
        pool = Pool()
        Party = pool.get('party.party')
        sequence = Party._code_sequence()
        if not sequence:
            raise self.error(gettext(
                    'association.msg_official_data_no_party_sequence'))
        return list(sequence.get_many(n=n))
