# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
import threading
from collections import defaultdict
from email.message import EmailMessage
from email.utils import formataddr

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import dualmethod, fields
from trytond.modules.association.tools import qrcode_data_uri
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.report import Report
from trytond.sendmail import send_message_transactional
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .membership import SLICE

try:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
except ImportError:
    weasyprint = None
try:
    from trytond.tools import qrcode
except ImportError:
    qrcode = None


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    dues_year = fields.Integer(
        "Dues Year", readonly=True,
        states={
            'invisible': ~Bool(Eval('dues_year')),
            },
        help="The year of the membership dues the invoice calls; "
        "its document is the dues-call letter.")
    dues_campaign_lines = fields.One2Many(
        'association.dues.campaign.line', 'invoice', "Dues Campaign Lines",
        readonly=True)
    chorus_service_code = fields.Char(
        "Service Code",
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': ~Eval('chorus_service_code'),
            },
        help="The service of the public body that receives the invoice "
        "on Chorus Pro.")

    @fields.depends('party', 'company')
    def on_change_with_party_lang(self, name=None):
        # The documents of a party without language are in the
        # association's
        if self.party:
            with Transaction().set_context(
                    company=self.company.id if self.company else None):
                return self.party.document_language
        return super().on_change_with_party_lang(name=name)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('number'):
            # Write the fields computed from the number with it rather
            # than in a second write
            computed = cls(number=values['number']).compute_fields(
                {'number'})
            for name in ['number_alnum', 'number_digit']:
                if name in computed:
                    values.setdefault(name, computed[name])
        return values

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if self.id is not None and self.id >= 0:
            # Do not write again the values that are stored
            values = {
                k: v for k, v in values.items() if getattr(self, k) != v}
        return values

    @classmethod
    def _store_cache(cls, invoices):
        """Store the amounts computed from the lines and the taxes, writing
        only the invoices whose cached amounts change"""
        invoices = list(invoices)
        names = ['untaxed_amount', 'tax_amount', 'total_amount']
        # Records without cached amounts make get_amount compute them
        uncached = cls.browse(invoices)
        for invoice in uncached:
            for name in names:
                setattr(invoice, f'{name}_cache', None)
        amounts = cls.get_amount(uncached, names)
        for invoice in invoices:
            for name in names:
                value = amounts[name][invoice.id]
                if getattr(invoice, f'{name}_cache') != value:
                    setattr(invoice, f'{name}_cache', value)
        cls.save(invoices)

    @classmethod
    def on_modification(cls, mode, invoices, field_names=None):
        super().on_modification(mode, invoices, field_names=field_names)
        if mode == 'write' and (
                field_names is None or 'state' in field_names):
            cls._update_memberships(invoices)

    @classmethod
    def _check_taxes(cls, invoices):
        # The campaign gives the dues lines the taxes of their product,
        # which the check would compute again line by line
        if Transaction().context.get('_association_dues_taxes'):
            invoices = [i for i in invoices if not i.dues_year]
        super()._check_taxes(invoices)

    @dualmethod
    def update_taxes(cls, invoices, exception=False):
        # The taxes of the campaign's invoices are computed once, when
        # they are created, and their lines do not change afterwards
        if Transaction().context.get('_association_dues_taxes'):
            invoices = [i for i in invoices if not i.dues_year]
        super().update_taxes(invoices, exception=exception)

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

        The document of a dues invoice is the dues-call letter: the
        letters of the invoices are rendered by one execution of the
        report and sent by e-mail to the member's invoicing contact."""
        pool = Pool()
        Letter = pool.get('association.dues.letter', type='report')
        dues = [i for i in invoices if i.dues_year and i.type == 'out']
        rendered = Letter.render_invoices(dues) if dues else []
        super().print_invoice([i for i in invoices if i not in dues])
        if dues:
            cls._send_dues_letters(dues, rendered)

    @classmethod
    def _send_dues_letters(cls, invoices, rendered):
        """Send the letters rendered now and those of the campaign lines
        not yet marked as sent"""
        pool = Pool()
        Campaign = pool.get('association.dues.campaign')
        Line = pool.get('association.dues.campaign.line')
        Email = pool.get('ir.email')
        Attachment = pool.get('ir.attachment')
        lines = []
        for sub_invoices in grouped_slice(invoices, count=SLICE):
            lines.extend(Line.search([
                        ('invoice', 'in', [i.id for i in sub_invoices]),
                        ('letter_date', '=', None),
                        ]))
        by_invoice = {l.invoice.id: l for l in lines}
        rendered = set(rendered)
        now = dt.datetime.now()
        emails = []
        for invoice in invoices:
            line = by_invoice.get(invoice.id)
            if line is None and invoice not in rendered:
                continue
            msg = invoice._dues_letter_email()
            if msg:
                send_message_transactional(msg)
                # The archive shows what was written, with the letter
                emails.append((Email.from_message(
                            msg, resource=invoice,
                            body=msg.get_body(('plain',)).get_content()),
                        [(a.get_filename(), a.get_content())
                            for a in msg.iter_attachments()]))
            if line:
                line.letter_date = now
        Email.save([e for e, _ in emails])
        Attachment.save([
                Attachment(resource=email, name=name, data=data)
                for email, files in emails for name, data in files])
        Line.save(lines)
        # The campaigns are done once their last letter is rendered: checked
        # by a task that starts after this one is committed, so that the
        # letters rendered by tasks running beside it are seen
        campaigns = list({l.campaign for l in lines})
        if campaigns:
            Campaign.__queue__.check_done(campaigns)

    def _dues_letter_email(self):
        "Return the e-mail of the dues-call letter or None"
        contact = self.party.contact_mechanism_get('email', usage='invoice')
        if not contact or not contact.email or not self.invoice_report_cache:
            return
        with Transaction().set_context(
                language=self.party.document_language):
            subject = gettext(
                'association_membership.msg_letter_email_subject',
                year=self.dues_year, number=self.number)
            if self.party.kind == 'commune':
                salutation = self.party.mayor_salutation
            else:
                salutation = gettext(
                    'association_membership.msg_letter_email_salutation')
            body = gettext(
                'association_membership.msg_letter_email_body',
                salutation=salutation,
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
    # The fonts that WeasyPrint found, kept from one letter to the next
    _fonts = threading.local()

    @classmethod
    def convert(cls, report, data, timeout=5 * 60, retry=5):
        if (weasyprint and report.template_extension == 'html'
                and report.extension == 'pdf'):
            font_config = getattr(cls._fonts, 'config', None)
            if font_config is None:
                font_config = cls._fonts.config = FontConfiguration()
            return 'pdf', weasyprint.HTML(
                string=data,
                url_fetcher=weasyprint.URLFetcher(
                    allowed_protocols={'http', 'https', 'data'}),
                ).write_pdf(font_config=font_config)
        return super().convert(report, data, timeout=timeout, retry=retry)

    @classmethod
    def _execute(cls, records, header, data, action):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        invoice, = Invoice.browse(records)
        if invoice.invoice_report_cache:
            return (
                invoice.invoice_report_format, invoice.invoice_report_cache)
        result = super()._execute(records, header, data, action)
        cls._store([invoice], [result])
        return result

    @classmethod
    def _store(cls, invoices, results):
        "Store the letters as the documents of the invoices, in one write"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        to_write = []
        for invoice, (format_, content) in zip(invoices, results):
            if not invoice.invoice_report_versioned:
                continue
            if isinstance(content, str):
                content = bytes(content, 'utf-8')
            to_write.extend(([invoice], {
                        'invoice_report_format': format_,
                        'invoice_report_cache': (
                            Invoice.invoice_report_cache.cast(content)),
                        }))
        if to_write:
            Invoice.write(*to_write)

    @classmethod
    def render_invoices(cls, invoices):
        """Render and store the letters of the invoices without document;
        return the invoices rendered

        One execution of the report for all of them: the action, the
        template, the invoices with their parties, addresses and lines and
        the memberships are read once; WeasyPrint converts each letter.
        The invoices are locked first so that a letter queued twice is
        rendered once."""
        pool = Pool()
        ActionReport = pool.get('ir.action.report')
        Invoice = pool.get('account.invoice')
        Membership = pool.get('association.membership')
        Invoice.lock(invoices)
        invoices = [
            i for i in Invoice.browse([i.id for i in invoices])
            if not i.invoice_report_cache]
        if not invoices:
            return []
        action, = ActionReport.search([
                ('report_name', '=', cls.__name__),
                ], limit=1)
        ids = [i.id for i in invoices]
        cls.check_access(action, action.model, ids)
        memberships = defaultdict(list)
        for sub_ids in grouped_slice(ids, count=SLICE):
            for membership in Membership.search([
                        ('invoice', 'in', list(sub_ids)),
                        ]):
                memberships[membership.invoice.id].append(membership)
        data = {'memberships': memberships}
        records = cls._get_records(ids, action.model, data)
        results = []
        for record in records:
            results.append(
                super()._execute([record], {}, data, action))
        cls._store(invoices, results)
        return invoices

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
        if 'memberships' in data:
            # Read in bulk by render_invoices
            memberships = data['memberships'][invoice.id]
        else:
            memberships = Membership.search([
                    ('invoice', '=', invoice.id),
                    ])
        credited = []
        if not memberships:
            # A credit note names the invoices it cancels
            memberships = Membership.search([
                    ('credit_note', '=', invoice.id),
                    ])
            credited = sorted(
                {m.invoice for m in memberships if m.invoice},
                key=lambda i: i.number or '')
        # Read in the letter's language, which names the brackets
        with Transaction().set_context(language=context['language'].code):
            memberships = Membership.browse([m.id for m in memberships])
        context['memberships'] = memberships
        context['credit_note'] = bool(credited) or invoice.total_amount < 0
        context['credited_invoices'] = credited
        context['tax_mentions'] = sorted(
            {m.type.tax_mention for m in memberships if m.type.tax_mention})
        context['bank_account'] = bank_account = cls.bank_account(
            invoice.company)
        context['payment_qr'] = None
        if (qrcode and bank_account and not context['credit_note']
                and invoice.currency.code == 'EUR'
                and invoice.total_amount > 0):
            context['payment_qr'] = cls.payment_qr(invoice, bank_account)
        with Transaction().set_context(company=invoice.company.id):
            context['today'] = Date.today()
        return context

    @classmethod
    def bank_account(cls, company):
        "Return the bank account of the association with an IBAN or None"
        for account in getattr(company.party, 'bank_accounts', []):
            if account.active and account.iban:
                return account

    @classmethod
    def payment_qr(cls, invoice, bank_account):
        """Return the data URI of the EPC QR code (the SEPA credit transfer
        of the European Payments Council) that pays the invoice"""
        amount = invoice.amount_to_pay or invoice.total_amount
        bic = (bank_account.bank.bic if bank_account.bank else '') or ''
        code = '\n'.join([
                'BCD', '002', '1', 'SCT', bic,
                invoice.company.party.name[:70],
                bank_account.iban_compact
                if hasattr(bank_account, 'iban_compact')
                else bank_account.iban.replace(' ', ''),
                f'EUR{amount:.2f}', '', '', (invoice.number or '')[:140]])
        return qrcode_data_uri(code)


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
