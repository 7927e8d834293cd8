# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the scenarios"
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from functools import partial

from proteus import Model
from stdnum import luhn


def siret(siren):
    "Return a valid SIRET of the first establishment of siren"
    for nic in range(10, 100000, 10):
        code = f'{siren}{nic:05d}'[:-1]
        code += luhn.calc_check_digit(code)
        if luhn.is_valid(code):
            return code


def setup_association(config):
    "Set the association's name, address and SIRET up"
    from trytond.modules.company.tests.tools import get_company
    company = get_company()
    party = company.party
    party.name = "Association des maires de l'Essonne"
    address, = party.addresses
    address.street = "1 rue de la République"
    address.postal_code = '91000'
    address.city = "Évry-Courcouronnes"
    identifier = party.identifiers.new(type='fr_siret')
    identifier.code = siret('775672272')
    identifier.address = address
    party.save()


def import_idf(config, year=None):
    "Import the communes and EPCI of Île-de-France for year (this year)"
    from trytond.modules.association.tests.tools import (
        import_official_data, read_official_file)
    if year is None:
        year = dt.date.today().year
    import_official_data(
        read_official_file('communes.json'),
        read_official_file('epci.json'), year=year)


def activate_membership():
    """Activate the module with the French chart of accounts and SEPA direct
    debit, the association's fiscal year, the official data of
    Île-de-France of this year with the contours of its communes, as every
    scenario of the module starts (the test databases have the French
    translations); return proteus' config"""
    from trytond.modules.association.tests.tools import (
        activate, import_contours, setup_accounting)
    from trytond.modules.company.tests.tools import create_company
    return activate('association_membership',
        partial(create_company, currency='EUR'), setup_accounting,
        setup_association, import_idf, import_contours,
        extras=['account_fr', 'account_payment_sepa'])


def create_dues_product(config, code='706'):
    "Return the service product of the dues on the revenue account code"
    Account = Model.get('account.account')
    Category = Model.get('product.category')
    Template = Model.get('product.template')
    Uom = Model.get('product.uom')
    revenue, = Account.find([('code', '=', code)])
    category = Category(name="Cotisations")
    category.accounting = True
    category.account_revenue = revenue
    category.save()
    ModelData = Model.get('ir.model.data')
    unit = Uom(ModelData.get_id('product', 'uom_unit', config.context))
    template = Template(name="Membership Dues", type='service',
        default_uom=unit, account_category=category)
    template.list_price = Decimal(0)
    template.save()
    product, = template.products
    return product


def create_commune_rule(type_, year, population_year=None):
    "Return the brackets rule of the communes"
    Rule = Model.get('association.dues.rule')
    rule = Rule(type=type_, year=year, population_basis='municipal',
        population_year=population_year)
    rule.minimum = Decimal(50)
    rule.maximum = Decimal(5000)
    rule.rounding = Decimal(1)
    rule.proration = 'month'
    for start, end, fixed, rate in [
            (0, 999, 50, '0'),
            (1000, 9999, 100, '0.10'),
            (10000, 49999, 500, '0.06'),
            (50000, None, 1500, '0.04')]:
        rule.brackets.new(population_from=start, population_to=end,
            fixed_amount=Decimal(fixed), rate=Decimal(rate))
    rule.save()
    return rule


def create_epci_rule(type_, year):
    "Return the rule of the EPCI: a rate on the total population"
    Rule = Model.get('association.dues.rule')
    rule = Rule(type=type_, year=year, population_basis='total')
    rule.minimum = Decimal(500)
    rule.maximum = Decimal(10000)
    rule.rounding = Decimal(1)
    rule.brackets.new(population_from=0, population_to=None,
        fixed_amount=Decimal(0), rate=Decimal('0.02'))
    rule.save()
    return rule


def add_addresses(parties):
    "Give each party an invoicing address in its commune"
    Party = Model.get('party.party')
    for party in parties:
        address, = party.addresses or [party.addresses.new()]
        address.street = "Hôtel de ville"
        address.city = party.name
        address.invoice = True
    Party.save(parties)


