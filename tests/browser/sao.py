# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Drive the web client (sao) as a user does, and catch what breaks it

A WebClient wraps a Playwright page logged in to sao.  It records every
error that the page raises or writes to the browser console, opens the
entries of the menu the way a double click does, and switches the views of
a tab with the toolbar's buttons."""
import os
import re
import time
import unicodedata

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from .tools import SCREENSHOTS

# sao asks for the translations of the browser's full locale (fr_FR) before
# those of its language (fr), which it has: not an error of the views
OPTIONAL_FILES = re.compile(r'/locale/[a-z]{2}_[A-Z]{2}\.json$')
TIMEOUT = 30
# The lists that fit the tab of a laptop's screen (1,400 px) without
# scrolling sideways: those of the association's models (Tryton's own lists
# are as Tryton draws them)
FITTING_MODELS = re.compile(r'^(association\.|party\.party$)')
# The wizards of the page, kept to know when one sets its form up: until
# then sao ignores its buttons, as a double click's second one (a wizard
# that ended stays "processing")
TRACK_WIZARDS = """
document.addEventListener('DOMContentLoaded', () => {
    if (!window.Sao || !Sao.Wizard) {
        return;
    }
    window.concordeWizards = [];
    const init = Sao.Wizard.prototype.init;
    Sao.Wizard.prototype.init = function() {
        window.concordeWizards.push(this);
        return init.apply(this, arguments);
    };
});
"""


class WebClientError(AssertionError):
    pass


