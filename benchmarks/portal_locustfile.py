# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The simulated users of benchmarks/portal_load.py (a locust file)

PortalPartner signs in to the portal with its own account and browses the
dashboard, the events and the invoices; RpcPartner reads the same records
through Tryton's JSON-RPC API with a staff session (the baseline), where
the dashboard takes two calls, measured together as one page.  Both
wait between 2 and 8 seconds between pages, as a person reading them.

The latency of every request made after all users have signed in (and a
warm-up) is written to the JSON file named by CONCORDE_LOAD_OUTPUT, so
that the driver computes exact percentiles; the sign-ins are written
apart (200 users signing in within seconds is not browsing)."""
import base64
import itertools
import json
import os
import re
import time

from locust import HttpUser, between, events, task

DATABASE = os.environ.get('CONCORDE_LOAD_DATABASE', 'bench')
PASSWORD = os.environ.get('CONCORDE_LOAD_PASSWORD', 'bench-password')
WARM_UP = float(os.environ.get('CONCORDE_LOAD_WARM_UP', '10'))
USERS = int(os.environ.get('CONCORDE_LOAD_USERS', '1'))
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')

accounts = itertools.count()
samples = []
measuring = {'since': None, 'signed_in': 0}


def signed_in():
    "Count a user ready to browse; measure once they all are"
    measuring['signed_in'] += 1
    if measuring['signed_in'] >= USERS and measuring['since'] is None:
        measuring['since'] = time.monotonic() + WARM_UP


@events.request.add_listener
def record(request_type, name, response_time, response_length,
        exception=None, response=None, **kwargs):
    since = measuring['since']
    if name != 'sign in' and (since is None or time.monotonic() < since):
        return
    samples.append({
            'name': name,
            'ms': response_time,
            'error': bool(exception),
            'at': time.monotonic(),
            })


@events.quitting.add_listener
def write(environment, **kwargs):
    with open(os.environ['CONCORDE_LOAD_OUTPUT'], 'w') as fp:
        json.dump(samples, fp)


class PortalPartner(HttpUser):
    "A partner's contact browsing the portal"
    wait_time = between(2, 8)

    def on_start(self):
        self.base = f'/{DATABASE}/portal'
        email = f'contact{next(accounts)}@bench.example'
        response = self.client.get(
            f'{self.base}/login', name='sign in')
        token, = CSRF.findall(response.text)
        with self.client.post(f'{self.base}/login', data={
                    'email': email,
                    'password': PASSWORD,
                    'csrf_token': token,
                    }, name='sign in', allow_redirects=False,
                catch_response=True) as response:
            if response.status_code != 303:
                response.failure(f'sign-in {response.status_code}')
        signed_in()

    def page(self, path, name):
        with self.client.get(self.base + path, name=name,
                allow_redirects=False, catch_response=True) as response:
            # A page that sends back to the login page is a failure
            if response.status_code != 200:
                response.failure(f'status {response.status_code}')

    @task(3)
    def dashboard(self):
        self.page('/', 'dashboard')

    @task(2)
    def events(self):
        self.page('/events', 'events')

    @task(2)
    def invoices(self):
        self.page('/invoices', 'invoices')


class RpcPartner(HttpUser):
    "The same reads through Tryton's JSON-RPC API (the baseline)"
    wait_time = between(2, 8)

    def on_start(self):
        self.url = f'/{DATABASE}/rpc/'
        self.organisation = None
        login = os.environ.get('CONCORDE_LOAD_RPC_LOGIN', 'bench')
        response = self.client.post(self.url, json={
                'id': 0,
                'method': 'common.db.login',
                'params': [login, {'password': PASSWORD}, 'fr'],
                }, name='sign in')
        user_id, session = response.json()['result'][:2]
        token = base64.b64encode(
            f'{login}:{user_id}:{session}'.encode()).decode()
        self.client.headers['Authorization'] = f'Session {token}'
        # (User.context is locust's)
        self.tryton_context = self.call(
            'model.res.user.get_preferences', [True, {}], 'sign in')
        organisations = self.call(
            'model.party.party.search', [
                [('name', '=', f'Bench Partner {next(accounts)}')],
                0, 1, None, self.tryton_context], 'sign in')
        self.organisation, = organisations
        signed_in()

    def call(self, method, params, name):
        with self.client.post(self.url, json={
                    'id': 1, 'method': method, 'params': params,
                    }, name=name, catch_response=True) as response:
            result = response.json()
            if 'error' in result:
                response.failure(str(result['error'])[:200])
                return None
            return result['result']

    def invoices_read(self, name):
        return self.call('model.account.invoice.search_read', [
                [('party', '=', self.organisation),
                    ('type', '=', 'out'),
                    ('state', 'in', ['posted', 'paid'])],
                0, None, [('invoice_date', 'DESC')],
                ['number', 'invoice_date', 'total_amount', 'amount_to_pay',
                    'state', 'payment_term_date'],
                self.tryton_context], name)

    def events_read(self, name):
        return self.call('model.association.event.search_read', [
                [('state', '=', 'open')],
                0, None, [('start', 'ASC')],
                ['name', 'start', 'end', 'venue', 'format',
                    'seats_left'],
                self.tryton_context], name)

    def registrations_read(self, name):
        return self.call('model.association.event.registration.search_read',
            [[('organisation', '=', self.organisation)],
                0, None, None,
                ['event.name', 'event.start', 'person.name', 'state'],
                self.tryton_context], name)

    @task(3)
    def dashboard(self):
        # The dashboard shows the registrations and what is owed: two
        # calls, measured together as the page
        started = time.perf_counter()
        registrations = self.registrations_read('dashboard call')
        invoices = self.invoices_read('dashboard call')
        failed = registrations is None or invoices is None
        events.request.fire(
            request_type='PAGE', name='dashboard',
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=RuntimeError("a call failed") if failed else None,
            context={})

    @task(2)
    def events(self):
        self.events_read('events')

    @task(2)
    def invoices(self):
        self.invoices_read('invoices')
