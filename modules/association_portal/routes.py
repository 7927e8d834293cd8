# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the portal that need only the association and web_user

Every page finds the organisation through the web user of the session,
never through an id of the URL or the form: an id that names a record of
another organisation answers like an unknown one (404)."""
import os
import re

import trytond.config as config
from trytond.exceptions import RateLimitException, UserError
from trytond.i18n import gettext
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction
from werkzeug.exceptions import NotFound

from .exceptions import PortalConfigurationError
from .page import STATIC, parse_id, route
from .party import image_type, logo_max_size
from .portal import CONTACT_TYPES
from .web import portal_url

# A light check: the address is checked for real when mail is sent to it
EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')


def password_min_length():
    return max(config.getint('password', 'length', default=0), 8)


def _static(name, content_type):
    with open(os.path.join(STATIC, name), 'rb') as fp:
        data = fp.read()
    response = Response(data, content_type=content_type)
    response.headers['Cache-Control'] = 'public, max-age=3600'
    return response


@route('/static/portal.css', login=False)
def stylesheet(page):
    return _static('portal.css', 'text/css; charset=utf-8')


@route('/static/favicon.svg', login=False)
def favicon(page):
    return _static('favicon.svg', 'image/svg+xml')


@route('/login', methods=['GET', 'POST'], login=False)
def login(page):
    pool = page.pool
    WebUser = pool.get('web.user')
    request = page.request
    next_ = page.safe_next(request.values.get('next'))
    if page.user:
        return page.redirect(next_ or '/')
    values = {
        'email': '',
        'next': next_,
        'error': None,
        'notice': request.args.get('notice'),
        }
    if request.method == 'POST':
        email = request.form.get('email', '').strip()
        password = request.form.get('password', '')
        values['email'] = email
        if not email or not password:
            values['error'] = 'missing'
            return page.render('login.html', status=400, **values)
        try:
            user = WebUser.authenticate(email, password)
        except RateLimitException:
            # Keep the attempt recorded by authenticate
            values['error'] = 'rate_limit'
            return page.render('login.html', status=429, **values)
        if user and user.organisation:
            page.login(user)
            return page.redirect(next_ or '/')
        values['error'] = 'credentials'
        return page.render('login.html', status=400, **values)
    return page.render('login.html', **values)


@route('/logout', methods=['POST'])
def logout(page):
    page.logout()
    return page.redirect('/login', notice='logout')


@route('/logout/everywhere', methods=['POST'])
def logout_everywhere(page):
    WebUser = page.pool.get('web.user')
    WebUser.logout_everywhere([page.user])
    page.logout()
    return page.redirect('/login', notice='logout_everywhere')


@route('/password/forgot', methods=['GET', 'POST'], login=False)
def password_forgot(page):
    pool = page.pool
    WebUser = pool.get('web.user')
    request = page.request
    values = {'email': '', 'sent': False, 'error': None}
    if request.method == 'POST':
        email = request.form.get('email', '').strip().lower()
        values['email'] = email
        if not email:
            values['error'] = 'missing'
            return page.render('password_forgot.html', status=400, **values)
        try:
            # Whether the address is known or not
            portal_url()
        except PortalConfigurationError:
            values['error'] = 'unavailable'
            return page.render('password_forgot.html', status=503, **values)
        users = WebUser.search([
                ('email', '=', email),
                ('organisation', '!=', None),
                ])
        if users:
            WebUser.reset_password(users)
        # The same answer whether the address is known or not
        values['sent'] = True
    return page.render('password_forgot.html', **values)


@route('/password', methods=['GET', 'POST'], login=False)
def password(page):
    pool = page.pool
    WebUser = pool.get('web.user')
    ResUser = pool.get('res.user')
    request = page.request
    email = request.values.get('email', '')
    token = request.values.get('token', '')
    user = WebUser.check_reset_password_token(email, token)
    if not user or not user.organisation:
        return page.render('password_invalid.html', status=400)
    values = {
        'email': user.email,
        'token': token,
        'errors': [],
        'min_length': password_min_length(),
        'invitation': not user.password_hash,
        }
    if request.method == 'POST':
        password = request.form.get('password', '')
        confirmation = request.form.get('confirmation', '')
        errors = values['errors']
        if len(password) < values['min_length']:
            errors.append(gettext(
                    'association_portal.msg_password_length',
                    length=values['min_length']))
        elif password != confirmation:
            errors.append(gettext(
                    'association_portal.msg_password_confirmation'))
        elif password.lower() == user.email.lower():
            errors.append(gettext('association_portal.msg_password_email'))
        else:
            try:
                ResUser.validate_password(password, [])
            except UserError as exception:
                errors.append(exception.message)
        if errors:
            return page.render('password.html', status=400, **values)
        if not WebUser.set_password_token(user.email, token, password):
            return page.render('password_invalid.html', status=400)
        user = WebUser(user.id)
        if not user.email_valid:
            user.email_valid = True
            user.save()
        page.login(user)
        return page.redirect('/', notice='password')
    return page.render('password.html', **values)


@route('/')
def dashboard(page):
    Portal = page.pool.get('association.portal')
    page.section = 'dashboard'
    return page.render(
        'dashboard.html',
        blocks=Portal.get_dashboard_blocks(page.user),
        notice=page.request.args.get('notice'))


def _themes(pool):
    "Return the active themes in the order of their tree with their depth"
    Theme = pool.get('association.theme')
    themes = Theme.search([])
    children = {}
    for theme in themes:
        children.setdefault(
            theme.parent.id if theme.parent else None, []).append(theme)
    result = []

    def walk(parent, depth):
        for theme in children.get(parent, []):
            result.append((theme, depth))
            walk(theme.id, depth + 1)
    walk(None, 0)
    return result


def _render_organisation(page, status=200, errors=None, form=None, **values):
    pool = page.pool
    Party = pool.get('party.party')
    WebUser = pool.get('web.user')
    page.section = 'organisation'
    organisation = Party(page.organisation.id)
    contacts = [
        c for c in organisation.contact_mechanisms
        if c.type in CONTACT_TYPES]
    if form is None:
        form = {
            'description': organisation.description or '',
            'themes': {t.id for t in organisation.themes},
            }
    accounts = WebUser.search([
            ('organisation', '=', organisation.id),
            ], order=[('email', 'ASC')])
    return page.render(
        'organisation.html', status=status,
        organisation=organisation,
        contacts=contacts,
        contact_types=CONTACT_TYPES,
        accounts=accounts,
        themes=_themes(pool),
        form=form,
        errors=errors or [],
        logo_max_size=logo_max_size() // 1024,
        notice=page.request.args.get('notice'),
        **values)


def _form_error(page, exception, **values):
    "Undo the changes and show the form again with the error"
    Transaction().rollback()
    return _render_organisation(
        page, status=400, errors=[exception.message], **values)


@route('/organisation')
def organisation(page):
    return _render_organisation(page)


@route('/organisation', methods=['POST'])
def organisation_save(page):
    pool = page.pool
    Party = pool.get('party.party')
    Theme = pool.get('association.theme')
    form = page.request.form
    description = form.get('description', '').strip()
    theme_ids = form.getlist('themes')
    submitted = {
        'description': description,
        'themes': set(),
        }
    try:
        ids = {parse_id(i) for i in theme_ids}
        if None in ids:
            ids = None
        themes = Theme.search([('id', 'in', list(ids))]) if ids else []
        if ids is None or len(themes) != len(ids):
            raise UserError(gettext('association_portal.msg_theme_unknown'))
        submitted['themes'] = ids
        organisation = Party(page.organisation.id)
        organisation.description = description or None
        organisation.themes = themes
        organisation.save()
    except UserError as exception:
        return _form_error(page, exception, form=submitted)
    return page.redirect('/organisation', notice='saved')


@route('/organisation/logo')
def organisation_logo(page):
    pool = page.pool
    Party = pool.get('party.party')
    organisation = Party(page.organisation.id)
    logo = organisation.logo
    mimetype = image_type(logo)
    if not mimetype:
        raise NotFound()
    response = Response(bytes(logo), content_type=mimetype)
    response.headers['Content-Disposition'] = 'inline'
    response.headers['Cache-Control'] = 'no-store'
    return response


@route('/organisation/logo', methods=['POST'])
def organisation_logo_save(page):
    pool = page.pool
    Party = pool.get('party.party')
    upload = page.request.files.get('logo')
    try:
        data = upload.read(logo_max_size() + 1) if upload else b''
        if not data:
            raise UserError(gettext('association_portal.msg_logo_missing'))
        organisation = Party(page.organisation.id)
        organisation.logo = data
        organisation.save()
    except UserError as exception:
        return _form_error(page, exception)
    return page.redirect('/organisation', notice='logo')


@route('/organisation/logo/delete', methods=['POST'])
def organisation_logo_delete(page):
    pool = page.pool
    Party = pool.get('party.party')
    organisation = Party(page.organisation.id)
    organisation.logo = None
    organisation.save()
    return page.redirect('/organisation', notice='logo_deleted')


def _set_contact(contact, form):
    type_ = form.get('type', '')
    value = form.get('value', '').strip()
    if type_ not in CONTACT_TYPES:
        raise UserError(gettext('association_portal.msg_contact_type'))
    if not value:
        raise UserError(gettext('association_portal.msg_contact_value'))
    if type_ in {'phone', 'mobile'}:
        digits = [c for c in value if c.isdigit()]
        if (not 6 <= len(digits) <= 15
                or any(not (c.isdigit() or c in ' +.-()') for c in value)):
            raise UserError(gettext(
                    'association_portal.msg_contact_phone', value=value))
    elif type_ == 'email':
        if not EMAIL.match(value):
            raise UserError(gettext(
                    'association_portal.msg_contact_email', value=value))
    elif type_ == 'website':
        typed = value
        if not value.startswith(('http://', 'https://')):
            value = 'https://' + value
        host = value.split('://', 1)[1].split('/', 1)[0]
        if '.' not in host or any(c.isspace() for c in value):
            raise UserError(gettext(
                    'association_portal.msg_contact_website', value=typed))
    contact.type = type_
    contact.value = value
    contact.name = form.get('name', '').strip() or None


@route('/organisation/contacts', methods=['POST'])
def contact_create(page):
    pool = page.pool
    ContactMechanism = pool.get('party.contact_mechanism')
    try:
        contact = ContactMechanism(party=page.organisation.id)
        _set_contact(contact, page.request.form)
        contact.save()
    except UserError as exception:
        return _form_error(
            page, exception, new_contact=page.request.form)
    return page.redirect('/organisation', notice='contact_added')


@route('/organisation/contacts/<id:contact>', methods=['POST'],
    records={'contact': 'party.contact_mechanism'})
def contact_save(page, contact):
    try:
        _set_contact(contact, page.request.form)
        contact.save()
    except UserError as exception:
        return _form_error(page, exception)
    return page.redirect('/organisation', notice='contact_saved')


@route('/organisation/contacts/<id:contact>/delete', methods=['POST'],
    records={'contact': 'party.contact_mechanism'})
def contact_delete(page, contact):
    pool = page.pool
    ContactMechanism = pool.get('party.contact_mechanism')
    ContactMechanism.delete([contact])
    return page.redirect('/organisation', notice='contact_deleted')


@route(
    '/<path:path>', methods=['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    login=False, csrf=False)
def not_found(page, path):
    raise NotFound()
