# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the invoices through trytond's WSGI application

Two organisations, each with posted, paid, late and draft invoices, read
theirs and try to read the other's."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction, TransactionError

from .tools import (
    BANK_ACCOUNT, EXTRAS, PortalRouteTestMixin, ReachTestMixin, add_address,
    create_invoice, create_organisation, create_portal_user, document_text,
    get_account, get_accounting, page_text, parse_html, pay_invoice,
    setup_accounting)


class InvoiceRouteTestCase(
        ReachTestMixin, PortalRouteTestMixin, test_tryton.RouteTestCase):
    "Test the pages of the invoices"
    module = 'association_portal'
    extras = EXTRAS
    setup = [setup_accounting]

    @classmethod
    def setUpDatabase(cls):
        company, term = get_accounting()
        partner = create_organisation(
            "Énergie Locale SAS", email='contact@energie-locale.example')
        commune = create_organisation(
            "Melun", kind='commune', email='mairie@melun.example')
        other = create_organisation("Sans Factures SARL")
        add_address(partner, "12 rue des Énergies", '77000', "Melun")
        add_address(commune, "16 rue Paul Doumer", '77000', "Melun")
        create_portal_user(
            partner, "Alice Martin", 'alice@energie-locale.example',
            'alice-secret-1')
        create_portal_user(
            commune, "Bruno Petit", 'bruno@melun.example', 'bruno-secret-1')
        create_portal_user(
            other, "Chloé Roux", 'chloe@sans-factures.example',
            'chloe-secret-1')
        today = dt.date.today()
        # The invoices are numbered in the order of their dates
        paid = create_invoice(
            company, partner, '500', today - dt.timedelta(days=90), term,
            "Atelier mobilité")
        paid = pay_invoice(paid, today - dt.timedelta(days=80))
        late = create_invoice(
            company, partner, '1200', today - dt.timedelta(days=60), term,
            "Partenariat du congrès")
        to_pay = create_invoice(
            company, partner, '800', today, term, "Stand du salon")
        draft = create_invoice(
            company, partner, '999', today, term, "Brouillon secret",
            post=False)
        supplier = create_invoice(
            company, partner, '321', today, term, "Achat de panneaux",
            type_='in')
        commune_invoice = create_invoice(
            company, commune, '450', today, term, "Formation des élus")
        cls.invoice_ids = {
            'late': late.id, 'to_pay': to_pay.id, 'paid': paid.id,
            'draft': draft.id, 'supplier': supplier.id,
            'commune': commune_invoice.id,
            }
        cls.numbers = {
            'late': late.number, 'to_pay': to_pay.number,
            'paid': paid.number, 'commune': commune_invoice.number,
            }
        cls.late_due = late.lines_to_pay[0].maturity_date
        cls.paid_state = paid.state

    @classmethod
    def setUpDatabaseQueued(cls):
        # Posting rendered and stored the documents: forget one as if the
        # queue had not rendered it yet
        Invoice = Pool().get('account.invoice')
        table = Invoice.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.invoice_report_cache, table.invoice_report_cache_id,
                    table.invoice_report_format],
                [None, None, None],
                where=table.id == cls.invoice_ids['to_pay']))

    def invoices(self):
        "Return the state and the document of every invoice"
        def read(pool):
            Invoice = pool.get('account.invoice')
            return {
                i.id: (i.state, i.invoice_report_format,
                    bytes(i.invoice_report_cache)
                    if i.invoice_report_cache else None)
                for i in Invoice.search([])}
        return self.read(read)

    def test_invoices(self):
        "A partner sees its posted and paid customer invoices only"
        self.assertEqual(self.paid_state, 'paid')
        client = self.login('alice@energie-locale.example', 'alice-secret-1')
        response = client.get(self.url('/invoices'))
        self.assertEqual(response.status_code, 200)
        tree = parse_html(response)
        rows = tree.xpath('//table/tbody/tr')
        self.assertEqual(
            [r.xpath('string(th)') for r in rows],
            [self.numbers['to_pay'], self.numbers['late'],
                self.numbers['paid']])
        cells = {
            r.xpath('string(th)'): [
                ' '.join(c.text_content().split()) for c in r.xpath('td')]
            for r in rows}
        late = cells[self.numbers['late']]
        self.assertEqual(late[1], "Partenariat du congrès")
        self.assertEqual(late[2], "1 200,00 €")
        self.assertEqual(late[3], "1 200,00 €")
        self.assertEqual(late[4], self.late_due.strftime('%d/%m/%Y'))
        self.assertEqual(late[5], "En retard")
        self.assertEqual(cells[self.numbers['to_pay']][5], "À payer")
        paid = cells[self.numbers['paid']]
        self.assertEqual(paid[3], "–")
        self.assertEqual(paid[5], "Payée")
        text = page_text(response)
        self.assertIn("Reste à payer : 2 000,00 €", text)
        for hidden in ["Brouillon secret", "Achat de panneaux",
                "Formation des élus", self.numbers['commune']]:
            self.assertNotIn(hidden, text)
        for th in tree.xpath('//table//th'):
            self.assertIn(th.get('scope'), {'col', 'row'})
        self.assertIn("Factures", self.menu(response))
        self.assertEqual(
            parse_html(response).xpath(
                '//nav//a[@aria-current="page"]/text()'), ["Factures"])

        response = client.get(self.url('/'))
        text = page_text(response)
        self.assertIn(
            "Reste à payer : 2 000,00 €, dont 1 facture en retard", text)
        self.assertIn(
            "Facture %s : 1 200,00 €" % self.numbers['late'], text)
        self.assertNotIn(self.numbers['paid'], text)

    def test_amounts_as_tryton(self):
        "The amounts left to pay are those of Tryton's invoices"
        def amounts(pool):
            Invoice = pool.get('account.invoice')
            Journal = pool.get('account.journal')
            Move = pool.get('account.move')
            MoveLine = pool.get('account.move.line')
            Payment = pool.get('account.payment')
            PaymentJournal = pool.get('account.payment.journal')
            Period = pool.get('account.period')
            from trytond.modules.association_portal.invoice import (
                InvoiceSummary)
            late = Invoice(self.invoice_ids['late'])
            company, partner = late.company, late.party
            today = dt.date.today()
            with Transaction().set_context(company=company.id):
                # Paid in part: a payment line not reconciled
                partial = create_invoice(
                    company, partner, '600', today, None, "Acompte")
                journal, = Journal.search([('type', '=', 'cash')], limit=1)
                move = Move(
                    journal=journal, date=today, company=company,
                    period=Period.find(company, date=today))
                move.lines = [
                    MoveLine(
                        account=get_account(company, code=BANK_ACCOUNT),
                        debit=Decimal(200), credit=Decimal(0)),
                    MoveLine(
                        account=partial.account, party=partner,
                        debit=Decimal(0), credit=Decimal(200)),
                    ]
                move.save()
                Move.post([move])
                payment_line, = [
                    l for l in move.lines if l.account == partial.account]
                Invoice.write([partial], {
                        'payment_lines': [('add', [payment_line.id])],
                        })
                # A direct debit in progress
                debited = create_invoice(
                    company, partner, '300', today, None, "Prélèvement")
                payment_journal = PaymentJournal(
                    name="Prélèvements", process_method='manual',
                    currency=company.currency, company=company)
                payment_journal.save()
                Payment.create([{
                            'company': company.id,
                            'journal': payment_journal.id,
                            'kind': 'receivable',
                            'party': partner.id,
                            'line': debited.lines_to_pay[0].id,
                            'amount': Decimal(100),
                            'date': today,
                            }])
            invoices = Invoice.search([('state', 'in', ['posted', 'paid'])])
            return ({s.id: s.amount_to_pay
                    for s in InvoiceSummary.get(invoices)},
                {i.id: i.amount_to_pay for i in Invoice.browse(invoices)},
                partial.id, debited.id)
        # Posting locks the sequences: declared from the start
        extras = self.setup_locks()
        while True:
            try:
                with Transaction().start(DB_NAME, 0, **extras) as transaction:
                    try:
                        ours, trytons, partial, debited = amounts(Pool())
                    finally:
                        transaction.rollback()
            except TransactionError as exception:
                exception.fix(extras)
            else:
                break
        self.assertEqual(ours, trytons)
        self.assertEqual(ours[partial], Decimal('400.00'))
        self.assertEqual(ours[debited], Decimal('200.00'))
        self.assertEqual(ours[self.invoice_ids['late']], Decimal('1200.00'))
        self.assertEqual(ours[self.invoice_ids['paid']], Decimal('0'))
        self.assertEqual(ours[self.invoice_ids['supplier']], Decimal('321.00'))

    def test_invoices_commune(self):
        "Each organisation sees its own invoices; others have no menu"
        client = self.login('bruno@melun.example', 'bruno-secret-1')
        response = client.get(self.url('/invoices'))
        self.assertEqual(response.status_code, 200)
        text = page_text(response)
        self.assertIn(self.numbers['commune'], text)
        self.assertIn("Reste à payer : 450,00 €", text)
        for number in ['late', 'to_pay', 'paid']:
            self.assertNotIn(self.numbers[number], text)

        client = self.login('chloe@sans-factures.example', 'chloe-secret-1')
        response = client.get(self.url('/'))
        self.assertNotIn("Factures", self.menu(response))
        self.assertNotIn("À payer", page_text(response))
        response = client.get(self.url('/invoices'))
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "Aucune facture ne vous a encore été adressée.",
            page_text(response))

    def test_invoice_document(self):
        "The document served is the one the association sent"
        client = self.login('alice@energie-locale.example', 'alice-secret-1')
        before = self.invoices()
        _, format_, document = before[self.invoice_ids['late']]
        self.assertTrue(document)
        response = client.get(
            self.url('/invoices/%s/pdf' % self.invoice_ids['late']))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.get_data(), document)
        # Neither the browser nor a proxy keeps the invoice
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        disposition = response.headers['Content-Disposition']
        self.assertIn('attachment', disposition)
        self.assertIn(
            '%s.%s' % (self.numbers['late'], format_), disposition)
        text = document_text(response)
        self.assertIn(self.numbers['late'], text)
        self.assertIn("Énergie Locale SAS", text)
        self.assertEqual(self.invoices(), before)

    def test_invoice_document_rendered(self):
        "A document not rendered yet is rendered once and stored"
        client = self.login('alice@energie-locale.example', 'alice-secret-1')
        before = self.invoices()
        self.assertIsNone(before[self.invoice_ids['to_pay']][2])
        path = '/invoices/%s/pdf' % self.invoice_ids['to_pay']
        response = client.get(self.url(path))
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.numbers['to_pay'], document_text(response))
        after = self.invoices()
        state, format_, document = after[self.invoice_ids['to_pay']]
        self.assertEqual(state, 'posted')
        self.assertEqual(document, response.get_data())
        self.assertIn(format_, response.headers['Content-Disposition'])
        # Served again, it is the stored document
        response = client.get(self.url(path))
        self.assertEqual(response.get_data(), document)
        self.assertEqual(self.invoices(), after)

    def test_invoice_other_organisation(self):
        "Another organisation's, draft and supplier invoices answer 404"
        client = self.login('bruno@melun.example', 'bruno-secret-1')
        before = self.invoices()
        for key in ['late', 'to_pay', 'paid', 'draft', 'supplier']:
            self.assertNotFound(
                client, '/invoices/%s/pdf' % self.invoice_ids[key])
        self.assertNotFound(client, '/invoices/999999/pdf')
        self.assertNotFound(client, '/invoices/abc/pdf')
        client = self.login('alice@energie-locale.example', 'alice-secret-1')
        for key in ['draft', 'supplier', 'commune']:
            self.assertNotFound(
                client, '/invoices/%s/pdf' % self.invoice_ids[key])
        self.assertNotFound(
            client, '/invoices/%s/pdf' % self.invoice_ids['late'],
            method='POST')
        self.assertEqual(self.invoices(), before)
