# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal's pages through trytond's WSGI application

Two organisations, a company and a commune, each with a portal account,
try to read and change what is theirs and what is the other's."""
import datetime
import io
import threading
import urllib.parse
from unittest.mock import patch

import trytond.config as config
from trytond import backend
from trytond.pool import Pool
from trytond.res.user import PASSWORD_HASH
from trytond.tests.test_tryton import DB_NAME, RouteTestCase, with_transaction
from trytond.transaction import Transaction

from trytond.modules.association_portal.exceptions import (
    PortalConfigurationError)
from .tools import (
    PortalRouteTestMixin, ReachTestMixin, SMTPServer, create_organisation,
    create_portal_user, form_values, message_links, message_text, page_text,
    parse_html, url_path)

PNG = (
    b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01'
    b'\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf'
    b'\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND'
    b'\xaeB`\x82')
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg">'
    b'<script>alert(1)</script></svg>')


def set_config(test, section, option, value, default):
    "Set the option of the configuration for the test"
    if not config.has_section(section):
        config.add_section(section)
    test.addCleanup(
        config.set, section, option, config.get(
            section, option, default=default))
    config.set(section, option, value)


class PortalRouteTestCase(
        ReachTestMixin, PortalRouteTestMixin, RouteTestCase):
    "Test the pages of the portal"
    module = 'association_portal'

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Theme = pool.get('association.theme')
        energy, mobility = Theme.create([
                {'name': "Énergie", 'code': 'ENERGIE'},
                {'name': "Mobilité", 'code': 'MOBILITE'},
                ])
        solar, = Theme.create([
                {'name': "Solaire", 'code': 'SOLAIRE', 'parent': energy.id},
                ])
        company = create_organisation(
            "Énergie Locale SAS", email='contact@energie-locale.example',
            themes=[energy])
        commune = create_organisation(
            "Melun", kind='commune', email='mairie@melun.example',
            themes=[mobility])
        create_portal_user(
            company, "Alice Martin", 'alice@energie-locale.example',
            'alice-secret-1')
        create_portal_user(
            commune, "Bruno Petit", 'bruno@melun.example', 'bruno-secret-1')
        for i in range(3):
            create_portal_user(
                company, "Contact %s" % i,
                'contact%s@energie-locale.example' % i,
                'contact-secret-%s' % i)
        # Whose password is attacked
        create_portal_user(
            company, "Émile Cible", 'emile@energie-locale.example',
            'emile-secret-1')
        # Invited, no password chosen yet
        create_portal_user(
            company, "Denis Invité", 'denis@energie-locale.example')
        cls.company_id = company.id
        cls.commune_id = commune.id
        cls.commune_contact_id = commune.contact_mechanisms[0].id
        cls.company_contact_id = company.contact_mechanisms[0].id
        cls.theme_ids = {
            'energy': energy.id, 'mobility': mobility.id, 'solar': solar.id}

    def setUp(self):
        super().setUp()
        self.smtp = SMTPServer().start()
        self.addCleanup(self.smtp.stop)
        set_config(self, 'association_portal', 'url',
            'https://portal.example.org', default='')

    def url(self, path):
        return '/%s/portal%s' % (DB_NAME, path)

    def login(self, email, password, client=None):
        client = client or self.client()
        response = client.get(self.url('/login'))
        values = form_values(response, '/login')
        values.update(email=email, password=password)
        response = client.post(self.url('/login'), data=values)
        return client, response

    def csrf(self, client, path='/organisation'):
        response = client.get(self.url(path))
        self.assertEqual(response.status_code, 200)
        return form_values(response)['csrf_token']

    def read(self, func):
        "Return the result of func in a new transaction"
        with Transaction().start(DB_NAME, 0) as transaction:
            try:
                return func(Pool())
            finally:
                transaction.rollback()

    def organisation(self, id_):
        def read(pool):
            Party = pool.get('party.party')
            party = Party(id_)
            return {
                'description': party.description,
                'themes': sorted(t.id for t in party.themes),
                'logo': bytes(party.logo) if party.logo else None,
                'contacts': sorted(
                    (c.type, c.value) for c in party.contact_mechanisms),
                }
        return self.read(read)

    def session_count(self, email):
        def read(pool):
            Session = pool.get('web.user.session')
            return Session.search_count([('user.email', '=', email)])
        return self.read(read)

    def session_keys(self, key):
        def read(pool):
            Session = pool.get('web.user.session')
            return [s.key for s in Session.search([('key', '=', key)])]
        return self.read(read)

    # Pages and login

    def test_login_page(self):
        "The login page is French, accessible and sets its CSRF cookie"
        response = self.client().get(self.url('/login'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'text/html')
        tree = parse_html(response)
        self.assertEqual(tree.get('lang'), 'fr')
        for input_id in ['email', 'password']:
            label, = tree.xpath('//label[@for=$id]', id=input_id)
            self.assertTrue(label.text_content().strip())
        self.assertIn("Mot de passe oublié ?", page_text(response))
        cookie = response.headers['Set-Cookie']
        self.assertIn('concorde_portal_csrf=', cookie)
        self.assertIn('HttpOnly', cookie)
        self.assertIn('SameSite=Lax', cookie)
        self.assertIn("frame-ancestors 'none'",
            response.headers['Content-Security-Policy'])
        self.assertEqual(response.headers['X-Frame-Options'], 'DENY')

    def test_stylesheet(self):
        "The stylesheet is served by the portal"
        response = self.client().get(self.url('/static/portal.css'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'text/css')
        self.assertIn(':focus-visible', response.get_data(as_text=True))

    def test_login_dashboard_logout(self):
        "A partner logs in, sees its dashboard only and logs out"
        client, response = self.login(
            'alice@energie-locale.example', 'alice-secret-1')
        self.assertEqual(response.status_code, 303)
        self.assertEqual(
            urllib.parse.urlsplit(response.location).path, self.url('/'))
        cookie, = [c for c in response.headers.getlist('Set-Cookie')
            if c.startswith('concorde_portal_session=')]
        self.assertIn('HttpOnly', cookie)
        self.assertIn('SameSite=Lax', cookie)
        self.assertNotIn('Secure', cookie)
        self.assertIn('Path=%s' % self.url(''), cookie)

        response = client.get(self.url('/'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        text = page_text(response)
        self.assertIn("Tableau de bord", text)
        self.assertIn("Énergie Locale SAS", text)
        self.assertIn("contact@energie-locale.example", text)
        self.assertIn("Alice Martin", text)
        self.assertNotIn("Melun", text)
        self.assertNotIn("mairie@melun.example", text)
        self.assertNotIn("Bruno", text)
        nav = parse_html(response).xpath('//nav//a')
        self.assertEqual(
            [a.text_content() for a in nav],
            ["Tableau de bord", "Organisation"])
        self.assertEqual(nav[0].get('aria-current'), 'page')

        csrf = form_values(response, '/logout')['csrf_token']
        key = client.get_cookie(
            'concorde_portal_session', path=self.url('')).value
        self.assertEqual(self.session_keys(key), [key])
        response = client.post(
            self.url('/logout'), data={'csrf_token': csrf})
        self.assertEqual(response.status_code, 303)
        self.assertIn('notice=logout', response.location)
        self.assertEqual(self.session_keys(key), [])
        self.assertIsNone(client.get_cookie(
                'concorde_portal_session', path=self.url('')))
        response = client.get(self.url('/login?notice=logout'))
        self.assertIn("Vous êtes déconnecté.", page_text(response))
        response = client.get(self.url('/'))
        self.assertEqual(response.status_code, 303)
        self.assertIn('/login', response.location)

    def test_logout_without_csrf(self):
        "Logging out needs the CSRF token"
        client, _ = self.login('contact0@energie-locale.example',
            'contact-secret-0')
        response = client.post(self.url('/logout'))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            self.session_count('contact0@energie-locale.example'), 1)
        self.assertEqual(client.get(self.url('/')).status_code, 200)

    def test_login_wrong_password(self):
        "A wrong password gets a French message and no session"
        client, response = self.login(
            'contact1@energie-locale.example', 'wrong password')
        self.assertEqual(response.status_code, 400)
        self.assertIn(
            "L'adresse e-mail ou le mot de passe est incorrect.",
            page_text(response))
        self.assertEqual(
            self.session_count('contact1@energie-locale.example'), 0)
        response = client.get(self.url('/'))
        self.assertEqual(response.status_code, 303)

    def test_login_forgets_failures(self):
        """A signed-in contact's attempts are forgotten: its next sign-in
        is not slowed down as after a wrong password"""
        email = 'contact1@energie-locale.example'

        def attempts(pool):
            Attempt = pool.get('web.user.authenticate.attempt')
            return Attempt.count(email)
        _, response = self.login(email, 'wrong password')
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.read(attempts), 1)
        for _ in range(2):
            client, response = self.login(email, 'contact-secret-1')
            self.assertEqual(response.status_code, 303)
            self.assertEqual(self.read(attempts), 0)
            response = client.post(self.url('/logout'), data={
                    'csrf_token': self.csrf(client, '/')})
            self.assertEqual(response.status_code, 303)

    def test_login_without_csrf(self):
        "A login without the CSRF token of its cookie is refused"
        client = self.client()
        response = client.post(self.url('/login'), data={
                'email': 'alice@energie-locale.example',
                'password': 'alice-secret-1',
                })
        self.assertEqual(response.status_code, 403)
        self.assertIn("Formulaire expiré", page_text(response))
        client.get(self.url('/login'))
        response = client.post(self.url('/login'), data={
                'email': 'alice@energie-locale.example',
                'password': 'alice-secret-1',
                'csrf_token': 'f' * 64,
                })
        self.assertEqual(response.status_code, 403)

    def test_login_secure_cookie(self):
        "Over HTTPS the session cookie is Secure"
        client = self.client()
        response = client.get(
            self.url('/login'), base_url='https://localhost')
        values = form_values(response, '/login')
        values.update(
            email='alice@energie-locale.example', password='alice-secret-1')
        response = client.post(
            self.url('/login'), data=values, base_url='https://localhost')
        self.assertEqual(response.status_code, 303)
        cookie, = [c for c in response.headers.getlist('Set-Cookie')
            if c.startswith('concorde_portal_session=')]
        self.assertIn('Secure', cookie)
        self.assertIn('HttpOnly', cookie)

    def test_login_next(self):
        "The login returns to the portal page asked, never elsewhere"
        client = self.client()
        response = client.get(self.url('/organisation'))
        self.assertEqual(response.status_code, 303)
        self.assertIn('next=%2Forganisation', response.location)
        response = client.get(self.url('/login?next=/organisation'))
        values = form_values(response, '/login')
        self.assertEqual(values['next'], '/organisation')
        values.update(
            email='alice@energie-locale.example', password='alice-secret-1')
        response = client.post(self.url('/login'), data=values)
        self.assertEqual(
            urllib.parse.urlsplit(response.location).path,
            self.url('/organisation'))

        client = self.client()
        response = client.get(
            self.url('/login?next=//evil.example/x'))
        values = form_values(response, '/login')
        self.assertNotIn('next', values)
        values.update(
            email='alice@energie-locale.example', password='alice-secret-1',
            next='//evil.example/x')
        response = client.post(self.url('/login'), data=values)
        self.assertEqual(
            urllib.parse.urlsplit(response.location).path, self.url('/'))

    def test_login_rate_limit(self):
        "Repeated failures slow the login down then refuse it with 429"
        set_config(self, 'session', 'max_attempt', '1', default='5')
        client = self.client()
        statuses = []
        for _ in range(3):
            _, response = self.login(
                'contact2@energie-locale.example', 'wrong', client)
            statuses.append(response.status_code)
        self.assertEqual(statuses, [400, 400, 429])
        self.assertIn("Trop de tentatives", page_text(response))
        # Even the right password is refused while limited
        _, response = self.login(
            'contact2@energie-locale.example', 'contact-secret-2', client)
        self.assertEqual(response.status_code, 429)
        self.assertEqual(
            self.session_count('contact2@energie-locale.example'), 0)

    def test_login_rate_limit_parallel(self):
        "Simultaneous wrong passwords do not pass the limit together"
        if backend.name != 'postgresql':
            self.skipTest("SQLite runs one writing transaction at a time")
        set_config(self, 'session', 'max_attempt', '2', default='5')
        barrier = threading.Barrier(20)
        statuses = []
        clients = []
        for _ in range(20):
            client = self.client()
            values = form_values(client.get(self.url('/login')), '/login')
            values.update(
                email='emile@energie-locale.example', password='wrong')
            clients.append((client, values))

        def attempt(client, values):
            barrier.wait()
            response = client.post(self.url('/login'), data=values)
            statuses.append(response.status_code)
        threads = [threading.Thread(target=attempt, args=c) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # The limit and the attempt that reaches it
        self.assertLessEqual(statuses.count(400), 3)
        self.assertEqual(statuses.count(429), 20 - statuses.count(400))
        _, response = self.login(
            'emile@energie-locale.example', 'emile-secret-1')
        self.assertEqual(response.status_code, 429)

    def test_login_same_work(self):
        """A wrong password costs the check of a hash whether the address
        has an account, has no password yet or is unknown"""
        verify = PASSWORD_HASH.verify_and_update
        for email in [
                'alice@energie-locale.example',
                'denis@energie-locale.example',
                'nobody@energie-locale.example']:
            with self.subTest(email=email):
                client = self.client()
                values = form_values(
                    client.get(self.url('/login')), '/login')
                values.update(email=email, password='wrong password')
                with patch.object(PASSWORD_HASH, 'verify_and_update',
                        wraps=verify) as checked:
                    response = client.post(self.url('/login'), data=values)
                self.assertEqual(checked.call_count, 1)
                self.assertEqual(response.status_code, 400)
                self.assertIn(
                    "L'adresse e-mail ou le mot de passe est incorrect.",
                    page_text(response))

    def test_login_invited(self):
        """An invited contact without password yet gets the answer of a
        wrong password, whatever it types"""
        for password in ['', 'x' * 10, 'something']:
            with self.subTest(password=password):
                _, response = self.login(
                    'denis@energie-locale.example', password)
                self.assertEqual(response.status_code, 400)
                self.assertNotIn("Erreur", page_text(response))
        self.assertEqual(
            self.session_count('denis@energie-locale.example'), 0)

    def test_login_next_control_characters(self):
        "A next with a line break is dropped, not put in a header"
        for next_ in ['/organisation\r\nSet-Cookie: x=1', '/x\ny', '/\x00']:
            with self.subTest(next=next_):
                client = self.client()
                query = urllib.parse.urlencode({'next': next_})
                response = client.get(self.url('/login?' + query))
                self.assertEqual(response.status_code, 200)
                values = form_values(response, '/login')
                self.assertNotIn('next', values)
                values.update(
                    email='alice@energie-locale.example',
                    password='alice-secret-1', next=next_)
                response = client.post(self.url('/login'), data=values)
                self.assertEqual(response.status_code, 303)
                self.assertEqual(
                    urllib.parse.urlsplit(response.location).path,
                    self.url('/'))
                self.assertNotIn('Set-Cookie: x', str(response.headers))

    # Sessions

    def test_expired_session(self):
        "An expired session shows nothing and changes nothing"
        client, _ = self.login('bruno@melun.example', 'bruno-secret-1')
        csrf = self.csrf(client)
        before = self.organisation(self.commune_id)
        timeout = config.getint(
            'session', 'web_timeout', default=30 * 24 * 60 * 60)
        past = datetime.datetime.now() - datetime.timedelta(
            seconds=timeout + 60)
        with Transaction().start(DB_NAME, 0):
            Session = Pool().get('web.user.session')
            table = Session.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update(
                    [table.create_date, table.write_date], [past, past]))
        response = client.get(self.url('/'))
        self.assertEqual(response.status_code, 303)
        self.assertIn('/login', response.location)
        response = client.post(self.url('/organisation'), data={
                'csrf_token': csrf, 'description': "Trop tard"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.organisation(self.commune_id), before)
        # The expired session is removed by the refused POST
        self.assertEqual(self.session_count('bruno@melun.example'), 0)

    def test_session_prolonged(self):
        "Using the portal pushes back the expiry of the session"
        client, _ = self.login(
            'contact1@energie-locale.example', 'contact-secret-1')
        key = client.get_cookie(
            'concorde_portal_session', path=self.url('')).value
        timeout = config.getint(
            'session', 'web_timeout', default=30 * 24 * 60 * 60)
        old = datetime.datetime.now() - datetime.timedelta(
            seconds=timeout - 60)
        with Transaction().start(DB_NAME, 0):
            Session = Pool().get('web.user.session')
            table = Session.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update(
                    [table.create_date, table.write_date], [old, old],
                    where=table.key == key))

        self.assertEqual(client.get(self.url('/')).status_code, 200)

        def last_modified(pool):
            Session = pool.get('web.user.session')
            session, = Session.search([('key', '=', key)])
            return session.last_modified_at
        self.assertGreater(
            self.read(last_modified),
            datetime.datetime.now() - datetime.timedelta(minutes=1))

    # Organisation profile

    def test_profile_edit(self):
        "A partner edits its description and themes"
        client, _ = self.login(
            'alice@energie-locale.example', 'alice-secret-1')
        response = client.get(self.url('/organisation'))
        self.assertEqual(response.status_code, 200)
        tree = parse_html(response)
        for field in tree.xpath(
                '//input[@type!="hidden"]|//textarea|//select'):
            self.assertTrue(
                tree.xpath('//label[@for=$id]', id=field.get('id')),
                field.get('name'))
        checked = tree.xpath('//input[@name="themes"][@checked]/@value')
        self.assertEqual(checked, [str(self.theme_ids['energy'])])
        values = form_values(response, '/organisation')
        values = {
            'csrf_token': values['csrf_token'],
            'description': "Nous installons des panneaux solaires.",
            'themes': [
                str(self.theme_ids['energy']), str(self.theme_ids['solar'])],
            # Ids of another organisation in the form are ignored
            'organisation': str(self.commune_id),
            'party': str(self.commune_id),
            }
        commune = self.organisation(self.commune_id)
        response = client.post(self.url('/organisation'), data=values)
        self.assertEqual(response.status_code, 303)
        self.assertIn('notice=saved', response.location)
        company = self.organisation(self.company_id)
        self.assertEqual(
            company['description'], "Nous installons des panneaux solaires.")
        self.assertEqual(company['themes'], sorted(
                [self.theme_ids['energy'], self.theme_ids['solar']]))
        self.assertEqual(self.organisation(self.commune_id), commune)
        response = client.get(self.url('/organisation?notice=saved'))
        self.assertIn("Le profil de l'organisation est enregistré.",
            page_text(response))
        response = client.get(self.url('/'))
        text = page_text(response)
        self.assertIn("Nous installons des panneaux solaires.", text)
        self.assertIn("Thèmes Solaire, Énergie", text)

    def test_profile_unknown_theme(self):
        "An unknown theme is refused in French and nothing is written"
        client, _ = self.login('bruno@melun.example', 'bruno-secret-1')
        csrf = self.csrf(client)
        before = self.organisation(self.commune_id)
        for themes in [['999999'], ['abc']]:
            response = client.post(self.url('/organisation'), data={
                    'csrf_token': csrf,
                    'description': "Une nouvelle description",
                    'themes': themes,
                    })
            self.assertEqual(response.status_code, 400)
            self.assertIn("Choisissez les thèmes parmi ceux de la liste.",
                page_text(response))
            self.assertEqual(self.organisation(self.commune_id), before)

    def test_profile_description_too_long(self):
        "A description too long is refused in French"
        client, _ = self.login('bruno@melun.example', 'bruno-secret-1')
        csrf = self.csrf(client)
        before = self.organisation(self.commune_id)
        response = client.post(self.url('/organisation'), data={
                'csrf_token': csrf, 'description': 'x' * 4001})
        self.assertEqual(response.status_code, 400)
        self.assertIn("« Présentation »", page_text(response))
        self.assertIn("est trop longue (4001 > 4000)", page_text(response))
        self.assertEqual(self.organisation(self.commune_id), before)

    def test_contacts(self):
        "A partner adds, changes and deletes its contacts"
        client, _ = self.login(
            'alice@energie-locale.example', 'alice-secret-1')
        csrf = self.csrf(client)
        response = client.post(self.url('/organisation/contacts'), data={
                'csrf_token': csrf, 'type': 'phone',
                'value': '01 23 45 67 89', 'name': "Accueil"})
        self.assertEqual(response.status_code, 303)
        contacts = self.organisation(self.company_id)['contacts']
        self.assertIn(('phone', '01 23 45 67 89'), contacts)

        def phone_id(pool):
            ContactMechanism = pool.get('party.contact_mechanism')
            contact, = ContactMechanism.search([
                    ('party', '=', self.company_id),
                    ('type', '=', 'phone')])
            return contact.id
        contact_id = self.read(phone_id)
        response = client.post(
            self.url('/organisation/contacts/%s' % contact_id), data={
                'csrf_token': csrf, 'type': 'website',
                'value': 'energie-locale.example'})
        self.assertEqual(response.status_code, 303)
        contacts = self.organisation(self.company_id)['contacts']
        self.assertIn(('website', 'https://energie-locale.example'), contacts)
        response = client.post(
            self.url('/organisation/contacts/%s/delete' % contact_id),
            data={'csrf_token': csrf})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(
            self.organisation(self.company_id)['contacts'],
            [('email', 'contact@energie-locale.example')])

    def test_contact_invalid(self):
        "Invalid contacts are refused in French and nothing is created"
        client, _ = self.login(
            'alice@energie-locale.example', 'alice-secret-1')
        csrf = self.csrf(client)
        before = self.organisation(self.company_id)
        for data, message in [
                ({'type': 'phone', 'value': 'appelez-nous'},
                    "n'est pas un numéro de téléphone valide"),
                ({'type': 'website', 'value': 'pas un site'},
                    "n'est pas une adresse de site web valide"),
                ({'type': 'fax', 'value': '0123456789'},
                    "Choisissez le type de la coordonnée"),
                ({'type': 'email', 'value': ''},
                    "Saisissez la valeur de la coordonnée."),
                ({'type': 'email', 'value': 'pas-une-adresse'},
                    "« pas-une-adresse » n'est pas une adresse e-mail "
                    "valide."),
                ]:
            data['csrf_token'] = csrf
            response = client.post(
                self.url('/organisation/contacts'), data=data)
            self.assertEqual(response.status_code, 400, data)
            text = page_text(response)
            self.assertIn(message, text)
            self.assertIn("Corrigez l'erreur suivante", text)
            self.assertNotIn("Traceback", text)
            self.assertEqual(self.organisation(self.company_id), before)
        # The values typed are kept in the form
        tree = parse_html(response)
        self.assertEqual(
            tree.xpath('//input[@id="value-new"]/@value'),
            ['pas-une-adresse'])

    def test_other_organisation_contact(self):
        "The contacts of another organisation cannot be changed by id"
        client, _ = self.login(
            'alice@energie-locale.example', 'alice-secret-1')
        csrf = self.csrf(client)
        before = self.organisation(self.commune_id)
        for path in [
                '/organisation/contacts/%s' % self.commune_contact_id,
                '/organisation/contacts/%s/delete' % self.commune_contact_id,
                '/organisation/contacts/999999',
                ]:
            response = client.post(self.url(path), data={
                    'csrf_token': csrf, 'type': 'email',
                    'value': 'pirate@example.com'})
            self.assertEqual(response.status_code, 404, path)
            self.assertIn("Page introuvable", page_text(response))
        self.assertEqual(self.organisation(self.commune_id), before)
        response = client.get(self.url('/organisation'))
        self.assertNotIn('mairie@melun.example', page_text(response))

    def test_logo(self):
        "A partner uploads its logo, checked for type and size"
        client, _ = self.login('bruno@melun.example', 'bruno-secret-1')
        csrf = self.csrf(client)
        set_config(self, 'association_portal', 'logo_max_size', '1024',
            default=str(1024 * 1024))
        for data, message in [
                (SVG, "doit être une image PNG, JPEG, GIF ou WebP"),
                (b'%PDF-1.4 not an image', "PNG, JPEG, GIF ou WebP"),
                (PNG + b'\0' * 1024, "est trop grand : 1 Ko au plus"),
                ]:
            response = client.post(self.url('/organisation/logo'), data={
                    'csrf_token': csrf,
                    'logo': (io.BytesIO(data), 'logo.png'),
                    })
            self.assertEqual(response.status_code, 400)
            self.assertIn(message, page_text(response))
            self.assertIsNone(self.organisation(self.commune_id)['logo'])
        response = client.post(self.url('/organisation/logo'), data={
                'csrf_token': csrf})
        self.assertEqual(response.status_code, 400)
        self.assertIn("Choisissez le fichier image du logo.",
            page_text(response))

        response = client.post(self.url('/organisation/logo'), data={
                'csrf_token': csrf,
                'logo': (io.BytesIO(PNG), 'logo.png'),
                })
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.organisation(self.commune_id)['logo'], PNG)
        response = client.get(self.url('/organisation/logo'))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'image/png')
        self.assertEqual(response.get_data(), PNG)
        self.assertEqual(response.headers['X-Content-Type-Options'], 'nosniff')

        # Another organisation sees only its own logo (it has none)
        alice, _ = self.login(
            'alice@energie-locale.example', 'alice-secret-1')
        response = alice.get(self.url('/organisation/logo'))
        self.assertEqual(response.status_code, 404)

        response = client.post(self.url('/organisation/logo/delete'), data={
                'csrf_token': csrf})
        self.assertEqual(response.status_code, 303)
        self.assertIsNone(self.organisation(self.commune_id)['logo'])

    # Password

    def test_password_reset(self):
        "A partner who forgot its password chooses a new one by e-mail"
        client = self.client()
        response = client.get(self.url('/password/forgot'))
        values = form_values(response, '/password/forgot')
        values['email'] = 'Contact2@Energie-Locale.example'
        response = client.post(self.url('/password/forgot'), data=values)
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "un e-mail vient de lui être envoyé", page_text(response))
        message, = self.smtp.pop()
        self.assertEqual(message['To'], 'contact2@energie-locale.example')
        link, = [l for l in message_links(message) if '/portal/password' in l]
        path = url_path(link)
        self.assertTrue(path.startswith(self.url('/password?')))

        # An unknown address gets the same answer and no e-mail
        values['email'] = 'nobody@example.com'
        response = client.post(self.url('/password/forgot'), data=values)
        self.assertIn(
            "un e-mail vient de lui être envoyé", page_text(response))
        self.assertEqual(self.smtp.pop(), [])

        response = client.get(path)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Nouveau mot de passe", page_text(response))
        values = form_values(response, '/password')
        for password, confirmation, error in [
                ('court', 'court', "au moins 8 caractères"),
                ('un-long-secret', 'autre-secret', "diffèrent"),
                ('contact2@energie-locale.example',
                    'contact2@energie-locale.example',
                    "ne peut pas être l'adresse e-mail"),
                ]:
            values.update(password=password, confirmation=confirmation)
            response = client.post(self.url('/password'), data=values)
            self.assertEqual(response.status_code, 400)
            self.assertIn(error, page_text(response))
        values.update(password='un-long-secret', confirmation='un-long-secret')
        response = client.post(self.url('/password'), data=values)
        self.assertEqual(response.status_code, 303)
        self.assertIn('notice=password', response.location)
        response = client.get(self.url('/?notice=password'))
        self.assertIn("Votre mot de passe est enregistré", page_text(response))

        # The link serves only once; the new password logs in
        response = client.get(path)
        self.assertEqual(response.status_code, 400)
        self.assertIn("Ce lien n'est plus valable", page_text(response))
        _, response = self.login(
            'contact2@energie-locale.example', 'contact-secret-2')
        self.assertEqual(response.status_code, 400)
        _, response = self.login(
            'contact2@energie-locale.example', 'un-long-secret')
        self.assertEqual(response.status_code, 303)

    def test_password_reset_link_host(self):
        """The link of the reset e-mail comes from the configuration, never
        from the host the request names"""
        client = self.client()
        response = client.get(
            self.url('/password/forgot'), base_url='http://pirate.example')
        values = form_values(response, '/password/forgot')
        values['email'] = 'contact1@energie-locale.example'
        response = client.post(
            self.url('/password/forgot'), data=values,
            base_url='http://pirate.example',
            headers={'X-Forwarded-Host': 'pirate.example'})
        self.assertEqual(response.status_code, 200)
        message, = self.smtp.pop()
        link, = [l for l in message_links(message) if '/portal/password' in l]
        self.assertTrue(link.startswith(
                'https://portal.example.org/%s/portal/password?' % DB_NAME))
        self.assertNotIn('pirate', message_text(message))

    def test_password_reset_without_url(self):
        """Without the portal's address configured, no reset e-mail leaves
        and nothing tells whether the address has an account"""
        set_config(self, 'association_portal', 'url', '', default='')
        set_config(self, 'association_portal', 'hosts', 'localhost',
            default='')
        for email in [
                'denis@energie-locale.example', 'nobody@example.com']:
            with self.subTest(email=email):
                client = self.client()
                response = client.get(
                    self.url('/password/forgot'),
                    base_url='http://pirate.example')
                values = form_values(response, '/password/forgot')
                values['email'] = email
                with self.assertLogs(level='ERROR') as logs:
                    response = client.post(
                        self.url('/password/forgot'), data=values,
                        base_url='http://pirate.example')
                self.assertIn("No link sent for the host 'pirate.example'",
                    logs.output[0])
                self.assertEqual(response.status_code, 503)
                self.assertIn("son adresse n'est pas configurée",
                    page_text(response))
                self.assertEqual(self.smtp.pop(), [])
        self.assertIsNone(self.read(lambda pool: pool.get('web.user').search(
                    [('email', '=', 'denis@energie-locale.example')]
                    )[0].reset_password_token))

        # A host of the list gives its own address
        client = self.client()
        response = client.get(self.url('/password/forgot'))
        values = form_values(response, '/password/forgot')
        values['email'] = 'denis@energie-locale.example'
        response = client.post(self.url('/password/forgot'), data=values)
        self.assertEqual(response.status_code, 200)
        message, = self.smtp.pop()
        link, = [l for l in message_links(message) if '/portal/password' in l]
        self.assertTrue(link.startswith(
                'http://localhost/%s/portal/password?' % DB_NAME), link)

    @with_transaction()
    def test_invite_without_url(self):
        "The staff is told why an invitation cannot be sent"
        pool = Pool()
        WebUser = pool.get('web.user')
        set_config(self, 'association_portal', 'url', '', default='')
        user, = WebUser.search(
            [('email', '=', 'denis@energie-locale.example')])
        for send in [WebUser.invite, WebUser.reset_password]:
            with self.subTest(send=send.__name__):
                with self.assertLogs(level='ERROR'):
                    with self.assertRaises(
                            PortalConfigurationError) as context:
                        send([user])
                self.assertIn("[association_portal]",
                    context.exception.message)
                self.assertIsNone(user.reset_password_token)
        self.assertEqual(self.smtp.pop(), [])

    def test_password_reset_ends_sessions(self):
        "A new password ends the sessions opened with the old one"
        email = 'contact2@energie-locale.example'
        stolen, _ = self.login(email, 'contact-secret-2')
        other, _ = self.login(email, 'contact-secret-2')
        self.assertEqual(self.session_count(email), 2)
        client = self.client()
        values = form_values(
            client.get(self.url('/password/forgot')), '/password/forgot')
        values['email'] = email
        client.post(self.url('/password/forgot'), data=values)
        message, = self.smtp.pop()
        link, = [l for l in message_links(message) if '/portal/password' in l]
        response = client.get(url_path(link))
        values = form_values(response, '/password')
        values.update(password='nouveau-secret', confirmation='nouveau-secret')
        response = client.post(self.url('/password'), data=values)
        self.assertEqual(response.status_code, 303)
        for old in [stolen, other]:
            response = old.get(self.url('/'))
            self.assertEqual(response.status_code, 303)
            self.assertIn('/login', response.location)
        # Only the session of the new password
        self.assertEqual(self.session_count(email), 1)
        self.assertEqual(client.get(self.url('/')).status_code, 200)

    def test_logout_everywhere(self):
        "A contact ends every session of its account from one of them"
        email = 'contact0@energie-locale.example'
        elsewhere, _ = self.login(email, 'contact-secret-0')
        client, _ = self.login(email, 'contact-secret-0')
        alice, _ = self.login('alice@energie-locale.example', 'alice-secret-1')
        response = client.get(self.url('/organisation'))
        values = form_values(response, '/logout/everywhere')
        self.assertIn("Se déconnecter partout", page_text(response))
        response = client.post(self.url('/logout/everywhere'), data=values)
        self.assertEqual(response.status_code, 303)
        self.assertIn('notice=logout_everywhere', response.location)
        response = client.get(url_path(response.location))
        self.assertIn("Toutes les sessions de votre compte sont fermées.",
            page_text(response))
        self.assertEqual(self.session_count(email), 0)
        for old in [client, elsewhere]:
            self.assertEqual(old.get(self.url('/')).status_code, 303)
        # The other accounts of the organisation stay signed in
        self.assertEqual(alice.get(self.url('/')).status_code, 200)

    def test_password_bad_token(self):
        "A wrong or missing token shows the French page of expired links"
        client = self.client()
        for query in ['', '?email=alice%40energie-locale.example&token=x']:
            response = client.get(self.url('/password' + query))
            self.assertEqual(response.status_code, 400)
            self.assertIn("Ce lien n'est plus valable", page_text(response))

    # Errors

    def test_unknown_page(self):
        "Unknown pages and methods answer a French page"
        client, _ = self.login(
            'alice@energie-locale.example', 'alice-secret-1')
        for method, path in [
                ('GET', '/unknown'), ('GET', '/logout'),
                ('POST', '/organisation/contacts/abc')]:
            response = client.open(self.url(path), method=method)
            self.assertEqual(response.status_code, 404, path)
            self.assertIn("Page introuvable", page_text(response))

    def test_errors(self):
        "Errors of the server show a French page without traceback"
        from trytond.model.exceptions import AccessError
        from trytond.modules.association_portal.page import route

        @route('/test-crash', login=False)
        def crash(page):
            raise RuntimeError("secret detail")

        @route('/test-access', login=False)
        def access(page):
            raise AccessError("Accès refusé au test")

        with self.assertLogs(
                'trytond.modules.association_portal.page', 'ERROR'):
            response = self.client().get(self.url('/test-crash'))
        self.assertEqual(response.status_code, 500)
        text = page_text(response)
        self.assertIn("Une erreur est survenue", text)
        self.assertIn("rien n'a été enregistré", text)
        self.assertNotIn("secret detail", text)
        self.assertNotIn("Traceback", text)

        response = self.client().get(self.url('/test-access'))
        self.assertEqual(response.status_code, 400)
        self.assertIn("Accès refusé au test", page_text(response))

    def test_unknown_database(self):
        "A database that does not exist answers a French 404 page"
        response = self.client().get('/no-such-database/portal/login')
        self.assertEqual(response.status_code, 404)
        self.assertIn("Page introuvable", page_text(response))
