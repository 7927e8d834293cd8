# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Mailings: the messages of marketing_email written to an audience, each
recipient on a line of its own, sent through the queue

Sending queues the preparation of the mailing, a task that refreshes the
audience and makes one line per e-mail address (and one line "without
e-mail" per person who has none) in one transaction; the queued tasks send
the lines in batches.  A line is taken (committed "in progress") before its
e-mail leaves and marked sent or failed (with the server's answer) right
after: a worker killed in between leaves its line in progress, which the
staff re-sends by hand, and resuming sends only the lines still to send,
so that nobody receives a mailing twice.  A throttle shared by every worker
spaces the e-mails."""
import datetime as dt
import functools
import logging
import mimetypes
import smtplib
import time
from collections import defaultdict
from email.message import EmailMessage
from urllib.parse import urlsplit

from genshi.core import START, QName
from genshi.template import MarkupTemplate, NewTextTemplate
from genshi.template import TemplateError as GenshiTemplateError
from lxml import html as lxml_html
from sql import Literal
from sql.aggregate import Count
from sql.conditionals import Coalesce, Greatest
from sql.operators import Concat, Exists

import trytond.config as config
from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSingleton, ModelSQL, ModelView, Workflow, fields)
from trytond.modules.association.bulk import BulkWriter
from trytond.modules.association.tools import format_address
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.sendmail import get_smtp_server, send_message
from trytond.tools import grouped_slice
from trytond.tools.email_ import set_from_header
from trytond.transaction import Transaction, without_check_access
from trytond.url import host

from . import bounce
from .consent import make_token, unsubscribe_url
from .exceptions import BounceError, MailingError

logger = logging.getLogger(__name__)

QUEUE = 'association_mailing'
STATES = [
    ('to_send', "To Send"),
    ('in_progress', "In Progress"),
    ('sent', "Sent"),
    ('failed', "Failed"),
    ('bounced', "Bounced"),
    ('no_email', "Without E-mail"),
    ]
# Tries of the short transactions that take a line or record its outcome
# when several workers meet on PostgreSQL
RETRIES = 20


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Mailing Configuration"
    __name__ = 'association.mailing.configuration'

    throttle = fields.Float(
        "Throttle", digits=(16, 2),
        domain=[
            If(Bool(Eval('throttle')), ('throttle', '>', 0), ()),
            ],
        help="The most e-mails sent per second by all the workers "
        "together; leave empty for no limit.")
    batch_size = fields.Integer(
        "Batch Size", required=True,
        domain=[('batch_size', '>', 0)],
        help="The number of e-mails of one queued task.")
    token_validity = fields.Integer(
        "Unsubscription Link Validity", required=True,
        domain=[('token_validity', '>', 0)],
        help="The number of days during which the unsubscription link of "
        "an e-mail works.")
    secret = fields.Char("Secret", readonly=True)
    bounce_address = fields.Char(
        "Bounce Address",
        help="The address to which the mail servers return the e-mails "
        "they cannot deliver: each e-mail leaves with it as sender of its "
        "envelope, with the number of its line after a \"+\" "
        "(bounces+123-…@example.org); leave empty to keep the sender.")
    bounce_mailbox = fields.Char(
        "Bounce Mailbox",
        help="The Maildir folder, on the server, where the e-mails "
        "returned to the bounce address arrive (the absolute path of the "
        "folder that holds cur, new and tmp).")
    bounces_processed_at = fields.Timestamp(
        "Bounces Processed at", readonly=True)
    bounces_found = fields.Integer(
        "Bounced", readonly=True,
        help="The e-mails marked bounced at the last processing.")
    bounces_left = fields.Integer(
        "Left Alone", readonly=True,
        help="The messages of the mailbox left as they are at the last "
        "processing: not a delivery status notification, ill-formed, or "
        "about no e-mail of a mailing.")
    # The moment (in seconds since the epoch) before which no e-mail
    # leaves, shared by the workers for the throttle
    next_slot = fields.Float("Next Slot", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'process_bounces': {
                    'readonly': ~Eval('bounce_mailbox'),
                    'depends': ['bounce_mailbox'],
                    },
                })

    @classmethod
    def default_batch_size(cls):
        return 50

    @classmethod
    def validate_fields(cls, configurations, field_names):
        super().validate_fields(configurations, field_names)
        for configuration in configurations:
            address = configuration.bounce_address
            if address and not bounce.valid_bounce_address(address):
                raise BounceError(gettext(
                        'association_mailing.msg_bounce_address_invalid',
                        address=address))
            path = configuration.bounce_mailbox
            if path and bounce.check_maildir(path) == 'relative':
                raise BounceError(gettext(
                        'association_mailing.msg_bounce_mailbox_relative',
                        path=path))

    @classmethod
    @ModelView.button
    def process_bounces(cls, configurations):
        "Read the mailbox of the bounces now"
        pool = Pool()
        Recipient = pool.get('association.mailing.recipient')
        configuration = cls.get_singleton()
        if not configuration or not configuration.bounce_mailbox:
            raise BounceError(gettext(
                    'association_mailing.msg_bounce_mailbox_none'))
        Recipient.process_bounces()

    @classmethod
    def default_token_validity(cls):
        return 365

    @classmethod
    def get_secret(cls, create=True):
        """Return the secret that signs the unsubscription links, created
        the first time"""
        from trytond.ir.session import token_hex
        # Nobody reads the secret, the module uses it
        with without_check_access():
            configuration = cls.get_singleton()
            if configuration and configuration.secret:
                return configuration.secret
            if not create:
                return None
            configuration = configuration or cls()
            configuration.secret = token_hex(32)
            configuration.save()
            return configuration.secret

    @classmethod
    def take_slot(cls):
        """Reserve the moment of the next e-mail under the throttle and
        return the seconds to wait for it (in the caller's transaction,
        which must commit at once)"""
        configuration = cls.get_singleton()
        if not configuration or not configuration.throttle:
            return 0
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        now = time.time()
        # One statement: the row's lock orders the workers
        cursor.execute(*table.update(
                [table.next_slot],
                [Greatest(Coalesce(table.next_slot, 0), Literal(now))
                    + Literal(1 / configuration.throttle)],
                where=table.id == configuration.id))
        cursor.execute(*table.select(
                table.next_slot, where=table.id == configuration.id))
        next_slot, = cursor.fetchone()
        return max(0, next_slot - 1 / configuration.throttle - now)


def track_links(shorten):
    """Return the filter of a Genshi stream that replaces the address of
    each link to the web (http or https) by shorten(address)"""
    def filter_(stream):
        for kind, data, pos in stream:
            if kind is START:
                tag, attrs = data
                href = attrs.get('href')
                if (tag.localname == 'a' and href
                        and urlsplit(href).scheme in {'http', 'https'}):
                    attrs -= 'href'
                    attrs |= [(QName('href'), shorten(href))]
                    data = tag, attrs
            yield kind, data, pos
    return filter_


class Message(metaclass=PoolMeta):
    __name__ = 'marketing.email.message'

    _draft = {
        'readonly': Eval('state') != 'draft',
        }
    audience = fields.Many2One(
        'association.mailing.audience', "Audience", ondelete='RESTRICT',
        states=_draft,
        help="Refreshed before the sending; leave empty to write to the "
        "subscribers of the list.")
    plain_text = fields.Text(
        "Plain Text", states=_draft,
        help="The text of the e-mail for the mail readers that show no "
        "HTML; leave empty to take the text of the content.")
    recipients = fields.One2Many(
        'association.mailing.recipient', 'message', "Recipients",
        readonly=True)
    recipient_count = fields.Function(
        fields.Integer("Recipients"), 'get_counts')
    to_send_count = fields.Function(
        fields.Integer("To Send"), 'get_counts')
    in_progress_count = fields.Function(
        fields.Integer("In Progress"), 'get_counts')
    sent_count = fields.Function(
        fields.Integer("Sent"), 'get_counts')
    failed_count = fields.Function(
        fields.Integer("Failed"), 'get_counts')
    bounced_count = fields.Function(
        fields.Integer("Bounced"), 'get_counts')
    no_email_count = fields.Function(
        fields.Integer("Without E-mail"), 'get_counts')
    link_opened_count = fields.Function(
        fields.Integer("Opened a Link",
            help="The recipients who opened at least one link of their "
            "e-mail."),
        'get_link_opened_count')
    progress = fields.Function(
        fields.Float("Progress", digits=(1, 4)), 'get_counts')
    preview = fields.Function(
        fields.Text("Preview"), 'get_preview')
    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Refused with a clear error when sending, not by the client
        cls.title.required = False
        cls.title.states = {
            'readonly': Eval('state') != 'draft',
            }
        cls._transitions |= {('sent', 'sending')}
        cls._buttons['draft']['invisible'] = (
            (Eval('state') != 'sending') | Bool(Eval('audience')))
        cls._buttons['draft']['depends'] = ['state', 'audience']
        cls._buttons['send_test']['invisible'] = (
            (Eval('state') != 'draft') | Bool(Eval('audience')))
        cls._buttons['send_test']['depends'] = ['state', 'audience']
        cls._buttons.update({
                'send_test_me': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'resume': {
                    'invisible': ((Eval('state') != 'sending')
                        | ~Bool(Eval('audience'))),
                    'depends': ['state', 'audience'],
                    },
                })

    @fields.depends('audience')
    def on_change_audience(self):
        if self.audience and self.audience.list_:
            self.list_ = self.audience.list_

    @classmethod
    def get_counts(cls, messages, names):
        pool = Pool()
        Recipient = pool.get('association.mailing.recipient')
        line = Recipient.__table__()
        cursor = Transaction().connection.cursor()
        counts = defaultdict(lambda: defaultdict(int))
        for sub_ids in grouped_slice(
                [m.id for m in messages], backend.MAX_QUERY_PARAMS):
            cursor.execute(*line.select(
                    line.message, line.state, Count(line.id),
                    where=fields.SQL_OPERATORS['in'](
                        line.message, list(sub_ids)),
                    group_by=[line.message, line.state]))
            for message_id, state, count in cursor:
                counts[message_id][state] = count
        result = {n: {} for n in names}
        for message in messages:
            count = counts[message.id]
            for name in names:
                if name == 'recipient_count':
                    value = sum(count.values())
                elif name == 'progress':
                    total = sum(count.values()) - count['no_email']
                    done = sum(count[s] for s in [
                            'sent', 'failed', 'bounced'])
                    value = done / total if total else 0.
                else:
                    value = count[name[:-len('_count')]]
                result[name][message.id] = value
        return result

    @classmethod
    def get_link_opened_count(cls, messages, name):
        pool = Pool()
        Recipient = pool.get('association.mailing.recipient')
        line = Recipient.__table__()
        query = Recipient.link_opened_query()
        cursor = Transaction().connection.cursor()
        result = {m.id: 0 for m in messages}
        for sub_ids in grouped_slice(
                [m.id for m in messages], backend.MAX_QUERY_PARAMS):
            cursor.execute(*line.select(
                    line.message, Count(line.id),
                    where=fields.SQL_OPERATORS['in'](
                        line.message, list(sub_ids))
                    & line.id.in_(query),
                    group_by=[line.message]))
            result.update(cursor)
        return result

    @property
    def has_links(self):
        "Whether the content may have links to track"
        return 'href' in (self.content or '')

    @property
    def language(self):
        "The language of the e-mails: the list's"
        if self.list_ and self.list_.language:
            return self.list_.language.code

    def get_preview(self, name):
        with Transaction().set_context(language=self.language):
            message = self.__class__(self.id)
            try:
                msg = message.get_email(message._preview_values())
            except MailingError as exception:
                return exception.message
            return msg.get_body(('plain',)).get_content()

    def _preview_values(self, email=None):
        "The values of the first recipient, or of the example"
        for recipient in self.recipients:
            if recipient.email:
                return recipient.get_values()
        return {
            'civility': gettext('association_mailing.msg_civility_unknown'),
            'name': gettext('association_mailing.msg_example_name'),
            'commune': gettext('association_mailing.msg_example_commune'),
            'office': gettext('association_mailing.msg_example_office'),
            'email': email or 'prenom.nom@example.org',
            'party': None,
            }

    def _templates(self):
        "The templates of the subject, the HTML and the text"
        try:
            return (
                NewTextTemplate(self.title or ''),
                MarkupTemplate(self.content or '<div/>'),
                NewTextTemplate(self.plain_text)
                if self.plain_text else None)
        except GenshiTemplateError as exception:
            raise MailingError(gettext(
                    'association_mailing.msg_message_template',
                    message=self.rec_name, error=exception)) from exception

    def _email_parts(self):
        """What the e-mails of the message share, found once for a batch:
        the compiled templates, the sender, the attachments, the text of
        the unsubscription link, the secret and the validity of its
        token"""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Configuration = pool.get('association.mailing.configuration')
        attachments = []
        for attachment in Attachment.search([
                    ('resource', '=', str(self)),
                    ('type', '=', 'data'),
                    ], order=[('id', 'ASC')]):
            ctype, _ = mimetypes.guess_type(attachment.name)
            maintype, subtype = (
                ctype or 'application/octet-stream').split('/', 1)
            attachments.append(
                (attachment.data, maintype, subtype, attachment.name))
        from_cfg = (config.get('marketing', 'email_from')
            or config.get('email', 'from'))
        return {
            'templates': self._templates(),
            'from': (from_cfg, self.from_ or from_cfg),
            'attachments': attachments,
            'link': gettext('association_mailing.msg_footer_unsubscribe'),
            'secret': Configuration.get_secret(),
            'days': Configuration(1).token_validity,
            }

    def get_email(self, values, parts=None, shorten=None):
        """Return the e-mail of the message filled in with the values of a
        recipient: civility, name, commune, office, email; parts are those
        of _email_parts (found again if not given); the address of each
        link to the web replaced by shorten(address) if given"""
        parts = parts or self._email_parts()
        subject, content, text = parts['templates']
        try:
            title = subject.generate(**values).render().strip()
            stream = content.generate(**values)
            if shorten:
                stream = stream.filter(track_links(shorten))
            html = stream.render()
            if text:
                text = text.generate(**values).render()
        except Exception as exception:
            raise MailingError(gettext(
                    'association_mailing.msg_message_template',
                    message=self.rec_name, error=exception)) from exception
        if not text:
            text = lxml_html.fromstring(html).text_content().strip() + '\n'
        token_list = self.list_.id if self.list_ else None
        url = unsubscribe_url(make_token(values['email'], token_list,
                days=parts['days'], secret=parts['secret']))
        link = parts['link']
        footer = (f'<p style="font-size:small;color:#666">'
            f'<a href="{url}">{link}</a></p>')
        if '</body>' in html:
            html = html.replace('</body>', footer + '</body>', 1)
        else:
            html += footer
        text += f'\n-- \n{link} : {url}\n'

        msg = EmailMessage()
        set_from_header(msg, *parts['from'])
        msg['To'] = format_address(values.get('name'), values['email'])
        msg['Subject'] = title
        msg['List-Unsubscribe'] = f'<{url}>'
        msg['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click'
        msg['Precedence'] = 'bulk'
        msg.set_content(text)
        msg.add_alternative(html, subtype='html')
        for data, maintype, subtype, filename in parts['attachments']:
            msg.add_attachment(data, maintype=maintype,
                subtype=subtype, filename=filename)
        return msg

    @classmethod
    def check_subject(cls, messages):
        for message in messages:
            if not (message.title or '').strip():
                raise MailingError(gettext(
                        'association_mailing.msg_message_no_subject',
                        message=message.rec_name))
            if not message.content:
                raise MailingError(gettext(
                        'association_mailing.msg_message_no_content',
                        message=message.rec_name))
            message._templates()

    @classmethod
    @ModelView.button
    @Workflow.transition('sending')
    def send(cls, messages):
        cls.check_subject(messages)
        super().send(messages)
        mailings = [m for m in messages if m.audience]
        if mailings:
            # Sending before its lines, which may all be sent at once
            cls.write(mailings, {'state': 'sending'})
            cls.queue_prepare(mailings)

    @classmethod
    def queue_prepare(cls, messages):
        """Queue the preparation of the messages: refreshing an audience of
        tens of thousands of people takes longer than a client waits"""
        # The secret of the links, created now rather than by workers side
        # by side
        Pool().get('association.mailing.configuration').get_secret()
        with Transaction().set_context(queue_name=QUEUE):
            cls.__queue__.prepare(messages)

    @classmethod
    def prepare(cls, messages):
        """Refresh the audiences and make the lines of the recipients, one
        per e-mail address, then queue their sending (a queued task)

        In one transaction: a failure leaves the mailing sending without
        any line, whose preparation "Resume" queues again.  A mailing
        prepared already (with lines) or no longer sending is left as it
        is, so that a preparation queued twice makes its lines once."""
        pool = Pool()
        Audience = pool.get('association.mailing.audience')
        Configuration = pool.get('association.mailing.configuration')
        Recipient = pool.get('association.mailing.recipient')
        # Two workers never prepare the same mailing side by side
        cls.lock(messages)
        messages = [m for m in cls.browse(messages)
            if m.state == 'sending' and m.audience]
        messages = cls._not_prepared(messages)
        if not messages:
            return
        Configuration.get_secret()
        line = Recipient.__table__()
        recipients = Audience.get_recipients({m.audience for m in messages})
        rows = []
        for message in messages:
            done = set()
            for values in recipients[message.audience.id]:
                key = values['email'] or values['party']
                if key in done:
                    continue
                done.add(key)
                rows.append([message.id, values['party'], values['email'],
                        values['authority'], values['office'],
                        'to_send' if values['email'] else 'no_email'])
        # The lines are the module's to make, of values that it found: one
        # statement for many rows (the ORM would insert and browse them one
        # by one, minutes for a mailing to 35,000 people)
        writer = BulkWriter()
        writer.user, writer.now = Transaction().user, dt.datetime.now()
        writer.insert(line,
            ['message', 'party', 'email', 'authority', 'office', 'state'],
            rows)
        cls.queue_lines(cls._lines_to_send(messages))
        cls.check_sent(messages)

    @classmethod
    def _with_lines(cls, messages, states=None):
        """Return the ids of the messages that have a line (in one of the
        states if given)"""
        pool = Pool()
        Recipient = pool.get('association.mailing.recipient')
        message = cls.__table__()
        line = Recipient.__table__()
        cursor = Transaction().connection.cursor()
        where = line.message == message.id
        if states:
            where &= line.state.in_(states)
        result = set()
        for sub_ids in grouped_slice(
                [m.id for m in messages], backend.MAX_QUERY_PARAMS):
            cursor.execute(*message.select(message.id,
                    where=fields.SQL_OPERATORS['in'](
                        message.id, list(sub_ids))
                    & Exists(line.select(Literal(1), where=where))))
            result.update(i for i, in cursor)
        return result

    @classmethod
    def _not_prepared(cls, messages):
        "Return the messages without any line"
        prepared = cls._with_lines(messages)
        return [m for m in messages if m.id not in prepared]

    @classmethod
    def _lines_to_send(cls, messages):
        "Return the ids of the lines of the messages still to send"
        pool = Pool()
        Recipient = pool.get('association.mailing.recipient')
        line = Recipient.__table__()
        cursor = Transaction().connection.cursor()
        ids = []
        for sub_ids in grouped_slice(
                [m.id for m in messages], backend.MAX_QUERY_PARAMS):
            cursor.execute(*line.select(line.id,
                    where=fields.SQL_OPERATORS['in'](
                        line.message, list(sub_ids))
                    & (line.state == 'to_send'),
                    order_by=[line.id.asc]))
            ids.extend(i for i, in cursor)
        return sorted(ids)

    @classmethod
    def queue_lines(cls, lines):
        "Queue the sending of the lines (records or ids) in batches"
        pool = Pool()
        Configuration = pool.get('association.mailing.configuration')
        Recipient = pool.get('association.mailing.recipient')
        configuration = Configuration(1)
        if lines:
            with Transaction().set_context(
                    queue_name=QUEUE, queue_batch=configuration.batch_size):
                Recipient.__queue__.deliver(lines)

    @classmethod
    @ModelView.button
    def resume(cls, messages):
        """Queue again the lines left to send (never those in progress), or
        the preparation of the mailings that have no line yet"""
        messages = [m for m in messages if m.state == 'sending']
        not_prepared = cls._not_prepared(messages)
        if not_prepared:
            cls.queue_prepare(not_prepared)
        prepared = [m for m in messages if m not in not_prepared]
        cls.queue_lines(cls._lines_to_send(prepared))
        cls.check_sent(prepared)

    @classmethod
    def check_sent(cls, messages):
        "Mark sent the messages whose every line was sent or failed"
        # Each queued batch asks: the first line left answers (the index of
        # the message and the state), not all the lines left
        left = cls._with_lines(messages, ['to_send', 'in_progress'])
        done = [m for m in messages if m.id not in left]
        if done:
            cls.sent(done)
        sending = [m for m in messages
            if m.id in left and m.state != 'sending']
        if sending:
            cls.write(sending, {'state': 'sending'})

    @classmethod
    @ModelView.button
    def send_test_me(cls, messages):
        "Send the messages now to the e-mail address of the user"
        pool = Pool()
        User = pool.get('res.user')
        user = User(Transaction().user)
        if not user.email:
            raise MailingError(gettext(
                    'association_mailing.msg_user_no_email',
                    user=user.rec_name))
        cls.check_subject(messages)
        for message in messages:
            with Transaction().set_context(language=message.language):
                message = cls(message.id)
                values = message._preview_values(user.email)
                values['email'] = user.email
                msg = message.get_email(values)
                msg.replace_header('Subject', gettext(
                        'association_mailing.msg_test_subject',
                        subject=msg['Subject']))
            (error,), server = send_emails([msg])
            quit(server)
            if error:
                raise MailingError(gettext(
                        'association_mailing.msg_test_failed',
                        email=user.email, error=error))

    @classmethod
    def process(cls, messages=None, emails=None, smtpd_datamanager=None):
        # The mailings to an audience are sent through the queue, never by
        # marketing_email's scheduled action, which would send them to
        # their whole list a second time
        if messages is None:
            messages = cls.search([
                    ('state', '=', 'sending'),
                    ('audience', '=', None),
                    ])
        else:
            messages = [m for m in messages if not m.audience or emails]
        if messages:
            super().process(messages=messages, emails=emails,
                smtpd_datamanager=smtpd_datamanager)


def send_emails(messages, server=None, from_addrs=None):
    """Send each e-mail through server (or a new connection), from the
    envelope sender of from_addrs if given, and return for each the
    server's answer when it failed, or None, and the server still connected
    (None if not)"""
    errors = []
    for msg, from_addr in zip(messages, from_addrs or [None] * len(messages)):
        try:
            if server is None:
                server = get_smtp_server(strict=True)
            server = send_message(msg, from_addr=from_addr, server=server,
                strict=True) or server
        except smtplib.SMTPRecipientsRefused as exception:
            errors.append('; '.join(
                    f'{c} {m.decode("utf-8", "replace")}'
                    for c, m in exception.recipients.values()))
        except (smtplib.SMTPException, OSError, UnicodeError,
                ValueError) as exception:
            errors.append(str(exception) or exception.__class__.__name__)
            server = None
        else:
            errors.append(None)
    return errors, server


def quit(server):
    if server is not None:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            pass


class Recipient(ModelSQL, ModelView):
    "Mailing Recipient"
    __name__ = 'association.mailing.recipient'

    message = fields.Many2One(
        'marketing.email.message', "Mailing", required=True,
        ondelete='CASCADE', readonly=True)
    party = fields.Many2One(
        'party.party', "Party", required=True, readonly=True,
        ondelete='CASCADE')
    email = fields.Char("E-mail", readonly=True)
    authority = fields.Many2One(
        'party.party', "Authority", readonly=True, ondelete='SET NULL')
    office = fields.Selection('get_offices', "Office", readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    error = fields.Text("Error", readonly=True,
        states={
            'invisible': ~Eval('error'),
            },
        help="The answer of the mail server.")
    sent_at = fields.Timestamp("Sent at", readonly=True)
    link_opened = fields.Function(
        fields.Boolean("Opened a Link",
            help="The recipient opened at least one link of the e-mail."),
        'get_link_opened', searcher='search_link_opened')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.message, Index.Range()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.party, Index.Range())),
                })
        cls._order = [('message', 'DESC'), ('id', 'ASC')]
        cls._buttons.update({
                'resend': {
                    'invisible': ~Eval('state').in_(
                        ['in_progress', 'failed', 'bounced']),
                    'depends': ['state'],
                    },
                'bounce': {
                    'invisible': Eval('state') != 'sent',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'to_send'

    @classmethod
    def link_opened_query(cls):
        "The query of the ids of the lines whose links were opened"
        pool = Pool()
        ShortenedURL = pool.get('web.shortened_url')
        URLAccess = pool.get('web.shortened_url.access')
        url = ShortenedURL.__table__()
        access = URLAccess.__table__()
        line = cls.__table__()
        opened = line.join(url,
            condition=url.record == Concat(cls.__name__ + ',', line.id)
            ).join(access, condition=access.url == url.id)
        return opened.select(line.id)

    @classmethod
    def get_link_opened(cls, recipients, name):
        line = cls.__table__()
        cursor = Transaction().connection.cursor()
        result = {r.id: False for r in recipients}
        for sub_ids in grouped_slice(
                [r.id for r in recipients], backend.MAX_QUERY_PARAMS):
            cursor.execute(*line.select(line.id,
                    where=fields.SQL_OPERATORS['in'](line.id, list(sub_ids))
                    & line.id.in_(cls.link_opened_query())))
            result.update((i, True) for i, in cursor)
        return result

    @classmethod
    def search_link_opened(cls, name, clause):
        _, operator, value = clause
        if operator not in {'=', '!='}:
            return []
        opened = bool(value) == (operator == '=')
        return [('id', 'in' if opened else 'not in',
                cls.link_opened_query())]

    @classmethod
    def get_offices(cls):
        pool = Pool()
        Mandate = pool.get('association.mandate')
        return [(None, "")] + Mandate.fields_get(
            ['office'])['office']['selection']

    @classmethod
    def office_names(cls):
        "The names of the offices in the language of the context"
        pool = Pool()
        Mandate = pool.get('association.mandate')
        return dict(Mandate.fields_get(['office'])['office']['selection'])

    def get_values(self, offices=None):
        "The values of the placeholders of the message for the recipient"
        party = self.party
        civility = getattr(party, 'civility', None)
        if party.kind != 'person':
            civility = None
        if offices is None:
            offices = self.office_names()
        office = offices.get(self.office, '') if self.office else ''
        return {
            'civility': gettext(
                'association_mailing.msg_civility_' + (civility or 'unknown')),
            'name': party.name,
            'commune': self.authority.name if self.authority else '',
            'office': office,
            'email': self.email,
            'party': party,
            }

    @classmethod
    @ModelView.button
    def resend(cls, recipients):
        "Send again the e-mails in progress, failed or bounced"
        pool = Pool()
        Message = pool.get('marketing.email.message')
        recipients = [r for r in recipients
            if r.state in {'in_progress', 'failed', 'bounced'}]
        cls.write(recipients, {'state': 'to_send', 'error': None})
        messages = list({r.message for r in recipients})
        Message.write(
            [m for m in messages if m.state == 'sent'], {'state': 'sending'})
        Message.queue_lines(recipients)

    @classmethod
    @ModelView.button
    def bounce(cls, recipients):
        "Mark the e-mails that came back"
        cls.write([r for r in recipients if r.state == 'sent'],
            {'state': 'bounced'})

    @classmethod
    def _short_transaction(cls, func):
        """Run func(cursor) in a transaction of its own, committed, tried
        again when another worker changed the same rows"""
        transaction = Transaction()
        for count in range(RETRIES):
            try:
                with transaction.new_transaction() as new:
                    result = func(new.connection.cursor())
                    new.commit()
                return result
            except backend.DatabaseOperationalError:
                if count + 1 == RETRIES:
                    raise
                time.sleep(0.01 * (count + 1))

    @classmethod
    def deliver(cls, recipients):
        """Send the e-mails of the lines still to send (a queued task)

        Each line is taken in a committed transaction before its e-mail
        leaves and its outcome is committed right after."""
        pool = Pool()
        Message = pool.get('marketing.email.message')
        by_message = defaultdict(list)
        for recipient in recipients:
            by_message[recipient.message].append(recipient)
        server = None
        for message, lines in by_message.items():
            with Transaction().set_context(language=message.language):
                server = cls._deliver(message, lines, server)
        quit(server)

        def check(cursor):
            Message.check_sent(Message.browse(
                    [m.id for m in by_message]))
        cls._short_transaction(check)

    @classmethod
    def _deliver(cls, message, lines, server):
        """Send the lines of the message in the language of the context

        The transaction that takes a line also records the outcome of the
        line sent before it: one short transaction per e-mail, and still
        at most one line in progress that may have left."""
        pool = Pool()
        Configuration = pool.get('association.mailing.configuration')
        table = cls.__table__()
        message = message.__class__(message.id)
        lines = cls.browse(lines)
        offices = cls.office_names()
        parts = message._email_parts()
        bounce_address = Configuration(1).bounce_address
        domain = bounce_address.rsplit('@', 1)[1] if bounce_address else host()
        # Without a throttle when the batch starts, its e-mails take no
        # slot (nor the lock of the configuration)
        throttled = bool(Configuration(1).throttle)

        def take(cursor, line, outcome):
            """Record the outcome (line id and error) of the line sent
            before, then take line if any: return the seconds to wait for
            its slot, None if it is not to send"""
            if outcome:
                line_id, error = outcome
                now = dt.datetime.now()
                cursor.execute(*table.update(
                        [table.state, table.error, table.sent_at,
                            table.write_date],
                        ['failed' if error else 'sent', error,
                            None if error else now, now],
                        where=table.id == line_id))
            if line is None:
                return None
            cursor.execute(*table.update(
                    [table.state, table.write_date],
                    ['in_progress', dt.datetime.now()],
                    where=(table.id == line.id)
                    & (table.state == 'to_send')))
            if cursor.rowcount != 1:
                return None
            return Configuration.take_slot() if throttled else 0

        outcome = None
        for line in lines:
            wait = cls._short_transaction(
                functools.partial(take, line=line, outcome=outcome))
            outcome = None
            if wait is None:
                # Taken by another task or sent already
                continue
            if wait:
                time.sleep(wait)
            try:
                if message.has_links:
                    # The links of the e-mail exist before it leaves,
                    # whatever happens to the task afterwards
                    msg = cls._short_transaction(
                        lambda cursor: message.get_email(
                            line.get_values(offices), parts,
                            line._shorten()))
                else:
                    msg = message.get_email(line.get_values(offices), parts)
            except (MailingError, ValueError) as exception:
                error = getattr(exception, 'message', str(exception))
            else:
                msg['Message-ID'] = bounce.message_id(
                    parts['secret'], line.id, domain)
                from_addr = None
                if bounce_address:
                    from_addr = bounce.verp_address(
                        bounce_address, parts['secret'], line.id)
                (error,), server = send_emails([msg], server, [from_addr])
            outcome = (line.id, error)
        if outcome:
            cls._short_transaction(
                functools.partial(take, line=None, outcome=outcome))
        return server

    def _shorten(self):
        """Return the function that gives the tracked address of a link of
        the e-mail of the line (in the transaction of the context)"""
        pool = Pool()
        ShortenedURL = pool.get('web.shortened_url')
        urls = {}

        def shorten(href):
            if href not in urls:
                url = ShortenedURL(record=self, redirect_url=href)
                # The links are the module's to make
                with without_check_access():
                    url.save()
                urls[href] = url.shortened_url
            return urls[href]
        return shorten

    @classmethod
    def process_bounces(cls):
        """Read the delivery status notifications of the mailbox of the
        configuration: mark bounced the lines they name, with the status
        and the diagnostic of the failure, and mark them seen; leave the
        other messages as they are and count them"""
        pool = Pool()
        Configuration = pool.get('association.mailing.configuration')
        configuration = Configuration.get_singleton()
        if not configuration or not configuration.bounce_mailbox:
            return
        path = configuration.bounce_mailbox
        reason = bounce.check_maildir(path)
        if reason:
            raise BounceError(gettext(
                    'association_mailing.msg_bounce_mailbox_' + reason,
                    path=path))
        secret = Configuration.get_secret()
        datamanager = Transaction().join(bounce.SeenDataManager(path))
        found, left = {}, 0
        try:
            for key, data in bounce.unread(path):
                line_id, failures = bounce.read_dsn(
                    data, secret, configuration.bounce_address)
                if line_id is None or not failures:
                    left += 1
                    continue
                found[key] = (line_id, failures)
        except OSError as exception:
            raise BounceError(gettext(
                    'association_mailing.msg_bounce_mailbox_unreadable',
                    path=path, error=exception)) from exception
        lines = {l.id: l for l in cls.search([
                    ('id', 'in', list({i for i, _ in found.values()})),
                    ])}
        to_write = defaultdict(list)
        for key, (line_id, failures) in sorted(found.items()):
            line = lines.get(line_id)
            if not line:
                left += 1
                continue
            datamanager.keys.append(key)
            if line.state != 'sent':
                # Bounced already, or sent again since
                continue
            # The failure of the line's address, or the first one
            address, status, diagnostic = next(
                (f for f in failures if f[0] == line.email), failures[0])
            error = ' '.join(filter(None, [status, diagnostic]))
            to_write[error].append(line)
        # The lines are the module's to change, never the users'
        with without_check_access():
            args = []
            for error, records in to_write.items():
                args.extend([records, {'state': 'bounced', 'error': error}])
            if args:
                cls.write(*args)
            Configuration.write([configuration], {
                    'bounces_processed_at': dt.datetime.now(),
                    'bounces_found': sum(len(r) for r in to_write.values()),
                    'bounces_left': left,
                    })
        logger.info("bounces of %s: %d bounced, %d left alone", path,
            sum(len(r) for r in to_write.values()), left)
