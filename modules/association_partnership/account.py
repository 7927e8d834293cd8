# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import ModelSQL, fields
from trytond.modules.company.model import CompanyValueMixin
from trytond.pool import Pool, PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'account.configuration'

    invoice_legal_notice = fields.MultiValue(fields.Text(
            "Invoice Legal Notice", translate=True,
            help="Printed at the bottom of the customer invoices.\n"
            "Leave empty to print the mentions of the French commercial "
            "code: no discount for early payment, late-payment penalties "
            "at three times the legal interest rate and the fixed "
            "indemnity of 40 € for recovery costs."))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field == 'invoice_legal_notice':
            return pool.get('account.configuration.invoice_legal_notice')
        return super().multivalue_model(field)


class ConfigurationInvoiceLegalNotice(ModelSQL, CompanyValueMixin):
    __name__ = 'account.configuration.invoice_legal_notice'

    invoice_legal_notice = fields.Text(
        "Invoice Legal Notice", translate=True)
