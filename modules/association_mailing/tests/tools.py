# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the tests and scenarios of the mailings"

# The modules of the test database beside the module: the memberships'
# (with their own extras, so that it is built on theirs), the events and
# the partnerships
EXTRAS = [
    'account_fr', 'account_payment_sepa', 'association_event',
    'association_membership', 'association_partnership']


def activate_mailing(*setup):
    """Activate the module with the memberships and the events, as the
    module's test case does (the database is shared), then run the set-up
    functions; return proteus' config"""
    from trytond.modules.association.tests.tools import activate
    return activate('association_mailing', *setup, extras=EXTRAS)


def import_hauts_de_seine(config):
    """Import the 36 communes of the Hauts-de-Seine of the 2026 official
    data (a set-up function)"""
    from trytond.modules.association.tests.tools import (
        dump_official_file, import_official_data, load_official_file)
    communes = [r for r in load_official_file('communes.json')
        if r.get('departement') == '92']
    import_official_data(dump_official_file(communes))


def create_membership_type(config, name="Commune", code='C'):
    "Return a membership type with its service product"
    from proteus import Model
    ModelData = Model.get('ir.model.data')
    Template = Model.get('product.template')
    Type = Model.get('association.membership.type')
    Uom = Model.get('product.uom')
    unit = Uom(ModelData.get_id('product', 'uom_unit', config.context))
    template = Template(name="Cotisation", type='service', default_uom=unit)
    template.save()
    product, = template.products
    type_ = Type(name=name, code=code, product=product)
    type_.save()
    return type_


def holding_mail_sink(hold, refused=()):
    """Return a mail server of the test (MailSink of the events) that
    refuses the addresses of refused and keeps the e-mail to the address
    hold waiting, as a slow server would, until release() is called; then
    it refuses it for now (451); it keeps the sender of each envelope"""
    import asyncio

    from trytond.modules.association_event.tests.tools import MailSink

    class HoldingMailSink(MailSink):

        def __init__(self):
            super().__init__(refused=refused)
            self.hold = hold
            self.holding = False
            self.released = False
            # The sender of the envelope of each e-mail, by its recipients
            self.senders = {}

        async def handle_DATA(self, server, session, envelope):
            self.senders[tuple(envelope.rcpt_tos)] = envelope.mail_from
            if self.hold in envelope.rcpt_tos and not self.released:
                self.holding = True
                while not self.released:
                    await asyncio.sleep(0.02)
                return '451 4.3.0 Try again later'
            return await super().handle_DATA(server, session, envelope)

        def release(self):
            self.released = True

    return HoldingMailSink()


def timed_mail_sink():
    """Return a mail server of the test (MailSink of the events) that also
    keeps, for each e-mail, the moment it received it and the connection
    (the client's address and port) that brought it: in times, a list of
    (time.time(), connection, recipients)"""
    import time

    from trytond.modules.association_event.tests.tools import MailSink

    class TimedMailSink(MailSink):

        def __init__(self):
            super().__init__()
            self.times = []

        async def handle_DATA(self, server, session, envelope):
            self.times.append(
                (time.time(), session.peer, list(envelope.rcpt_tos)))
            return await super().handle_DATA(server, session, envelope)

    return TimedMailSink()


def queue_workers(config, log=None):
    """Return the Worker of the memberships' tests that runs trytond-worker
    (start(name, processes)) on the database of config, as in production:
    PostgreSQL only, its processes take their tasks with row locks"""
    import os
    import signal
    import subprocess
    import sys

    import trytond.config as trytond_config
    from trytond.modules.association_membership.tests.tools import Worker

    class QueueWorkers(Worker):

        def start(self, name=None, processes=2):
            env = dict(os.environ,
                TRYTOND_DATABASE__URI=self.uri,
                TRYTOND_QUEUE__WORKER='True',
                TRYTOND_EMAIL__URI=trytond_config.get('email', 'uri'))
            bindir = os.path.dirname(sys.executable)
            command = [os.path.join(bindir, 'trytond-worker'),
                '-d', self.name, '-n', str(processes), '-t', '1']
            if name:
                command += ['--name', name]
            self.process = subprocess.Popen(command, env=env,
                stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                start_new_session=True)

        def stop(self):
            "Stop the worker and its processes"
            if self.process is None or self.process.poll() is not None:
                return
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    return QueueWorkers(config, None)
