# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval

from .exceptions import RequestError

PRIORITIES = [
    ('1', "Low"),
    ('2', "Normal"),
    ('3', "High"),
    ]


class Request(Workflow, ModelSQL, ModelView):
    "Meeting Request"
    __name__ = 'association.matchmaking.request'

    _states = {
        'readonly': Eval('state') != 'pending',
        }

    event = fields.Many2One(
        'association.event', "Event", required=True, ondelete='CASCADE',
        domain=[('kind', '=', 'speed_meeting')], states=_states)
    requester = fields.Many2One(
        'association.matchmaking.participant', "Requester", required=True,
        ondelete='CASCADE', states=_states,
        domain=[('event', '=', Eval('event', -1))])
    requested = fields.Many2One(
        'association.matchmaking.participant', "Requested", required=True,
        ondelete='CASCADE', states=_states,
        domain=[
            ('event', '=', Eval('event', -1)),
            ('id', '!=', Eval('requester', -1)),
            ])
    solution = fields.Many2One(
        'association.matchmaking.solution', "Solution",
        ondelete='SET NULL',
        help="The solution the meeting is about.")
    need = fields.Many2One(
        'association.matchmaking.need', "Need", ondelete='SET NULL',
        help="The need the meeting is about.")
    priority = fields.Selection(
        PRIORITIES, "Priority", required=True, sort=False)
    interested = fields.Boolean(
        "Interest Shared",
        help="The other side also wishes to meet.")
    mutual = fields.Function(
        fields.Boolean("Mutual Interest"), 'get_mutual')
    state = fields.Selection([
            ('pending', "Pending"),
            ('accepted', "Accepted"),
            ('declined', "Declined"),
            ], "State", readonly=True, required=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('pair_unique', Unique(t, t.requester, t.requested),
                'association_matchmaking.msg_request_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.event, Index.Range())),
                Index(t, (t.requested, Index.Range())),
                })
        cls._transitions |= {
            ('pending', 'accepted'),
            ('pending', 'declined'),
            ('accepted', 'declined'),
            ('declined', 'accepted'),
            }
        cls._buttons.update({
                'accept': {
                    'invisible': Eval('state') == 'accepted',
                    'depends': ['state'],
                    },
                'decline': {
                    'invisible': Eval('state') == 'declined',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'pending'

    @classmethod
    def default_priority(cls):
        return '2'

    @classmethod
    def default_interested(cls):
        return False

    def get_rec_name(self, name):
        return '%s → %s' % (self.requester.rec_name, self.requested.rec_name)

    @classmethod
    def get_mutual(cls, requests, name):
        "Mutual when the other side asked too or shared the interest"
        pairs = {(r.requester.id, r.requested.id) for r in requests}
        reverse = set()
        if pairs:
            others = cls.search([
                    ('requester', 'in', [r.requested.id for r in requests]),
                    ('state', '!=', 'declined'),
                    ])
            reverse = {(o.requested.id, o.requester.id) for o in others}
        return {r.id: bool(r.interested)
            or (r.requester.id, r.requested.id) in reverse
            for r in requests}

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Event = pool.get('association.event')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('event'):
            if Event(values['event']).meeting_auto_accept:
                values.setdefault('state', 'accepted')
        return values

    @classmethod
    def check_modification(cls, mode, requests, values=None,
            external=False):
        super().check_modification(
            mode, requests, values=values, external=external)
        if mode == 'create':
            cls.check_period(requests)

    @classmethod
    def check_period(cls, requests):
        "Check that the requests are made while the registrations are open"
        now = dt.datetime.now()
        for request in requests:
            event = request.event
            if (event.state not in {'draft', 'open'}
                    or (event.registration_end
                        and event.registration_end < now)):
                raise RequestError(gettext(
                        'association_matchmaking.msg_request_closed',
                        event=event.rec_name))

    @classmethod
    def validate_fields(cls, requests, field_names):
        super().validate_fields(requests, field_names)
        cls.check_sides(requests, field_names)

    @classmethod
    def check_sides(cls, requests, field_names=None):
        if field_names and not (
                field_names & {'requester', 'requested', 'event'}):
            return
        for request in requests:
            if (request.requester.side == request.requested.side
                    or request.requester.event != request.event
                    or request.requested.event != request.event):
                raise RequestError(gettext(
                        'association_matchmaking.msg_request_sides',
                        request=request.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('accepted')
    def accept(cls, requests):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('declined')
    def decline(cls, requests):
        pool = Pool()
        Meeting = pool.get('association.matchmaking.meeting')
        Meeting.delete(Meeting.search([
                    ('request', 'in', [r.id for r in requests]),
                    ]))
