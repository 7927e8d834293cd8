# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the conventions through trytond's WSGI application

A partner with a running convention, its renewal in negotiation and a
draft, and a commune with its own convention, read theirs and try to read
the other's."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.transaction import Transaction

from .tools import (
    EXTRAS, PortalRouteTestMixin, ReachTestMixin, add_address,
    create_organisation, create_portal_user, create_service_product,
    document_text, get_accounting, page_text, parse_html, setup_accounting)


class PartnershipRouteTestCase(
        ReachTestMixin, PortalRouteTestMixin, test_tryton.RouteTestCase):
    "Test the pages of the conventions"
    module = 'association_portal'
    extras = EXTRAS
    setup = [setup_accounting]

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Configuration = pool.get('association.partnership.configuration')
        Level = pool.get('association.partnership.level')
        Convention = pool.get('association.convention')
        Commitment = pool.get('association.convention.commitment')
        Instalment = pool.get('association.convention.instalment')
        Invoice = pool.get('account.invoice')
        Party = pool.get('party.party')

        company, _ = get_accounting()
        with Transaction().set_context(company=company.id):
            product = create_service_product(company, "Partenariat")
            configuration = Configuration(1)
            configuration.default_product = product
            configuration.reminder_days = 60
            configuration.save()
            gold, = Level.create([{
                        'name': "Or",
                        'yearly_contribution': Decimal(5000),
                        'stand': True,
                        'stand_size': 12,
                        'invitations': 4,
                        }])

            partner = create_organisation(
                "Énergie Locale SAS", email='contact@energie-locale.example')
            commune = create_organisation(
                "Melun", kind='commune', email='mairie@melun.example')
            other = create_organisation("Sans Convention SARL")
            add_address(partner, "12 rue des Énergies", '77000', "Melun")
            add_address(commune, "16 rue Paul Doumer", '77000', "Melun")
            create_portal_user(
                partner, "Alice Martin", 'alice@energie-locale.example',
                'alice-secret-1')
            create_portal_user(
                commune, "Bruno Petit", 'bruno@melun.example',
                'bruno-secret-1')
            create_portal_user(
                other, "Chloé Roux", 'chloe@sans-convention.example',
                'chloe-secret-1')
            signatory, = Party.create([{
                        'name': "Paul Directeur", 'kind': 'person'}])

            today = dt.date.today()
            running, = Convention.create([{
                        'company': company.id,
                        'kind': 'partnership',
                        'parties': [('add', [partner.id])],
                        'object': "Partenariat du congrès des maires",
                        'level': gold.id,
                        'amount': Decimal(5000),
                        'renewal': 'explicit',
                        'signature_date': today - dt.timedelta(days=310),
                        'signature_place': "Melun",
                        'start_date': today - dt.timedelta(days=300),
                        'end_date': today + dt.timedelta(days=30),
                        'signatories': [('create', [{
                                        'side': 'partner',
                                        'person': signatory.id,
                                        'capacity': "Directeur général",
                                        }])],
                        'instalments': [('create', [{
                                        'date': today - dt.timedelta(
                                            days=200),
                                        'amount': Decimal(3000),
                                        }, {
                                        'date': today + dt.timedelta(
                                            days=20),
                                        'amount': Decimal(2000),
                                        }])],
                        'commitments': [('create', [{
                                        'side': 'partner',
                                        'description': "Fournir le logo "
                                        "en haute définition",
                                        'due_date': today - dt.timedelta(
                                            days=10),
                                        }, {
                                        'side': 'partner',
                                        'description': "Présenter une "
                                        "solution à l'atelier",
                                        'due_date': today + dt.timedelta(
                                            days=15),
                                        }])],
                        }])
            Convention.sign([running])
            Convention.activate([running])
            stand, = [c for c in running.commitments if c.benefit == 'stand']
            Commitment.do([stand])
            first, _ = running.instalments
            invoice, = Instalment.create_invoices([first])
            invoice.invoice_date = today - dt.timedelta(days=200)
            invoice.save()
            Invoice.post([invoice])
            renewal, = Convention._renew([running])
            Convention.negotiate([renewal])
            draft, = Convention.create([{
                        'company': company.id,
                        'kind': 'sponsorship',
                        'parties': [('add', [partner.id])],
                        'object': "Projet secret de mécénat",
                        'renewal': 'none',
                        }])
            experimentation, = Convention.create([{
                        'company': company.id,
                        'kind': 'experimentation',
                        'parties': [('add', [commune.id])],
                        'object': "Expérimentation de l'éclairage "
                        "intelligent",
                        'renewal': 'none',
                        'signature_date': today - dt.timedelta(days=5),
                        'start_date': today + dt.timedelta(days=10),
                        'end_date': today + dt.timedelta(days=375),
                        }])
            Convention.sign([experimentation])

        cls.ids = {
            'running': running.id, 'renewal': renewal.id, 'draft': draft.id,
            'commune': experimentation.id, 'invoice': invoice.id,
            }
        cls.numbers = {
            'running': running.number, 'renewal': renewal.number,
            'commune': experimentation.number, 'invoice': invoice.number,
            }

    def conventions(self):
        "Return what the pages could change of the conventions"
        def read(pool):
            Convention = pool.get('association.convention')
            return {
                c.id: (c.state, c.number, c.end_date,
                    sorted((m.id, m.state) for m in c.commitments),
                    sorted((i.id, i.invoice.id if i.invoice else None)
                        for i in c.instalments))
                for c in Convention.search([])}
        return self.read(read)

    def test_conventions(self):
        "A partner lists its conventions out of the draft"
        client = self.login('alice@energie-locale.example', 'alice-secret-1')
        response = client.get(self.url('/conventions'))
        self.assertEqual(response.status_code, 200)
        tree = parse_html(response)
        rows = {
            r.xpath('string(th)'): [
                ' '.join(c.text_content().split()) for c in r.xpath('td')]
            for r in tree.xpath('//table/tbody/tr')}
        self.assertEqual(
            set(rows), {self.numbers['running'], self.numbers['renewal']})
        running = rows[self.numbers['running']]
        self.assertEqual(running[0], "Partenariat du congrès des maires")
        self.assertEqual(running[1], "Or")
        today = dt.date.today()
        self.assertEqual(running[2], "du %s au %s" % (
                (today - dt.timedelta(days=300)).strftime('%d/%m/%Y'),
                (today + dt.timedelta(days=30)).strftime('%d/%m/%Y')))
        self.assertEqual(running[3], "En cours")
        self.assertEqual(
            running[4], "Renouvelée par %s" % self.numbers['renewal'])
        renewal = rows[self.numbers['renewal']]
        self.assertEqual(renewal[3], "En négociation")
        self.assertEqual(
            renewal[4], "Renouvelle %s" % self.numbers['running'])
        text = page_text(response)
        self.assertNotIn("Projet secret", text)
        self.assertNotIn("éclairage", text)
        self.assertIn("Conventions", self.menu(response))

        # The dashboard shows what ends soon and what is late
        response = client.get(self.url('/'))
        text = page_text(response)
        self.assertIn("Conventions qui arrivent à échéance", text)
        self.assertIn("se termine le %s" % (
                today + dt.timedelta(days=30)).strftime('%d/%m/%Y'), text)
        self.assertIn(
            "Fournir le logo en haute définition (votre engagement", text)
        self.assertNotIn("Présenter une solution", text)
        self.assertNotIn("Stand", text)

    def test_convention_detail(self):
        "A partner reads the commitments and instalments of its convention"
        client = self.login('alice@energie-locale.example', 'alice-secret-1')
        response = client.get(
            self.url('/conventions/%s' % self.ids['running']))
        self.assertEqual(response.status_code, 200)
        tree = parse_html(response)
        tables = tree.xpath('//table')
        commitments = {}
        for table in tables[:2]:
            for row in table.xpath('tbody/tr'):
                commitments[row.xpath('string(th)')] = ' '.join(
                    row.xpath('string(td[2])').split())
        done, = [d for d, s in commitments.items() if s.startswith("Fait")]
        self.assertIn("stand de 12,0 m²", done)
        self.assertEqual(commitments[done], "Fait le %s"
            % dt.date.today().strftime('%d/%m/%Y'))
        self.assertEqual(
            commitments["Fournir le logo en haute définition"], "En retard")
        self.assertEqual(
            commitments["Présenter une solution à l'atelier"], "À faire")
        captions = [c.text_content() for c in tree.xpath('//caption')]
        self.assertIn("Ce que l'association s'engage à vous apporter",
            captions)
        self.assertIn("Ce à quoi votre organisation s'engage", captions)
        instalments = [
            [' '.join(c.text_content().split()) for c in r.xpath('td')]
            for r in tables[2].xpath('tbody/tr')]
        self.assertEqual(instalments[0][0], "3 000,00 €")
        self.assertEqual(
            instalments[0][1], "Facture %s" % self.numbers['invoice'])
        self.assertTrue(instalments[0][2].startswith("À payer"))
        self.assertEqual(instalments[1][1:], ["–", "À facturer"])
        link, = tree.xpath(
            '//a[contains(@href, "/invoices/%s/pdf")]' % self.ids['invoice'])
        response = client.get(link.get('href'))
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.numbers['invoice'], document_text(response))
        text = page_text(
            client.get(self.url('/conventions/%s' % self.ids['running'])))
        self.assertIn("Renouvellements", text)
        self.assertIn("Paul Directeur (Directeur général)", text)

    def test_convention_pdf(self):
        "A partner downloads the document of its signed convention only"
        client = self.login('alice@energie-locale.example', 'alice-secret-1')
        before = self.conventions()
        response = client.get(
            self.url('/conventions/%s/pdf' % self.ids['running']))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'application/pdf')
        self.assertTrue(response.get_data().startswith(b'%PDF'))
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        text = document_text(response)
        self.assertIn("Convention %s" % self.numbers['running'], text)
        self.assertIn("Énergie Locale SAS", text)
        # In negotiation the text may still change: no document
        response = client.get(
            self.url('/conventions/%s' % self.ids['renewal']))
        self.assertEqual(response.status_code, 200)
        self.assertIn("sera disponible ici une fois signée",
            page_text(response))
        self.assertFalse(parse_html(response).xpath(
                '//a[contains(@href, "/pdf")]'))
        self.assertNotFound(
            client, '/conventions/%s/pdf' % self.ids['renewal'])
        self.assertEqual(self.conventions(), before)

    def test_convention_other_organisation(self):
        "The drafts and the other's conventions answer 404"
        client = self.login('alice@energie-locale.example', 'alice-secret-1')
        before = self.conventions()
        for key in ['draft', 'commune']:
            self.assertNotFound(client, '/conventions/%s' % self.ids[key])
            self.assertNotFound(
                client, '/conventions/%s/pdf' % self.ids[key])
        self.assertNotFound(client, '/conventions/999999')

        client = self.login('bruno@melun.example', 'bruno-secret-1')
        response = client.get(self.url('/conventions'))
        text = page_text(response)
        self.assertIn(self.numbers['commune'], text)
        self.assertIn("Signée", text)
        self.assertNotIn(self.numbers['running'], text)
        for key in ['running', 'renewal', 'draft']:
            self.assertNotFound(client, '/conventions/%s' % self.ids[key])
            self.assertNotFound(
                client, '/conventions/%s/pdf' % self.ids[key])
        self.assertNotFound(client, '/invoices/%s/pdf' % self.ids['invoice'])
        response = client.get(self.url('/conventions/%s/pdf'
                % self.ids['commune']))
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.numbers['commune'], document_text(response))
        self.assertEqual(self.conventions(), before)

    def test_convention_menu(self):
        "The conventions are in the menu of the organisations with some"
        client = self.login('chloe@sans-convention.example', 'chloe-secret-1')
        response = client.get(self.url('/'))
        self.assertNotIn("Conventions", self.menu(response))
        self.assertFalse(
            parse_html(response).xpath('//*[@id="block-conventions"]'))
        response = client.get(self.url('/conventions'))
        self.assertIn("Aucune convention", page_text(response))
