# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the portal to sign in and out and to set one's password

The same answers whether an address is known or not: a wrong password,
an unknown address and an invitation not yet accepted all get the same
page, and the reset of a password is said sent in every case."""
import trytond.config as config
from trytond.exceptions import RateLimitException, UserError
from trytond.i18n import gettext

from .exceptions import PortalConfigurationError
from .page import route
from .web import portal_url


def password_min_length():
    return max(config.getint('password', 'length', default=0), 8)


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
            return page.render('account/login.html', status=400, **values)
        try:
            user = WebUser.authenticate(email, password)
        except RateLimitException:
            # Keep the attempt recorded by authenticate
            values['error'] = 'rate_limit'
            return page.render('account/login.html', status=429, **values)
        if user and user.organisation:
            page.login(user)
            return page.redirect(next_ or '/')
        values['error'] = 'credentials'
        return page.render('account/login.html', status=400, **values)
    return page.render('account/login.html', **values)


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
            return page.render(
                'account/password_forgot.html', status=400, **values)
        try:
            # Whether the address is known or not
            portal_url()
        except PortalConfigurationError:
            values['error'] = 'unavailable'
            return page.render(
                'account/password_forgot.html', status=503, **values)
        users = WebUser.search([
                ('email', '=', email),
                ('organisation', '!=', None),
                ])
        if users:
            WebUser.reset_password(users)
        # The same answer whether the address is known or not
        values['sent'] = True
    return page.render('account/password_forgot.html', **values)


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
        return page.render('account/password_invalid.html', status=400)
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
            return page.render('account/password.html', status=400, **values)
        if not WebUser.set_password_token(user.email, token, password):
            return page.render('account/password_invalid.html', status=400)
        user = WebUser(user.id)
        if not user.email_valid:
            user.email_valid = True
            user.save()
        page.login(user)
        return page.redirect('/', notice='password')
    return page.render('account/password.html', **values)
