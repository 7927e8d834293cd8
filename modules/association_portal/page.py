# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The machinery of the portal's pages

A page is a function decorated with route(): it receives the Page being
served and returns a response.  route() declares it on trytond's WSGI
application under /<database>/portal, opens the transaction, checks that the
module (and the models the page needs) is activated in the database, finds
the web user of the session cookie, checks the CSRF token of every POST and
turns every error into a French page without traceback."""
import datetime
import hashlib
import hmac
import logging
import mimetypes
import os
import re
import secrets
import urllib.parse
from collections import namedtuple
from functools import wraps

import jinja2
from werkzeug.exceptions import Forbidden, HTTPException, NotFound
from werkzeug.routing import IntegerConverter

from trytond import backend
from trytond.exceptions import RateLimitException, UserError, UserWarning
from trytond.modules.association import tools
from trytond.modules.association.party import AUTHORITY_KINDS
from trytond.protocols.wrappers import (
    Request, Response, redirect, with_pool, with_transaction)
from trytond.transaction import Transaction, TransactionError
from trytond.wsgi import app

logger = logging.getLogger(__name__)

# The portal speaks French: its templates are written in French and the
# messages of the server are given in French
LANGUAGE = 'fr'
SESSION_COOKIE = 'concorde_portal_session'
CSRF_COOKIE = 'concorde_portal_csrf'
CSRF_FIELD = 'csrf_token'
CSRF_SALT = b'association_portal.csrf'
# The characters a path segment keeps unquoted
PATH_SAFE = ":@!$&'()*+,;="

TEMPLATES = os.path.join(os.path.dirname(__file__), 'templates')
STATIC = os.path.join(os.path.dirname(__file__), 'static')

SECURITY_HEADERS = {
    'Content-Security-Policy': (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    # Not no-referrer: Chromium then sends "Origin: null" with the forms,
    # which trytond refuses
    'Referrer-Policy': 'same-origin',
    }


# The largest id the databases store (SQLite's INTEGER)
MAX_ID = 2 ** 63 - 1


def parse_id(value):
    "Return the value (of a form or a query) as an id or None"
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    if 0 < value <= MAX_ID:
        return value


class IdConverter(IntegerConverter):
    """The id of a record in a path: <id:name>

    An id too large for the database is given as None, for which route()
    answers 404 rather than the database's error.  (A converter that
    refuses it would leave werkzeug's English 404 instead of the
    portal's.)"""

    def __init__(self, map):
        super().__init__(map, min=1)

    def to_python(self, value):
        value = super().to_python(value)
        if value <= MAX_ID:
            return value


# Before any route() uses it
app.url_map.converters['id'] = IdConverter


def format_date(value):
    if not value:
        return ''
    return value.strftime('%d/%m/%Y')


def format_datetime(value):
    if not value:
        return ''
    return value.strftime('%d/%m/%Y %H:%M')


def elide_de(name):
    "Return the complement of name: de Melun, d'Énergie Locale SAS"
    return tools.elide_de(name, LANGUAGE)


def format_number(value, digits=0):
    "Format the number in French: 10 000 or 10 000,50"
    from trytond.pool import Pool
    if value is None:
        return ''
    Lang = Pool().get('ir.lang')
    return Lang.get(LANGUAGE).format('%%.%df' % digits, value, grouping=True)


environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True)
environment.filters['date'] = format_date
environment.filters['de'] = elide_de
environment.filters['number'] = format_number
environment.filters['datetime'] = format_datetime


# The pages declared by route(), for the tests that try every one of them
Route = namedtuple(
    'Route', ['path', 'methods', 'login', 'requires', 'csrf', 'records'])
ROUTES = []
# The ids of records in the paths
ID_ARGUMENT = re.compile(r'<id:(\w+)>')
# A light check: the address is checked for real when mail is sent to it
EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')

# What an organisation reaches in the portal, by name (the model's name
# unless the model is reached in several ways)
Reach = namedtuple('Reach', ['model', 'domain', 'active_test'])
REACHES = {}


