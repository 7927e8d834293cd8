# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a newcomer sees of scripts/run: the addresses and logins on the
port asked, no traceback, the demo's e-mails kept in var/mail, and a
second start that does not set up again"""
import email
import email.policy
import glob
import os
import subprocess
import unittest

from .tools import TOP, Server, server


class RunCommandTestCase(unittest.TestCase):
    "Test the run command"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = server()
        if not isinstance(cls.server, Server):
            raise unittest.SkipTest(
                "the output of scripts/run is known only when the tests "
                "start it")

    def output(self):
        with open(self.server.log.name) as fp:
            return fp.read()

    def test_first_run(self):
        "The first run prints the addresses on its port and no traceback"
        output = self.output()
        port = self.server.port
        self.assertIn(
            f"Concorde runs on http://localhost:{port}/ (web client)",
            output)
        self.assertIn(
            f"Partners' portal: http://localhost:{port}/browser/portal/",
            output)
        self.assertIn(
            f"The e-mails are kept in {self.server.var}/mail", output)
        self.assertNotIn('Traceback', output)
        self.assertNotIn('Error', output)

    def test_mailbox(self):
        "The dues letters of the demo campaign are in the mailbox, in French"
        messages = []
        for filename in sorted(glob.glob(
                    os.path.join(self.server.var, 'mail', '*.eml'))):
            with open(filename, 'rb') as fp:
                messages.append(email.message_from_binary_file(
                        fp, policy=email.policy.default))
        # Each e-mail has a plain-text part, for the readers and the mail
        # filters that do not take HTML alone
        self.assertEqual(
            [m['Subject'] for m in messages
                if m.get_body(('plain',)) is None], [])
        # Each e-mail once (the scheduler runs each task once)
        contents = [
            (m['To'], m['Subject'], m.get_body(('plain',)).get_content())
            for m in messages]
        self.assertEqual(len(contents), len(set(contents)), contents)
        subjects = [m['Subject'] for m in messages]
        self.assertTrue(
            any(s.startswith('Cotisation') for s in subjects), subjects)
        letter = next(m for m in messages
            if m['Subject'].startswith('Cotisation'))
        self.assertTrue(any(
                part.get_content_type() == 'application/pdf'
                for part in letter.iter_attachments()))

    def test_start_again(self):
        "A second set-up with nothing changed does nothing"
        process = subprocess.run(
            [os.path.join(TOP, 'scripts', 'run'), '--setup', '--port',
                str(self.server.port)],
            cwd=TOP, env=self.server.env, capture_output=True, text=True,
            timeout=300)
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertIn("Up to date", process.stdout)
        self.assertNotIn("Demo data", process.stdout)

    def test_bad_port(self):
        "A port that is not a number is refused"
        process = subprocess.run(
            [os.path.join(TOP, 'scripts', 'run'), '--port', 'huit-mille'],
            cwd=TOP, env=self.server.env, capture_output=True, text=True,
            timeout=60)
        self.assertEqual(process.returncode, 2)
        self.assertIn("The port must be a number", process.stderr)
