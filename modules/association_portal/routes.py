# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the portal that belong to no feature: its static files,
the dashboard that gathers the blocks of every feature, and the answer
to any other path (404)

The pages of each feature are in the routes_<feature>.py beside it."""
import os

from trytond.protocols.wrappers import Response
from werkzeug.exceptions import NotFound

from .page import STATIC, route


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


@route('/')
def dashboard(page):
    Portal = page.pool.get('association.portal')
    page.section = 'dashboard'
    return page.render(
        'dashboard.html',
        blocks=Portal.get_dashboard_blocks(page.user),
        notice=page.request.args.get('notice'))


@route(
    '/<path:path>', methods=['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    login=False, csrf=False)
def not_found(page, path):
    raise NotFound()
