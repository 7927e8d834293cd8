# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The web client served by the run command, in headless Chromium

Starts scripts/run (the README's run command) on a database of its own and
a free port, then logs in as the demo staff member and opens the list of
communes from the menu.  Screenshots are kept in tests/screenshots/."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from playwright.sync_api import expect, sync_playwright

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
SCREENSHOTS = os.path.join(TOP, 'tests', 'screenshots')
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
    '--disable-quic']


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class WebClientTestCase(unittest.TestCase):
    "Test the web client served by the run command"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.makedirs(SCREENSHOTS, exist_ok=True)
        cls.workdir = tempfile.mkdtemp(
            prefix='browser-', dir=os.environ.get('CONCORDE_TEST_WORKDIR'))
        cls.port = free_port()
        config = os.path.join(cls.workdir, 'trytond.conf')
        with open(os.path.join(TOP, 'config', 'trytond.conf')) as source, \
                open(config, 'w') as target:
            target.write(source.read().replace(
                    'listen = 127.0.0.1:8000',
                    f'listen = 127.0.0.1:{cls.port}'))
        env = dict(os.environ,
            CONCORDE_CONFIG=config,
            CONCORDE_VAR=os.path.join(cls.workdir, 'var'),
            CONCORDE_DATABASE='browser')
        cls.log = open(os.path.join(cls.workdir, 'server.log'), 'w+')
        cls.server = subprocess.Popen(
            [os.path.join(TOP, 'scripts', 'run')], cwd=TOP, env=env,
            stdout=cls.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        cls.url = f'http://127.0.0.1:{cls.port}/'
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if cls.server.poll() is not None:
                cls.log.seek(0)
                raise RuntimeError(
                    "scripts/run stopped:\n" + cls.log.read()[-3000:])
            try:
                with socket.create_connection(
                        ('127.0.0.1', cls.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            cls.stop_server()
            raise RuntimeError("The server did not start in 300 s")
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    @classmethod
    def stop_server(cls):
        try:
            os.killpg(cls.server.pid, signal.SIGTERM)
            cls.server.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(cls.server.pid, signal.SIGKILL)
        cls.log.close()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        cls.stop_server()
        super().tearDownClass()

    def setUp(self):
        self.context = self.browser.new_context(
            viewport={'width': 1400, 'height': 900}, locale='fr-FR')
        self.page = self.context.new_page()

    def tearDown(self):
        self.context.close()

    def screenshot(self, name):
        self.page.screenshot(path=os.path.join(SCREENSHOTS, f'{name}.png'))

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
