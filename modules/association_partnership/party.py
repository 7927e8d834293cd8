# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    partnership_level = fields.Many2One(
        'association.partnership.level', "Partnership Level",
        ondelete='RESTRICT',
        help="The level of the partner's current partnership.\n"
        "It is set when one of its conventions becomes active.")
