# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The web client served by the run command, in headless Chromium

Starts scripts/run (the README's run command) on a database of its own and
a free port, then logs in as the demo staff member and opens the list of
communes from the menu.  Screenshots are kept in tests/screenshots/."""
import unittest

from playwright.sync_api import expect

from .tools import Browser, screenshot, server


class WebClientTestCase(unittest.TestCase):
    "Test the web client served by the run command"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = server()
        cls.url = cls.server.url
        cls.browser = Browser(cls.server.workdir)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        super().tearDownClass()

    def setUp(self):
        self.context, self.page = self.browser.new_page(1400, 900)

    def tearDown(self):
        self.context.close()

    def screenshot(self, name):
        screenshot(self.page, name, full_page=False)

    def login(self, login, password):
        page = self.page
        page.goto(self.url)
        page.wait_for_selector('#login')
        expect(page.locator('input#database')).to_have_value('browser')
        page.fill('#login', login)
        page.keyboard.press('Enter')
        page.wait_for_selector('input[type=password]:visible')
        page.fill('input[type=password]:visible', password)
        page.keyboard.press('Enter')

    def menu_row(self, text):
        return self.page.locator('#menu tr').filter(
            has=self.page.get_by_text(text, exact=True)).first

    def test_staff_opens_communes(self):
        "A staff member logs in, lands on the menu and opens the communes"
        page = self.page
        self.login('staff', 'concorde-staff')
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

        # Search a commune by name
        search = tab.get_by_placeholder('Rechercher').first
        search.fill('Versailles')
        search.press('Enter')
        expect(tab.get_by_text("Versailles", exact=True).first).to_be_visible(
            timeout=30000)
        expect(tab.get_by_text("78646").first).to_be_visible()
        self.screenshot('03-commune-search')
