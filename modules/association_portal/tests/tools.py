# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the tests and scenarios of the portal"
import datetime as dt
import email
import email.policy
import io
import re
import socketserver
import threading
import urllib.parse
import zipfile
from decimal import Decimal
from itertools import product

from lxml import html as lxml_html

import trytond.config as config
from trytond.modules.association.tests.database import (
    LayeredDatabaseMixin, lock_extras)
from trytond.modules.association.tests.tools import (
    setup_accounting as _association_setup_accounting)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction, TransactionError

# The modules the portal shows: the test cases of their pages all activate
# them (in French), so that they share one cached database, built on the
# mailings' (which has the memberships with SEPA)
EXTRAS = [
    'account_fr', 'account_invoice', 'account_payment',
    'account_payment_sepa', 'association_event', 'association_mailing',
    'association_matchmaking', 'association_membership',
    'association_partnership', 'bank']


class _SMTPHandler(socketserver.StreamRequestHandler):
    "Just enough SMTP to receive the messages of smtplib"

    def reply(self, line):
        self.wfile.write(line.encode('ascii') + b'\r\n')

    def handle(self):
        self.reply('220 localhost ESMTP test')
        while True:
            line = self.rfile.readline()
            if not line:
                break
            command = line.decode('ascii', 'replace').strip().upper()
            if command.startswith(('EHLO', 'HELO')):
                self.reply('250 localhost')
            elif command.startswith(('MAIL FROM', 'RCPT TO', 'RSET', 'NOOP')):
                self.reply('250 OK')
            elif command == 'DATA':
                self.reply('354 End data with <CR><LF>.<CR><LF>')
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line in {b'.\r\n', b'.\n'}:
                        break
                    if line.startswith(b'..'):
                        line = line[1:]
                    lines.append(line)
                self.server.messages.append(email.message_from_bytes(
                        b''.join(lines), policy=email.policy.default))
                self.reply('250 OK')
            elif command == 'QUIT':
                self.reply('221 Bye')
                break
            else:
                self.reply('500 Unknown command')


