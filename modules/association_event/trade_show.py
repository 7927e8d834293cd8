# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, fields, sequence_ordered)
from trytond.pool import PoolMeta
from trytond.pyson import Eval, If


class Stand(ModelSQL, ModelView):
    "Event Stand"
    __name__ = 'association.event.stand'

    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE')
    number = fields.Char("Number", required=True)
    size = fields.Float(
        "Size", digits=(16, 1),
        domain=[
            If(Eval('size'),
                ('size', '>', 0),
                ()),
            ],
        help="In square metres.")
    location = fields.Char(
        "Location", help="The hall, aisle or area of the stand.")
    price = fields.Numeric(
        "Price", digits=(16, 2),
        domain=[
            If(Eval('price'),
                ('price', '>=', 0),
                ()),
            ],
        help="The price excluding taxes.")
    exhibitor = fields.Many2One(
        'party.party', "Exhibitor", ondelete='RESTRICT',
        domain=[
            ('kind', '!=', 'person'),
            ],
        help="The organisation that holds the stand.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('event_number_unique', Unique(t, t.event, t.number),
                'association_event.msg_stand_number_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.exhibitor, Index.Range())))
        cls._order = [
            ('event', 'ASC'),
            ('number', 'ASC'),
            ('id', 'ASC'),
            ]

    def get_rec_name(self, name):
        return f'{self.number} ({self.event.rec_name})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('number', *clause[1:])]


class Sponsor(sequence_ordered('rank', "Rank"), ModelSQL, ModelView):
    "Event Sponsor"
    __name__ = 'association.event.sponsor'

    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Sponsor", required=True, ondelete='RESTRICT',
        domain=[
            ('kind', '!=', 'person'),
            ])
    description = fields.Char(
        "Description", help="What the sponsor offers, as announced.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('event_party_unique', Unique(t, t.event, t.party),
                'association_event.msg_sponsor_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))
        cls._order.insert(0, ('event', 'ASC'))

    def get_rec_name(self, name):
        return self.party.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name', *clause[1:])]


class Event(metaclass=PoolMeta):
    __name__ = 'association.event'

    stands = fields.One2Many(
        'association.event.stand', 'event', "Stands",
        states={
            'readonly': Eval('state').in_(['done', 'cancelled']),
            })
    sponsors = fields.One2Many(
        'association.event.sponsor', 'event', "Sponsors",
        states={
            'readonly': Eval('state').in_(['done', 'cancelled']),
            })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//page[@id="trade_show"]', 'states', {
                    'invisible': ~Eval('kind').in_(['trade_show', 'congress']),
                    }),
            ]

    @classmethod
    def copy(cls, events, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('stands')
        default.setdefault('sponsors')
        return super().copy(events, default=default)

    def get_replacement_default(self, start, end, format, online_url):
        # The exhibitors and sponsors follow the event to its replacement
        default = super().get_replacement_default(
            start, end, format, online_url)
        default['stands'] = [s.id for s in self.stands]
        default['sponsors'] = [s.id for s in self.sponsors]
        return default
