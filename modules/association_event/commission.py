# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice

from .event import SLICE, check_dates
from .exceptions import CommissionError

MEMBER_ROLES = [
    ('chair', "Chair"),
    ('vice_chair', "Vice-Chair"),
    ('member', "Member"),
    ]


class Commission(DeactivableMixin, ModelSQL, ModelView):
    "Commission"
    __name__ = 'association.commission'

    name = fields.Char("Name", required=True)
    theme = fields.Many2One(
        'association.theme', "Theme", ondelete='RESTRICT')
    chair = fields.Function(
        fields.Many2One('party.party', "Chair"), 'get_chair')
    quorum = fields.Integer(
        "Quorum",
        domain=[
            If(Eval('quorum'),
                ('quorum', '>', 0),
                ()),
            ],
        help="The number of members who must attend a sitting "
        "for it to deliberate.")
    description = fields.Text("Description")
    members = fields.One2Many(
        'association.commission.member', 'commission', "Members",
        order=[('end_date', 'DESC NULLS FIRST'), ('role', 'ASC'),
            ('start_date', 'ASC')])
    sittings = fields.One2Many(
        'association.event', 'commission', "Sittings",
        domain=[
            ('kind', '=', 'committee_meeting'),
            ],
        order=[('start', 'DESC')])

    def get_chair(self, name):
        today = Pool().get('ir.date').today()
        for member in self.members:
            if member.role == 'chair' and member.in_office(today):
                return member.person.id

    def members_at(self, date):
        "Return the members in office at the date"
        return [m for m in self.members if m.in_office(date)]


class Member(ModelSQL, ModelView):
    "Commission Member"
    __name__ = 'association.commission.member'

    commission = fields.Many2One(
        'association.commission', "Commission", required=True,
        ondelete='CASCADE')
    person = fields.Many2One(
        'party.party', "Person", required=True, ondelete='RESTRICT',
        domain=[
            ('kind', '=', 'person'),
            ],
        context={
            'party_kind': 'person',
            },
        depends={'person'})
    authority = fields.Many2One(
        'party.party', "Authority", ondelete='RESTRICT',
        domain=[
            ('kind', '!=', 'person'),
            ],
        help="The authority the member represents.")
    role = fields.Selection(MEMBER_ROLES, "Role", required=True)
    start_date = fields.Date(
        "Start Date", required=True,
        domain=[
            If(Eval('end_date'),
                ('start_date', '<=', Eval('end_date')),
                ()),
            ])
    end_date = fields.Date("End Date")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.commission, Index.Range())),
                Index(t, (t.person, Index.Range())),
                })

    @classmethod
    def default_role(cls):
        return 'member'

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('person', 'authority')
    def on_change_person(self):
        if self.person and not self.authority:
            mandates = self.person.current_mandates
            if mandates:
                self.authority = mandates[0].authority

    def in_office(self, date):
        return (self.start_date <= date
            and (not self.end_date or self.end_date >= date))

    def get_rec_name(self, name):
        return f'{self.person.rec_name} ({self.commission.rec_name})'

    @classmethod
    def validate_fields(cls, members, field_names):
        super().validate_fields(members, field_names)
        if not field_names or field_names & {'start_date', 'end_date'}:
            check_dates(members, 'start_date', 'end_date')
        cls.check_single_chair(members, field_names)

    @classmethod
    def check_single_chair(cls, members, field_names=None):
        if field_names and not (field_names & {
                    'role', 'start_date', 'end_date', 'commission'}):
            return
        commissions = {m.commission for m in members if m.role == 'chair'}
        for commission in commissions:
            chairs = [m for m in commission.members if m.role == 'chair']
            for i, chair in enumerate(chairs):
                for other in chairs[i + 1:]:
                    other_ends_after = (not other.end_date
                        or other.end_date >= chair.start_date)
                    chair_ends_after = (not chair.end_date
                        or chair.end_date >= other.start_date)
                    if other_ends_after and chair_ends_after:
                        raise CommissionError(gettext(
                                'association_event.msg_commission_two_chairs',
                                commission=commission.rec_name,
                                chair=chair.person.rec_name,
                                other=other.person.rec_name))


