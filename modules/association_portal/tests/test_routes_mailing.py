# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal's page of the subscriptions to the mailings

The contact of a partner company (two addresses: her login and her
person's) and the mayor of a member commune (in the audience of the
mayors) see their mailing lists and change them; every change is logged
in the consents as made on the portal and holds when the audience is
refreshed.  A tampered form, a list of another contact and a contact
without address change nothing."""
import datetime as dt

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction, inactive_records

from .tools import (
    EXTRAS, PortalRouteTestMixin, create_organisation, create_portal_user,
    form_values, page_text, parse_html, snapshot)

ALICE = 'alice@energie-locale.example'
ALICE_PERSONAL = 'alice.martin@perso.example'
BRUNO = 'bruno@melun.example'


class MailingRouteTestCase(PortalRouteTestMixin, RouteTestCase):
    "Test the page of the subscriptions"
    module = 'association_portal'
    extras = EXTRAS

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Audience = pool.get('association.mailing.audience')
        Email = pool.get('marketing.email')
        Lang = pool.get('ir.lang')
        List = pool.get('marketing.email.list')
        Mandate = pool.get('association.mandate')
        ContactMechanism = pool.get('party.contact_mechanism')
        WebUser = pool.get('web.user')

        company = create_organisation("Énergie Locale SAS")
        commune = create_organisation("Melun", kind='commune')
        alice = create_portal_user(
            company, "Alice Martin", ALICE, 'alice-secret-1')
        bruno = create_portal_user(
            commune, "Bruno Petit", BRUNO, 'bruno-secret-1')
        # An account whose address was removed from the database (an
        # account needs one in the client), with a person without any
        denis = create_portal_user(
            company, "Denis Sansadresse", 'denis@energie-locale.example')
        web_user = WebUser.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*web_user.update(
                [web_user.email], [None], where=web_user.id == denis.id))
        ContactMechanism.create([{
                    'party': alice.party.id, 'type': 'email',
                    'value': ALICE_PERSONAL,
                    }, {
                    'party': bruno.party.id, 'type': 'email',
                    'value': BRUNO,
                    }])
        Mandate.create([{
                    'person': bruno.party.id, 'authority': commune.id,
                    'office': 'mayor', 'start_date': dt.date(2020, 7, 1),
                    }])
        french, = Lang.search([('code', '=', 'fr')])
        letter, webinars, old = List.create([{
                    'name': "Lettre des partenaires", 'language': french.id,
                    }, {
                    'name': "Invitations aux webinaires",
                    'language': french.id,
                    }, {
                    'name': "Ancienne lettre", 'language': french.id,
                    }])
        Email.create([{
                    'email': ALICE, 'list_': letter.id,
                    }, {
                    'email': ALICE_PERSONAL, 'list_': old.id,
                    }])
        with Transaction().set_context(mailing_consent_method='link'):
            Email.create([{
                        'email': ALICE_PERSONAL, 'list_': webinars.id,
                        'active': False,
                        }])
        List.write([old], {'active': False})
        mayors, = Audience.create([{
                    'name': "Maires adhérents",
                    'rules': [('create', [{
                                    'source': 'official',
                                    'offices': ['mayor'],
                                    }])],
                    }])
        Audience.get_recipients([mayors])
        cls.user_ids = {
            'alice': alice.id, 'bruno': bruno.id, 'denis': denis.id}
        cls.list_ids = {
            'letter': letter.id, 'webinars': webinars.id, 'old': old.id,
            'mayors': mayors.list_.id}
        cls.audience_id = mayors.id

    def alice(self):
        return self.login(ALICE, 'alice-secret-1')

    def rows(self, response):
        "Return the lists of the page with their state and button"
        tree = parse_html(response)
        return {
            row.xpath('string(th)'): (
                ' '.join(row.xpath('string(td[1])').split()),
                ' '.join(row.xpath('string(td[2]//button)').split()))
            for row in tree.xpath(
                '//section[@aria-labelledby="listes"]//tbody/tr')}

    def history(self, response):
        tree = parse_html(response)
        return [[' '.join(c.text_content().split()) for c in row[1:]]
            for row in tree.xpath(
                '//section[@aria-labelledby="historique"]//tbody/tr')]

    def change(self, client, list_, action, **data):
        "Post the form of the page for the list"
        response = client.get(self.url('/subscriptions'))
        values = form_values(response, '/subscriptions')
        values.update(list=str(self.list_ids.get(list_, list_)),
            action=action, **data)
        if action is None:
            del values['action']
        return client.post(self.url('/subscriptions'), data=values)

    def subscriptions(self, *emails):
        "Return the subscriptions of the addresses by list and address"
        def read(pool):
            Email = pool.get('marketing.email')
            with inactive_records():
                return {(e.list_.id, e.email): e.active
                    for e in Email.search([('email', 'in', emails)])}
        return self.read(read)

    def consents(self, *emails):
        def read(pool):
            Consent = pool.get('association.mailing.consent')
            return [(c.email, c.list_.id, c.action, c.method,
                    c.party.name if c.party else None,
                    c.web_user.email if c.web_user else None)
                for c in Consent.search([
                        ('email', 'in', emails),
                        ], order=[('id', 'ASC')])]
        return self.read(read)

    def all_id(self):
        def read(pool):
            ModelData = pool.get('ir.model.data')
            return ModelData.get_id('association_mailing', 'list_all')
        return self.read(read)

    def test_subscriptions(self):
        """The contact sees all mailings, its lists at both its addresses,
        neither another's list nor an inactive one, and that transactional
        e-mails are not concerned"""
        client = self.alice()
        response = client.get(self.url('/'))
        self.assertIn("Abonnements", self.menu(response))
        response = client.get(self.url('/subscriptions'))
        self.assertEqual(response.status_code, 200)
        text = page_text(response)
        self.assertIn(
            "Vos choix valent pour vos adresses %s et %s."
            % (ALICE_PERSONAL, ALICE), text)
        self.assertIn("Toutes les diffusions Abonnement actif Vous recevez "
            "les diffusions de l'association", text)
        self.assertIn("factures et appels de cotisation", text)
        self.assertIn("vous parviennent toujours", text)
        self.assertEqual(self.rows(response), {
                "Invitations aux webinaires": (
                    "Désabonnement enregistré",
                    "Se réabonner à « Invitations aux webinaires »"),
                "Lettre des partenaires": (
                    "Abonnement actif",
                    "Se désabonner de « Lettre des partenaires »"),
                })
        self.assertNotIn("Maires adhérents", text)
        self.assertNotIn("Ancienne lettre", text)
        # The refusal by the link of an e-mail, the first choice
        self.assertEqual(self.history(response)[-1], [
                "Invitations aux webinaires", "Désabonnement",
                "Lien du courriel", ALICE_PERSONAL])
        nav = parse_html(response).xpath(
            '//nav//a[@aria-current="page"]')
        self.assertEqual([a.text_content() for a in nav], ["Abonnements"])

    def test_unsubscribe_and_back(self):
        """Unsubscribing from a list holds for every address of the contact
        and is logged as made on the portal; subscribing again brings back
        the addresses that left"""
        client = self.alice()
        response = self.change(client, 'letter', 'unsubscribe')
        self.assertEqual(response.status_code, 303)
        response = client.get(response.location)
        self.assertIn("Votre désabonnement de « Lettre des partenaires » "
            "est enregistré.", page_text(response))
        self.assertEqual(self.rows(response)["Lettre des partenaires"], (
                "Désabonnement enregistré",
                "Se réabonner à « Lettre des partenaires »"))
        letter = self.list_ids['letter']
        subscriptions = self.subscriptions(ALICE, ALICE_PERSONAL)
        self.assertEqual(
            {k: v for k, v in subscriptions.items() if k[0] == letter}, {
                (letter, ALICE): False,
                (letter, ALICE_PERSONAL): False,
                })
        portal = [c for c in self.consents(ALICE, ALICE_PERSONAL)
            if c[1] == letter]
        self.assertEqual(sorted(portal), [
                (ALICE_PERSONAL, letter, 'unsubscribed', 'portal',
                    "Alice Martin", ALICE),
                (ALICE, letter, 'unsubscribed', 'portal', "Alice Martin",
                    ALICE),
                ])
        self.assertEqual(self.history(response)[0][:3], [
                "Lettre des partenaires", "Désabonnement", "Portail"])

        response = self.change(client, 'webinars', 'subscribe')
        self.assertEqual(response.status_code, 303)
        response = client.get(response.location)
        self.assertIn("Votre abonnement à « Invitations aux webinaires » "
            "est rétabli.", page_text(response))
        webinars = self.list_ids['webinars']
        # Only the address that had left comes back
        self.assertEqual(
            {k: v for k, v in self.subscriptions(
                    ALICE, ALICE_PERSONAL).items() if k[0] == webinars},
            {(webinars, ALICE_PERSONAL): True})
        self.assertEqual(self.consents(ALICE_PERSONAL)[-1], (
                ALICE_PERSONAL, webinars, 'subscribed', 'portal',
                "Alice Martin", ALICE))

    def test_all_mailings(self):
        "The contact stops every mailing and receives them again"
        all_ = self.all_id()
        client = self.alice()
        response = self.change(client, all_, 'unsubscribe')
        self.assertEqual(response.status_code, 303)
        response = client.get(response.location)
        text = page_text(response)
        self.assertIn("Votre désabonnement de « Toutes les diffusions » "
            "est enregistré.", text)
        self.assertIn("Vous ne recevez plus aucune diffusion", text)
        self.assertEqual(
            {k: v for k, v in self.subscriptions(
                    ALICE, ALICE_PERSONAL).items() if k[0] == all_},
            {(all_, ALICE): False, (all_, ALICE_PERSONAL): False})

        def unsubscribed(pool):
            Audience = pool.get('association.mailing.audience')
            List = pool.get('marketing.email.list')
            return Audience.unsubscribed(
                List(self.list_ids['letter']), [ALICE, ALICE_PERSONAL])
        self.assertEqual(
            self.read(unsubscribed), {ALICE, ALICE_PERSONAL})

        response = self.change(client, all_, 'subscribe')
        response = client.get(response.location)
        self.assertIn("Vous recevez les diffusions", page_text(response))
        self.assertEqual(self.read(unsubscribed), set())
        self.assertEqual(
            [c[2] for c in self.consents(ALICE) if c[1] == all_],
            ['unsubscribed', 'subscribed'])

    def test_audience_refresh(self):
        """The mayor leaves the list of the mayors' audience: refreshing
        the audience does not bring him back"""
        client = self.login(BRUNO, 'bruno-secret-1')
        response = client.get(self.url('/subscriptions'))
        self.assertEqual(self.rows(response), {
                "Maires adhérents": (
                    "Abonnement actif",
                    "Se désabonner de « Maires adhérents »"),
                })
        self.assertNotIn("Lettre des partenaires", page_text(response))
        response = self.change(client, 'mayors', 'unsubscribe')
        self.assertEqual(response.status_code, 303)

        def refresh(pool):
            Audience = pool.get('association.mailing.audience')
            audience = Audience(self.audience_id)
            recipients = Audience.get_recipients([audience])[audience.id]
            Transaction().commit()
            return recipients
        with Transaction().start(DB_NAME, 0):
            self.assertEqual(refresh(Pool()), [])
        self.assertEqual(self.subscriptions(BRUNO), {
                (self.list_ids['mayors'], BRUNO): False})
        self.assertEqual(self.consents(BRUNO), [
                (BRUNO, self.list_ids['mayors'], 'unsubscribed', 'portal',
                    "Bruno Petit", BRUNO)])

    def test_bad_input(self):
        """A tampered list, another contact's list, an inactive list or an
        unknown action are refused in French and change nothing"""
        client = self.alice()
        before = snapshot()
        for list_, action in [
                ('abc', 'unsubscribe'),
                ('', 'unsubscribe'),
                (str(2 ** 63), 'unsubscribe'),
                ('999999', 'unsubscribe'),
                ('mayors', 'unsubscribe'),
                ('old', 'unsubscribe'),
                ('old', 'subscribe'),
                ]:
            with self.subTest(list=list_, action=action):
                response = self.change(client, list_, action)
                self.assertEqual(response.status_code, 400)
                text = page_text(response)
                self.assertIn("Cette liste de diffusion n'existe pas ou ne "
                    "vous concerne pas : rien n'a été modifié.", text)
                # The page is shown again, as it is
                self.assertIn("Lettre des partenaires", text)
        for action in ['', 'delete', None]:
            with self.subTest(action=action):
                response = self.change(client, 'letter', action)
                self.assertEqual(response.status_code, 400)
                self.assertIn("Choisissez de vous abonner ou de vous "
                    "désabonner : rien n'a été modifié.", page_text(response))
        self.assertEqual(snapshot(), before)

    def test_without_csrf(self):
        "A form without the token of the session changes nothing"
        client = self.alice()
        before = snapshot()
        response = client.post(self.url('/subscriptions'), data={
                'list': str(self.list_ids['letter']),
                'action': 'unsubscribe'})
        self.assertEqual(response.status_code, 403)
        self.assertIn("Formulaire expiré", page_text(response))
        self.assertEqual(snapshot(), before)

    def test_without_email(self):
        """A contact without any address is told so and has nothing to
        change"""
        client = self.session_client(self.user_ids['denis'])
        response = client.get(self.url('/subscriptions'))
        self.assertEqual(response.status_code, 200)
        text = page_text(response)
        self.assertIn("Aucune adresse e-mail n'est enregistrée pour vous",
            text)
        self.assertNotIn("None", text)
        self.assertFalse(parse_html(response).xpath(
                '//form[contains(@action, "/subscriptions")]'))
        token = self.csrf(client)
        before = snapshot()
        for list_ in [self.all_id(), self.list_ids['letter']]:
            response = client.post(self.url('/subscriptions'), data={
                    'csrf_token': token, 'list': str(list_),
                    'action': 'unsubscribe'})
            self.assertEqual(response.status_code, 400)
            self.assertIn("Aucune adresse e-mail n'est enregistrée pour vous "
                ": l'association ne vous envoie pas de diffusion.",
                page_text(response))
        self.assertEqual(snapshot(), before)
