# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import trytond.config as config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, Unique, fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from .exceptions import ProfileError

DESCRIPTION_SIZE = 4000

# The signatures of the image formats accepted as logos.
# SVG is refused: it may carry scripts.
IMAGE_SIGNATURES = [
    (b'\x89PNG\r\n\x1a\n', 'image/png'),
    (b'\xff\xd8\xff', 'image/jpeg'),
    (b'GIF87a', 'image/gif'),
    (b'GIF89a', 'image/gif'),
    ]


def image_type(data):
    "Return the MIME type of the image data or None"
    if not data:
        return None
    data = bytes(data[:16])
    for signature, mimetype in IMAGE_SIGNATURES:
        if data.startswith(signature):
            return mimetype
    if data[:4] == b'RIFF' and data[8:12] == b'WEBP':
        return 'image/webp'
    return None


def logo_max_size():
    "The largest logo accepted, in bytes"
    return config.getint(
        'association_portal', 'logo_max_size', default=1024 * 1024)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    description = fields.Text(
        "Description", size=DESCRIPTION_SIZE,
        states={
            'invisible': Eval('kind') == 'person',
            },
        help="How the organisation presents itself to the association "
        "and the other partners.")
    logo = fields.Binary(
        "Logo",
        states={
            'invisible': Eval('kind') == 'person',
            },
        help="A PNG, JPEG, GIF or WebP image.")
    themes = fields.Many2Many(
        'party.party-association.theme', 'party', 'theme', "Themes",
        help="The themes the party works on.")
    portal_users = fields.One2Many(
        'web.user', 'organisation', "Portal Accounts", readonly=True,
        states={
            'invisible': Eval('kind') == 'person',
            },
        help="The contacts who sign in to the portal for this "
        "organisation.")

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('portal_users')
        return super().copy(parties, default=default)

    @classmethod
    def validate_fields(cls, parties, field_names):
        super().validate_fields(parties, field_names)
        cls.check_logo(parties, field_names)

    @classmethod
    def check_logo(cls, parties, field_names=None):
        if field_names and 'logo' not in field_names:
            return
        max_size = logo_max_size()
        for party in parties:
            if not party.logo:
                continue
            if not image_type(party.logo):
                raise ProfileError(gettext(
                        'association_portal.msg_logo_type',
                        party=party.rec_name))
            if len(party.logo) > max_size:
                raise ProfileError(gettext(
                        'association_portal.msg_logo_size',
                        party=party.rec_name,
                        size=max_size // 1024))


class PartyTheme(ModelSQL):
    "Party - Theme"
    __name__ = 'party.party-association.theme'

    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='CASCADE')
    theme = fields.Many2One(
        'association.theme', "Theme", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('party_theme_unique', Unique(t, t.party, t.theme),
                'association_portal.msg_party_theme_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.theme, Index.Range())))
