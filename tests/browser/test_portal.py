# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The partners' portal in headless Chromium

On the database of the README's run command (every module and the demo
data, see scripts/setup_demo.py), served by trytond as in production: the
demo partner's contact signs in, edits the profile of the company and signs
out; then, as the issue says, registers two people to an event, cancels
one, downloads an invoice PDF, publishes a solution and requests a meeting;
the town hall of a member commune sees its dues.  Screenshots are kept in
tests/screenshots/; look at them."""
import email
import email.policy
import glob
import os
import re
import struct
import unittest
import zlib

from playwright.sync_api import expect

from .test_desktop_client import JSONRPC, STAFF
from .tools import SCREENSHOTS, Browser, screenshot, server

# The demo partner's account (scripts/setup_demo.py)
EMAIL = 'partenaire@example.org'
PASSWORD = 'concorde-partner'
PARTNER = "Énergie Demo SAS"
CONTACT = "Claire Demo-Martin"
COMMUNE_EMAIL = 'mairie-melun@example.org'
COMMUNE_PASSWORD = 'concorde-commune'
WEBINAR = "Organiser la continuité des services municipaux"
SPEED_MEETING = "Speed meeting Transition énergétique 2027"
SOLUTION = "Toitures solaires pour les écoles"
COMMISSION = "Commission transition numérique"
ONBOARDING = "Bien démarrer son mandat"
NEWSLETTER = "Lettre des partenaires"


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
        cls.server = server()
        cls.workdir = cls.server.workdir
        cls.url = f'{cls.server.url}{cls.server.database}/portal'
        cls.browser = Browser(cls.workdir)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        super().tearDownClass()

    def setUp(self):
        self.context, self.page = self.browser.new_page()

    def tearDown(self):
        self.context.close()

    def screenshot(self, name, full_page=True):
        screenshot(self.page, name, full_page=full_page)

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
        expect(block).to_contain_text(PARTNER)
        expect(block).to_contain_text(f"{CONTACT} – {EMAIL}")
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
        image = page.get_by_role('img', name=f"Logo d'{PARTNER}")
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
        page.get_by_role('button', name="Se déconnecter", exact=True).click()
        expect(page.get_by_role('status')).to_contain_text(
            "Vous êtes déconnecté.")
        self.screenshot('portal-08-logout')
        page.goto(self.url + '/organisation')
        expect(page.get_by_role('heading', name="Connexion")).to_be_visible()

    def login(self, email, password):
        page = self.page
        page.goto(self.url + '/login')
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe", exact=True).fill(password)
        page.get_by_role('button', name="Se connecter").click()
        expect(page.get_by_role(
                'heading', name="Tableau de bord")).to_be_visible()

    def menu(self, name):
        self.page.get_by_role('navigation').get_by_role(
            'link', name=name, exact=True).click()

    def download(self, link):
        "Return the content of the file the link downloads"
        with self.page.expect_download() as info:
            link.click()
        with open(info.value.path(), 'rb') as fp:
            return info.value.suggested_filename, fp.read()

    def test_partner_path(self):
        "A partner registers people, pays, offers a solution, asks a meeting"
        page = self.page
        self.login(EMAIL, PASSWORD)
        # The stand is due on the day of the show, not late a year before
        expect(page.get_by_role('heading', name="Tableau de bord")
            ).to_be_visible()
        expect(page.locator('main')).not_to_contain_text(
            "Engagements en retard")
        self.screenshot('portal-10-partner-dashboard')

        # Two people of the company registered to a webinar, one cancelled
        self.menu("Événements")
        expect(page.get_by_role('heading', name=(
                    "Événements ouverts aux inscriptions"))).to_be_visible()
        self.screenshot('portal-11-events')
        page.get_by_role('link', name=WEBINAR).click()
        expect(page.get_by_role('heading', name=WEBINAR)).to_be_visible()
        page.get_by_label("Inès Demo-Moreau").check()
        page.get_by_label("Thomas Demo-Girard").check()
        page.get_by_role('button', name="Inscrire").click()
        expect(page.get_by_role('status')).to_contain_text(
            "L'inscription est enregistrée.")
        registrations = page.locator('table.table tbody tr')
        expect(registrations).to_have_count(2)
        self.screenshot('portal-12-event-registered')
        # Her badge, as printed: its QR code reads as her registration code
        ines = registrations.filter(has_text="Inès Demo-Moreau")
        _, badge = self.download(ines.get_by_role(
                'link', name="Badge (PDF)"))
        self.assertEqual(badge[:5], b'%PDF-')
        from trytond.modules.association.tests.tools import (
            pdf_png, pdf_qrcodes)
        with open(os.path.join(SCREENSHOTS, 'portal-12b-badge.png'),
                'wb') as fp:
            fp.write(pdf_png(badge))
        code, = pdf_qrcodes(badge)
        expect(ines).to_contain_text(code)
        page.get_by_role('button', name=(
                "Annuler l'inscription de Thomas Demo-Girard à")).click()
        expect(page.get_by_role('status')).to_contain_text(
            "L'inscription est annulée.")
        thomas = registrations.filter(has_text="Thomas Demo-Girard")
        expect(thomas).to_contain_text("Inscription annulée")
        ines = registrations.filter(has_text="Inès Demo-Moreau")
        expect(ines).not_to_contain_text("annulée")
        self.screenshot('portal-13-event-cancelled')

        # The invoice of the convention, as a PDF
        self.menu("Factures")
        expect(page.get_by_role('heading', name="Factures")).to_be_visible()
        invoice = page.locator('table tbody tr').filter(has_text="2026-1")
        expect(invoice).to_contain_text("9 000,00")
        expect(invoice).to_contain_text("En retard")
        self.screenshot('portal-14-invoices')
        name, content = self.download(
            invoice.get_by_role('link', name="Télécharger"))
        self.assertTrue(name.endswith('.pdf'), name)
        self.assertTrue(content.startswith(b'%PDF'))

        # A solution published, then a meeting requested with Melun
        self.menu("Speed meetings")
        page.get_by_role('link', name=(
                "Gérer les solutions de votre organisation")).click()
        page.get_by_role('link', name="Proposer une nouvelle solution").click()
        page.get_by_label("Titre").fill(SOLUTION)
        page.get_by_label("Description").fill(
            "Des centrales solaires sur les toits des écoles, financées "
            "par l'électricité qu'elles produisent.")
        page.get_by_role('button', name="Publier la solution").click()
        expect(page.get_by_role('status')).to_contain_text(
            "Les informations sont enregistrées.")
        self.screenshot('portal-15-solution')
        self.menu("Speed meetings")
        page.get_by_role('link', name=SPEED_MEETING).click()
        expect(page.get_by_role(
                'heading', name=SPEED_MEETING)).to_be_visible()
        self.screenshot('portal-16-speed-meeting')
        page.get_by_role('link', name=(
                "Voir et demander un rendez-vous à Melun")).click()
        page.get_by_label("Solution dont vous voulez parler").select_option(
            label=SOLUTION)
        page.get_by_label("Message").fill(
            "Nous aimerions vous présenter nos toitures solaires.")
        page.get_by_role('button', name="Demander un rendez-vous").click()
        expect(page.get_by_role('status')).to_contain_text(
            "La demande de rendez-vous est envoyée.")
        expect(page.locator('main')).to_contain_text("En attente de réponse")
        self.screenshot('portal-17-meeting-requested')

        # On a phone
        page.set_viewport_size({'width': 390, 'height': 844})
        self.menu("Factures")
        self.screenshot('portal-18-invoices-phone', full_page=False)

    def test_commune_sees_dues(self):
        "A member commune's town hall sees its dues and their letter"
        page = self.page
        self.login(COMMUNE_EMAIL, COMMUNE_PASSWORD)
        self.screenshot('portal-20-commune-dashboard')
        self.menu("Cotisations")
        expect(page.get_by_role('heading', name="Cotisations")).to_be_visible()
        dues = page.locator('table tbody tr').filter(has_text="2026")
        expect(dues).to_contain_text("3 260,00")
        self.screenshot('portal-21-dues')
        name, content = self.download(
            dues.get_by_role('link').first)
        self.assertTrue(content.startswith(b'%PDF'), name)
        # The commune sees no convention nor the partner's invoice
        self.menu("Factures")
        invoice = page.locator('table tbody tr').filter(has_text="2026-3")
        expect(invoice).to_contain_text("Cotisation 2026")
        self.screenshot('portal-22-commune-invoices')
        expect(page.locator('main')).not_to_contain_text("2026-1 ")
        expect(page.locator('main')).not_to_contain_text("Énergie Demo")

    def test_commune_sits_in_commission(self):
        "A member commune's town hall follows its commission and its minutes"
        page = self.page
        self.login(COMMUNE_EMAIL, COMMUNE_PASSWORD)
        self.menu("Commissions")
        expect(page.get_by_role('heading', name="Commissions")).to_be_visible()
        row = page.locator('table tbody tr').filter(has_text=COMMISSION)
        # Melun's official only, not those of the other communes
        expect(row).to_contain_text("Nadia Demo-Benali")
        expect(row).not_to_contain_text("Hélène Demo-Laurent")
        self.screenshot('portal-23-commissions')
        row.get_by_role('link', name=COMMISSION).click()
        expect(page.get_by_role(
                'heading', name=COMMISSION, exact=True)).to_be_visible()
        expect(page.locator('main')).to_contain_text(
            "Présidence Hélène Demo-Laurent")
        self.screenshot('portal-24-commission')
        name, content = self.download(page.get_by_role(
                'link', name="Télécharger le compte rendu").first)
        self.assertEqual(name, 'compte-rendu-2026-10-08.txt')
        self.assertIn("Compte rendu de la séance du 8 octobre",
            content.decode('utf-8'))
        page.set_viewport_size({'width': 390, 'height': 844})
        page.goto(self.url + '/commissions')
        self.screenshot('portal-25-commissions-phone', full_page=False)

    def test_official_answers_invitation(self):
        "A new councillor follows the link of her invitation and accepts"
        page = self.page
        # The invitation of the demo, as the run command's mailbox kept it
        messages = []
        for path in glob.glob(os.path.join(self.server.var, 'mail', '*.eml')):
            with open(path, 'rb') as fp:
                message = email.message_from_binary_file(
                    fp, policy=email.policy.default)
            if 'nadia.demo-benali@example.org' in message['To']:
                messages.append(message)
        message, = messages
        self.assertEqual(message['Subject'], f"Invitation : {ONBOARDING}")
        body = message.get_body(('html',)).get_content()
        link, = set(re.findall(r'href="([^"]+/invitation/[^"]+)"', body))
        # The e-mail as her mail reader shows it
        page.set_content(body)
        expect(page.locator('body')).to_contain_text(
            "Nous avons le plaisir de vous inviter à")
        self.screenshot('portal-26-invitation-email')
        # The link leads to this server, whatever host the mail names
        path = re.sub(r'^https?://[^/]+/', '', link)
        page.goto(self.server.url + path)
        expect(page.get_by_role('heading', name=ONBOARDING)).to_be_visible()
        expect(page.locator('body')).to_contain_text(
            "Nadia Demo-Benali, vous êtes invité(e) à Bien démarrer son "
            "mandat, samedi 16 janvier 2027, de 9 h à 12 h.")
        self.screenshot('portal-27-invitation')
        page.get_by_role('button', name="Accepter").click()
        expect(page.locator('body')).to_contain_text(
            "Nadia Demo-Benali, votre inscription à Bien démarrer son mandat "
            "est enregistrée")
        expect(page.get_by_role('button', name="Accepter")).to_have_count(0)
        self.screenshot('portal-28-invitation-accepted')

    def subscribe(self, rpc, email, name):
        """Subscribe the address to the mailing list of name (created when
        missing) as the staff does; return the list's id"""
        lists = rpc.search('marketing.email.list', [('name', '=', name)])
        if lists:
            list_id, = lists
        else:
            french, = rpc.search('ir.lang', [('code', '=', 'fr')])
            list_id, = rpc.call('model.marketing.email.list.create',
                [{'name': name, 'language': french}], {})
        subscriptions = rpc.call('model.marketing.email.search_read', [
                ('email', '=', email), ('list_', '=', list_id),
                ], 0, None, None, ['active'], {'active_test': False})
        if not subscriptions:
            rpc.call('model.marketing.email.create',
                [{'email': email, 'list_': list_id}], {})
        elif not subscriptions[0]['active']:
            # Left on a run before against the same server
            rpc.call('model.marketing.email.write',
                [subscriptions[0]['id']], {'active': True}, {})
        return list_id

    def test_contact_unsubscribes(self):
        """The partner's contact leaves a mailing list on the portal; the
        staff reads the consent"""
        page = self.page
        rpc = JSONRPC(
            f'{self.server.url}{self.server.database}/rpc/', *STAFF)
        list_id = self.subscribe(rpc, EMAIL, NEWSLETTER)
        self.login(EMAIL, PASSWORD)
        self.menu("Abonnements")
        expect(page.get_by_role(
                'heading', name="Abonnements", exact=True)).to_be_visible()
        main = page.locator('main')
        expect(main).to_contain_text(f"votre adresse {EMAIL}")
        expect(main).to_contain_text("vous parviennent toujours")
        row = page.locator(
            'section[aria-labelledby="listes"] tbody tr').filter(
            has_text=NEWSLETTER)
        expect(row).to_contain_text("Abonnement actif")
        self.screenshot('portal-30-subscriptions')

        row.get_by_role(
            'button', name=f"Se désabonner de « {NEWSLETTER} »").click()
        expect(page.get_by_role('status')).to_contain_text(
            f"Votre désabonnement de « {NEWSLETTER} » est enregistré.")
        expect(row).to_contain_text("Désabonnement enregistré")
        latest = page.locator(
            'section[aria-labelledby="historique"] tbody tr').first
        expect(latest).to_contain_text(NEWSLETTER)
        expect(latest).to_contain_text("Désabonnement")
        expect(latest).to_contain_text("Portail")
        self.screenshot('portal-31-unsubscribed')

        consents = rpc.call(
            'model.association.mailing.consent.search_read', [
                ('email', '=', EMAIL), ('list_', '=', list_id),
                ], 0, 1, [('id', 'DESC')],
            ['action', 'method', 'party.name', 'web_user.email'], {})
        self.assertEqual(
            [(c['action'], c['method'], c['web_user.']['email'])
                for c in consents],
            [('unsubscribed', 'portal', EMAIL)])

        page.set_viewport_size({'width': 390, 'height': 844})
        page.reload()
        self.screenshot('portal-32-subscriptions-phone')
