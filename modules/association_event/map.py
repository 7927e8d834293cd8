# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The map of the participation in events"
import datetime as dt

from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.association.map import MapReportMixin, french_date
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .event import SEATED
from .exceptions import ParticipationMapError

# The categories of the communes on the map, in the order of the legend
CATEGORIES = [
    ('attended', '#2166ac'),
    ('registered', '#92c5de'),
    ('none', '#e3e3e3'),
    ]
# The communes listed with their figures beside the map
LISTED = 25


class ParticipationMapStart(ModelView):
    "Participation Map"
    __name__ = 'association.event.participation_map.start'

    event = fields.Many2One(
        'association.event', "Event",
        help="The event whose participants are drawn.")
    series = fields.Many2One(
        'association.event.series', "Cycle",
        help="The events of the cycle, when no event is chosen.")
    year = fields.Integer(
        "Year",
        help="The events that started in the year, when no event nor cycle "
        "is chosen.")
    area = fields.Many2One(
        'party.party', "Area",
        domain=[
            ('kind', 'in', ['region', 'departement']),
            ],
        help="A région or a département; leave empty for France.")

    @classmethod
    def default_year(cls):
        return Pool().get('ir.date').today().year


class ParticipationMap(Wizard):
    "Participation Map"
    __name__ = 'association.event.participation_map'

    start = StateView(
        'association.event.participation_map.start',
        'association_event.participation_map_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Open", 'open_', 'tryton-launch'),
            Button("Print", 'print_', 'tryton-print', default=True),
            ])
    open_ = StateAction('association_event.report_participation_map_html')
    print_ = StateAction('association_event.report_participation_map')

    def default_start(self, fields):
        if self.model and self.model.__name__ == 'association.event':
            return {'event': self.record.id if self.record else None}
        return {}

    def _data(self):
        start = self.start
        if not (start.event or start.series or start.year):
            raise ParticipationMapError(gettext(
                    'association_event.msg_participation_map_scope'))
        return {
            'event': start.event.id if start.event else None,
            'series': start.series.id if start.series else None,
            'year': start.year,
            'area': start.area.id if start.area else None,
            }

    def do_open_(self, action):
        return action, self._data()

    def do_print_(self, action):
        return action, self._data()


class ParticipationMapReport(MapReportMixin, Report):
    "Participation Map"
    __name__ = 'association.event.participation_map'

    @classmethod
    def counts(cls, event=None, series=None, year=None):
        """Return the registrations that took a seat and the attended ones
        by commune, of the event, of the events of the series or of the
        events that started in the year"""
        pool = Pool()
        Registration = pool.get('association.event.registration')
        Event = pool.get('association.event')
        Party = pool.get('party.party')
        registration = Registration.__table__()
        event_ = Event.__table__()
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        where = (party.kind == 'commune') & registration.state.in_(SEATED)
        if event:
            where &= event_.id == event.id
        else:
            where &= event_.state != 'cancelled'
            if series:
                where &= event_.series == series.id
            else:
                where &= ((event_.start >= dt.datetime(year, 1, 1))
                    & (event_.start < dt.datetime(year + 1, 1, 1)))
        cursor.execute(*registration.join(event_,
                condition=registration.event == event_.id
                ).join(party,
                condition=registration.organisation == party.id
                ).select(
                registration.organisation,
                Count(registration.id),
                Count(registration.id,
                    filter_=registration.state == 'attended'),
                where=where,
                group_by=[registration.organisation]))
        return {party: (registered, attended)
            for party, registered, attended in cursor}

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Map = pool.get('association.map')
        Party = pool.get('party.party')
        Event = pool.get('association.event')
        Series = pool.get('association.event.series')
        context = super().get_context(records, header, data)
        area = Party(data['area']) if data.get('area') else None
        event = Event(data['event']) if data.get('event') else None
        series = Series(data['series']) if data.get('series') else None
        year = data.get('year')
        communes = Map.communes(area)
        counts = cls.counts(event=event, series=series, year=year)
        category = {}
        for commune in communes:
            registered, attended = counts.get(commune.id, (0, 0))
            category[commune.id] = (
                'attended' if attended else
                'registered' if registered else 'none')
        context.update(cls.map_context(
                communes, category, CATEGORIES, area, data))
        listed = sorted(
            (c for c in communes if c.id in counts),
            key=lambda c: (-counts[c.id][1], -counts[c.id][0], c.code))
        context.update({
                'event': event,
                'series': series,
                'year': year,
                'event_date': (
                    french_date(event.start.date(), context['lang'])
                    if event else ''),
                'categories': CATEGORIES,
                'registrations': sum(counts[c.id][0] for c in listed),
                'attendances': sum(counts[c.id][1] for c in listed),
                'counts': counts,
                'listed': listed[:LISTED],
                'more': max(len(listed) - LISTED, 0),
                })
        return context
