# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool
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
