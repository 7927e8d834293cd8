# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    event_registrations = fields.One2Many(
        'association.event.registration', 'person', "Registrations",
        readonly=True,
        states={
            'invisible': Eval('kind') != 'person',
            },
        help="The events the person registered to or attended.")
    event_organisation_registrations = fields.One2Many(
        'association.event.registration', 'organisation',
        "Registrations of its People", readonly=True,
        states={
            'invisible': Eval('kind') == 'person',
            },
        help="The registrations of the people who came for the "
        "organisation.")
    event_stands = fields.One2Many(
        'association.event.stand', 'exhibitor', "Stands", readonly=True,
        states={
            'invisible': Eval('kind') == 'person',
            })
    event_sponsorships = fields.One2Many(
        'association.event.sponsor', 'party', "Sponsorships", readonly=True,
        states={
            'invisible': Eval('kind') == 'person',
            })

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('event_registrations')
        default.setdefault('event_organisation_registrations')
        default.setdefault('event_stands')
        default.setdefault('event_sponsorships')
        return super().copy(parties, default=default)
