# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The desktop client on the server of the run command

The staff opens a commune, a person and an event in the desktop client
(tryton 8.0, GTK 3) on a virtual screen: each form is drawn with the lists
it embeds, without an error.  Screenshots are kept in
tests/screenshots/desktop-client/."""
import base64
import json
import unittest
import urllib.request

from .desktop import DesktopClient, Screen, missing
from .tools import server

STAFF = ('staff', 'concorde-staff')


class JSONRPC:
    "The server's JSON-RPC as a logged-in user"

    def __init__(self, url, login, password):
        self.url = url
        self.session = None
        user_id, session = self.call(
            'common.db.login', login, {'password': password}, 'fr')[:2]
        self.session = base64.b64encode(
            f'{login}:{user_id}:{session}'.encode()).decode()

    def call(self, method, *params):
        request = urllib.request.Request(self.url, method='POST',
            data=json.dumps({'id': 1, 'method': method,
                    'params': list(params)}).encode(),
            headers={'Content-Type': 'application/json'})
        if self.session:
            request.add_header('Authorization', f'Session {self.session}')
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
        if answer.get('error'):
            raise RuntimeError(answer['error'])
        return answer['result']

    def search(self, model, domain):
        return self.call(f'model.{model}.search', domain, 0, 1, None, {})


class DesktopClientTestCase(unittest.TestCase):
    "Test the forms of the desktop client"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        lacking = missing()
        if lacking:
            raise AssertionError(
                "The desktop client cannot run: missing "
                + ", ".join(lacking) + " (scripts/test installs them)")
        cls.server = server()
        cls.database = cls.server.database
        cls.host = cls.server.url.split('//', 1)[1].rstrip('/')
        cls.rpc = JSONRPC(
            f'{cls.server.url}{cls.database}/rpc/', *STAFF)
        cls.screen = Screen()
        cls.screen.start()

    @classmethod
    def tearDownClass(cls):
        cls.screen.stop()
        super().tearDownClass()

    def open(self, model, domain, name):
        "Open the first record of model in domain and check its form"
        record_id, = self.rpc.search(model, domain)
        client = DesktopClient(self.screen, self.host, self.database, STAFF[0])
        try:
            # The form is drawn before its record is read
            client.open(f'model/{model}/{record_id}', STAFF[1],
                until=f'model.{model}.read([{record_id}]')
            self.screen.screenshot('desktop-client', name)
            self.assertEqual(client.errors(), [])
            # The main window only: no error dialog
            self.assertEqual(len(client.windows()), 1, msg="A dialog is open")
        finally:
            client.close()

    def test_commune(self):
        "The staff opens Versailles"
        self.open('party.party',
            [('kind', '=', 'commune'), ('official_code', '=', '78646')],
            'commune')

    def test_person(self):
        "The staff opens an elected official"
        self.open('party.party', [
                ('kind', '=', 'person'),
                ('name', '=', "Hélène Demo-Laurent")], 'person')

    def test_event(self):
        "The staff opens the trade show"
        self.open('association.event',
            [('name', '=', "Salon des maires d'Île-de-France 2027")],
            'event')
