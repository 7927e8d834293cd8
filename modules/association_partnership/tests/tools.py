# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import socketserver
import threading
from decimal import Decimal
from functools import partial
from email import message_from_bytes, policy

from proteus import Model

from trytond.modules.account_fr.tests.tools import get_accounts

__all__ = [
    'activate_partnership', 'create_sponsorship_product', 'SMTPServer']


def activate_partnership(*setup):
    """Activate the module with the French chart of accounts and the banks,
    as the module's test case does (the database is shared), for an
    association that keeps its accounts in euros, with the fiscal year of
    today; then run the set-up functions and return proteus' config"""
    from trytond.modules.association.tests.tools import (
        activate, setup_accounting)
    from trytond.modules.company.tests.tools import create_company
    return activate('association_partnership',
        partial(create_company, currency='EUR'), setup_accounting,
        *setup, extras=['account_fr', 'bank'])


def create_sponsorship_product(name="Partenariat", config=None):
    "Create a service product invoiced with 20% VAT on account 706"
    Account = Model.get('account.account', config=config)
    ModelData = Model.get('ir.model.data', config=config)
    ProductCategory = Model.get('product.category', config=config)
    ProductTemplate = Model.get('product.template', config=config)
    ProductUom = Model.get('product.uom', config=config)
    Tax = Model.get('account.tax', config=config)

    accounts = get_accounts(config=config)
    revenue, = Account.find([
            ('code', '=', '706'),
            ('company', '=', accounts['revenue'].company.id),
            ])
    vat, = Tax.find([
            ('template', '=', ModelData.get_id(
                    'account_fr', 'tva_vente_services_taux_normal',
                    config.context if config else {})),
            ])
    category = ProductCategory(name="Partenariats")
    category.accounting = True
    category.account_revenue = revenue
    category.customer_taxes.append(vat)
    category.save()

    unit, = ProductUom.find([('name', '=', "Unit")])
    template = ProductTemplate(name=name, type='service')
    template.default_uom = unit
    template.list_price = Decimal(0)
    template.account_category = category
    template.save()
    product, = template.products
    return product


class _SMTPHandler(socketserver.StreamRequestHandler):
    "Speak the few SMTP commands smtplib sends"

    def reply(self, line):
        self.wfile.write(line.encode('ascii') + b'\r\n')

    def handle(self):
        self.reply('220 localhost SMTP')
        recipients = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode('ascii', 'replace').strip()
            verb = command[:4].upper()
            if verb in {'EHLO', 'HELO'}:
                self.reply('250 localhost')
            elif verb == 'MAIL':
                recipients = []
                self.reply('250 OK')
            elif verb == 'RCPT':
                recipients.append(command.split(':', 1)[1].strip(' <>'))
                self.reply('250 OK')
            elif verb == 'DATA':
                self.reply('354 End data with <CR><LF>.<CR><LF>')
                data = []
                while True:
                    line = self.rfile.readline()
                    if line in {b'.\r\n', b'.\n', b''}:
                        break
                    if line.startswith(b'..'):
                        line = line[1:]
                    data.append(line)
                message = message_from_bytes(
                    b''.join(data), policy=policy.default)
                self.server.messages.append((recipients, message))
                self.reply('250 OK')
            elif verb == 'QUIT':
                self.reply('221 Bye')
                return
            else:
                self.reply('250 OK')


class SMTPServer(socketserver.ThreadingTCPServer):
    """A real SMTP server on 127.0.0.1 that keeps the messages it receives

    Use it to check the e-mails trytond.sendmail sends without a mail
    server: set the [email] uri to server.uri."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(('127.0.0.1', 0), _SMTPHandler)
        self.messages = []
        self._thread = threading.Thread(
            target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def uri(self):
        return 'smtp://127.0.0.1:%s' % self.server_address[1]

    def close(self):
        self.shutdown()
        self.server_close()
