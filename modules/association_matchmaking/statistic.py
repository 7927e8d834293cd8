# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Literal, Null
from sql.aggregate import Count, Max, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction


class _StatisticMixin:
    __slots__ = ()

    meetings = fields.Integer("Meetings")
    contacts = fields.Integer("Contacts")
    experimentations = fields.Integer("Experimentations")
    purchases = fields.Integer("Innovative Purchases")
    conventions = fields.Integer("Conventions")
    no_follow_ups = fields.Integer("No Follow-up")
    amount = fields.Numeric("Amount", digits=(16, 2))

    @classmethod
    def _meetings(cls):
        "Return the meeting and request tables joined, and the where clause"
        pool = Pool()
        Meeting = pool.get('association.matchmaking.meeting')
        Request = pool.get('association.matchmaking.request')
        meeting = Meeting.__table__()
        request = Request.__table__()
        context = Transaction().context
        where = Literal(True)
        if context.get('event'):
            where &= meeting.event == context['event']
        return meeting, request, where

    @classmethod
    def _columns(cls, meeting):
        def count(outcome):
            return Sum(Case((meeting.outcome == outcome, 1), else_=0))
        return [
            Count(meeting.id, distinct=True).as_('meetings'),
            count('contact').as_('contacts'),
            count('experimentation').as_('experimentations'),
            count('innovative_purchase').as_('purchases'),
            count('convention').as_('conventions'),
            count('no_follow_up').as_('no_follow_ups'),
            Sum(Coalesce(meeting.outcome_amount, 0)).as_('amount'),
            ]


class SolutionStatistic(_StatisticMixin, ModelSQL, ModelView):
    "Speed Meeting Statistic by Solution"
    __name__ = 'association.matchmaking.statistic.solution'

    solution = fields.Many2One(
        'association.matchmaking.solution', "Solution")
    company = fields.Many2One('party.party', "Company")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('meetings', 'DESC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Solution = pool.get('association.matchmaking.solution')
        solution = Solution.__table__()
        meeting, request, where = cls._meetings()
        return (meeting
            .join(request, condition=meeting.request == request.id)
            .join(solution, condition=request.solution == solution.id)
            .select(
                solution.id.as_('id'),
                solution.id.as_('solution'),
                Max(solution.company).as_('company'),
                *cls._columns(meeting),
                where=where & (request.solution != Null),
                group_by=[solution.id]))


class ThemeStatistic(_StatisticMixin, ModelSQL, ModelView):
    "Speed Meeting Statistic by Theme"
    __name__ = 'association.matchmaking.statistic.theme'

    theme = fields.Many2One('association.theme', "Theme")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('meetings', 'DESC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        SolutionTheme = pool.get(
            'association.matchmaking.solution-association.theme')
        solution_theme = SolutionTheme.__table__()
        meeting, request, where = cls._meetings()
        return (meeting
            .join(request, condition=meeting.request == request.id)
            .join(solution_theme,
                condition=request.solution == solution_theme.solution)
            .select(
                solution_theme.theme.as_('id'),
                solution_theme.theme.as_('theme'),
                *cls._columns(meeting),
                where=where,
                group_by=[solution_theme.theme]))


class StatisticContext(ModelView):
    "Speed Meeting Statistic Context"
    __name__ = 'association.matchmaking.statistic.context'

    event = fields.Many2One(
        'association.event', "Event",
        domain=[('kind', '=', 'speed_meeting')])
