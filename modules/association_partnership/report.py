# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from decimal import Decimal

from trytond.pool import Pool, PoolMeta
from trytond.report import Report
from trytond.transaction import Transaction


class ConventionReport(Report):
    __name__ = 'association.convention'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['kind_name'] = cls.kind_name
        return context

    @classmethod
    def kind_name(cls, convention):
        "Return the kind of the convention in the language of its report"
        pool = Pool()
        Convention = pool.get('association.convention')
        with Transaction().set_context(language=convention.report_language):
            return Convention(convention.id).kind_string


class InvoiceReport(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['identifier'] = cls.identifier
        context['address_lines'] = cls.address_lines
        context['invoice_conventions'] = cls.invoice_conventions
        context['credited_invoices'] = cls.credited_invoices
        context['amount_paid'] = cls.amount_paid
        context['legal_notice'] = cls.legal_notice
        return context

    @classmethod
    def identifier(cls, records, types):
        """Return the first identifier among the types of the records
        (addresses hold the SIRET, parties the SIREN)"""
        for type_ in types:
            for record in filter(None, records):
                for identifier in record.identifiers:
                    if identifier.type == type_:
                        return identifier

    @classmethod
    def address_lines(cls, address):
        "Return the lines of the address without the name of its party"
        pool = Pool()
        Address = pool.get('party.address')
        if not address:
            return []
        with Transaction().set_context(address_with_party=False):
            return Address(address.id).full_address.splitlines()

    @classmethod
    def invoice_conventions(cls, invoice):
        "Return the conventions whose instalments the invoice invoices"
        pool = Pool()
        Instalment = pool.get('association.convention.instalment')
        conventions = []
        for line in invoice.lines:
            origin = getattr(line, 'origin', None)
            if (isinstance(origin, Instalment)
                    and origin.convention not in conventions):
                conventions.append(origin.convention)
        return conventions

    @classmethod
    def credited_invoices(cls, invoice):
        "Return the invoices that the credit note credits"
        pool = Pool()
        InvoiceLine = pool.get('account.invoice.line')
        invoices = []
        for line in invoice.lines:
            origin = getattr(line, 'origin', None)
            if (isinstance(origin, InvoiceLine)
                    and origin.invoice
                    and origin.invoice not in invoices):
                invoices.append(origin.invoice)
        return invoices

    @classmethod
    def amount_paid(cls, invoice):
        "Return the amount already paid of a posted or paid invoice"
        if invoice.state == 'paid':
            return invoice.total_amount
        elif invoice.state == 'posted':
            return invoice.total_amount - invoice.amount_to_pay
        return Decimal(0)

    @classmethod
    def legal_notice(cls, invoice):
        """Return the legal notice of the configuration in the language of
        the invoice or None to print the default one"""
        pool = Pool()
        Configuration = pool.get('account.configuration')
        with Transaction().set_context(language=invoice.party_lang):
            return Configuration(1).get_multivalue(
                'invoice_legal_notice', company=invoice.company.id)
