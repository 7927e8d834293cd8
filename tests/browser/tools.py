# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The server and the browser shared by the browser tests

The server is the README's run command (scripts/run: every module, the
demo data, trytond with the web client and the portal) on a database of
its own and a free port.  It starts once, for the first test that asks for
it, and stops when the tests end; the test command starts it itself and
gives its folder and port (CONCORDE_BROWSER_WORKDIR and
CONCORDE_BROWSER_PORT) to the browser tests, which it runs in two
processes.  The browser is Debian's chromium, driven by Playwright (never a
browser download)."""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
SCREENSHOTS = os.path.join(TOP, 'tests', 'screenshots')
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
    '--disable-quic']
DATABASE = 'browser'
# Each state of a page is drawn at once, as Playwright's screenshots do when
# they disable animations: without CSS transitions and animations, without
# jQuery's animations, and bootstrap shows its tabs and dialogs without
# waiting for the end of a transition (as in a browser without them).  The
# tests see the same states, and Chromium does not draw the frames in
# between (a third of its work in a walk through the web client).
STILL = """
document.addEventListener('DOMContentLoaded', () => {
    const style = document.createElement('style');
    style.textContent = '*, *::before, *::after { '
        + 'transition: none !important; animation: none !important; }';
    document.head.appendChild(style);
    if (window.jQuery) {
        jQuery.fx.off = true;
        Object.defineProperty(jQuery.support, 'transition', {
            get: () => false, set: () => {}});
    }
});
"""
START_TIMEOUT = 600


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def port_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
        return True


class Server:
    "scripts/run on a folder of its own"

    def __init__(self, workdir=None, port=None):
        """On a new folder and a free port, or on those of a server started
        by another process"""
        self.workdir = workdir or tempfile.mkdtemp(
            prefix='browser-', dir=os.environ.get('CONCORDE_TEST_WORKDIR'))
        # The run command's mailbox listens on the port + 25
        self.port = port or free_port()
        while not port and not port_free(self.port + 25):
            self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}/'
        self.database = DATABASE
        self.var = os.path.join(self.workdir, 'var')
        self.log = open(os.path.join(self.workdir, 'server.log'), 'a+')
        self.process = None

    @property
    def env(self):
        "The environment of the run command"
        env = dict(os.environ,
            CONCORDE_VAR=self.var,
            CONCORDE_DATABASE=DATABASE)
        for name in ['TRYTOND_WEB__LISTEN', 'TRYTOND_EMAIL__URI',
                'TRYTOND_DATABASE_URI', 'TRYTOND_DATABASE__URI']:
            env.pop(name, None)
        return env

    @property
    def admin_password(self):
        "The password that the run command gave the administrator"
        with open(os.path.join(self.var, 'admin-password')) as fp:
            return fp.read().strip()

    def start(self):
        self.process = subprocess.Popen(
            [os.path.join(TOP, 'scripts', 'run'), '--port', str(self.port)],
            cwd=TOP, env=self.env,
            stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(
                    "scripts/run stopped:\n" + self.log.read()[-3000:])
            try:
                with socket.create_connection(
                        ('127.0.0.1', self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(
            f"The server did not start in {START_TIMEOUT} s")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None
        if not self.log.closed:
            self.log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


_server = None


class RunningServer:
    """A server already running at CONCORDE_BROWSER_URL (for example
    scripts/run), to try the browser tests again while working on them"""

    def __init__(self, url):
        self.url = url.rstrip('/') + '/'
        self.database = os.environ.get('CONCORDE_BROWSER_DATABASE', 'concorde')
        self.workdir = tempfile.mkdtemp(prefix='browser-')
        self.var = os.path.join(TOP, 'var')
        with open(os.path.join(self.var, 'admin-password')) as fp:
            self.admin_password = fp.read().strip()


def server():
    "Return the server of the run command, started at the first call"
    global _server
    if _server is None and os.environ.get('CONCORDE_BROWSER_URL'):
        _server = RunningServer(os.environ['CONCORDE_BROWSER_URL'])
    if _server is None and os.environ.get('CONCORDE_BROWSER_WORKDIR'):
        # Started and stopped by the test command
        _server = Server(
            os.environ['CONCORDE_BROWSER_WORKDIR'],
            int(os.environ['CONCORDE_BROWSER_PORT']))
    if _server is None:
        _server = Server()
        try:
            _server.start()
        except Exception:
            _server.stop()
            _server = None
            raise
        atexit.register(_server.stop)
    return _server


class Browser:
    "Headless Chromium driven by Playwright"

    def __init__(self, workdir):
        from playwright.sync_api import sync_playwright
        self.playwright = sync_playwright().start()
        try:
            # Chromium keeps its profile under its own HOME
            self.browser = self.playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                env=dict(os.environ, HOME=os.path.join(workdir, 'chromium')))
        except Exception:
            self.playwright.stop()
            raise

    def new_page(self, width=1280, height=900):
        context = self.browser.new_context(
            viewport={'width': width, 'height': height}, locale='fr-FR',
            accept_downloads=True)
        context.add_init_script(STILL)
        return context, context.new_page()

    def close(self):
        self.browser.close()
        self.playwright.stop()


def screenshot(page, name, full_page=True):
    "Keep a screenshot of the page in tests/screenshots/"
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(
        path=os.path.join(SCREENSHOTS, f'{name}.png'), full_page=full_page)
