# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The partners' portal in headless Chromium

Creates an SQLite database with the portal module only (trytond-admin),
a partner company with the portal account of its contact, then starts
trytond on it and a free port.  The contact logs in, sees the dashboard,
edits the profile of the company (presentation, theme, logo, phone, a
refused website) and logs out.  Screenshots are kept in tests/screenshots/.

The database holds only association_portal (and its dependencies) so that
the test does not depend on the other modules of modules/."""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

from playwright.sync_api import expect, sync_playwright

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
SCREENSHOTS = os.path.join(TOP, 'tests', 'screenshots')
VENV_BIN = os.path.dirname(sys.executable)
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
    '--disable-quic']
DATABASE = 'portal'
EMAIL = 'claire.dubois@energie-locale.example'
PASSWORD = 'un soleil pour Melun'

SETUP_DATA = '''
import sys
from proteus import Model, config
config.set_trytond(sys.argv[1], config_file=sys.argv[2])
Party = Model.get('party.party')
Theme = Model.get('association.theme')
WebUser = Model.get('web.user')
company = Party(name="Énergie Locale SAS", kind='company')
company.contact_mechanisms.new(
    type='email', value='contact@energie-locale.example')
company.save()
other = Party(name="Melun", kind='commune')
other.contact_mechanisms.new(type='email', value='mairie@melun.example')
other.save()
person = Party(name="Claire Dubois", kind='person')
person.save()
user = WebUser(email=sys.argv[3], party=person, organisation=company)
user.email_valid = True
user.password = sys.argv[4]
user.save()
'''


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def png(width, height, rgb):
    "Return a PNG image of one colour"
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    row = b'\0' + bytes(rgb) * width
    return (b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
        + chunk(b'IDAT', zlib.compress(row * height))
        + chunk(b'IEND', b''))


class PortalTestCase(unittest.TestCase):
    "Test the partners' portal in a browser"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.makedirs(SCREENSHOTS, exist_ok=True)
        cls.workdir = tempfile.mkdtemp(
            prefix='browser-portal-',
            dir=os.environ.get('CONCORDE_TEST_WORKDIR'))
        cls.port = free_port()
        cls.config = os.path.join(cls.workdir, 'trytond.conf')
        with open(os.path.join(TOP, 'config', 'trytond.conf')) as source, \
                open(cls.config, 'w') as target:
            target.write(source.read().replace(
                    'listen = 127.0.0.1:8000',
                    f'listen = 127.0.0.1:{cls.port}'))
        dbdir = os.path.join(cls.workdir, 'db')
        os.makedirs(dbdir)
        open(os.path.join(dbdir, f'{DATABASE}.sqlite'), 'w').close()
        password_file = os.path.join(cls.workdir, 'admin-password')
        with open(password_file, 'w') as fp:
            fp.write('admin\n')
        cls.env = {
            k: v for k, v in os.environ.items()
            if not k.startswith('TRYTOND_') and k not in {'DB_NAME'}}
        cls.env.update(
            TRYTOND_DATABASE__PATH=dbdir,
            TRYTOND_ATTACHMENT__PATH=os.path.join(cls.workdir, 'attachments'),
            TRYTONPASSFILE=password_file,
            HOME=cls.workdir)
        cls.log = open(os.path.join(cls.workdir, 'server.log'), 'w+')
        cls.server = None
        try:
            cls.run_command([
                    os.path.join(VENV_BIN, 'trytond-admin'),
                    '-c', cls.config, '-d', DATABASE, '--all',
                    '-u', 'association_portal', '--activate-dependencies',
                    '-l', 'fr', '--email', 'admin@localhost'])
            cls.run_command([
                    sys.executable, '-c', SETUP_DATA, DATABASE, cls.config,
                    EMAIL, PASSWORD])
            cls.server = subprocess.Popen([
                    os.path.join(VENV_BIN, 'trytond'),
                    '-c', cls.config, '-d', DATABASE],
                cwd=cls.workdir, env=cls.env, stdout=cls.log,
                stderr=subprocess.STDOUT, start_new_session=True)
            cls.wait_server()
        except Exception:
            cls.stop_server()
            raise
        cls.url = f'http://127.0.0.1:{cls.port}/{DATABASE}/portal'
        cls.playwright = None
        try:
            cls.playwright = sync_playwright().start()
            # Chromium keeps its profile under its own HOME
            cls.browser = cls.playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                env=dict(os.environ, HOME=os.path.join(
                        cls.workdir, 'chromium')))
        except Exception:
            if cls.playwright:
                cls.playwright.stop()
            cls.stop_server()
            raise

    @classmethod
    def run_command(cls, command):
        result = subprocess.run(
            command, cwd=cls.workdir, env=cls.env, stdout=cls.log,
            stderr=subprocess.STDOUT)
        if result.returncode:
            cls.log.seek(0)
            raise RuntimeError(
                f"{command[0]} failed:\n" + cls.log.read()[-3000:])

    @classmethod
    def wait_server(cls):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if cls.server.poll() is not None:
                cls.log.seek(0)
                raise RuntimeError(
                    "trytond stopped:\n" + cls.log.read()[-3000:])
            try:
                with socket.create_connection(
                        ('127.0.0.1', cls.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("The server did not start in 120 s")

    @classmethod
    def stop_server(cls):
        if cls.server is not None:
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
        shutil.rmtree(cls.workdir, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        self.context = self.browser.new_context(
            viewport={'width': 1280, 'height': 900}, locale='fr-FR')
        self.page = self.context.new_page()

    def tearDown(self):
        self.context.close()

    def screenshot(self, name, full_page=True):
        self.page.screenshot(
            path=os.path.join(SCREENSHOTS, f'{name}.png'),
            full_page=full_page)

    def test_partner_edits_profile(self):
        "A partner logs in, sees the dashboard, edits its profile, logs out"
        page = self.page

        # The dashboard asks to log in first
        page.goto(self.url + '/')
        expect(page.get_by_role('heading', name="Connexion")).to_be_visible()
        self.assertEqual(page.locator('html').get_attribute('lang'), 'fr')
        # The first Tab reaches the skip link, shown when focused
        page.keyboard.press('Tab')
        skip = page.get_by_role('link', name="Aller au contenu")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        self.screenshot('portal-01-login')

        # A wrong password is refused in French
        page.get_by_label("Adresse e-mail").fill(EMAIL)
        page.get_by_label("Mot de passe", exact=True).fill('pas le bon')
        page.get_by_role('button', name="Se connecter").click()
        expect(page.get_by_role('alert')).to_contain_text(
            "L'adresse e-mail ou le mot de passe est incorrect.")
        self.screenshot('portal-02-login-error')

        page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        page.get_by_label("Mot de passe", exact=True).press('Enter')
        expect(page.get_by_role(
                'heading', name="Tableau de bord")).to_be_visible()
        block = page.locator('.block--organisation')
        expect(block).to_contain_text("Énergie Locale SAS")
        expect(block).to_contain_text("contact@energie-locale.example")
        expect(block).to_contain_text("Claire Dubois")
        expect(page.locator('body')).not_to_contain_text("Melun")
        self.screenshot('portal-03-dashboard')

        # The profile: presentation and a theme
        page.get_by_role('navigation').get_by_role(
            'link', name="Organisation").click()
        expect(page.get_by_role(
                'heading', name="Profil de l'organisation")).to_be_visible()
        page.get_by_role("textbox", name="Présentation").fill(
            "Nous installons des centrales solaires sur les toits des "
            "écoles et des gymnases des communes.")
        theme = page.get_by_role('checkbox').first
        theme_name = page.locator('.themes__item label').first.inner_text()
        theme.check()
        page.get_by_role(
            'button', name="Enregistrer la présentation").click()
        expect(page.get_by_role('status')).to_contain_text(
            "Le profil de l'organisation est enregistré.")
        expect(page.get_by_role('checkbox').first).to_be_checked()

        # The logo
        logo = os.path.join(self.workdir, 'logo.png')
        with open(logo, 'wb') as fp:
            fp.write(png(160, 64, (29, 78, 137)))
        page.get_by_label("Ajouter un logo").set_input_files(logo)
        page.get_by_role('button', name="Envoyer le logo").click()
        expect(page.get_by_role('status')).to_contain_text(
            "Le logo est enregistré.")
        image = page.get_by_role('img', name="Logo de Énergie Locale SAS")
        expect(image).to_be_visible()
        # The image is served and decoded (wait for it to load)
        self.assertEqual(image.evaluate(
                'img => img.decode().then(() => img.naturalWidth)'), 160)

        # A text file is not a logo
        text_file = os.path.join(self.workdir, 'logo.png.txt')
        with open(text_file, 'w') as fp:
            fp.write("pas une image")
        page.get_by_label("Remplacer le logo").set_input_files(text_file)
        page.get_by_role('button', name="Envoyer le logo").click()
        expect(page.get_by_role('alert')).to_contain_text(
            "doit être une image PNG, JPEG, GIF ou WebP")

        # A phone number, then a website that is refused
        page.locator('#type-new').select_option(label="Téléphone")
        page.locator('#value-new').fill('01 64 52 00 00')
        page.locator('#name-new').fill("Accueil")
        page.get_by_role('button', name="Ajouter").click()
        expect(page.get_by_role('status')).to_contain_text(
            "Le contact est ajouté.")
        self.screenshot('portal-04-profile')

        page.locator('#type-new').select_option(label="Site web")
        page.locator('#value-new').fill('pas un site')
        page.get_by_role('button', name="Ajouter").click()
        alert = page.get_by_role('alert')
        expect(alert).to_contain_text(
            "« pas un site » n'est pas une adresse de site web valide.")
        expect(page.locator('#value-new')).to_have_value('pas un site')
        self.screenshot('portal-05-profile-error')

        # The dashboard shows the new profile
        page.get_by_role('navigation').get_by_role(
            'link', name="Tableau de bord").click()
        block = page.locator('.block--organisation')
        expect(block).to_contain_text("centrales solaires")
        expect(block).to_contain_text("01 64 52 00 00")
        expect(block).not_to_contain_text("pas un site")
        self.assertTrue(theme_name)

        # On a phone
        page.set_viewport_size({'width': 390, 'height': 844})
        self.screenshot('portal-06-dashboard-phone')
        page.get_by_role('navigation').get_by_role(
            'link', name="Organisation").click()
        self.screenshot('portal-07-profile-phone', full_page=False)
        page.set_viewport_size({'width': 1280, 'height': 900})

        # Log out
        page.get_by_role('button', name="Se déconnecter").click()
        expect(page.get_by_role('status')).to_contain_text(
            "Vous êtes déconnecté.")
        self.screenshot('portal-08-logout')
        page.goto(self.url + '/organisation')
        expect(page.get_by_role('heading', name="Connexion")).to_be_visible()
