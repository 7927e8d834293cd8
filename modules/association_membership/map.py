# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"The map of the coverage of the memberships"

from trytond.model import ModelView, fields
from trytond.modules.association.map import MapReportMixin
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .membership import ACTIVE_STATES
from .report import _not_excluded

# The categories of the communes on the map, in the order of the legend,
# with their colours (told apart by colour-blind readers too)
CATEGORIES = [
    ('member', "Member up to date", '#1b7837'),
    ('overdue', "Member with dues overdue", '#e66101'),
    ('former', "Former member", '#b2abd2'),
    ('never', "Never a member", '#e3e3e3'),
    ]


class CoverageMapStart(ModelView):
    "Coverage Map"
    __name__ = 'association.membership.coverage_map.start'

    year = fields.Integer("Dues Year", required=True)
    type = fields.Many2One(
        'association.membership.type', "Type",
        help="Leave empty for the memberships of every type.")
    area = fields.Many2One(
        'party.party', "Area",
        domain=[
            ('kind', 'in', ['region', 'departement']),
            ],
        help="A région or a département; leave empty for France.")

    @classmethod
    def default_year(cls):
        pool = Pool()
        Context = pool.get('association.dues.report.context')
        return Context.default_year()


class CoverageMap(Wizard):
    "Coverage Map"
    __name__ = 'association.membership.coverage_map'

    start = StateView(
        'association.membership.coverage_map.start',
        'association_membership.coverage_map_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Open", 'open_', 'tryton-launch'),
            Button("Print", 'print_', 'tryton-print', default=True),
            ])
    open_ = StateAction('association_membership.report_coverage_map_html')
    print_ = StateAction('association_membership.report_coverage_map')

    def _data(self):
        return {
            'year': self.start.year,
            'type': self.start.type.id if self.start.type else None,
            'area': self.start.area.id if self.start.area else None,
            }

    def do_open_(self, action):
        return action, self._data()

    def do_print_(self, action):
        return action, self._data()


class CoverageMapReport(MapReportMixin, Report):
    "Coverage Map"
    __name__ = 'association.membership.coverage_map'

    @classmethod
    def categories(cls, parties, year, type_=None):
        """Return the category of the coverage of each party id for the
        dues year and the membership type (every type when None)"""
        pool = Pool()
        Membership = pool.get('association.membership')
        Invoice = pool.get('account.invoice')
        DuesReport = pool.get('association.dues.report')
        membership = Membership.__table__()
        invoice = Invoice.__table__()
        cursor = Transaction().connection.cursor()
        where = ((membership.year <= year)
            & (membership.state != 'cancelled')
            & _not_excluded(membership))
        if type_:
            where &= membership.type == type_.id
        cursor.execute(*membership.join(invoice, 'LEFT',
                condition=membership.invoice == invoice.id
                ).select(
                membership.party, membership.year, membership.state,
                invoice.move.in_(DuesReport._overdue_moves()),
                where=where))
        rank = {key: i for i, (key, _, _) in enumerate(CATEGORIES)}
        result = dict.fromkeys(parties, 'never')
        for party, year_, state, overdue in cursor:
            if party not in result:
                continue
            if year_ == year and state in ACTIVE_STATES:
                category = (
                    'overdue' if state == 'invoiced' and overdue
                    else 'member')
            else:
                category = 'former'
            if rank[category] < rank[result[party]]:
                result[party] = category
        return result

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Map = pool.get('association.map')
        Party = pool.get('party.party')
        Type = pool.get('association.membership.type')
        context = super().get_context(records, header, data)
        area = Party(data['area']) if data.get('area') else None
        type_ = Type(data['type']) if data.get('type') else None
        year = data['year']
        communes = Map.communes(area)
        category = cls.categories([c.id for c in communes], year, type_)
        context.update(cls.map_context(communes, category,
                [(k, c) for k, _, c in CATEGORIES], area, data))
        figures, lang = context['figures'], context['lang']
        total = [len(communes), sum(c.population or 0 for c in communes)]
        covered = [
            figures['member'][i] + figures['overdue'][i] for i in range(2)]

        def share(part, whole):
            if not whole:
                return ''
            return lang.format('%.1f', part * 100 / whole) + '\u00a0%'

        context.update({
                'year': year,
                'type': type_,
                'categories': CATEGORIES,
                'total': total,
                'covered': covered,
                'share': share,
                })
        return context
