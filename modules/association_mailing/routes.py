# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The unsubscription page of the mailings

The link of the e-mail (and its List-Unsubscribe header) carries a signed
token that names the address and the list.  Opening it (GET) only shows a
confirmation page, so that a mail scanner that follows links changes
nothing; the POST of the page, or the one-click POST of the mail client
(RFC 8058, body "List-Unsubscribe=One-Click"), unsubscribes.  An altered or
expired token gets a page that says so, with the status 400."""
from html import escape

from werkzeug.exceptions import NotFound

from trytond.i18n import gettext
from trytond.modules.association.tools import public_page
from trytond.pool import Pool
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

from .consent import read_token
from .exceptions import TokenError

# The language of the pages: the association's
LANGUAGE = 'fr'


@app.route(
    '/<database_name>/association_mailing/unsubscribe/<token>',
    methods=['GET', 'POST'])
@with_pool
@with_transaction()
def unsubscribe(request, pool, token):
    try:
        Email = pool.get('marketing.email')
        pool.get('association.mailing.consent')
    except KeyError:
        raise NotFound()
    ModelData = Pool().get('ir.model.data')
    List = Pool().get('marketing.email.list')
    with Transaction().set_context(language=LANGUAGE):
        title = gettext('association_mailing.msg_unsubscribe_title')
        try:
            email, list_ = read_token(token)
        except TokenError as exception:
            Transaction().rollback()
            return public_page(title, f'<p>{escape(exception.message)}</p>',
                status=400)
        all_ = List(ModelData.get_id('association_mailing', 'list_all'))
        if request.method == 'POST':
            one_click = (
                request.form.get('List-Unsubscribe') == 'One-Click')
            target = list_
            if request.form.get('scope') == 'all':
                target = all_
            Email.set_subscription(email, target, False,
                'one_click' if one_click else 'link')
            text = gettext('association_mailing.msg_unsubscribe_done',
                email=email, list=target.name)
            return public_page(title, f'<p>{escape(text)}</p>')
        text = gettext('association_mailing.msg_unsubscribe_page',
            email=email, list=list_.name)
        this = gettext('association_mailing.msg_unsubscribe_list',
            list=list_.name)
        every = gettext('association_mailing.msg_unsubscribe_all')
        body = (f'<p>{escape(text)}</p><form method="post">')
        if list_ != all_:
            body += ('<button name="scope" value="list" type="submit">'
                f'{escape(this)}</button>')
        body += ('<button name="scope" value="all" type="submit">'
            f'{escape(every)}</button></form>')
        return public_page(title, body)
