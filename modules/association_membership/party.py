# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import defaultdict

from sql import Null
from sql.aggregate import Count, Min

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .membership import SLICE


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    memberships = fields.One2Many(
        'association.membership', 'party', "Memberships", readonly=True)
    member = fields.Function(
        fields.Boolean(
            "Member",
            help="A member of the association this year."),
        'get_membership', searcher='search_member')
    member_since = fields.Function(
        fields.Date(
            "Member Since",
            help="The joining date of the member's first membership."),
        'get_membership')
    dues_up_to_date = fields.Function(
        fields.Boolean(
            "Dues Up to Date",
            help="No dues of the member are left unpaid."),
        'get_membership', searcher='search_dues_up_to_date')
    chorus_service_code = fields.Char(
        "Service Code",
        states={
            'invisible': ~Eval('chorus'),
            },
        help="The code of the service that receives the invoices "
        "on Chorus Pro.")
    chorus_service_code_required = fields.Boolean(
        "Service Code Required",
        states={
            'invisible': ~Eval('chorus'),
            },
        help="The public body requires a service code on its invoices.")
    chorus_legal_commitment_required = fields.Boolean(
        "Legal Commitment Required",
        states={
            'invisible': ~Eval('chorus'),
            },
        help="The public body requires the number of its legal commitment "
        "(engagement juridique) on its invoices.")

    @classmethod
    def default_chorus_service_code_required(cls):
        return False

    @classmethod
    def default_chorus_legal_commitment_required(cls):
        return False

    @classmethod
    def _membership_queries(cls, year):
        pool = Pool()
        Membership = pool.get('association.membership')
        Invoice = pool.get('account.invoice')
        Date = pool.get('ir.date')
        membership = Membership.__table__()
        invoice = Invoice.__table__()
        today = Date.today()
        current = ((membership.year == year)
            & membership.state.in_(['draft', 'called', 'invoiced', 'paid'])
            & (membership.join_date <= today)
            & ((membership.leave_date == Null)
                | (membership.leave_date >= today)))
        # Dues invoiced and not paid, whose invoice is not cancelled
        unpaid = ((membership.state == 'invoiced')
            & (invoice.state == 'posted')
            & (invoice.total_amount_cache > 0))

        def unpaid_query(where=None):
            return membership.join(invoice,
                condition=membership.invoice == invoice.id).select(
                    membership.party,
                    where=unpaid & where if where is not None else unpaid)
        return membership, current, unpaid_query

    @classmethod
    def get_membership(cls, parties, names):
        pool = Pool()
        Date = pool.get('ir.date')
        cursor = Transaction().connection.cursor()
        year = Date.today().year
        membership, current, unpaid = cls._membership_queries(year)
        ids = [p.id for p in parties]
        members, since, late = set(), {}, set()
        for sub_ids in grouped_slice(ids, count=SLICE):
            sub_ids = list(sub_ids)
            cursor.execute(*membership.select(
                    membership.party, Count(membership.id),
                    where=membership.party.in_(sub_ids) & current,
                    group_by=[membership.party]))
            members.update(p for p, _ in cursor)
            cursor.execute(*membership.select(
                    membership.party, Min(membership.join_date),
                    where=membership.party.in_(sub_ids)
                    & membership.state.in_(
                        ['draft', 'called', 'invoiced', 'paid']),
                    group_by=[membership.party]))
            since.update(cursor)
            cursor.execute(*unpaid(membership.party.in_(sub_ids)))
            late.update(p for p, in cursor)
        result = defaultdict(dict)
        for party in parties:
            result['member'][party.id] = party.id in members
            date = since.get(party.id)
            if isinstance(date, str):
                date = Date.today().fromisoformat(date)
            result['member_since'][party.id] = date
            result['dues_up_to_date'][party.id] = party.id not in late
        return {n: result[n] for n in names}

    @classmethod
    def search_member(cls, name, clause):
        pool = Pool()
        Date = pool.get('ir.date')
        _, operator, value = clause[:3]
        membership, current, _ = cls._membership_queries(Date.today().year)
        query = membership.select(membership.party, where=current)
        if (operator == '=') == bool(value):
            return [('id', 'in', query)]
        return [('id', 'not in', query)]

    @classmethod
    def search_dues_up_to_date(cls, name, clause):
        pool = Pool()
        Date = pool.get('ir.date')
        _, operator, value = clause[:3]
        _, _, unpaid = cls._membership_queries(Date.today().year)
        if (operator == '=') == bool(value):
            return [('id', 'not in', unpaid())]
        return [('id', 'in', unpaid())]

    @classmethod
    def official_data_merged(cls, merges, year):
        """Pass the memberships of the merged communes to their successor

        The memberships of the vintage year and after that are not
        invoiced yet move to the successor, unless it has one of the same
        type and year: then the merged commune's is cancelled, so that
        the successor is not billed twice.  The invoiced or paid ones stay
        on the merged commune and are reported, for the treasurer to
        check the successor's."""
        pool = Pool()
        Membership = pool.get('association.membership')
        Party = pool.get('party.party')
        report = super().official_data_merged(merges, year)
        successors = dict(merges)
        memberships = []
        for sub_ids in grouped_slice(list(successors), count=SLICE):
            memberships.extend(Membership.search([
                        ('party', 'in', list(sub_ids)),
                        ('year', '>=', year),
                        ('state', 'not in', ['cancelled', 'lapsed']),
                        ], order=[('party', 'ASC'), ('year', 'ASC')]))
        if not memberships:
            return report
        existing = set()
        for sub_ids in grouped_slice(
                list(set(successors.values())), count=SLICE):
            for membership in Membership.search([
                        ('party', 'in', list(sub_ids)),
                        ('year', '>=', year),
                        ]):
                existing.add(
                    (membership.party.id, membership.type.id,
                        membership.year))
        names = {p.id: p.rec_name for p in Party.browse(
                list(set(successors.values())))}
        to_move, to_cancel, moved = defaultdict(list), [], []
        states = dict(Membership.fields_get(['state'])['state']['selection'])
        for membership in memberships:
            successor = successors[membership.party.id]
            key = (successor, membership.type.id, membership.year)
            values = {
                'membership': membership.rec_name,
                'successor': names[successor],
                'state': states[membership.state],
                }
            if membership.state not in {'draft', 'called'}:
                report.append(gettext(
                        'association_membership.msg_merged_membership_left',
                        **values))
            elif key in existing:
                to_cancel.append(membership)
                report.append(gettext(
                        'association_membership'
                        '.msg_merged_membership_cancelled', **values))
            else:
                existing.add(key)
                to_move[successor].append(membership)
                moved.append(values)
        args = []
        for successor, records in to_move.items():
            args.extend((records, {
                        'party': successor,
                        'campaign_line': None,
                        'state': 'draft',
                        }))
        if to_cancel:
            args.extend((to_cancel, {
                        'campaign_line': None,
                        'state': 'cancelled',
                        }))
        # The lines of the merged communes are computed again
        Line = pool.get('association.dues.campaign.line')
        lines = list({m.campaign_line for m in memberships
                if m.state in {'draft', 'called'}
                and m.campaign_line and not m.campaign_line.invoice})
        if args:
            Membership.write(*args)
        Line.delete(lines)
        for values in moved:
            report.append(gettext(
                    'association_membership.msg_merged_membership_moved',
                    **values))
        return report