class WebClient:
    "A user of the web client in a Playwright page"

    def __init__(self, page, url):
        self.page = page
        self.url = url
        self.errors = []
        page.add_init_script(TRACK_WIZARDS)
        page.on('console', self._console)
        page.on('pageerror', lambda error: self.errors.append(
                f"page error: {error}"))

    def _console(self, message):
        if message.type != 'error':
            return
        url = message.location.get('url') or ''
        if (message.text.startswith('Failed to load resource')
                and OPTIONAL_FILES.search(url)):
            return
        self.errors.append(f"console: {message.text} ({url})")

    def take_errors(self):
        errors, self.errors = self.errors, []
        return errors

    def login(self, login, password, database=None):
        "Log in through the two dialogs of sao, on database when given"
        page = self.page
        page.goto(self.url)
        page.wait_for_selector('#login', timeout=TIMEOUT * 1000)
        if database:
            expect(page.locator('input#database')).to_have_value(database)
        page.fill('#login', login)
        page.keyboard.press('Enter')
        # trytond answers a login without password (sao's first call) after
        # a random delay of up to 2 ** n - 1 seconds, n the failed attempts
        # of the login in the last hour: up to 31 s after 5
        page.wait_for_selector(
            'input[type=password]:visible', timeout=3 * TIMEOUT * 1000)
        page.fill('input[type=password]:visible', password)
        page.keyboard.press('Enter')
        page.locator('#menu tbody tr:visible').first.wait_for(
            timeout=TIMEOUT * 1000)
        self.wait()

    def reload(self):
        """Start again from the menu after a failure: the session is kept
        and the tabs that sao opens again are closed"""
        self.page.reload()
        self.page.locator('#menu tbody tr:visible').first.wait_for(
            timeout=TIMEOUT * 1000)
        self.wait()
        self.page.evaluate("() => { Sao.Tab.tabs.close(false); }")
        self.page.wait_for_function(
            "() => Sao.Tab.tabs.length == 0", timeout=TIMEOUT * 1000)
        self.take_errors()

    def wait(self, timeout=TIMEOUT):
        """Wait until no request of the client is running and no wizard
        sets its form up (twice, for the requests that the answers
        start)"""
        for _ in range(2):
            self.page.wait_for_function(
                """() => window.jQuery && jQuery.active === 0
                    && !(window.concordeWizards || []).some(
                        w => w.__processing && w.state !== w.end_state)""",
                timeout=timeout * 1000)
            time.sleep(0.05)

    def rpc(self, method, *params, context=None):
        "Call the server as the logged-in user"
        return self.page.evaluate(
            """([method, params]) => Sao.rpc({method: method, params: params},
                Sao.Session.current_session)""",
            [method, list(params) + [context or {}]])

    def menu_entries(self, roots):
        """Return the entries with an action under the menus roots (names
        of their XML ids), as the user sees them"""
        ids = []
        for xml_id in roots:
            module, fs_id = xml_id.split('.')
            ids.append(self.rpc(
                    'model.ir.model.data.get_id', module, fs_id))
        menus = self.rpc('model.ir.ui.menu.search_read',
            [('parent', 'child_of', ids)], 0, None, None,
            ['complete_name', 'action'])
        menus = {m['id']: m for m in menus}
        # In the order of the menu as shown, not of the ids
        ordered = self.rpc('model.ir.ui.menu.search',
            [('id', 'in', list(menus))], 0, None, None)
        return [menus[i] for i in ordered if menus[i]['action']]

    @property
    def tab_count(self):
        return self.page.evaluate("Sao.Tab.tabs.length")

    def dialog(self):
        return self.page.locator('.modal.in .modal-dialog')

    def outside_dialog(self):
        """The labels and controls of the dialog shown that lie outside it
        (cut or out of reach)"""
        return self.page.evaluate("""() => {
            const dialog = document.querySelector('.modal.in .modal-dialog');
            if (!dialog) {
                return [];
            }
            const box = dialog.getBoundingClientRect();
            const outside = [];
            for (const el of dialog.querySelectorAll(
                    'label, input, button, select, textarea')) {
                const rect = el.getBoundingClientRect();
                if (!rect.width || !rect.height
                        || getComputedStyle(el).visibility == 'hidden') {
                    continue;
                }
                if (rect.left < box.left - 1 || rect.right > box.right + 1) {
                    outside.push(`${el.tagName.toLowerCase()} `
                        + `"${(el.textContent || el.name || '').trim()}"`
                        + ` from ${Math.round(rect.left)} to `
                        + `${Math.round(rect.right)} px, the dialog from `
                        + `${Math.round(box.left)} to `
                        + `${Math.round(box.right)}`);
                }
            }
            return outside;
            }""")

    def alerts(self):
        "The texts of the error, warning and message dialogs shown"
        return self.page.locator(
            '.modal.in.error-dialog, .modal.in.warning-dialog, '
            '.modal.in.message-dialog').all_inner_texts()

    def open_menu(self, menu_id):
        """Open the entry as a double click on the menu does: return 'tab'
        or 'wizard'"""
        tabs = self.tab_count
        self.page.evaluate("""(id) => {
            Sao.Action.exec_keyword('tree_open',
                {model: 'ir.ui.menu', id: id}, null, false); }""", menu_id)
        # The new tab is the current one once the transition of its
        # showing ends
        self.page.wait_for_function(
            """(tabs) => (Sao.Tab.tabs.length > tabs
                    && Sao.Tab.tabs.get_current() === Sao.Tab.tabs.at(-1))
                || document.querySelector('.modal.in')""",
            arg=tabs, timeout=TIMEOUT * 1000)
        self.wait()
        if self.tab_count > tabs:
            self.wait_rows()
            return 'tab'
        return 'wizard'

    @property
    def tab(self):
        return self.page.locator('#tabcontent .tab-pane.active')

    @property
    def model_name(self):
        return self.page.evaluate(
            "Sao.Tab.tabs.get_current().screen.model_name")

    @property
    def view_type(self):
        return self.page.evaluate(
            "Sao.Tab.tabs.get_current().screen.current_view.view_type")

    @property
    def number_of_views(self):
        return self.page.evaluate(
            "Sao.Tab.tabs.get_current().screen.number_of_views")

    @property
    def record_count(self):
        return self.page.evaluate(
            "Sao.Tab.tabs.get_current().screen.group.length")

    def wait_view(self, view_type):
        self.page.wait_for_function(
            """(view_type) => {
                const tab = Sao.Tab.tabs.get_current();
                return tab && tab.screen.current_view
                    && tab.screen.current_view.view_type == view_type;
            }""", arg=view_type, timeout=TIMEOUT * 1000)
        self.wait()
        self.wait_rows()

    def wait_rows(self):
        "Wait until a list shows the rows of its records"
        self.page.wait_for_function(
            """() => {
                const tab = Sao.Tab.tabs.get_current();
                const view = tab && tab.screen.current_view;
                if (!view || view.view_type != 'tree'
                        || !tab.screen.group.length) {
                    return true;
                }
                const row = view.el[0].querySelector('tbody tr');
                return row && row.innerText.trim();
            }""", timeout=TIMEOUT * 1000)

    def list_overflow(self):
        """How many pixels the current list is wider than its tab (it
        scrolls sideways)"""
        return self.page.evaluate("""() => {
            const view = Sao.Tab.tabs.get_current().screen.current_view;
            const table = view.el[0].querySelector('table');
            const pane = view.el[0].getBoundingClientRect();
            return Math.max(0, Math.round(
                table.getBoundingClientRect().width - pane.width));
            }""")

    @property
    def view_types(self):
        "The types of the views of the current tab, in the switch's order"
        return self.page.evaluate("""() => {
            const screen = Sao.Tab.tabs.get_current().screen;
            return screen.views.map(v => v.view_type).concat(
                screen.view_to_load);
            }""")

    def show_all(self):
        """Show the last domain tab of the list (in Tryton's lists, "All")
        when the first one is empty"""
        tabs = self.tab.locator('.tab-domain li a')
        if tabs.count() > 1:
            tabs.last.click()
            self.wait()

    def open_first_record(self):
        """Open the form of the list's first record with a double click on
        a cell that is not a link (selected and "Basculer" in an editable
        list), or create one with "Nouveau" when the list is empty.  Return
        'form', 'new' or None when the user can neither."""
        if not self.record_count:
            self.show_all()
        rows = self.tab.locator('.treeview tbody tr')
        editable = self.page.evaluate(
            "Boolean(Sao.Tab.tabs.get_current().screen.current_view"
            ".editable)")
        if self.record_count:
            expect(rows.first).to_be_visible(timeout=TIMEOUT * 1000)
            cells = rows.first.locator(
                'td[data-title]:visible:not(:has(a)):not(:has(button))'
                ':not(:has(input))')
            if cells.count() and not editable:
                cells.first.dblclick()
            else:
                rows.first.locator('td.selection-state input').click()
                self.tab.locator('button#switch_').click()
            opened = 'form'
        else:
            new = self.tab.locator('button#new_')
            if editable or not new.is_enabled():
                return None
            new.click()
            opened = 'new'
        self.wait_view('form')
        return opened

    def switch(self):
        "Switch to the next view with the toolbar's button"
        before = self.page.evaluate(
            "Sao.Tab.tabs.get_current().screen.view_index")
        self.tab.locator('button#switch_').click()
        self.page.wait_for_function(
            """(before) => Sao.Tab.tabs.get_current().screen.view_index
                != before""", arg=before, timeout=TIMEOUT * 1000)
        self.wait()
        self.wait_rows()
        return self.view_type

    def close_tab(self):
        "Close the current tab, without saving what a new record holds"
        tabs = self.tab_count
        self.page.evaluate("() => { Sao.Tab.tabs.get_current().close(); }")
        self.page.wait_for_function(
            """(tabs) => Sao.Tab.tabs.length < tabs
                || document.querySelector('.modal.in')""",
            arg=tabs, timeout=TIMEOUT * 1000)
        if self.tab_count == tabs:
            # "This record has been modified, do you want to save it?"
            self.dialog().locator('.modal-footer button').filter(
                has_text=re.compile('^Non$', re.I)).click()
            self.page.wait_for_function(
                "(tabs) => Sao.Tab.tabs.length < tabs",
                arg=tabs, timeout=TIMEOUT * 1000)
        self.wait()

    def cancel_wizard(self):
        "Close the wizard's dialog with its cancel button"
        button = self.dialog().locator('.modal-footer button').filter(
            has_text=re.compile('^(Annuler|Fermer)$', re.I))
        button.first.click()
        expect(self.page.locator('.modal.in')).to_have_count(
            0, timeout=TIMEOUT * 1000)
        self.wait()

    def screenshot(self, *names):
        path = os.path.join(SCREENSHOTS, *names[:-1])
        os.makedirs(path, exist_ok=True)
        self.page.screenshot(path=os.path.join(path, f'{names[-1]}.png'))

    def walk(self, entry, folder, check):
        """Open the menu entry, each of its views and its first record's
        form; call check(step) after each step, which fails on what broke
        the client.  Return the steps taken."""
        name = slug(entry['complete_name'])
        steps = []
        try:
            kind = self.open_menu(entry['id'])
            if kind == 'wizard':
                steps.append('wizard')
                self.screenshot(folder, f'{name}-wizard')
                steps.extend(
                    f'outside: {o}' for o in self.outside_dialog())
                check(steps)
                self.cancel_wizard()
                check(steps)
                return steps
            seen = []
            for _ in range(self.number_of_views):
                view_type = self.view_type
                seen.append(view_type)
                steps.append(view_type)
                self.screenshot(folder, f'{name}-{view_type}')
                if (view_type == 'tree'
                        and FITTING_MODELS.match(self.model_name)
                        and (overflow := self.list_overflow())):
                    steps.append(f'outside: the list is {overflow} px too '
                        'wide for the tab')
                check(steps)
                if (view_type == 'tree' and 'form' not in seen
                        and 'form' in self.view_types):
                    opened = self.open_first_record()
                    if opened:
                        steps.append(opened)
                        seen.append('form')
                        self.screenshot(folder, f'{name}-{opened}')
                        check(steps)
                    else:
                        # Empty and the user may not create: nothing more
                        steps.append('no record')
                        break
                if len(set(seen)) >= self.number_of_views:
                    break
                self.switch()
            self.close_tab()
            check(steps)
        except PlaywrightError as exception:
            steps.append(f'stuck: {exception.message.splitlines()[0]}')
            self.screenshot(folder, f'{name}-stuck')
            check(steps)
        return steps


def slug(text):
    "The name of a screenshot for text"
    text = unicodedata.normalize('NFKD', text).encode('ascii', 'ignore')
    return re.sub(r'[^a-z0-9]+', '-', text.decode().lower()).strip('-')[:80]
