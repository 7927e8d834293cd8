# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the dues through trytond's WSGI application

A member commune with its memberships of two years, an associate member
that follows it and an EPCI with its own dues read theirs and try to read
the other's."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.transaction import Transaction

from .tools import (
    EXTRAS, PortalRouteTestMixin, ReachTestMixin, add_address,
    create_invoice, create_organisation, create_portal_user,
    create_service_product, document_text, get_accounting, page_text,
    parse_html, pay_invoice, setup_accounting)


class MembershipRouteTestCase(
        ReachTestMixin, PortalRouteTestMixin, test_tryton.RouteTestCase):
    "Test the pages of the dues"
    module = 'association_portal'
    extras = EXTRAS
    setup = [setup_accounting]

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        MembershipType = pool.get('association.membership.type')
        Rule = pool.get('association.dues.rule')
        Membership = pool.get('association.membership')
        Party = pool.get('party.party')

        company, _ = get_accounting()
        year = dt.date.today().year
        with Transaction().set_context(company=company.id):
            product = create_service_product(company, "Cotisation")
            commune_type, epci_type = MembershipType.create([{
                        'name': "Commune membre", 'code': 'COMMUNE',
                        'product': product.id,
                        }, {
                        'name': "Intercommunalité membre", 'code': 'EPCI',
                        'product': product.id,
                        }])
            Rule.create([{
                        'type': type_.id,
                        'year': y,
                        'population_basis': 'municipal',
                        'currency': company.currency.id,
                        'rounding': Decimal(1),
                        'proration': 'none',
                        'brackets': [('create', [{
                                        'population_from': 0,
                                        'fixed_amount': Decimal(100),
                                        'rate': Decimal('0.05'),
                                        }])],
                        } for type_ in [commune_type, epci_type]
                    for y in [year - 1, year]])

            commune = create_organisation("Melun", kind='commune')
            epci = create_organisation(
                "CA Melun Val de Seine", kind='epci')
            associate = create_organisation(
                "Centre communal d'action sociale de Melun",
                kind='public_body')
            partner = create_organisation("Énergie Locale SAS")
            Party.write([commune], {
                    'population': 40000, 'population_year': year - 3})
            Party.write([epci], {
                    'population': 130000, 'population_year': year - 3})
            for party in [commune, epci]:
                add_address(party, "16 rue Paul Doumer", '77000', "Melun")
            create_portal_user(
                commune, "Bruno Petit", 'bruno@melun.example',
                'bruno-secret-1')
            create_portal_user(
                epci, "Emma Dupont", 'emma@camvs.example', 'emma-secret-1')
            create_portal_user(
                associate, "Claire Morel", 'claire@ccas-melun.example',
                'claire-secret-1')
            create_portal_user(
                partner, "Alice Martin", 'alice@energie-locale.example',
                'alice-secret-1')

            last, current, epci_current, associate_current = (
                Membership.create([{
                            'party': commune.id, 'type': commune_type.id,
                            'year': year - 1,
                            'join_date': dt.date(year - 1, 1, 1),
                            }, {
                            'party': commune.id, 'type': commune_type.id,
                            'year': year,
                            'join_date': dt.date(year, 1, 1),
                            }, {
                            'party': epci.id, 'type': epci_type.id,
                            'year': year,
                            'join_date': dt.date(year, 1, 1),
                            }, {
                            'party': associate.id,
                            'type': commune_type.id,
                            'year': year,
                            'join_date': dt.date(year, 1, 1),
                            'associated_to': commune.id,
                            }]))
            Membership.invoice_late([last])
            Membership.invoice_late([current])
            Membership.invoice_late([epci_current])
            pay_invoice(Membership(last.id).invoice, dt.date.today())
            draft = create_invoice(
                company, commune, '75', dt.date.today(),
                description="Brouillon de facture", post=False)

        last, current, epci_current = Membership.browse(
            [last.id, current.id, epci_current.id])
        cls.year = year
        cls.ids = {
            'last': last.invoice.id, 'current': current.invoice.id,
            'epci': epci_current.invoice.id, 'draft': draft.id,
            }
        cls.numbers = {
            'last': last.invoice.number, 'current': current.invoice.number,
            'epci': epci_current.invoice.number,
            }
        cls.states = {
            'last': last.state, 'current': current.state,
            'associate': associate_current.state,
            }

    def memberships(self):
        "Return what the pages could change of the memberships"
        def read(pool):
            Membership = pool.get('association.membership')
            Invoice = pool.get('account.invoice')
            return (
                sorted((m.id, m.state, m.amount, m.invoice and m.invoice.id)
                    for m in Membership.search([])),
                sorted((i.id, i.state) for i in Invoice.search([])))
        return self.read(read)

    def rows(self, response):
        tree = parse_html(response)
        result = {}
        for section in tree.xpath('//section'):
            year = section.xpath('string(h2)')
            for row in section.xpath('.//tbody/tr'):
                result[(year, row.xpath('string(th)'))] = [
                    ' '.join(c.text_content().split())
                    for c in row.xpath('td')]
        return result

    def test_dues(self):
        "A member commune sees its memberships by year and their state"
        self.assertEqual(self.states['last'], 'paid')
        self.assertEqual(self.states['current'], 'invoiced')
        client = self.login('bruno@melun.example', 'bruno-secret-1')
        response = client.get(self.url('/dues'))
        self.assertEqual(response.status_code, 200)
        rows = self.rows(response)
        self.assertEqual(list(rows), [
                ("Année %s" % self.year, "Commune membre"),
                ("Année %s" % (self.year - 1), "Commune membre")])
        current = rows[("Année %s" % self.year, "Commune membre")]
        self.assertEqual(current[0], "40 000 habitants (%s)" % (
                self.year - 3))
        self.assertEqual(current[1], "2 100,00 €")
        self.assertEqual(current[2], "Facturée")
        self.assertEqual(current[3], "Pas à jour")
        self.assertTrue(current[4].startswith(
                "Appel de cotisation %s À payer – reste 2 100,00 €"
                % self.numbers['current']))
        last = rows[("Année %s" % (self.year - 1), "Commune membre")]
        self.assertEqual(last[2:4], ["Payée", "À jour"])
        self.assertEqual(
            last[4], "Appel de cotisation %s Payée" % self.numbers['last'])
        self.assertNotIn(self.numbers['epci'], page_text(response))
        self.assertIn("Cotisations", self.menu(response))

        response = client.get(self.url('/'))
        text = page_text(response)
        self.assertIn("Cotisation %s" % self.year, text)
        self.assertIn(
            "Commune membre : 2 100,00 € – Facturée Pas à jour", text)
        # The dues invoice is also what the commune owes
        self.assertIn("Reste à payer : 2 100,00 €", text)

    def test_dues_associate(self):
        "An associate member follows the member it is associated to"
        client = self.login('claire@ccas-melun.example', 'claire-secret-1')
        response = client.get(self.url('/dues'))
        self.assertEqual(response.status_code, 200)
        row = self.rows(response)[
            ("Année %s" % self.year, "Commune membre")]
        self.assertEqual(row[1], "Rattachée à Melun")
        self.assertEqual(row[3], "Pas à jour")
        self.assertEqual(row[4], "–")
        self.assertNotIn(self.numbers['current'], page_text(response))

    def test_dues_letter(self):
        "The document of a dues invoice is its dues-call letter, a PDF"
        client = self.login('bruno@melun.example', 'bruno-secret-1')
        before = self.memberships()
        response = client.get(self.url('/dues'))
        link, = parse_html(response).xpath(
            '//a[contains(@href, "/invoices/%s/pdf")]' % self.ids['current'])
        response = client.get(link.get('href'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'application/pdf')
        self.assertTrue(response.get_data().startswith(b'%PDF'))
        text = document_text(response)
        self.assertIn(self.numbers['current'], text)
        self.assertIn("Melun", text)

        def stored(pool):
            Invoice = pool.get('account.invoice')
            return bytes(Invoice(self.ids['current']).invoice_report_cache)
        self.assertEqual(self.read(stored), response.get_data())
        self.assertEqual(self.memberships(), before)

    def test_dues_other_organisation(self):
        "The other's dues invoices and the drafts answer 404"
        before = self.memberships()
        client = self.login('bruno@melun.example', 'bruno-secret-1')
        for key in ['epci', 'draft']:
            self.assertNotFound(client, '/invoices/%s/pdf' % self.ids[key])
        client = self.login('emma@camvs.example', 'emma-secret-1')
        response = client.get(self.url('/dues'))
        text = page_text(response)
        self.assertIn(self.numbers['epci'], text)
        self.assertIn("Intercommunalité membre", text)
        self.assertIn("6 600,00 €", text)
        self.assertNotIn("Commune membre", text)
        for key in ['last', 'current', 'draft']:
            self.assertNotFound(client, '/invoices/%s/pdf' % self.ids[key])
        client = self.login('claire@ccas-melun.example', 'claire-secret-1')
        for key in ['last', 'current', 'epci']:
            self.assertNotFound(client, '/invoices/%s/pdf' % self.ids[key])
        self.assertEqual(self.memberships(), before)

    def test_dues_not_member(self):
        "An organisation that is not a member has no dues"
        client = self.login('alice@energie-locale.example', 'alice-secret-1')
        response = client.get(self.url('/'))
        self.assertNotIn("Cotisations", self.menu(response))
        self.assertFalse(
            parse_html(response).xpath('//*[@id="block-dues"]'))
        response = client.get(self.url('/dues'))
        self.assertEqual(response.status_code, 200)
        self.assertIn("Votre organisation n'a pas d'adhésion enregistrée.",
            page_text(response))
