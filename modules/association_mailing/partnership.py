# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The rules of the audiences on the partners: the parties of a partnership
level (the level their active conventions give them) and their contacts,
the persons who sign their current conventions for them"""
from trytond import backend
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice

# The conventions whose signatories are the partner's contacts
CURRENT = ['negotiation', 'signed', 'active']


class AudienceRule(metaclass=PoolMeta):
    __name__ = 'association.mailing.audience.rule'

    partnership_level = fields.Many2One(
        'association.partnership.level', "Partnership Level",
        ondelete='RESTRICT',
        states={
            'invisible': Eval('source') != 'partner',
            },
        help="Leave empty for the partners of every level.")
    partner_people = fields.Selection([
            ('partner', "The Partners"),
            ('contacts', "Their Contacts"),
            ('both', "The Partners and Their Contacts"),
            ], "Write To",
        states={
            'invisible': Eval('source') != 'partner',
            'required': Eval('source') == 'partner',
            },
        help="The partners at their own address, or the persons who sign "
        "their current conventions for them.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.source.selection.append(('partner', "Partners"))

    @classmethod
    def default_partner_people(cls):
        return 'both'

    def _compute_partner(self):
        pool = Pool()
        Party = pool.get('party.party')
        Signatory = pool.get('association.convention.signatory')
        domain = [('partnership_level', '!=', None)]
        if self.partnership_level:
            domain = [('partnership_level', '=', self.partnership_level.id)]
        partners = [p['id'] for p in Party.search_read(
                domain, fields_names=['id'], order=[('id', 'ASC')])]
        result = {}
        if self.partner_people in {'partner', 'both'}:
            result.update((p, (p, None)) for p in partners)
        if self.partner_people in {'contacts', 'both'}:
            for sub_ids in grouped_slice(
                    partners, backend.MAX_QUERY_PARAMS):
                sub_ids = set(sub_ids)
                for signatory in Signatory.search_read([
                            ('side', '=', 'partner'),
                            ('convention.state', 'in', CURRENT),
                            ('convention.parties', 'in', list(sub_ids)),
                            ], fields_names=[
                            'person', 'convention.parties'],
                        order=[('id', 'ASC')]):
                    # The contact writes for the first partner of the
                    # convention that the rule found
                    partner = min(
                        sub_ids & set(signatory['convention.']['parties']))
                    result.setdefault(signatory['person'], (partner, None))
        return result
