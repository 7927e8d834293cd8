# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Sponsors ranked by the partnership levels of association_partnership"
from trytond.model import fields
from trytond.pool import PoolMeta


class Sponsor(metaclass=PoolMeta):
    __name__ = 'association.event.sponsor'

    level = fields.Many2One(
        'association.partnership.level', "Partnership Level",
        ondelete='RESTRICT',
        help="The level the sponsor is shown at; "
        "the sponsors are listed by level, then by rank.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # The levels are ordered by their sequence
        cls._order.insert(1, ('level.sequence', 'ASC NULLS LAST'))

    @fields.depends('party', 'level')
    def on_change_party(self):
        if self.party and not self.level:
            self.level = self.party.partnership_level


class Stand(metaclass=PoolMeta):
    __name__ = 'association.event.stand'

    exhibitor_level = fields.Function(
        fields.Many2One(
            'association.partnership.level', "Partnership Level",
            help="The partnership level of the exhibitor, "
            "which may include the stand."),
        'on_change_with_exhibitor_level')

    @fields.depends('exhibitor')
    def on_change_with_exhibitor_level(self, name=None):
        if self.exhibitor and self.exhibitor.partnership_level:
            return self.exhibitor.partnership_level
