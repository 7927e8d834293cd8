# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Every page of the portal, tried without session, with an expired one and
without CSRF token, and where its module is not activated

The pages are those declared by route(), with every module the portal
shows activated (and with none but the portal): a page added later is
tried without changing this test.  The attempts on the records of another
organisation are made by the test of ReachTestMixin (tools.py) in the
test case of each feature, on its records, for every page that names a
record."""
import re
from itertools import product

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase

from ..page import REACHES, ROUTES
from .tools import (
    EXTRAS, PortalRouteTestMixin, create_organisation, create_portal_user,
    page_text, parse_html, snapshot, url_of)

ARGUMENT_ID = re.compile(r'<id:(\w+)>')
# The page of the unknown paths: it answers 404 to everything
NOT_FOUND = '/<path:path>'


class PortalSecurityTestCase(PortalRouteTestMixin, RouteTestCase):
    "Try every page of the portal without the right credentials"
    module = 'association_portal'
    extras = EXTRAS

    @classmethod
    def setUpDatabase(cls):
        company = create_organisation(
            "Énergie Locale SAS", email='contact@energie-locale.example')
        commune = create_organisation(
            "Melun", kind='commune', email='mairie@melun.example')
        create_portal_user(
            company, "Alice Martin", 'alice@energie-locale.example',
            'alice-secret-1')
        create_portal_user(
            commune, "Bruno Petit", 'bruno@melun.example', 'bruno-secret-1')

    def signed_in_routes(self, method):
        return [r for r in ROUTES if r.login and method in r.methods]

    def test_routes_declared(self):
        "Every page that changes something checks the CSRF token"
        paths = {r.path for r in ROUTES}
        self.assertLessEqual(
            {'/', '/organisation', '/login', '/subscriptions'}, paths)
        for route in ROUTES:
            if 'POST' in route.methods and route.path != NOT_FOUND:
                self.assertTrue(route.csrf, route.path)

    def test_records_declared(self):
        """Every page that names a record in its path receives it through
        a reach that the database knows"""
        pool = Pool(DB_NAME)
        named = 0
        for route in ROUTES:
            self.assertEqual(
                set(ARGUMENT_ID.findall(route.path)), set(route.records),
                route.path)
            for name, field in route.records.values():
                with self.subTest(path=route.path, reach=name):
                    Model = pool.get(REACHES[name].model)
                    self.assertIn(field, Model._fields)
                    named += 1
        self.assertGreater(named, 25)

    def test_without_session(self):
        "Without session, pages send to the login and forms are refused"
        before = snapshot()
        client = self.client()
        for route in self.signed_in_routes('GET'):
            with self.subTest(path=route.path):
                response = client.get(self.url(url_of(route.path)))
                self.assertEqual(response.status_code, 303)
                self.assertIn('/login?next=', response.location)
        for route in self.signed_in_routes('POST'):
            with self.subTest(path=route.path):
                response = client.post(
                    self.url(url_of(route.path)), data={'name': "Pirate"})
                self.assertEqual(response.status_code, 403)
                self.assertIn("Session expirée", page_text(response))
        self.assertEqual(snapshot(), before)

    def test_without_csrf(self):
        "A form without its session's CSRF token is refused"
        alice = self.login('alice@energie-locale.example', 'alice-secret-1')
        bruno = self.login('bruno@melun.example', 'bruno-secret-1')
        bruno_token = self.csrf(bruno)
        before = snapshot()
        for route in [r for r in ROUTES if 'POST' in r.methods and r.csrf]:
            for token in [None, 'x' * 64, bruno_token]:
                with self.subTest(path=route.path, token=token):
                    data = {'name': "Pirate", 'email': 'x@example.com'}
                    if token:
                        data['csrf_token'] = token
                    response = alice.post(
                        self.url(url_of(route.path)), data=data)
                    self.assertEqual(response.status_code, 403)
                    self.assertIn("Formulaire expiré", page_text(response))
        self.assertEqual(snapshot(), before)

    def test_expired_session(self):
        "An expired session shows nothing and changes nothing"
        alice = self.login('alice@energie-locale.example', 'alice-secret-1')
        token = self.csrf(alice)
        self.expire_sessions()
        before = snapshot()
        for route in self.signed_in_routes('POST'):
            with self.subTest(path=route.path):
                response = alice.post(self.url(url_of(route.path)), data={
                        'csrf_token': token, 'name': "Trop tard"})
                self.assertEqual(response.status_code, 403)
        for route in self.signed_in_routes('GET'):
            with self.subTest(path=route.path):
                response = alice.get(self.url(url_of(route.path)))
                self.assertEqual(response.status_code, 303)
                self.assertIn('/login?next=', response.location)
        self.assertEqual(snapshot(), before)

    def test_malformed_input(self):
        """Ids too large for the database, numbers out of range and line
        breaks answer 400 or 404 with the portal's page, never an error"""
        values = [str(2 ** 40), str(2 ** 63 - 1), str(2 ** 63), '9' * 40]
        for email, password in [
                ('alice@energie-locale.example', 'alice-secret-1'),
                ('bruno@melun.example', 'bruno-secret-1')]:
            client = self.login(email, password)
            token = self.csrf(client)
            for route in ROUTES:
                if route.path.startswith('/logout'):
                    continue
                for value, method in product(values, route.methods):
                    data = {
                        'csrf_token': token,
                        'next': '/x\r\nSet-Cookie: pirate=1',
                        'price_min': '1e400', 'price_max': '-1E+400',
                        'budget': '1e400', 'population': '1e400',
                        'action': 'unsubscribe',
                        }
                    for name in [
                            'themes', 'persons', 'requested', 'solution',
                            'need', 'theme', 'event', 'registration',
                            'list']:
                        data[name] = value
                    with self.subTest(
                            path=route.path, method=method, value=value):
                        with self.assertNoLogs(level='ERROR'):
                            response = client.open(
                                self.url(url_of(route.path, value)),
                                method=method,
                                data=data if method == 'POST' else None,
                                query_string=data if method == 'GET'
                                else None)
                        self.assertLess(response.status_code, 500)
                        self.assertNotIn('pirate', str(response.headers))
                        if response.status_code >= 400:
                            self.assertIn(
                                response.status_code, {400, 403, 404, 409})
                            self.assertIn(
                                "Portail", page_text(response))

    def test_foreign_origin(self):
        "A form sent from another site is refused with a French page"
        alice = self.login('alice@energie-locale.example', 'alice-secret-1')
        token = self.csrf(alice)
        before = snapshot()
        for route in [r for r in ROUTES if 'POST' in r.methods]:
            with self.subTest(path=route.path):
                response = alice.post(
                    self.url(url_of(route.path)),
                    data={'csrf_token': token, 'name': "Pirate"},
                    headers={'Origin': 'https://pirate.example'})
                self.assertEqual(response.status_code, 403)
                self.assertIn("Formulaire expiré", page_text(response))
                self.assertIn("ne vient pas du portail", page_text(response))
        self.assertEqual(snapshot(), before)
        # The portal's own pages are still served
        response = alice.get(self.url('/'))
        self.assertEqual(response.status_code, 200)