class Event(metaclass=PoolMeta):
    __name__ = 'association.event'

    commission = fields.Many2One(
        'association.commission', "Commission", ondelete='RESTRICT',
        domain=[
            If(Eval('kind') != 'committee_meeting',
                ('id', '=', -1),
                ()),
            ],
        states={
            'invisible': Eval('kind') != 'committee_meeting',
            'readonly': Eval('state').in_(['done', 'cancelled']),
            },
        help="The commission that sits.")
    quorum = fields.Function(
        fields.Integer("Quorum",
            states={
                'invisible': ~Eval('commission'),
                }),
        'get_sitting')
    members_present = fields.Function(
        fields.Integer("Members Present",
            states={
                'invisible': ~Eval('commission'),
                },
            help="The members of the commission who attended."),
        'get_sitting')
    quorum_reached = fields.Function(
        fields.Boolean("Quorum Reached",
            states={
                'invisible': ~Eval('commission') | ~Eval('quorum'),
                }),
        'get_sitting')
    minutes = fields.Binary(
        "Minutes", filename='minutes_filename', file_id='minutes_id',
        states={
            'invisible': Eval('kind') != 'committee_meeting',
            })
    minutes_id = fields.Char("Minutes ID", readonly=True)
    minutes_filename = fields.Char(
        "Minutes File Name",
        states={
            'invisible': Eval('kind') != 'committee_meeting',
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.commission, Index.Range()),
                where=t.commission != None))  # noqa: E711
        cls._buttons.update({
                'invite_members': {
                    'invisible': (~Bool(Eval('commission'))
                        | ~Eval('state').in_(['draft', 'open'])),
                    'depends': ['commission', 'state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//page[@id="sitting"]', 'states', {
                    'invisible': Eval('kind') != 'committee_meeting',
                    }),
            ]

    @classmethod
    def get_sitting(cls, events, names):
        "The quorum of a sitting is reached or not once it took place"
        pool = Pool()
        Registration = pool.get('association.event.registration')
        now = dt.datetime.now()
        result = {n: {e.id: None for e in events} for n in names}
        sittings = [e for e in events if e.commission]
        attended = defaultdict(set)
        for sub_sittings in grouped_slice(sittings, count=SLICE):
            for registration in Registration.search([
                        ('event', 'in', [e.id for e in sub_sittings]),
                        ('state', '=', 'attended'),
                        ]):
                attended[registration.event.id].add(registration.person)
        for event in sittings:
            date = event.local(event.start).date()
            members = {m.person for m in event.commission.members_at(date)}
            present = len(members & attended[event.id])
            quorum = event.commission.quorum
            if 'quorum' in names:
                result['quorum'][event.id] = quorum
            if 'members_present' in names:
                result['members_present'][event.id] = present
            if 'quorum_reached' in names:
                held = event.state == 'done' or (
                    event.state != 'cancelled' and event.end < now)
                result['quorum_reached'][event.id] = (
                    present >= quorum if quorum and held else None)
        return result

    @classmethod
    def copy(cls, events, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('minutes')
        default.setdefault('minutes_id')
        default.setdefault('minutes_filename')
        return super().copy(events, default=default)

    @classmethod
    @ModelView.button
    def invite_members(cls, events):
        "Register the members in office at the date of each sitting"
        pool = Pool()
        Registration = pool.get('association.event.registration')
        to_create = []
        for event in events:
            if not event.commission:
                continue
            registered = {
                r.person for r in event.registrations
                if r.state != 'cancelled'}
            date = event.local(event.start).date()
            for member in event.commission.members_at(date):
                if member.person in registered:
                    continue
                registered.add(member.person)
                to_create.append(Registration(
                        event=event,
                        person=member.person,
                        organisation=member.authority,
                        role='elected_official'))
        Registration.save(to_create)
