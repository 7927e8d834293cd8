# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The desktop client (tryton, GTK 3) on a virtual screen

The client runs from the virtual environment that scripts/test makes with
Debian's PyGObject (.venv-desktop), on an Xvfb screen of its own; xdotool
types the password as a user does, and the screen is read with Pillow."""
import os
import shutil
import subprocess
import tempfile
import time

from PIL import ImageGrab

from .tools import SCREENSHOTS, TOP

TRYTON = os.path.join(TOP, '.venv-desktop', 'bin', 'tryton')
WIDTH, HEIGHT = 1400, 900


def missing():
    "What the desktop client needs and this machine lacks"
    return [name for name, found in [
            ('tryton (.venv-desktop)', os.path.exists(TRYTON)),
            ('Xvfb', shutil.which('Xvfb')),
            ('xdotool', shutil.which('xdotool')),
            ] if not found]


class Screen:
    "An Xvfb screen"

    def __init__(self):
        self.display = None
        self.process = None

    def start(self):
        # Xvfb chooses a free display and writes its number
        read, write = os.pipe()
        self.process = subprocess.Popen(
            ['Xvfb', '-displayfd', str(write), '-screen', '0',
                f'{WIDTH}x{HEIGHT}x24', '-nolisten', 'tcp'],
            pass_fds=[write], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as fp:
            self.display = ':' + fp.readline().strip()

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def xdotool(self, *args):
        return subprocess.run(
            ['xdotool', *args], env=dict(os.environ, DISPLAY=self.display),
            capture_output=True, text=True).stdout

    def screenshot(self, *names):
        path = os.path.join(SCREENSHOTS, *names[:-1])
        os.makedirs(path, exist_ok=True)
        ImageGrab.grab(xdisplay=self.display).save(
            os.path.join(path, f'{names[-1]}.png'))


class DesktopClient:
    "One run of the desktop client opening a URL"

    def __init__(self, screen, host, database, login):
        self.screen = screen
        self.home = tempfile.mkdtemp(prefix='tryton-home-')
        config = os.path.join(self.home, 'tryton.conf')
        with open(config, 'w') as fp:
            fp.write(
                "[client]\ncheck_version = False\nlang = fr\n"
                f"[login]\nprofile =\nhost = {host}\ndb = {database}\n"
                f"login = {login}\n")
        self.config = config
        self.host = host
        self.database = database
        self.process = None
        self.log = None

    def open(self, url_path, password, until, timeout=60):
        """Start the client on tryton://host/database/url_path, log in and
        wait until the client has called until (the read of the records it
        shows)"""
        # The client appends to the log (O_APPEND) and the test reads it
        # through a file of its own: a shared offset would let the client
        # write over what the test has not read yet
        path = os.path.join(self.home, 'client.log')
        output = open(path, 'ab')
        self.log = open(path, encoding='utf-8', errors='replace')
        env = dict(os.environ, DISPLAY=self.screen.display, HOME=self.home,
            LANG='fr_FR.UTF-8', NO_AT_BRIDGE='1')
        self.process = subprocess.Popen(
            [TRYTON, '-c', self.config, '-v',
                f'tryton://{self.host}/{self.database}/{url_path}'],
            env=env, stdout=output, stderr=subprocess.STDOUT)
        output.close()
        # The client tries to log in without a password, then asks for it
        self._wait(lambda: self.windows()
            and self.output().count('common.db.login') == 1, timeout,
            "the password dialog")
        time.sleep(1)
        self._wait(lambda: self._type(password), timeout, "the login")
        self._wait(lambda: until in self.output(), timeout, "the records")
        # Let the client draw what it read
        time.sleep(2)

    def _type(self, password):
        "Type the password in the dialog, once"
        if not getattr(self, '_typed', False):
            window = self.windows()[0]
            self.screen.xdotool('windowactivate', '--sync', window)
            self.screen.xdotool('type', '--delay', '20', password)
            self.screen.xdotool('key', 'Return')
            self._typed = True
        return self.output().count('common.db.login') >= 2

    def _wait(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"The desktop client stopped before {what}:\n"
                    + self.output()[-3000:])
            if condition():
                return
            time.sleep(0.5)
        self.screen.screenshot('desktop-client', 'timeout')
        raise AssertionError(
            f"The desktop client did not show {what} in {timeout} s; "
            "the last calls and errors:\n" + "\n".join(
                line[:300] for line in self.output().splitlines()[-8:]))

    def windows(self):
        "The visible windows of the client"
        return self.screen.xdotool(
            'search', '--onlyvisible', '--pid', str(self.process.pid),
            '--name', '.').split()

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def errors(self):
        "The errors that the client logged"
        return [line for line in self.output().splitlines()
            if line.startswith(('ERROR', 'CRITICAL', 'Traceback'))
            or 'Error:' in line]

    def close(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log:
            self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)