class PortalWithoutModulesTestCase(PortalRouteTestMixin, RouteTestCase):
    """Try every page of the modules that are not activated: only the
    portal is"""
    module = 'association_portal'

    @classmethod
    def setUpDatabase(cls):
        company = create_organisation("Énergie Locale SAS")
        create_portal_user(
            company, "Alice Martin", 'alice@energie-locale.example',
            'alice-secret-1')

    def test_not_activated(self):
        """The pages of the modules not activated answer 404; the menu
        omits them"""
        alice = self.login('alice@energie-locale.example', 'alice-secret-1')
        response = alice.get(self.url('/'))
        self.assertEqual(
            [a.text_content() for a in parse_html(response).xpath(
                    '//nav//a')],
            ["Tableau de bord", "Organisation"])
        token = self.csrf(alice)
        pool = Pool(DB_NAME)
        missing = []
        for route in ROUTES:
            try:
                for name in route.requires:
                    pool.get(name)
            except KeyError:
                missing.append(route)
        # The pages of the events, speed meetings, invoices, conventions
        # and dues
        self.assertGreater(len(missing), 20)
        before = snapshot()
        for route in missing:
            for method in route.methods:
                with self.subTest(path=route.path, method=method):
                    response = alice.open(
                        self.url(url_of(route.path)), method=method,
                        data={'csrf_token': token} if method == 'POST'
                        else None)
                    self.assertEqual(response.status_code, 404)
                    self.assertIn("Page introuvable", page_text(response))
        self.assertEqual(snapshot(), before)