def prepare_campaign(config, year, departement='FR-92'):
    """Create the types, rules and last year's memberships of the communes
    of departement (imported by activate_membership); return the types and
    the communes"""
    Membership = Model.get('association.membership')
    Party = Model.get('party.party')
    Type = Model.get('association.membership.type')
    communes = Party.find([
            ('kind', '=', 'commune'),
            ('departement.code', '=', departement),
            ])
    add_addresses(communes)
    product = create_dues_product(config)
    commune_type = Type(name="Commune", code='C', product=product)
    commune_type.save()
    create_commune_rule(commune_type, year)
    Membership.create([{
                'party': c.id,
                'type': commune_type.id,
                'year': year - 1,
                'join_date': dt.date(year - 1, 1, 1),
                } for c in communes], config.context)
    return commune_type, communes


def run_queue(database_name, name=None):
    """Run the queued tasks of the database (of the queue name or all) one
    after the other as trytond-worker does: each task is taken (committed
    at once) and run in its own transaction; return when no task is
    left"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.worker import run_task
    pool = Pool(database_name)
    try:
        Queue = pool.get('ir.queue')
    except KeyError:
        # Initialised once: a second init makes new classes, which the
        # records of the scenario are not instances of
        with Transaction().start(database_name, 0, readonly=True):
            pool.init()
        Queue = pool.get('ir.queue')
    while True:
        # Queue.pull of trytond 8.0 fails on SQLite without RETURNING
        with Transaction().start(database_name, 0) as transaction:
            domain = [('dequeued_at', '=', None)]
            if name:
                domain.append(('name', '=', name))
            tasks = Queue.search(domain, order=[('id', 'ASC')], limit=1)
            if not tasks:
                break
            task, = tasks
            task.dequeued_at = dt.datetime.now()
            task.save()
            transaction.commit()
        run_task(database_name, task.id)


class Worker:
    """A process that runs the queued tasks of the scenario's database

    On SQLite, the in-memory database of the scenario is copied into a file
    of folder for the process and copied back when it ends."""

    def __init__(self, config, folder):
        import trytond.config as trytond_config
        self.config = config
        self.memory = config.database_name == ':memory:'
        if self.memory:
            self.name = 'worker'
            self.folder = folder
        else:
            self.name = config.database_name
            self.folder = trytond_config.get('database', 'path')
        self.uri = trytond_config.get('database', 'uri')
        self.process = None

    def _copy(self, to_file):
        import sqlite3

        from trytond import backend
        memory = backend.Database(self.config.database_name).connect()._conn
        path = os.path.join(self.folder, self.name + '.sqlite')
        file = sqlite3.connect(path)
        try:
            if to_file:
                memory.backup(file)
            else:
                file.backup(memory)
        finally:
            file.close()

    def start(self, name=None):
        "Start running the tasks of the queue name or of all the queues"
        if self.memory:
            self._copy(True)
        env = dict(os.environ,
            TRYTOND_DATABASE__URI=self.uri,
            TRYTOND_DATABASE__PATH=self.folder,
            TRYTOND_QUEUE__WORKER='True')
        self.process = subprocess.Popen(
            [sys.executable, '-m', __name__, self.name, *filter(None, [name])],
            env=env)

    def count(self, query):
        "Return the number that the SQL query counts in the shared database"
        if self.memory:
            import sqlite3
            path = os.path.join(self.folder, self.name + '.sqlite')
            with sqlite3.connect(path, timeout=30) as connection:
                count, = connection.execute(query).fetchone()
            connection.close()
            return count
        from trytond.transaction import Transaction
        with Transaction().start(self.name, 0, readonly=True) as transaction:
            cursor = transaction.connection.cursor()
            cursor.execute(query)
            count, = cursor.fetchone()
            return count

    def wait_for(self, query, timeout=60):
        "Wait until the SQL query counts something while the worker runs"
        started = time.monotonic()
        while not self.count(query):
            if self.process.poll() is not None:
                raise RuntimeError("The worker ended")
            if time.monotonic() - started > timeout:
                raise RuntimeError("Nothing was counted in time")
            time.sleep(0.05)

    def kill(self):
        "Kill the process at once, as a crash or an out-of-memory would"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        if self.memory:
            self._copy(False)

    def join(self, timeout=120):
        "Wait until the process has run every task"
        returncode = self.process.wait(timeout)
        if self.memory:
            self._copy(False)
        return returncode


if __name__ == '__main__':
    run_queue(*sys.argv[1:])