def reach(name, model=None, active_test=True):
    """Declare the decorated function as the domain of the records that an
    organisation reaches: domain(organisation)

    model: the model of the records, the name by default
    active_test: False to reach the inactive records too"""
    def decorator(func):
        REACHES[name] = Reach(model or name, func, active_test)
        return func
    return decorator


def download(content, filename, content_type=None):
    """Return the response that downloads the content (bytes or text) as
    filename; neither the browser nor a proxy keeps it"""
    if isinstance(content, str):
        content = content.encode('utf-8')
    if content_type is None:
        content_type = (mimetypes.guess_type(filename)[0]
            or 'application/octet-stream')
    response = Response(bytes(content), content_type=content_type)
    response.headers['Content-Disposition'] = (
        "attachment; filename*=UTF-8''%s"
        % urllib.parse.quote(filename, safe=''))
    response.headers['Cache-Control'] = 'no-store'
    return response


class Page:
    "The request being served by the portal"

    def __init__(self, request, database_name, login_required=True):
        self.request = request
        self.database_name = database_name
        self.login_required = login_required
        self.base = '%s/%s/portal' % (
            request.script_root,
            urllib.parse.quote(database_name, safe=PATH_SAFE))
        self.pool = None
        self.section = None
        self.refresh_key = None
        self._reset()

    def _reset(self):
        self._session = None
        self._session_key = None
        self._user = None
        self._session_read = False
        self._csrf_cookie = None
        self._cookies = {}
        self._login_key = None

    def detach(self):
        "Forget what was read in the transaction"
        self.pool = None
        self._reset()

    def start(self, pool):
        "Start serving in a transaction (it may be retried)"
        self.pool = pool
        self.refresh_key = None
        self._reset()

    def record(self, name, value, field='id'):
        """Return the record that the organisation reaches (see reach())
        whose field is value, or raise NotFound"""
        reach = REACHES[name]
        Model = self.pool.get(reach.model)
        with Transaction().set_context(active_test=reach.active_test):
            records = Model.search([
                    (field, '=', value),
                    reach.domain(self.organisation),
                    ], limit=1)
        if not records:
            raise NotFound()
        record, = records
        return record

    def url(self, path='/', **params):
        url = self.base + path
        params = {k: v for k, v in params.items() if v is not None}
        if params:
            url += '?' + urllib.parse.urlencode(sorted(params.items()))
        return url

    def redirect(self, path='/', **params):
        return redirect(self.url(path, **params), code=303)

    @property
    def session(self):
        "The valid web.user.session of the request or None"
        if self._session_read or self.pool is None:
            return self._session
        self._session_read = True
        key = self._login_key or self.request.cookies.get(SESSION_COOKIE)
        if not key:
            return None
        Session = self.pool.get('web.user.session')
        User = self.pool.get('web.user')
        # Every page asks for the session: one query fills the transaction's
        # cache with what the pages read of the session and its user, and
        # the records of web_user answer from it (expired included).  The
        # search of web.user.session and the reads of the session and the
        # user (or a search_read) cost 1.5 ms more per page in process and
        # raised the 95th percentile of benchmarks/portal_load.py from
        # 42-44 ms to 49-52 ms.
        session_table = Session.__table__()
        user_table = User.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*session_table.join(user_table,
                condition=session_table.user == user_table.id).select(
                session_table.id, session_table.create_date,
                session_table.write_date,
                user_table.id, user_table.active, user_table.organisation,
                user_table.email, user_table.party,
                where=session_table.key == key, limit=1))
        row = cursor.fetchone()
        if not row:
            return None
        (session_id, created, written, user_id, active, organisation, email,
            party) = row
        cache = Transaction().get_cache()
        cache[Session.__name__][session_id]._update({
                'key': key,
                'user': user_id,
                'last_modified_at': written or created,
                })
        cache[User.__name__][user_id]._update({
                'active': active,
                'organisation': organisation,
                'email': email,
                'party': party,
                })
        session, user = Session(session_id), User(user_id)
        if session.expired or not user.active or not user.organisation:
            if not Transaction().readonly:
                Session.delete([session])
            return None
        # Push back the expiry once in a while, not on every page
        if (datetime.datetime.now() - session.last_modified_at) > min(
                Session.timeout() / 10, datetime.timedelta(minutes=5)):
            self.refresh_key = key
        self._session = session
        self._session_key = key
        self._user = user
        return self._session

    @property
    def user(self):
        "The web user signed in or None"
        if self.session:
            return self._user

    @property
    def organisation(self):
        user = self.user
        if user:
            return user.organisation

    @property
    def site_title(self):
        "The name of the portal for the visitor"
        organisation = self.organisation
        if organisation is None:
            return "Portail des partenaires et des adhérents"
        elif organisation.kind in AUTHORITY_KINDS:
            return "Portail des adhérents"
        return "Portail des partenaires"

    @property
    def sections(self):
        if not self.user:
            return []
        Portal = self.pool.get('association.portal')
        return Portal.get_sections(self.user)

    @property
    def csrf_token(self):
        """The token that every form changing something carries

        For a signed-in user, it is derived from the session key (which
        is never shown to the page); before, it is the value of a cookie
        that the form must repeat."""
        if self.login_required:
            if not self.session:
                return ''
            return hmac.new(
                self._session_key.encode(), CSRF_SALT,
                hashlib.sha256).hexdigest()
        if self._csrf_cookie is None:
            token = self.request.cookies.get(CSRF_COOKIE)
            if not token or len(token) != 64:
                token = secrets.token_hex(32)
                self.set_cookie(CSRF_COOKIE, token)
            self._csrf_cookie = token
        return self._csrf_cookie

    def check_csrf(self):
        token = self.request.form.get(CSRF_FIELD, '')
        if self.login_required:
            expected = self.csrf_token
        else:
            expected = self.request.cookies.get(CSRF_COOKIE, '')
        return bool(token and expected) and hmac.compare_digest(
            token.encode(), expected.encode())

    def set_cookie(self, name, value, expires=None):
        self._cookies[name] = (value, expires)

    def login(self, user):
        "Open a new session for the user"
        Session = self.pool.get('web.user.session')
        old_key = self.request.cookies.get(SESSION_COOKIE)
        if old_key:
            Session.remove(old_key)
        key = user.new_session()
        self.set_cookie(SESSION_COOKIE, key)
        self._session_read = False
        self._login_key = key

    def logout(self):
        Session = self.pool.get('web.user.session')
        key = self.request.cookies.get(SESSION_COOKIE)
        if key:
            Session.remove(key)
        self.set_cookie(SESSION_COOKIE, '', expires=0)
        self._session = self._session_key = self._user = None

    @property
    def path(self):
        "The path of the request under the portal, with its query"
        prefix = '/%s/portal' % self.database_name
        path = self.request.path[len(prefix):] or '/'
        query = self.request.query_string.decode('latin-1')
        if query:
            path += '?' + query
        return path

    def safe_next(self, next_):
        """Return next_ if it is a path of the portal or None

        A control character (a line break would end the Location header)
        refuses it."""
        if (next_ and next_.startswith('/') and not next_.startswith('//')
                and '\\' not in next_
                and next_.isprintable()
                and not urllib.parse.urlsplit(next_).netloc):
            return next_

    def render(self, template, status=200, **values):
        html = environment.get_template(template).render(
            page=self, **values)
        return Response(
            html, status=status, content_type='text/html; charset=utf-8')

    def error(self, status, message=None, reason=None):
        try:
            return self.render(
                'error.html', status=status, status_code=status,
                message=message, reason=reason)
        except Exception:
            logger.exception("Cannot render the error page")
            return Response(
                "Erreur %s" % status, status=status,
                content_type='text/plain; charset=utf-8')

    def finish(self, response):
        "Add the cookies and the security headers to the response"
        secure = self.request.is_secure
        for name, (value, expires) in self._cookies.items():
            response.set_cookie(
                name, value, path=self.base, expires=expires,
                secure=secure, httponly=True, samesite='Lax')
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault('Cache-Control', 'no-store')
        return response

    def refresh_session(self):
        "Push back the expiry of the session after the request"
        if not self.refresh_key or self.pool is None:
            return
        Session = self.pool.get('web.user.session')
        try:
            with Transaction().start(self.database_name, 0):
                Session.reset(self.refresh_key)
        except backend.DatabaseOperationalError:
            logger.debug("Cannot refresh the portal session", exc_info=True)


