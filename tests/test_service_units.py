# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The systemd units of config/systemd, as systemd reads them"""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNITS = os.path.join(TOP, 'config', 'systemd')


class ServiceUnitsTestCase(unittest.TestCase):
    "Test the service units"

    def units(self):
        return sorted(glob.glob(os.path.join(UNITS, 'concorde*.service')))

    def read(self, path):
        with open(path) as fp:
            return fp.read()

    def test_restart(self):
        "Each service is started again when it dies and stops as a whole"
        for path in self.units():
            with self.subTest(unit=os.path.basename(path)):
                text = self.read(path)
                self.assertIn('\nRestart=always\n', text)
                self.assertIn('\nKillMode=control-group\n', text)
                self.assertIn('\nPartOf=concorde.target\n', text)
                self.assertIn('EnvironmentFile=/etc/concorde/concorde.env',
                    text)
        target = self.read(os.path.join(UNITS, 'concorde.target'))
        for path in self.units():
            self.assertIn(os.path.basename(path), target)

    def test_environment(self):
        "The environment file gives every variable the units use"
        env = self.read(os.path.join(UNITS, 'concorde.env'))
        given = set(re.findall(r'^([A-Z_]+)=', env, re.M))
        for path in self.units():
            used = set(re.findall(r'\$\{([A-Z_]+)\}', self.read(path)))
            self.assertLessEqual(used, given, os.path.basename(path))

    def test_verify(self):
        "systemd-analyze verify accepts the units"
        analyze = shutil.which('systemd-analyze')
        self.assertTrue(analyze,
            "systemd-analyze is missing (scripts/test installs systemd)")
        folder = tempfile.mkdtemp(prefix='units-')
        self.addCleanup(shutil.rmtree, folder)
        for path in self.units() + [os.path.join(UNITS, 'concorde.target')]:
            text = self.read(path)
            # The programs of the virtual environment of /opt/concorde and
            # the user of a production machine are not on the test machine
            text = re.sub(r'/opt/concorde/\.venv/bin/\S+', '/bin/true', text)
            text = text.replace('/etc/concorde/concorde.env',
                os.path.join(UNITS, 'concorde.env'))
            text = re.sub(r'^(User|Group)=concorde$', r'\1=root', text,
                flags=re.M)
            text = text.replace('WorkingDirectory=/opt/concorde',
                f'WorkingDirectory={folder}')
            with open(os.path.join(folder, os.path.basename(path)),
                    'w') as fp:
                fp.write(text)
        process = subprocess.run(
            [analyze, 'verify', *sorted(glob.glob(
                        os.path.join(folder, 'concorde*')))],
            capture_output=True, text=True,
            env=dict(os.environ, SYSTEMD_LOG_LEVEL='warning'))
        self.assertEqual(process.returncode, 0, process.stderr)
        self.assertEqual(process.stderr.strip(), '')
