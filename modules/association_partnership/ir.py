# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('association.convention.instalment|invoice_due',
                    "Invoice Due Convention Instalments"),
                ('association.convention|process',
                    "Process Conventions"),
                ('association.convention|send_reminders',
                    "Send Convention Reminders"),
                ])