def route(
        path, methods=None, login=True, requires=(), csrf=True,
        records=None):
    """Declare a page of the portal at /<database>/portal<path>

    login: the page needs a signed-in web user (else GET redirects to the
    login page and POST is refused).
    requires: the names of the models the page uses; the page answers 404
    in a database where their module is not activated.
    csrf: a POST must carry the CSRF token (only pages that change nothing
    may go without).
    records: for each <id:name> of the path, the reach (see reach()) of
    the record it names, or the reach and the field of the record that
    the id is (by default its id): the page receives the record, or the
    visitor gets 404 when his organisation does not reach it."""
    methods = list(methods or ['GET'])
    requires = ('association.portal',) + tuple(requires)
    records = {
        name: (value, 'id') if isinstance(value, str) else tuple(value)
        for name, value in (records or {}).items()}
    # No page finds a record of the path by itself
    assert set(ID_ARGUMENT.findall(path)) == set(records), path

    def decorator(func):

        @with_transaction(context={'language': LANGUAGE})
        def transactional(request, pool, **kwargs):
            page = request.portal_page
            page.start(pool)
            transaction = Transaction()
            try:
                try:
                    for name in requires:
                        pool.get(name)
                except KeyError:
                    raise NotFound()
                if None in kwargs.values():
                    # An id that no record can have
                    raise NotFound()
                if login and page.user is None:
                    if request.method == 'GET':
                        response = page.redirect('/login', next=page.path)
                    else:
                        response = page.error(403, reason='session')
                elif (csrf and request.method == 'POST'
                        and not page.check_csrf()):
                    response = page.error(403, reason='csrf')
                else:
                    for name, (reach, field) in records.items():
                        kwargs[name] = page.record(reach, kwargs[name], field)
                    response = func(page, **kwargs)
            except (UserError, UserWarning) as exception:
                transaction.rollback()
                response = page.error(400, message=exception.message)
            except RateLimitException:
                transaction.rollback()
                response = page.error(429)
            except HTTPException as exception:
                transaction.rollback()
                response = page.error(exception.code or 500)
            except (backend.DatabaseOperationalError, TransactionError):
                raise
            except Exception:
                logger.exception("Error on %s", request)
                transaction.rollback()
                response = page.error(500)
            return page.finish(response)

        pooled = with_pool(transactional)

        @wraps(func)
        def endpoint(request, database_name, **kwargs):
            page = request.portal_page = Page(
                request, database_name, login_required=login)
            try:
                response = pooled(request, database_name, **kwargs)
            except HTTPException as exception:
                page.detach()
                response = page.finish(page.error(exception.code or 500))
            except Exception:
                logger.exception("Error on %s", request)
                page.detach()
                response = page.finish(page.error(500))
            else:
                page.refresh_session()
            return response

        app.route(
            '/<database_name>/portal' + path, methods=methods)(endpoint)
        ROUTES.append(Route(
                path, tuple(methods), login, requires, csrf, records))
        return func
    return decorator


def _refuse_foreign_origin(wsgi_app):
    """Answer the portal's French page to the requests that trytond refuses
    for their foreign Origin

    trytond's WSGI application checks the Origin header before it
    dispatches the request and raises Forbidden out of the application, so
    that the server answers its own English error 500.  For the paths of
    the portal, the refusal is turned into the page of a form that does
    not come from the portal (403); other paths are left to trytond."""
    @wraps(wsgi_app)
    def wrapper(environ, start_response):
        try:
            return wsgi_app(environ, start_response)
        except Forbidden:
            request = Request(environ)
            parts = request.path.split('/', 3)
            if len(parts) < 3 or parts[2] != 'portal' or not parts[1]:
                raise
            page = Page(request, urllib.parse.unquote(parts[1]))
            response = page.finish(page.error(403, reason='csrf'))
            return response(environ, start_response)
    return wrapper


app.wsgi_app = _refuse_foreign_origin(app.wsgi_app)
