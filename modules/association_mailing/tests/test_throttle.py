# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The throttle of the mailings shared by two worker processes

Two processes of trytond-worker send a mailing, in batches of two, through
a mail server of the test under a throttle of a few e-mails a second: the
moments at which the server receives them keep to the throttle although
both processes send side by side, and nobody receives the mailing twice."""
import datetime as dt
import tempfile
import unittest
from collections import Counter

import trytond.config as trytond_config
from trytond import backend

# E-mails a second, and the recipients: about three seconds of sending
THROTTLE = 8
RECIPIENTS = 24
# The receipt of an e-mail lags its slot by the rendering and the SMTP
# dialogue, more or less from one e-mail to the next on a busy machine:
# the allowance of that jitter over the whole sending, in seconds
JITTER = 0.4


@unittest.skipIf(backend.name != 'postgresql',
    "trytond-worker takes its tasks with the row locks of PostgreSQL")
class ThrottleTestCase(unittest.TestCase):
    "Test the throttle of the mailings with two workers"

    def test_two_workers(self):
        "Two workers together keep to the throttle and send each e-mail once"
        from proteus import Model

        from .tools import activate_mailing, queue_workers, timed_mail_sink

        config = activate_mailing()
        mails = timed_mail_sink().start()
        self.addCleanup(mails.stop)
        # The workers load the pool while the mailing is written
        log = tempfile.TemporaryFile(mode='w+')
        self.addCleanup(log.close)
        workers = queue_workers(config, log)
        workers.start('association_mailing', processes=2)
        self.addCleanup(workers.stop)

        Audience = Model.get('association.mailing.audience')
        Configuration = Model.get('association.mailing.configuration')
        Message = Model.get('marketing.email.message')
        Party = Model.get('party.party')
        configuration = Configuration(1)
        configuration.batch_size = 2
        configuration.throttle = THROTTLE
        configuration.save()
        epci = Party(name="Communauté de communes du Val", kind='epci')
        epci.save()
        delegates = []
        for i in range(RECIPIENTS):
            delegate = Party(name=f"Délégué {i:02d}", kind='person')
            delegate.contact_mechanisms.new(
                type='email', value=f'delegue{i:02d}@val.example')
            delegate.mandates.new(authority=epci,
                office='community_delegate', start_date=dt.date(2020, 7, 1))
            delegates.append(delegate)
        Party.save(delegates)
        audience = Audience(name="Délégués communautaires")
        rule = audience.rules.new(source='official')
        rule.offices = ['community_delegate']
        audience.save()
        message = Message(audience=audience, title="Lettre d'information")
        message.content = '<p>${civility}, voici les nouvelles.</p>'
        message.save()
        # The batches are left to the workers
        trytond_config.set('queue', 'worker', 'True')
        try:
            message.click('send')
        finally:
            trytond_config.set('queue', 'worker', 'False')
        message_id = message.id

        try:
            workers.wait_for(
                "SELECT COUNT(*) FROM marketing_email_message "
                f"WHERE id = {message_id} AND state = 'sent'")
        except RuntimeError:
            log.seek(0)
            self.fail("The workers did not send the mailing:\n"
                + log.read()[-3000:])
        workers.stop()

        # Each delegate received it once and every line is sent
        counts = Counter(a for _, _, tos in mails.times for a in tos)
        self.assertEqual(len(counts), RECIPIENTS)
        self.assertEqual(set(counts.values()), {1})
        self.assertEqual(workers.count(
                "SELECT COUNT(*) FROM association_mailing_recipient "
                f"WHERE message = {message_id} AND state = 'sent'"),
            RECIPIENTS)

        # Both workers sent: a connection (one per batch) brought e-mails
        # while another one did
        spans = {}
        for moment, peer, _ in mails.times:
            first, last = spans.get(peer, (moment, moment))
            spans[peer] = (min(first, moment), max(last, moment))
        spans = sorted(spans.values())
        self.assertTrue(
            any(b[0] < a[1] for a, b in zip(spans, spans[1:])),
            "The batches were sent one after the other")

        # Together they kept to the throttle: the slots of the e-mails are
        # 1 / THROTTLE apart, so that any run of e-mails took at least as
        # many slots, less the jitter of their receipt
        times = sorted(moment for moment, _, _ in mails.times)
        for i, start in enumerate(times):
            for j in range(i + 1, len(times)):
                self.assertGreaterEqual(times[j] - start,
                    (j - i) / THROTTLE - JITTER,
                    f"E-mails {i} to {j} came faster than the throttle")