class SMTPServer(socketserver.ThreadingTCPServer):
    """A mail server on 127.0.0.1 that keeps the messages it receives

    It is set as the [email] uri of the configuration while it runs."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(('127.0.0.1', 0), _SMTPHandler)
        self.messages = []
        self._thread = None
        self._uri = None

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever)
        self._thread.daemon = True
        self._thread.start()
        self._uri = config.get('email', 'uri', default='')
        self._from = config.get('email', 'from', default='')
        config.set(
            'email', 'uri', 'smtp://127.0.0.1:%s' % self.server_address[1])
        config.set('email', 'from', 'Concorde <concorde@example.com>')
        return self

    def stop(self):
        config.set('email', 'uri', self._uri)
        config.set('email', 'from', self._from)
        self.shutdown()
        self.server_close()

    def pop(self):
        "Return the messages received and forget them"
        messages, self.messages = self.messages, []
        return messages


def message_text(message):
    "Return the text of the HTML part of the message"
    part = message.get_body(preferencelist=('html', 'plain'))
    return part.get_content()


def message_links(message):
    "Return the links of the message"
    body = message_text(message)
    return re.findall(r'href="([^"]+)"', body)


def url_path(url):
    "Return the path and query of the URL, for a test client"
    parts = urllib.parse.urlsplit(url.replace('&amp;', '&'))
    path = parts.path
    if parts.query:
        path += '?' + parts.query
    return path


def parse_html(response):
    "Return the lxml tree of the HTML response"
    return lxml_html.fromstring(response.get_data(as_text=True))


def form_values(response, action=None):
    """Return the values of the form of the page whose action ends with
    action (the first form by default)"""
    tree = parse_html(response)
    for form in tree.xpath('//form'):
        if action is None or form.get('action', '').endswith(action):
            return dict(form.form_values())
    raise AssertionError("No form %s in the page" % action)


def page_text(response):
    "Return the visible text of the page, spaces normalised"
    tree = parse_html(response)
    for node in tree.xpath('//script|//style'):
        node.drop_tree()
    return ' '.join(tree.text_content().split())


def create_organisation(name, kind='company', email=None, themes=None):
    "Create an organisation with its contacts, in a transaction"
    from trytond.pool import Pool
    pool = Pool()
    Party = pool.get('party.party')
    party = Party(name=name, kind=kind)
    if email:
        party.contact_mechanisms = [{'type': 'email', 'value': email}]
    if themes:
        party.themes = themes
    party.save()
    return party


def create_portal_user(organisation, name, email, password=None):
    "Create a person with a portal account of the organisation"
    from trytond.pool import Pool
    pool = Pool()
    Party = pool.get('party.party')
    WebUser = pool.get('web.user')
    person = Party(name=name, kind='person')
    person.save()
    user = WebUser(
        email=email, party=person, organisation=organisation,
        email_valid=True)
    if password:
        user.password = password
    user.save()
    return user


ARGUMENT = re.compile(r'<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>')
# What a refused request still writes: the session removed, the attempt
# counted
UNCHECKED = {
    'web.user.session', 'web.user.authenticate.attempt',
    'res.user.login.attempt', 'ir.session', 'ir.cache'}


def url_of(path, id_='1', **ids):
    "Fill the arguments of the route's path: ids by name, else id_"
    return ARGUMENT.sub(
        lambda m: str(ids.get(m.group(2), id_)) if m.group(1) == 'id'
        else 'x', path)


def snapshot():
    "Count and last change of every table"
    from trytond.model import ModelSQL
    with Transaction().start(DB_NAME, 0) as transaction:
        pool = Pool()
        cursor = transaction.connection.cursor()
        result = {}
        for name, Model in pool.iterobject():
            if (not issubclass(Model, ModelSQL)
                    or Model._is_table_query()
                    or name in UNCHECKED):
                continue
            table = Model.__table__()
            query = 'SELECT COUNT(*), MAX(%s), MAX(%s) FROM "%s"' % (
                '"write_date"', '"create_date"', table._name)
            cursor.execute(query)
            result[name] = tuple(map(str, cursor.fetchone()))
        return result


class PortalClientMixin:
    """What the test cases of the portal's pages share (with RouteTestCase):
    the URL of a page, signing in, the CSRF token of a session, reading the
    database in a transaction of its own and expiring the sessions"""

    def url(self, path):
        from trytond.tests.test_tryton import DB_NAME
        return '/%s/portal%s' % (DB_NAME, path)

    def login(self, email, password):
        "Return a client signed in with the account"
        client = self.client()
        response = client.get(self.url('/login'))
        values = form_values(response, '/login')
        values.update(email=email, password=password)
        response = client.post(self.url('/login'), data=values)
        self.assertEqual(response.status_code, 303)
        return client

    def session_client(self, user_id):
        "Return a client signed in as the web user"
        from ..page import SESSION_COOKIE
        with Transaction().start(DB_NAME, 0):
            WebUser = Pool().get('web.user')
            key = WebUser(user_id).new_session()
        client = self.client()
        client.set_cookie(SESSION_COOKIE, key)
        return client

    def csrf(self, client):
        "Return the CSRF token of the client's session"
        response = client.get(self.url('/'))
        self.assertEqual(response.status_code, 200)
        return form_values(response, '/logout')['csrf_token']

    def read(self, func):
        "Return the result of func(pool) in a new transaction"
        from trytond.pool import Pool
        from trytond.tests.test_tryton import DB_NAME
        from trytond.transaction import Transaction
        with Transaction().start(DB_NAME, 0) as transaction:
            try:
                return func(Pool())
            finally:
                transaction.rollback()

    def expire_sessions(self):
        "Make every portal session older than the timeout"
        import datetime

        from trytond.pool import Pool
        from trytond.tests.test_tryton import DB_NAME
        from trytond.transaction import Transaction
        timeout = config.getint(
            'session', 'web_timeout', default=30 * 24 * 60 * 60)
        past = datetime.datetime.now() - datetime.timedelta(
            seconds=timeout + 60)
        with Transaction().start(DB_NAME, 0) as transaction:
            Session = Pool().get('web.user.session')
            table = Session.__table__()
            cursor = transaction.connection.cursor()
            cursor.execute(*table.update(
                    [table.create_date, table.write_date], [past, past]))


def create_service_product(company, name):
    "Create a service product sold on the revenue account"
    pool = Pool()
    Account = pool.get('account.account')
    Category = pool.get('product.category')
    Template = pool.get('product.template')
    ModelData = pool.get('ir.model.data')
    revenue, = Account.search([
            ('company', '=', company.id),
            ('type.revenue', '=', True),
            ('closed', '!=', True),
            ], limit=1)
    category = Category(name=name, accounting=True)
    category.account_revenue = revenue
    category.save()
    template, = Template.create([{
                'name': name,
                'type': 'service',
                'default_uom': ModelData.get_id('product', 'uom_unit'),
                'list_price': Decimal(0),
                'account_category': category.id,
                'products': [('create', [{}])],
                }])
    return template.products[0]


ASSOCIATION = "Association des maires de Seine-et-Marne"
# The bank account of the association in the French chart
BANK_ACCOUNT = '5121'


def setup_accounting():
    """Create the association's company with the French chart of accounts
    and the fiscal years of last year and this year (association's
    setup_accounting) and a payment term of 30 days, and make it the
    user's company (a set-up function of the test cases, kept with their
    database)"""
    from trytond.modules.company.tests import create_company
    from trytond.modules.currency.tests import create_currency
    pool = Pool()
    User = pool.get('res.user')
    PaymentTerm = pool.get('account.invoice.payment_term')
    euro = create_currency('EUR')
    euro.symbol = '€'
    euro.save()
    company = create_company(ASSOCIATION, currency=euro)
    User.write([User(Transaction().user)], {
            'companies': [('add', [company.id])],
            'company': company.id,
            })
    year = dt.date.today().year
    _association_setup_accounting(company, years=[year - 1, year])
    with Transaction().set_context(company=company.id):
        PaymentTerm.create([{
                    'name': "30 jours",
                    'lines': [('create', [{
                                    'type': 'remainder',
                                    'relativedeltas': [('create', [{
                                                    'days': 30,
                                                    }])],
                                    }])],
                    }])


# It locks the tables of the association's set-up of the accounting
setup_accounting.lock_models = _association_setup_accounting.lock_models


def get_accounting():
    """Return the company and the payment term of 30 days that
    setup_accounting created"""
    pool = Pool()
    Company = pool.get('company.company')
    PaymentTerm = pool.get('account.invoice.payment_term')
    company, = Company.search([('party.name', '=', ASSOCIATION)])
    term, = PaymentTerm.search([('name', '=', "30 jours")])
    return company, term


def add_address(party, street, postal_code, city):
    "Give the party its postal address"
    pool = Pool()
    Address = pool.get('party.address')
    Address.create([{
                'party': party.id, 'street': street,
                'postal_code': postal_code, 'city': city,
                }])


def get_account(company, **clause):
    pool = Pool()
    Account = pool.get('account.account')
    domain = [('company', '=', company.id), ('closed', '!=', True)]
    domain += [(k.replace('__', '.'), '=', v) for k, v in clause.items()]
    account, = Account.search(domain, limit=1)
    return account


def create_invoice(
        company, party, amount, date, term=None, description=None,
        type_='out', post=True):
    "Create an invoice of one line of amount for party on date"
    pool = Pool()
    Invoice = pool.get('account.invoice')
    Line = pool.get('account.invoice.line')
    with Transaction().set_context(company=company.id):
        if type_ == 'out':
            account = get_account(company, type__receivable=True)
            line_account = get_account(company, type__revenue=True)
        else:
            account = get_account(company, type__payable=True)
            line_account = get_account(company, type__expense=True)
        invoice = Invoice(
            company=company, type=type_, party=party,
            invoice_address=party.address_get(type='invoice'),
            currency=company.currency, account=account,
            payment_term=term, invoice_date=date,
            description=description)
        invoice.set_journal()
        invoice.lines = [Line(
                company=company, currency=company.currency,
                invoice_type=type_, type='line', quantity=1,
                account=line_account, unit_price=Decimal(amount),
                description=description or "Prestation")]
        invoice.save()
        Invoice.update_taxes([invoice])
        if post:
            # Late invoices are posted with a due date in the past
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post([invoice])
    return invoice


def pay_invoice(invoice, date):
    "Pay the invoice by bank transfer on date"
    pool = Pool()
    Invoice = pool.get('account.invoice')
    Journal = pool.get('account.journal')
    Move = pool.get('account.move')
    MoveLine = pool.get('account.move.line')
    Period = pool.get('account.period')
    company = invoice.company
    with Transaction().set_context(company=company.id):
        journal, = Journal.search([('type', '=', 'cash')], limit=1)
        cash = get_account(company, code=BANK_ACCOUNT)
        amount = invoice.total_amount
        move = Move(
            journal=journal, date=date,
            period=Period.find(company, date=date),
            company=company)
        move.lines = [
            MoveLine(account=cash, debit=amount, credit=Decimal(0)),
            MoveLine(
                account=invoice.account, party=invoice.party,
                debit=Decimal(0), credit=amount),
            ]
        move.save()
        Move.post([move])
        payment, = [l for l in move.lines if l.account == invoice.account]
        MoveLine.reconcile(list(invoice.lines_to_pay) + [payment])
        Invoice.process([invoice])
    return Invoice(invoice.id)


def document_text(response):
    "Return the text of the document of the response (PDF or OpenDocument)"
    data = response.get_data()
    if data.startswith(b'%PDF'):
        from pypdf import PdfReader
        reader = PdfReader(io.BytesIO(data))
        return ' '.join(p.extract_text() for p in reader.pages)
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as document:
            return document.read('content.xml').decode('utf-8')
    return data.decode('utf-8')


class ReachTestMixin:
    """The test that every page naming a record refuses the records that
    the visitor's organisation does not reach, run on the records of the
    test case's database"""
    # The records of each reach tried by visitor
    reach_tries = 2

    def unreached(self, organisation_id):
        """Return by reach and field the values that the organisation does
        not reach and one that it reaches (or None)"""
        from ..page import REACHES, ROUTES

        def values(pool):
            Party = pool.get('party.party')
            organisation = Party(organisation_id)
            result = {}
            for route in ROUTES:
                for name, field in route.records.values():
                    if (name, field) in result:
                        continue
                    reach = REACHES[name]
                    try:
                        for model in route.requires:
                            pool.get(model)
                        Model = pool.get(reach.model)
                    except KeyError:
                        # Not activated: the page answers 404 to all
                        continue
                    with Transaction().set_context(active_test=False):
                        reached = Model.search([reach.domain(organisation)])
                        others = Model.search([
                                ('id', 'not in', [r.id for r in reached]),
                                ], order=[('id', 'ASC')])

                    def value(record):
                        value = getattr(record, field)
                        return getattr(value, 'id', value)
                    known = {value(r) for r in reached}
                    unknown = [v for v in dict.fromkeys(map(value, others))
                        if v and v not in known]
                    result[name, field] = (
                        unknown[:self.reach_tries],
                        min(known) if known else None)
            return result
        return self.read(values)

    def test_records_not_reached(self):
        """Every page naming a record answers 404 and changes nothing for
        each record of another organisation in the database"""
        from ..page import ROUTES

        def visitors(pool):
            WebUser = pool.get('web.user')
            return [(u.id, u.organisation.id) for u in WebUser.search([
                        ('organisation', '!=', None),
                        ('password_hash', '!=', None),
                        ], order=[('id', 'ASC')])]
        before = snapshot()
        tried = 0
        for user_id, organisation_id in self.read(visitors):
            client = self.session_client(user_id)
            token = self.csrf(client)
            unreached = self.unreached(organisation_id)
            for route in ROUTES:
                if not set(route.records.values()) <= set(unreached):
                    continue
                for name, (reach, field) in route.records.items():
                    reached = {
                        n: unreached[r][1] or 1
                        for n, r in route.records.items()}
                    for value, method in product(
                            unreached[reach, field][0], route.methods):
                        path = url_of(route.path, **dict(
                                reached, **{name: value}))
                        with self.subTest(
                                user=user_id, path=path, method=method):
                            response = client.open(
                                self.url(path), method=method,
                                data={'csrf_token': token}
                                if method == 'POST' else None)
                            self.assertEqual(response.status_code, 404)
                            self.assertIn(
                                "Page introuvable", page_text(response))
                            tried += 1
        self.assertEqual(snapshot(), before)
        # The database holds records of several organisations
        self.assertGreater(tried, 0)


