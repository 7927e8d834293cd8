# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Id


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Partnership Configuration"
    __name__ = 'association.partnership.configuration'

    convention_sequence = fields.Many2One(
        'ir.sequence', "Convention Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('association_partnership', 'sequence_type_convention')),
            ],
        help="Used to number the conventions when they leave the draft.")
    default_product = fields.Many2One(
        'product.product', "Default Product",
        domain=[
            ('type', '=', 'service'),
            ],
        help="Used to invoice the instalments of conventions "
        "whose level has no product.")
    reminder_days = fields.Integer(
        "Reminder Days", required=True,
        domain=[
            ('reminder_days', '>=', 0),
            ],
        help="How many days before its end a convention is reminded.")

    @classmethod
    def default_convention_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id(
                'association_partnership', 'sequence_convention')
        except KeyError:
            return None

    @property
    def reminder_delta(self):
        return dt.timedelta(days=self.reminder_days or 0)

    @classmethod
    def default_reminder_days(cls):
        return 90
