# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction


def lang():
    pool = Pool()
    Lang = pool.get('ir.lang')
    return Lang.get(Transaction().language)


LOGO_PLACEMENTS = [
    (None, ""),
    ('cover', "Cover and Main Backdrop"),
    ('banner', "Banners and Programme"),
    ('partners_page', "Partners Page"),
    ]


class Level(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Partnership Level"
    __name__ = 'association.partnership.level'

    name = fields.Char("Name", required=True, translate=True)
    yearly_contribution = fields.Numeric(
        "Yearly Contribution", digits=(16, 2),
        domain=['OR',
            ('yearly_contribution', '=', None),
            ('yearly_contribution', '>=', 0),
            ],
        help="The amount excluding taxes the partner contributes each year.")
    product = fields.Many2One(
        'product.product', "Product", ondelete='RESTRICT',
        domain=[
            ('type', '=', 'service'),
            ],
        help="The product used to invoice the contributions at this level.\n"
        "Leave empty to use the default product of the configuration.")
    stand = fields.Boolean(
        "Stand", help="A stand at the trade show.")
    stand_size = fields.Float(
        "Stand Size", digits=(16, 1),
        domain=['OR',
            ('stand_size', '=', None),
            ('stand_size', '>', 0),
            ],
        states={
            'invisible': ~Eval('stand', False),
            },
        help="In square metres.")
    logo_placement = fields.Selection(
        LOGO_PLACEMENTS, "Logo Placement",
        help="Where the partner's logo appears.")
    logo_placement_string = logo_placement.translated('logo_placement')
    speaking_slots = fields.Integer(
        "Speaking Slots",
        domain=['OR',
            ('speaking_slots', '=', None),
            ('speaking_slots', '>=', 0),
            ],
        help="The number of talks the partner gives at the events.")
    speed_meeting_access = fields.Boolean(
        "Speed Meeting Access",
        help="The partner may take part in the speed meetings.")
    invitations = fields.Integer(
        "Invitations",
        domain=['OR',
            ('invitations', '=', None),
            ('invitations', '>=', 0),
            ],
        help="The number of free invitations to the events.")
    description = fields.Text("Description", translate=True)

    def get_benefits(self):
        "Yield the benefit keys and descriptions the level gives"
        if self.stand:
            if self.stand_size:
                yield 'stand', gettext(
                    'association_partnership.msg_benefit_stand_size',
                    size=lang().format_number(self.stand_size, digits=1))
            else:
                yield 'stand', gettext(
                    'association_partnership.msg_benefit_stand')
        if self.logo_placement:
            yield 'logo', gettext(
                'association_partnership.msg_benefit_logo',
                placement=self.logo_placement_string)
        if self.speaking_slots:
            yield 'speaking', gettext(
                'association_partnership.msg_benefit_speaking',
                slots=self.speaking_slots)
        if self.speed_meeting_access:
            yield 'speed_meeting', gettext(
                'association_partnership.msg_benefit_speed_meeting')
        if self.invitations:
            yield 'invitations', gettext(
                'association_partnership.msg_benefit_invitations',
                invitations=self.invitations)

    @classmethod
    def default_stand(cls):
        return False

    @classmethod
    def default_speed_meeting_access(cls):
        return False

    @classmethod
    def default_speaking_slots(cls):
        return 0

    @classmethod
    def default_invitations(cls):
        return 0