class PortalRouteTestMixin(LayeredDatabaseMixin, PortalClientMixin):
    """The helpers of the tests of the pages (to put before trytond's
    RouteTestCase in the bases)

    The pages are in French: the database has the French translations
    loaded, as the run command's has."""

    # The models whose tables the set-ups of the databases lock: posting an
    # invoice locks its strict sequence and its journal's period, the
    # conventions the partnerships' configuration.  Locked from the start
    # of the set-up's transaction, they do not restart it (a whole set-up
    # again) at each lock.
    setup_lock_models = [
        'ir.sequence.strict', 'account.journal.period',
        'association.partnership.configuration']

    @classmethod
    def setUpClass(cls):
        # The set-up of trytond's test case but for its database
        super(test_tryton._DBTestCase, cls).setUpClass()
        cls.activate()
        # Set the database up in a transaction that declares the tables
        # it locks (like the transactions of the server)
        extras = cls.setup_locks()
        while True:
            try:
                with Transaction().start(DB_NAME, 1, **extras):
                    cls.setUpDatabase()
            except TransactionError as exception:
                exception.fix(extras)
            else:
                break
        # Run the tasks queued by the set-up (such as the rendering of the
        # invoices' documents) as a worker would
        from trytond.worker import run_task
        transaction = Transaction()
        while transaction.tasks:
            run_task(Pool(DB_NAME), transaction.tasks.pop())
        with Transaction().start(DB_NAME, 1):
            cls.setUpDatabaseQueued()

    @classmethod
    def setup_locks(cls):
        """The extras of a transaction that locks the tables of
        setup_lock_models from its start"""
        return lock_extras(cls.setup_lock_models)

    @classmethod
    def setUpDatabaseQueued(cls):
        "Change the database once the queued tasks have run"

    def setUp(self):
        super().setUp()
        # The tests share the database: each one starts without the failed
        # sign-ins of the others, which would slow its own down (web_user
        # waits up to 2 ** failures - 1 seconds before a new password)
        with Transaction().start(DB_NAME, 0) as transaction:
            Attempt = Pool().get('web.user.authenticate.attempt')
            Attempt.delete(Attempt.search([]))
            transaction.commit()

    def menu(self, response):
        return [a.text_content() for a in parse_html(response).xpath(
                '//nav//a')]

    def assertNotFound(self, client, path, method='GET'):
        response = client.open(self.url(path), method=method)
        self.assertEqual(response.status_code, 404, path)
        self.assertIn("Page introuvable", page_text(response))
