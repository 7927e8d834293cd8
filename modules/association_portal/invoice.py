# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class Portal(metaclass=PoolMeta):
    __name__ = 'association.portal'
