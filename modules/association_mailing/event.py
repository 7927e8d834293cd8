# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The audiences of the events (registrants, attendees, absentees of an
event or a cycle, commission members) and the mailings that invite to an
event, with the registrations of their recipients"""
import datetime as dt

from trytond import backend
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice

from .audience import search_rows

# The states of a registration that holds a seat or held one
REGISTERED = ['registered', 'confirmed', 'attended', 'absent']


class AudienceRule(metaclass=PoolMeta):
    __name__ = 'association.mailing.audience.rule'

    commission = fields.Many2One(
        'association.commission', "Commission", ondelete='RESTRICT',
        states={
            'invisible': Eval('source') != 'commission',
            'required': Eval('source') == 'commission',
            })
    event = fields.Many2One(
        'association.event', "Event", ondelete='RESTRICT',
        states={
            'invisible': Eval('source') != 'event',
            'required': Eval('source') == 'event',
            })
    series = fields.Many2One(
        'association.event.series', "Cycle", ondelete='RESTRICT',
        states={
            'invisible': Eval('source') != 'series',
            'required': Eval('source') == 'series',
            })
    attendance = fields.Selection([
            ('registered', "Registered"),
            ('attended', "Attended"),
            ('absent', "Absent"),
            ('invited', "Invited"),
            ], "Attendance",
        states={
            'invisible': ~Eval('source').in_(['event', 'series']),
            'required': Eval('source').in_(['event', 'series']),
            },
        help="Absent: registered to an event that is over, "
        "and did not come.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.source.selection.extend([
                ('commission', "Commission Members"),
                ('event', "Event Registrants"),
                ('series', "Cycle Registrants"),
                ])

    @classmethod
    def default_attendance(cls):
        return 'registered'

    def _compute_commission(self):
        pool = Pool()
        Date = pool.get('ir.date')
        Member = pool.get('association.commission.member')
        today = Date.today()
        members = search_rows(Member, [
                ('commission', '=', self.commission.id),
                ['OR',
                    ('start_date', '=', None),
                    ('start_date', '<=', today),
                    ],
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', today),
                    ],
                ], ['person', 'authority'], order=['id'])
        result = {}
        for person, authority in members:
            result.setdefault(person, (authority, None))
        return result

    def _registration_domain(self):
        now = dt.datetime.now()
        if self.attendance == 'registered':
            domain = [('state', 'in', REGISTERED)]
        elif self.attendance == 'attended':
            domain = [('state', '=', 'attended')]
        elif self.attendance == 'absent':
            domain = ['OR',
                ('state', '=', 'absent'),
                [('state', 'in', ['registered', 'confirmed']),
                    ('event.end', '<', now)],
                ]
        else:
            domain = [('state', '=', 'invited')]
        return [('person', '!=', None), domain]

    def _registrations(self, domain):
        pool = Pool()
        Registration = pool.get('association.event.registration')
        registrations = search_rows(Registration,
            domain + self._registration_domain(),
            ['person', 'organisation'], order=['id'])
        result = {}
        for person, organisation in registrations:
            result.setdefault(person, (organisation, None))
        return result

    def _compute_event(self):
        return self._registrations([('event', '=', self.event.id)])

    def _compute_series(self):
        return self._registrations([('event.series', '=', self.series.id)])


class Message(metaclass=PoolMeta):
    __name__ = 'marketing.email.message'

    event = fields.Many2One(
        'association.event', "Event", ondelete='SET NULL',
        domain=[
            If_series := ('id', '>=', 0),
            ],
        help="The event the mailing invites to: its recipients' "
        "registrations are counted.")
    series = fields.Many2One(
        'association.event.series', "Cycle", ondelete='SET NULL',
        help="The cycle the mailing invites to: its recipients' "
        "registrations to its events are counted.")
    invited_count = fields.Function(
        fields.Integer("Invited"), 'get_event_counts')
    registered_count = fields.Function(
        fields.Integer("Registered"), 'get_event_counts')
    attended_count = fields.Function(
        fields.Integer("Attended"), 'get_event_counts')

    @classmethod
    def get_event_counts(cls, messages, names):
        pool = Pool()
        Recipient = pool.get('association.mailing.recipient')
        Registration = pool.get('association.event.registration')
        result = {n: {m.id: 0 for m in messages} for n in names}
        for message in messages:
            if not message.event and not message.series:
                continue
            people = set()
            for recipient in Recipient.search_read([
                        ('message', '=', message.id),
                        ('state', 'in', ['sent', 'in_progress']),
                        ], fields_names=['party']):
                people.add(recipient['party'])
            if 'invited_count' in names:
                result['invited_count'][message.id] = len(people)
            if message.event:
                domain = [('event', '=', message.event.id)]
            else:
                domain = [('event.series', '=', message.series.id)]
            registered, attended = set(), set()
            for sub_ids in grouped_slice(
                    sorted(people), backend.MAX_QUERY_PARAMS):
                for registration in Registration.search_read(domain + [
                            ('person', 'in', list(sub_ids)),
                            ('state', 'in', REGISTERED),
                            ], fields_names=['person', 'state']):
                    registered.add(registration['person'])
                    if registration['state'] == 'attended':
                        attended.add(registration['person'])
            if 'registered_count' in names:
                result['registered_count'][message.id] = len(registered)
            if 'attended_count' in names:
                result['attended_count'][message.id] = len(attended)
        return result


class Event(metaclass=PoolMeta):
    __name__ = 'association.event'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'invite_by_mailing': {
                    'invisible': ~Eval('state').in_(['draft', 'open']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    @ModelView.button_action('association_mailing.act_message_event_new')
    def invite_by_mailing(cls, events):
        "Open a new mailing that invites to the event"
        pass
