# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The e-mails that come back: the delivery status notifications (RFC 3464)
read from a Maildir folder

Each e-mail of a mailing leaves with a Message-ID that names its line, and,
when the configuration gives a bounce address, with the envelope sender
``bounces+<line>-<signature>@domain`` (VERP): the notification of a mail
server that could not deliver it comes back to that address and names the
line either way.  Both carry a signature made with the secret of the
database, so that a notification of another database or a forged one
matches no line.  The messages recognised are marked seen in the folder
after the transaction that records them is committed; the others are left
as they are for a person to read."""
import email
import email.policy
import hashlib
import hmac
import mailbox
import os
import re
from email.errors import MessageError
from email.headerregistry import Address
from email.utils import getaddresses, make_msgid

MESSAGE_ID = re.compile(r'\.mailing\.(\d+)\.([0-9a-f]+)@', re.IGNORECASE)
# The errors of a message that cannot be read
PARSE_ERRORS = (
    MessageError, ValueError, TypeError, IndexError, LookupError,
    AttributeError, UnicodeError)


def signature(secret, line_id):
    "The signature of the line in the addresses of its e-mail"
    return hmac.new(secret.encode('utf-8'), f'bounce\n{line_id}'.encode(),
        hashlib.sha256).hexdigest()[:16]


def message_id(secret, line_id, domain):
    "The Message-ID of the e-mail of the line"
    return make_msgid(
        f'mailing.{line_id}.{signature(secret, line_id)}', domain=domain)


def verp_address(bounce_address, secret, line_id):
    "The envelope sender of the e-mail of the line"
    local, domain = bounce_address.rsplit('@', 1)
    return f'{local}+{line_id}-{signature(secret, line_id)}@{domain}'


def valid_bounce_address(value):
    "Whether value is an address to which VERP can add a suffix"
    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError, MessageError):
        return False
    return bool(address.username and address.domain
        and '+' not in address.username and address.addr_spec == value)


def _verified(secret, line_id, sign):
    return hmac.compare_digest(
        signature(secret, line_id), sign.lower())


def _line_from_verp(msg, secret, bounce_address):
    "The line named by the VERP address the notification was sent to"
    if not bounce_address:
        return None
    local, domain = bounce_address.lower().rsplit('@', 1)
    pattern = re.compile(
        re.escape(local) + r'\+(\d+)-([0-9a-f]+)@' + re.escape(domain) + '$')
    values = []
    for name in ['Delivered-To', 'X-Original-To', 'Envelope-To', 'To',
            'Return-Path']:
        values.extend(str(v) for v in msg.get_all(name, []))
    for _, address in getaddresses(values):
        match = pattern.match(address.lower())
        if match and _verified(secret, int(match.group(1)), match.group(2)):
            return int(match.group(1))
    return None


def _line_from_message_id(headers, secret):
    "The line named by the Message-ID of the e-mail returned"
    if headers is None:
        return None
    match = MESSAGE_ID.search(str(headers.get('Message-ID', '')))
    if match and _verified(secret, int(match.group(1)), match.group(2)):
        return int(match.group(1))
    return None


def _returned_headers(msg):
    "The headers of the e-mail returned with the notification, or None"
    for part in msg.iter_parts():
        ctype = part.get_content_type()
        if ctype == 'message/rfc822':
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return payload[0]
        elif ctype == 'text/rfc822-headers':
            return email.message_from_string(
                part.get_content(), policy=email.policy.default)
    return None


def _address(value):
    "The address of a field of type address (rfc822; x@y)"
    value = str(value or '')
    if ';' in value:
        value = value.split(';', 1)[1]
    return value.strip().strip('<>').strip().lower() or None


def read_dsn(data, secret, bounce_address=None):
    """Read the delivery status notification in data (bytes)

    Return the line it names and the failures it reports, as tuples of the
    address, the status and the diagnostic: (line_id, failures); line_id is
    None when the message is not a notification, is ill-formed or names no
    line of the database."""
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        if (msg.get_content_type() != 'multipart/report'
                or msg.get_param('report-type', '').lower()
                != 'delivery-status'):
            return None, []
        status = None
        for part in msg.iter_parts():
            if part.get_content_type() == 'message/delivery-status':
                status = part
                break
        if status is None:
            return None, []
        blocks = status.get_payload()
        if not isinstance(blocks, list) or len(blocks) < 2:
            return None, []
        failures = []
        # The first block is about the message, the next ones about each
        # recipient
        for block in blocks[1:]:
            action = str(block.get('Action', '')).strip().lower()
            if action != 'failed':
                continue
            failures.append((
                    _address(block.get('Final-Recipient')
                        or block.get('Original-Recipient')),
                    ' '.join(str(block.get('Status', '')).split()),
                    ' '.join(str(block.get('Diagnostic-Code', '')).split()),
                    ))
        line_id = _line_from_verp(msg, secret, bounce_address)
        if line_id is None:
            line_id = _line_from_message_id(_returned_headers(msg), secret)
        return line_id, failures
    except PARSE_ERRORS:
        return None, []


def check_maildir(path):
    """Return the reason why path is not a Maildir folder (missing,
    not a folder, without its subfolders), or None"""
    if not os.path.isabs(path):
        return 'relative'
    if not os.path.isdir(path):
        return 'missing'
    for sub in ['cur', 'new', 'tmp']:
        if not os.path.isdir(os.path.join(path, sub)):
            return 'not_maildir'
    return None


def unread(path):
    "Yield the key and the bytes of the messages not seen of the Maildir"
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        try:
            msg = box.get_message(key)
        except (FileNotFoundError, KeyError):
            # Taken by another reader meanwhile
            continue
        if 'S' in msg.get_flags():
            continue
        try:
            yield key, box.get_bytes(key)
        except (FileNotFoundError, KeyError):
            continue


class SeenDataManager:
    """Mark seen the messages of a Maildir folder once the transaction that
    recorded them is committed (a message left unseen after a failure is
    read again: recording it twice changes nothing)"""

    def __init__(self, path):
        self.path = path
        self.keys = []

    def __eq__(self, other):
        if not isinstance(other, SeenDataManager):
            return NotImplemented
        return self.path == other.path

    def abort(self, trans):
        self.keys = []

    def tpc_begin(self, trans):
        pass

    def commit(self, trans):
        pass

    def tpc_vote(self, trans):
        pass

    def tpc_finish(self, trans):
        box = mailbox.Maildir(self.path, factory=None, create=False)
        for key in self.keys:
            try:
                msg = box[key]
            except KeyError:
                continue
            msg.set_subdir('cur')
            msg.add_flag('S')
            box[key] = msg
        self.keys = []

    def tpc_abort(self, trans):
        self.keys = []
