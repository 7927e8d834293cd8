# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The helpers of the documents and e-mails of every module: French
elisions, dates written in full, the QR codes drawn in the page and the
sending of e-mails one by one"""
import base64
import datetime as dt
import logging
import smtplib
from email.utils import formataddr

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.sendmail import get_smtp_server, send_message
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

try:
    import qrcode
except ImportError:
    qrcode = None

logger = logging.getLogger(__name__)

# The letters before which "de" is elided ("d'Énergie Locale")
VOWELS = set('aeiouyàâäéèêëîïôöùûüÿœæ')
DEFAULT_TIMEZONE = 'Europe/Paris'


def _language(language=None):
    return language or Transaction().language or 'en'


def elide_de(name, language=None):
    """Return the complement of name in the language: "de Melun",
    "d'Argenteuil", "d'Éclairage public" in French, "of Melun" otherwise"""
    name = str(name or '')
    if _language(language).startswith('fr'):
        if name[:1].lower() in VOWELS:
            return "d'" + name
        return 'de ' + name
    return 'of ' + name


def _lang(lang=None):
    pool = Pool()
    Lang = pool.get('ir.lang')
    if lang is None or isinstance(lang, str):
        lang = Lang.get(lang)
    return lang


def _local(value, timezone=None):
    "Return the naive UTC datetime value in the time zone"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(tz.get_tzinfo(timezone or DEFAULT_TIMEZONE))
    return value


def format_day(value, lang=None, timezone=None):
    """Return the day of value written in full in the language:
    "mercredi 1er décembre 2027", "Wednesday 1 December 2027"

    A datetime is naive UTC and taken in the time zone."""
    if not value:
        return ''
    lang = _lang(lang)
    value = _local(value, timezone)
    day = str(value.day)
    weekday, month = lang.strftime(value, '%A'), lang.strftime(value, '%B')
    if lang.code.startswith('fr'):
        if value.day == 1:
            day = '1er'
        # French writes the names of the days and months in lower case
        weekday, month = weekday.lower(), month.lower()
    return ' '.join([weekday, day, month, str(value.year)])


def format_time(value, lang=None, timezone=None):
    "Return the time of the datetime value: 18 h, 18 h 30 or 18:30"
    if not value:
        return ''
    lang = _lang(lang)
    value = _local(value, timezone)
    if lang.code.startswith('fr'):
        if value.minute:
            return f'{value.hour} h {value.minute:02d}'
        return f'{value.hour} h'
    return value.strftime('%H:%M')


def format_moment(value, lang=None, timezone=None):
    "Return the day and time of the datetime value in full"
    lang = _lang(lang)
    with Transaction().set_context(language=lang.code):
        return gettext('association.msg_moment',
            day=format_day(value, lang, timezone),
            time=format_time(value, lang, timezone))


def format_period(start, end, lang=None, timezone=None):
    """Return the period from start to end in full: on one day, the day and
    the hours; else both days with their hours"""
    lang = _lang(lang)
    with Transaction().set_context(language=lang.code):
        if _local(start, timezone).date() == _local(end, timezone).date():
            return gettext('association.msg_period_day',
                day=format_day(start, lang, timezone),
                start=format_time(start, lang, timezone),
                end=format_time(end, lang, timezone))
        return gettext('association.msg_period',
            start=format_moment(start, lang, timezone),
            end=format_moment(end, lang, timezone))


def _qrcode_svg(code, css_class='qrcode', border=2):
    """Return the text of the SVG image of the QR code of code: its dark
    modules in one path, which the PDF conversion draws in a few
    milliseconds (an element per module costs a quarter of a second a
    page)"""
    qr = qrcode.QRCode(
        border=border, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(code)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = len(matrix)
    path = ''.join(
        f'M{x},{y}h1v1h-1z'
        for y, row in enumerate(matrix) for x, dark in enumerate(row)
        if dark)
    return (
        f'<svg class="{css_class}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>')


def qrcode_svg(code, css_class='qrcode'):
    """Return the QR code of code as the stream of an SVG element to put in
    the HTML page of a report

    The element is drawn by the PDF conversion, which fetches no image
    of a data: address in trytond 8.0; a stream of elements, not a text,
    passes the translation of the template unchanged."""
    from genshi.input import XML
    if not qrcode or not code:
        return None
    return XML(_qrcode_svg(code, css_class))


def qrcode_data_uri(code, border=0):
    """Return the QR code of code as the data: address of an SVG image
    (for an img element of a report), or None without qrcode"""
    if not qrcode or not code:
        return None
    return 'data:image/svg+xml;base64,' + base64.b64encode(
        _qrcode_svg(code, border=border).encode()).decode()


PAGE = '''<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 36em; margin: 2em auto;
    padding: 0 1em; line-height: 1.5; }}
button {{ font-size: 1em; padding: .5em 1em; margin: 0 .5em .5em 0; }}
</style></head>
<body><h1>{title}</h1>{body}</body></html>'''


def public_page(title, body, lang='fr', status=200):
    """Return the response of a small page that the links of the e-mails
    open outside the portal (answering an invitation, unsubscribing): the
    title escaped, body the HTML of its content"""
    from html import escape

    from trytond.protocols.wrappers import Response
    return Response(
        PAGE.format(lang=escape(lang), title=escape(title), body=body),
        status=status, content_type='text/html; charset=utf-8')


def template_context():
    "The helpers that every template of the association's modules uses"
    return {
        'de': elide_de,
        'format_day': format_day,
        'format_time': format_time,
        'format_moment': format_moment,
        'format_period': format_period,
        'qrcode_svg': qrcode_svg,
        }


class TemplateMixin:
    "Give the templates of a report the helpers of the association"
    __slots__ = ()

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context.update(template_context())
        return context


def email_address(address):
    """Return the address with its domain in ASCII (IDNA), as the mail
    servers read it; the local part may stay accented (SMTPUTF8)

    Raise ValueError for an address that cannot be written so."""
    address = (address or '').strip()
    local, sep, domain = address.rpartition('@')
    if not sep or not local or not domain:
        raise ValueError(address)
    try:
        domain = domain.encode('idna').decode('ascii')
    except UnicodeError as exception:
        raise ValueError(address) from exception
    return f'{local}@{domain}'


def format_address(name, address):
    """Return the header value of the address (email_address) with the name;
    an accented address is written as is, for a server that speaks
    SMTPUTF8"""
    address = email_address(address)
    if address.isascii():
        return formataddr((name, address))
    name = (name or '').replace('\\', '').replace('"', '')
    return f'"{name}" <{address}>' if name else address


def send_messages(messages):
    """Send each message now, through one connection, and return for each
    the error met or None when it was sent

    One message that fails does not stop the others; an accented address is
    sent when the server speaks SMTPUTF8."""
    errors = []
    server = None
    for msg in messages:
        try:
            if server is None:
                server = get_smtp_server(strict=True)
            server = send_message(msg, server=server, strict=True) or server
        except smtplib.SMTPRecipientsRefused as exception:
            errors.append('; '.join(
                    f'{a}: {c} {m.decode("utf-8", "replace")}'
                    for a, (c, m) in exception.recipients.items()))
        except smtplib.SMTPNotSupportedError as exception:
            errors.append(gettext('association.msg_email_smtputf8',
                    error=str(exception)))
        except (smtplib.SMTPException, OSError, UnicodeError,
                ValueError) as exception:
            logger.info("fail to send e-mail", exc_info=True)
            errors.append(str(exception) or exception.__class__.__name__)
            if isinstance(exception, (
                        smtplib.SMTPServerDisconnected, OSError)):
                server = None
        else:
            errors.append(None)
    if server is not None:
        try:
            server.quit()
        except smtplib.SMTPException:
            pass
    return errors
