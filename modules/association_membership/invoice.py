# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from email.message import EmailMessage
from email.utils import formataddr

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import dualmethod, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.report import Report
from trytond.sendmail import send_message_transactional
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .membership import SLICE


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    dues_year = fields.Integer(
        "Dues Year", readonly=True,
        states={
            'invisible': ~Bool(Eval('dues_year')),
            },
        help="The year of the membership dues the invoice calls; "
        "its document is the dues-call letter.")
    chorus_service_code = fields.Char(
        "Service Code",
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': ~Eval('chorus_service_code'),
            },
        help="The service of the public body that receives the invoice "
        "on Chorus Pro.")

    @classmethod
    def on_modification(cls, mode, invoices, field_names=None):
        super().on_modification(mode, invoices, field_names=field_names)
        if mode == 'write' and (
                field_names is None or 'state' in field_names):
            cls._update_memberships(invoices)

    @classmethod
    def _update_memberships(cls, invoices):
        pool = Pool()
        Membership = pool.get('association.membership')
        ids = [i.id for i in invoices if i.dues_year]
        memberships = []
        for sub_ids in grouped_slice(ids, count=SLICE):
            memberships.extend(Membership.search(['OR',
                        ('invoice', 'in', list(sub_ids)),
                        ('credit_note', 'in', list(sub_ids)),
                        ]))
        if memberships:
            Membership.update_state(memberships)

    @dualmethod
    def print_invoice(cls, invoices):
        """Render the invoices' documents (queued on posting)

        The document of a dues invoice is the dues-call letter, sent by
        e-mail to the member's invoicing contact once rendered."""
        super().print_invoice(invoices)
        dues = [i for i in invoices if i.dues_year and i.type == 'out']
        if dues:
            cls._send_dues_letters(dues)

    @classmethod
    def _send_dues_letters(cls, invoices):
        pool = Pool()
        Line = pool.get('association.dues.campaign.line')
        Email = pool.get('ir.email')
        lines = []
        for sub_invoices in grouped_slice(invoices, count=SLICE):
            lines.extend(Line.search([
                        ('invoice', 'in', [i.id for i in sub_invoices]),
                        ('letter_date', '=', None),
                        ]))
        by_invoice = {l.invoice.id: l for l in lines}
        now = dt.datetime.now()
        emails = []
        for invoice in invoices:
            line = by_invoice.get(invoice.id)
            if line is None and invoice.invoice_report_cache is None:
                continue
            msg = invoice._dues_letter_email()
            if msg:
                send_message_transactional(msg)
                emails.append(Email.from_message(msg, resource=invoice))
            if line:
                line.letter_date = now
        Email.save(emails)
        Line.save(lines)

    def _dues_letter_email(self):
        "Return the e-mail of the dues-call letter or None"
        contact = self.party.contact_mechanism_get('email', usage='invoice')
        if not contact or not contact.email or not self.invoice_report_cache:
            return
        with Transaction().set_context(
                language=self.party.lang.code if self.party.lang else None):
            subject = gettext(
                'association_membership.msg_letter_email_subject',
                year=self.dues_year, number=self.number)
            body = gettext(
                'association_membership.msg_letter_email_body',
                member=self.party.rec_name, year=self.dues_year,
                number=self.number,
                association=self.company.party.rec_name)
        msg = EmailMessage()
        msg['From'] = config.get('email', 'from')
        msg['To'] = formataddr((contact.name or self.party.rec_name,
                contact.email))
        msg['Subject'] = subject
        msg['Auto-Submitted'] = 'auto-generated'
        msg.set_content(body)
        filename = f'{self.number}.{self.invoice_report_format or "pdf"}'
        msg.add_attachment(
            bytes(self.invoice_report_cache), maintype='application',
            subtype='pdf', filename=filename.replace('/', '-'))
        return msg


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['association.membership']


class InvoiceReport(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def execute(cls, ids, data):
        """The document of a dues invoice is its dues-call letter"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Letter = pool.get('association.dues.letter', type='report')
        invoices = Invoice.browse(ids)
        if invoices and all(i.dues_year for i in invoices):
            data = {k: v for k, v in data.items() if k != 'action_id'}
            return Letter.execute(ids, data)
        return super().execute(ids, data)


class DuesLetter(Report):
    "Dues-Call Letter"
    __name__ = 'association.dues.letter'

    @classmethod
    def _execute(cls, records, header, data, action):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        invoice, = Invoice.browse(records)
        if invoice.invoice_report_cache:
            return (
                invoice.invoice_report_format, invoice.invoice_report_cache)
        result = super()._execute(records, header, data, action)
        if invoice.invoice_report_versioned:
            format_, content = result
            if isinstance(content, str):
                content = bytes(content, 'utf-8')
            invoice.invoice_report_format = format_
            invoice.invoice_report_cache = (
                Invoice.invoice_report_cache.cast(content))
            invoice.save()
        return result

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Membership = pool.get('association.membership')
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        context = super().get_context(records, header, data)
        invoice = context['record']
        context['invoice'] = invoice
        context['company'] = invoice.company
        context['language'] = Lang.get(invoice.party_lang)
        context['memberships'] = Membership.search([
                ('invoice', '=', invoice.id),
                ])
        with Transaction().set_context(company=invoice.company.id):
            context['today'] = Date.today()
        return context


class UNCEFACTInvoice(metaclass=PoolMeta):
    __name__ = 'edocument.uncefact.invoice'

    def render(self, template):
        """Add the buyer reference: the service code that Chorus Pro
        reads to route the invoice to the public body's service"""
        result = super().render(template)
        code = self.invoice.chorus_service_code
        if not code:
            return result
        from lxml import etree
        root = etree.fromstring(result)
        ram = root.nsmap.get('ram')
        agreement = root.find('.//{%s}ApplicableHeaderTradeAgreement' % ram)
        if agreement is None:
            return result
        reference = etree.Element('{%s}BuyerReference' % ram)
        reference.text = code
        agreement.insert(0, reference)
        return etree.tostring(
            root, xml_declaration=True, encoding='utf-8')
