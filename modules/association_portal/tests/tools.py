# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the tests and scenarios of the portal"
import email
import email.policy
import re
import socketserver
import threading
import urllib.parse

from lxml import html as lxml_html

import trytond.config as config

# The modules the portal shows: the test cases of their pages all activate
# them (in French), so that they share one cached database
EXTRAS = [
    'account_invoice', 'account_payment', 'association_event',
    'association_matchmaking', 'association_membership',
    'association_partnership']


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
