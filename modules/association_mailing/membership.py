# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The rules of the audiences on the memberships of the authorities"
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval


class AudienceRule(metaclass=PoolMeta):
    __name__ = 'association.mailing.audience.rule'

    membership = fields.Selection([
            (None, ""),
            ('member', "Members"),
            ('up_to_date', "Members with Dues Paid"),
            ('overdue', "Members with Dues Overdue"),
            ('not_member', "Non-Members"),
            ], "Membership",
        states={
            'invisible': ~Eval('source').in_(['official', 'town_hall']),
            },
        help="The membership of the authority this year.")
    membership_type = fields.Many2One(
        'association.membership.type', "Membership Type",
        ondelete='RESTRICT',
        states={
            'invisible': ~Eval('source').in_(['official', 'town_hall']),
            },
        help="Only the authorities with a membership of this type this "
        "year.")

    def _authority_domain(self, prefix=''):
        pool = Pool()
        Date = pool.get('ir.date')
        domain = super()._authority_domain(prefix)
        if self.membership == 'member':
            domain.append((prefix + 'member', '=', True))
        elif self.membership == 'up_to_date':
            domain.append((prefix + 'member', '=', True))
            domain.append((prefix + 'dues_up_to_date', '=', True))
        elif self.membership == 'overdue':
            domain.append((prefix + 'member', '=', True))
            domain.append((prefix + 'dues_up_to_date', '=', False))
        elif self.membership == 'not_member':
            domain.append((prefix + 'member', '=', False))
        if self.membership_type:
            domain.append((prefix + 'memberships', 'where', [
                        ('type', '=', self.membership_type.id),
                        ('year', '=', Date.today().year),
                        ('state', 'in', ['draft', 'called', 'invoiced',
                                'paid']),
                        ]))
        return domain
