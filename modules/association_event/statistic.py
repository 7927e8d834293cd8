# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Participation statistics"
import datetime as dt

from sql import Literal, Null
from sql.aggregate import Count, Min
from sql.conditionals import Case, Coalesce
from sql.functions import Extract

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .event import FORMATS, KINDS, SEATED

GROUPS = [
    ('event', "Event"),
    ('kind', "Kind"),
    ('format', "Format"),
    ('theme', "Theme"),
    ('departement', "Département"),
    ('month', "Month"),
    ]


def index_case(column, selection):
    "Return the SQL expression of the position of column in selection"
    return Case(*((column == key, i + 1)
            for i, (key, _) in enumerate(selection)), else_=0)


class RateMixin:
    __slots__ = ()

    registrations = fields.Integer(
        "Registrations", help="The registrations that took a seat.")
    attended = fields.Integer("Attended")
    absent = fields.Integer("Absent")
    attendance_rate = fields.Function(
        fields.Float("Attendance Rate", digits=(1, 4),
            help="The share of the registered people who attended."),
        'get_attendance_rate')

    def get_attendance_rate(self, name):
        if self.registrations:
            return self.attended / self.registrations


class EventStatistic(RateMixin, ModelSQL, ModelView):
    "Event Participation Statistic"
    __name__ = 'association.event.statistic'

    label = fields.Function(fields.Char("Label"), 'get_label')
    event = fields.Many2One('association.event', "Event")
    kind = fields.Selection([(None, "")] + KINDS, "Kind")
    format = fields.Selection([(None, "")] + FORMATS, "Format")
    theme = fields.Many2One('association.theme', "Theme")
    departement = fields.Many2One('country.subdivision', "Département")
    month = fields.Integer("Month", help="The year and month as YYYYMM.")
    invited = fields.Integer(
        "Invited", help="The people invited by the association.")
    first_time = fields.Integer(
        "First-time Participants",
        help="The people who attended an event of the association "
        "for the first time.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Registration = pool.get('association.event.registration')
        Event = pool.get('association.event')
        EventTheme = pool.get('association.event-association.theme')
        Party = pool.get('party.party')
        registration = Registration.__table__()
        event = Event.__table__()
        party = Party.__table__()
        context = Transaction().context
        group_by = context.get('group_by') or 'event'

        # The start of the first event each person attended
        first_registration = Registration.__table__()
        first_event = Event.__table__()
        first = first_registration.join(first_event,
            condition=first_registration.event == first_event.id
            ).select(
                first_registration.person,
                Min(first_event.start).as_('start'),
                where=first_registration.state == 'attended',
                group_by=[first_registration.person])

        from_item = registration.join(event,
            condition=registration.event == event.id
            ).join(party, 'LEFT',
                condition=registration.organisation == party.id
            ).join(first, 'LEFT',
                condition=first.person == registration.person)
        where = (event.state != 'cancelled')
        if context.get('from_date'):
            where &= event.start >= dt.datetime.combine(
                context['from_date'], dt.time())
        if context.get('to_date'):
            where &= event.start < dt.datetime.combine(
                context['to_date'] + dt.timedelta(days=1), dt.time())
        if context.get('kind'):
            where &= event.kind == context['kind']

        null = Literal(None)
        columns = {
            'event': null, 'kind': null, 'format': null, 'theme': null,
            'departement': null, 'month': null,
            }
        if group_by == 'event':
            key = id_ = event.id
            columns['event'] = event.id
            columns['kind'] = Min(event.kind)
            columns['format'] = Min(event.format)
        elif group_by == 'kind':
            key = event.kind
            id_ = index_case(event.kind, KINDS)
            columns['kind'] = event.kind
        elif group_by == 'format':
            key = event.format
            id_ = index_case(event.format, FORMATS)
            columns['format'] = event.format
        elif group_by == 'theme':
            event_theme = EventTheme.__table__()
            from_item = from_item.join(event_theme,
                condition=event_theme.event == event.id)
            key = id_ = event_theme.theme
            columns['theme'] = event_theme.theme
        elif group_by == 'departement':
            key = party.departement
            id_ = Coalesce(party.departement, 0)
            columns['departement'] = party.departement
        elif group_by == 'month':
            year = Extract('YEAR', event.start)
            month = Extract('MONTH', event.start)
            # Grouped by the parts: PostgreSQL does not match the
            # parameters of the whole expression with those of the select
            key = [year, month]
            id_ = columns['month'] = cls.month.sql_cast(year * 100 + month)
        else:
            raise ValueError(group_by)

        seated = registration.state.in_(SEATED)
        attended = registration.state == 'attended'
        query = from_item.select(
            (Min(id_) if group_by == 'event' else id_).as_('id'),
            *(c.as_(n) if c is not null
                else getattr(cls, n).sql_cast(Null).as_(n)
                for n, c in columns.items()),
            Count(registration.id,
                filter_=registration.invited == Literal(True)).as_('invited'),
            Count(registration.id, filter_=seated).as_('registrations'),
            Count(registration.id, filter_=attended).as_('attended'),
            Count(registration.id,
                filter_=registration.state == 'absent').as_('absent'),
            Count(registration.id, filter_=attended
                & (first.start == event.start)).as_('first_time'),
            where=where,
            group_by=key if isinstance(key, list) else [key])
        return query

    @classmethod
    def get_label(cls, statistics, name):
        pool = Pool()
        Event = pool.get('association.event')
        group_by = Transaction().context.get('group_by') or 'event'
        kinds = dict(Event.fields_get(['kind'])['kind']['selection'])
        formats = dict(Event.fields_get(['format'])['format']['selection'])
        names = {}
        for statistic in statistics:
            if group_by == 'event':
                value = statistic.event.rec_name
            elif group_by == 'kind':
                value = kinds.get(statistic.kind)
            elif group_by == 'format':
                value = formats.get(statistic.format)
            elif group_by == 'theme':
                value = statistic.theme.rec_name
            elif group_by == 'departement':
                value = (statistic.departement.rec_name
                    if statistic.departement else '')
            elif group_by == 'month':
                month = statistic.month
                value = f'{month // 100}-{month % 100:02d}'
            names[statistic.id] = value
        return names


class EventStatisticContext(ModelView):
    "Event Participation Statistic Context"
    __name__ = 'association.event.statistic.context'

    group_by = fields.Selection(GROUPS, "Group by", required=True)
    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date("To Date")
    kind = fields.Selection([(None, "")] + KINDS, "Kind")

    @classmethod
    def default_group_by(cls):
        return Transaction().context.get('group_by') or 'event'

    @classmethod
    def default_from_date(cls):
        return Transaction().context.get('from_date')

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date')

    @classmethod
    def default_kind(cls):
        return Transaction().context.get('kind')


class CommissionStatistic(RateMixin, ModelSQL, ModelView):
    "Commission Participation Statistic"
    __name__ = 'association.commission.statistic'

    commission = fields.Many2One('association.commission', "Commission")
    format = fields.Selection(FORMATS, "Format")
    sittings = fields.Integer("Sittings")
    average_attended = fields.Function(
        fields.Float("Average Attendance", digits=(16, 1),
            help="The number of people who attended a sitting, "
            "on average."),
        'get_average_attended')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('commission', 'ASC'), ('format', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        """The sittings that took place (done or ended), in the dates of the
        context"""
        pool = Pool()
        Registration = pool.get('association.event.registration')
        Event = pool.get('association.event')
        registration = Registration.__table__()
        event = Event.__table__()
        context = Transaction().context
        seated = registration.state.in_(SEATED)
        where = ((event.commission != Null)
            & ((event.state == 'done')
                | ((event.state != 'cancelled')
                    & (event.end < dt.datetime.now()))))
        if context.get('from_date'):
            where &= event.start >= dt.datetime.combine(
                context['from_date'], dt.time())
        if context.get('to_date'):
            where &= event.start < dt.datetime.combine(
                context['to_date'] + dt.timedelta(days=1), dt.time())
        return event.join(registration, 'LEFT',
            condition=registration.event == event.id
            ).select(
                (event.commission * len(FORMATS)
                    + index_case(event.format, FORMATS)).as_('id'),
                event.commission.as_('commission'),
                event.format.as_('format'),
                Count(event.id, distinct=True).as_('sittings'),
                Count(registration.id, filter_=seated).as_('registrations'),
                Count(registration.id,
                    filter_=registration.state == 'attended').as_('attended'),
                Count(registration.id,
                    filter_=registration.state == 'absent').as_('absent'),
                where=where,
                group_by=[event.commission, event.format])

    def get_average_attended(self, name):
        if self.sittings:
            return self.attended / self.sittings


class CommissionStatisticContext(ModelView):
    "Commission Participation Statistic Context"
    __name__ = 'association.commission.statistic.context'

    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date("To Date")

    @classmethod
    def default_from_date(cls):
        return Transaction().context.get('from_date')

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date')
