# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the portal where an organisation shows itself: its
description, themes, logo and contacts, and the accounts of its people

Every page changes the organisation of the signed-in web user, never one
named by the URL or the form; a contact of another organisation answers
404."""
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction
from werkzeug.exceptions import NotFound

from .exceptions import PortalFormError
from .page import EMAIL, parse_id, route
from .party import image_type, logo_max_size
from .portal import CONTACT_TYPES


def theme_tree(pool):
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
        'organisation/edit.html', status=status,
        organisation=organisation,
        contacts=contacts,
        contact_types=CONTACT_TYPES,
        accounts=accounts,
        themes=theme_tree(pool),
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
            raise PortalFormError(gettext(
                'association_portal.msg_theme_unknown'))
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
            raise PortalFormError(gettext(
                'association_portal.msg_logo_missing'))
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
        raise PortalFormError(gettext('association_portal.msg_contact_type'))
    if not value:
        raise PortalFormError(gettext('association_portal.msg_contact_value'))
    if type_ in {'phone', 'mobile'}:
        digits = [c for c in value if c.isdigit()]
        if (not 6 <= len(digits) <= 15
                or any(not (c.isdigit() or c in ' +.-()') for c in value)):
            raise PortalFormError(gettext(
                    'association_portal.msg_contact_phone', value=value))
    elif type_ == 'email':
        if not EMAIL.match(value):
            raise PortalFormError(gettext(
                    'association_portal.msg_contact_email', value=value))
    elif type_ == 'website':
        typed = value
        if not value.startswith(('http://', 'https://')):
            value = 'https://' + value
        host = value.split('://', 1)[1].split('/', 1)[0]
        if '.' not in host or any(c.isspace() for c in value):
            raise PortalFormError(gettext(
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
