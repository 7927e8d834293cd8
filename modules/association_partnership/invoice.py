# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    @property
    def origin_name(self):
        pool = Pool()
        Instalment = pool.get('association.convention.instalment')
        name = super().origin_name
        if isinstance(self.origin, Instalment) and self.origin.id >= 0:
            name = self.origin.convention.rec_name
        return name

    @classmethod
    def _get_origin(cls):
        models = super()._get_origin()
        models.append('association.convention.instalment')
        return models
