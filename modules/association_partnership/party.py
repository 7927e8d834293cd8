# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import defaultdict

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice

# Number of ids in one IN clause
SLICE = 1000


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    partnership_level = fields.Many2One(
        'association.partnership.level', "Partnership Level",
        ondelete='RESTRICT',
        help="The level of the partner's current partnership.\n"
        "It is set from its active conventions.")
    current_conventions = fields.Function(fields.Many2Many(
            'association.convention', None, None, "Current Conventions",
            help="The conventions in negotiation, signed or active."),
        'get_partnership')
    past_conventions = fields.Function(fields.Many2Many(
            'association.convention', None, None, "Past Conventions",
            help="The conventions expired or terminated."),
        'get_partnership')
    partnership_commitments = fields.Function(fields.Many2Many(
            'association.convention.commitment', None, None,
            "Commitments",
            help="The commitments of the current conventions."),
        'get_partnership')
    partnership_invoices = fields.Function(fields.Many2Many(
            'account.invoice', None, None, "Partnership Invoices",
            help="The invoices of the instalments of the conventions."),
        'get_partnership')

    @classmethod
    def get_partnership(cls, parties, names):
        pool = Pool()
        Convention = pool.get('association.convention')
        result = {n: defaultdict(list) for n in names}
        for sub_parties in grouped_slice(parties, count=SLICE):
            conventions = Convention.search([
                    ('parties', 'in', [p.id for p in sub_parties]),
                    ])
            for convention in conventions:
                current = convention.state in {
                    'draft', 'negotiation', 'signed', 'active'}
                for party in convention.parties:
                    if 'current_conventions' in names and current:
                        result['current_conventions'][party.id].append(
                            convention.id)
                    if 'past_conventions' in names and not current:
                        result['past_conventions'][party.id].append(
                            convention.id)
                    if 'partnership_commitments' in names and current:
                        result['partnership_commitments'][party.id].extend(
                            c.id for c in convention.commitments)
                    if 'partnership_invoices' in names:
                        result['partnership_invoices'][party.id].extend(
                            i.invoice.id for i in convention.instalments
                            if i.invoice)
        return {n: {p.id: result[n][p.id] for p in parties} for n in names}
