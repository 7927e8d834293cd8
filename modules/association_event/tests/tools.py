# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the scenarios"
import datetime as dt
import socket


# The modules of the test database beside the module: the partnerships, with
# the French chart of accounts and the banks of their own tests, so that the
# database is built on theirs
EXTRAS = ['association_partnership', 'account_fr', 'bank']


def create_person(name, email=None, authority=None, office='mayor',
        start_date=dt.date(2020, 7, 1), config=None):
    "Create a person with an e-mail and, with an authority, a mandate"
    from proteus import Model
    Party = Model.get('party.party', config=config)
    person = Party(name=name, kind='person')
    if email:
        person.contact_mechanisms.new(type='email', value=email)
    if authority:
        person.mandates.new(
            authority=authority, office=office, start_date=start_date)
    person.save()
    return person


def create_organisation(name, kind='company', config=None):
    from proteus import Model
    Party = Model.get('party.party', config=config)
    organisation = Party(name=name, kind=kind)
    organisation.save()
    return organisation


def activate_event(*setup):
    """Activate the module with the partnerships, as the module's test case
    does (the database is shared), then run the set-up functions; return
    proteus' config"""
    from trytond.modules.association.tests.tools import activate
    return activate(
        'association_event', *setup, extras=EXTRAS)


def import_essonne(config):
    """Import the communes of Essonne of the 2026 official data with their
    contours (a set-up function)"""
    from trytond.modules.association.tests.tools import (
        dump_official_file, import_official_data, load_official_file)
    communes = [r for r in load_official_file('communes.json')
        if r.get('departement') == '91']
    import_official_data(dump_official_file(communes), contours=True)


class MailSink:
    """An SMTP server on the loopback that keeps the messages it receives
    and refuses the recipients of refused, for the scenarios that check
    what was sent; it speaks SMTPUTF8 unless told not to"""

    def __init__(self, refused=(), smtputf8=True):
        self.refused = {a.casefold() for a in refused}
        self.smtputf8 = smtputf8
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.casefold() in self.refused:
            return '550 5.1.1 Mailbox unavailable'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return '250 OK'

    def start(self):
        "Start the server and make trytond send its e-mails to it"
        from aiosmtpd.controller import Controller

        import trytond.config as config
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        self.controller = Controller(
            self, hostname='127.0.0.1', port=port,
            enable_SMTPUTF8=self.smtputf8)
        self.controller.start()
        self.uri = config.get('email', 'uri')
        config.set('email', 'uri', f'smtp://127.0.0.1:{port}')
        return self

    def stop(self):
        import trytond.config as config
        self.controller.stop()
        config.set('email', 'uri', self.uri)

    def recipients(self):
        return sorted(a for tos, _ in self.messages for a in tos)

    def clear(self):
        del self.messages[:]
