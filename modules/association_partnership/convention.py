# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from decimal import Decimal
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from sql import Null
from sql.aggregate import Sum

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, PYSONEncoder
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .exceptions import (
    ConventionDeleteError, ConventionError, ConventionValidationError,
    InstalmentValidationError, InvoiceError, SignatoryValidationError)

# Number of ids in one IN clause
SLICE = 1000

KINDS = [
    ('partnership', "Partnership"),
    ('sponsorship', "Sponsorship"),
    ('cooperation', "Cooperation between Associations"),
    ('experimentation', "Experimentation Agreement with a Commune"),
    ]
STATES = [
    ('draft', "Draft"),
    ('negotiation', "In Negotiation"),
    ('signed', "Signed"),
    ('active', "Active"),
    ('expired', "Expired"),
    ('terminated', "Terminated"),
    ]
RENEWALS = [
    ('none', "None"),
    ('tacit', "Tacit"),
    ('explicit', "Explicit"),
    ]
# States of a convention that binds its parties (or has bound them)
SIGNED_STATES = {'signed', 'active', 'expired', 'terminated'}


class Convention(Workflow, ModelSQL, ModelView):
    "Convention"
    __name__ = 'association.convention'
    _rec_name = 'number'

    _states = {
        'readonly': Eval('state').in_(list(SIGNED_STATES)),
        }

    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': Eval('state') != 'draft',
            })
    number = fields.Char(
        "Number", readonly=True,
        help="Given by the sequence of the configuration "
        "when the convention leaves the draft.")
    kind = fields.Selection(KINDS, "Kind", required=True, states=_states)
    kind_string = kind.translated('kind')
    parties = fields.Many2Many(
        'association.convention-party.party', 'convention', 'party',
        "Counterparts", states=_states,
        help="The parties that sign the convention with the association.")
    object = fields.Char(
        "Object", required=True, states=_states,
        help="What the convention is about.")
    description = fields.Text("Description", states=_states)
    level = fields.Many2One(
        'association.partnership.level', "Partnership Level",
        ondelete='RESTRICT', states=_states,
        help="The level gives the partner its benefits "
        "and the default yearly contribution.")
    owner = fields.Many2One(
        'res.user', "Owner",
        help="The member of staff who follows the convention "
        "and receives its reminders.")
    signature_date = fields.Date(
        "Signature Date",
        states={
            'readonly': _states['readonly'],
            'required': Eval('state').in_(list(SIGNED_STATES)),
            })
    signature_place = fields.Char(
        "Signature Place", states=_states,
        help="Where the convention was signed, for example a congress.")
    signatories = fields.One2Many(
        'association.convention.signatory', 'convention', "Signatories",
        states=_states)
    start_date = fields.Date(
        "Start Date",
        states={
            'readonly': _states['readonly'],
            'required': Eval('state').in_(list(SIGNED_STATES)),
            })
    end_date = fields.Date(
        "End Date",
        states={
            'readonly': Eval('state').in_(['expired', 'terminated']),
            'required': Eval('state').in_(list(SIGNED_STATES)),
            },
        help="The last day of the convention.")
    renewal = fields.Selection(
        RENEWALS, "Renewal", required=True, states=_states,
        help="Tacit: the convention goes on for the same period "
        "unless notice is given.\n"
        "Explicit: a new convention must be signed to renew it.")
    notice_period = fields.Integer(
        "Notice Period",
        domain=['OR',
            ('notice_period', '=', None),
            ('notice_period', '>=', 0),
            ],
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('renewal') != 'tacit',
            },
        help="In months before the end date.")
    notice_date = fields.Function(
        fields.Date(
            "Notice Date",
            states={
                'invisible': Eval('renewal') != 'tacit',
                },
            help="The last day to give notice before "
            "the convention is renewed."),
        'on_change_with_notice_date')
    termination_date = fields.Date(
        "Termination Date", readonly=True)
    predecessor = fields.Many2One(
        'association.convention', "Predecessor", readonly=True,
        ondelete='RESTRICT',
        help="The convention this one renews.")
    successor = fields.Function(
        fields.Many2One('association.convention', "Successor",
            help="The convention that renews this one."),
        'get_successor')
    first_convention = fields.Many2One(
        'association.convention', "First Convention", readonly=True,
        ondelete='RESTRICT',
        help="The first convention of the renewal chain.")
    chain = fields.Function(
        fields.Many2Many(
            'association.convention', None, None, "Renewal Chain",
            help="All the conventions of the renewal chain, "
            "from the first to the last."),
        'get_chain')
    commitments = fields.One2Many(
        'association.convention.commitment', 'convention', "Commitments",
        states={
            'readonly': Eval('state').in_(['expired', 'terminated']),
            },
        help="What each side owes the other.")
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True,
        states={
            'readonly': _states['readonly'] | Bool(Eval('instalments', [0])),
            })
    amount = fields.Numeric(
        "Total Amount", digits=(16, Eval('currency_digits', 2)),
        domain=['OR',
            ('amount', '=', None),
            ('amount', '>=', 0),
            ],
        states=_states,
        help="The financial contribution of the partner, excluding taxes.")
    currency_digits = fields.Function(
        fields.Integer("Currency Digits"), 'on_change_with_currency_digits')
    invoice_party = fields.Many2One(
        'party.party', "Invoice Party", ondelete='RESTRICT',
        states=_states,
        help="The party invoiced for the instalments.\n"
        "Leave empty to invoice the first counterpart.")
    instalments = fields.One2Many(
        'association.convention.instalment', 'convention', "Instalments",
        states={
            'readonly': Eval('state').in_(['expired', 'terminated']),
            },
        help="The dates and amounts to invoice.")
    amount_invoiced = fields.Function(fields.Numeric(
            "Invoiced", digits=(16, Eval('currency_digits', 2)),
            help="The amount excluding taxes of the posted instalments."),
        'get_amounts')
    amount_paid = fields.Function(fields.Numeric(
            "Paid", digits=(16, Eval('currency_digits', 2)),
            help="The amount excluding taxes of the paid instalments."),
        'get_amounts')
    invoices = fields.Function(fields.Many2Many(
            'account.invoice', None, None, "Invoices"),
        'get_invoices')
    attachment = fields.Binary(
        "Signed Document", filename='attachment_name',
        file_id='attachment_id')
    attachment_name = fields.Char("Signed Document Name")
    attachment_id = fields.Char("Signed Document ID", readonly=True)
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        cls.number.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.number, Index.Similarity())),
                Index(
                    t, (t.state, Index.Equality(cardinality='low')),
                    (t.end_date, Index.Range())),
                })
        cls._order = [
            ('start_date', 'DESC NULLS FIRST'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('draft', 'negotiation'),
            ('negotiation', 'draft'),
            ('draft', 'signed'),
            ('negotiation', 'signed'),
            ('signed', 'active'),
            ('active', 'expired'),
            ('signed', 'terminated'),
            ('active', 'terminated'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': Eval('state') != 'negotiation',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'negotiate': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'sign': {
                    'invisible': ~Eval('state').in_(['draft', 'negotiation']),
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'activate': {
                    'invisible': Eval('state') != 'signed',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                'expire': {
                    'invisible': Eval('state') != 'active',
                    'icon': 'tryton-close',
                    'depends': ['state'],
                    },
                'terminate': {
                    'invisible': ~Eval('state').in_(['signed', 'active']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'create_invoices': {
                    'invisible': ~Eval('state').in_(['signed', 'active']),
                    'icon': 'tryton-invoice',
                    'depends': ['state'],
                    },
                'renew': {
                    # Visible on drafts to explain why they cannot be renewed
                    'invisible': Bool(Eval('successor')),
                    'icon': 'tryton-refresh',
                    'depends': ['successor'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_currency(cls):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        if company is not None and company >= 0:
            return Company(company).currency.id

    @fields.depends('currency')
    def on_change_with_currency_digits(self, name=None):
        if self.currency:
            return self.currency.digits
        return 2

    @fields.depends('level', 'amount')
    def on_change_level(self):
        if self.level and self.level.yearly_contribution and not self.amount:
            self.amount = self.level.yearly_contribution

    @property
    def report_language(self):
        """The language of the convention report: the first partner's
        document language (its own, else the association's)"""
        for party in self.parties:
            return party.document_language
        return self.company.party.document_language

    @property
    def invoice_product(self):
        pool = Pool()
        Configuration = pool.get('association.partnership.configuration')
        if self.level and self.level.product:
            return self.level.product
        return Configuration(1).default_product

    @classmethod
    def get_amounts(cls, conventions, names):
        pool = Pool()
        Instalment = pool.get('association.convention.instalment')
        Invoice = pool.get('account.invoice')
        instalment = Instalment.__table__()
        invoice = Invoice.__table__()
        cursor = Transaction().connection.cursor()
        result = {n: {c.id: Decimal(0) for c in conventions} for n in names}
        columns = {
            'amount_invoiced': ['posted', 'paid'],
            'amount_paid': ['paid'],
            }
        for sub_ids in grouped_slice(
                [c.id for c in conventions], count=SLICE):
            for name in names:
                cursor.execute(*instalment.join(invoice,
                        condition=instalment.invoice == invoice.id
                        ).select(
                        instalment.convention, Sum(instalment.amount),
                        where=reduce_ids(instalment.convention, sub_ids)
                        & invoice.state.in_(columns[name]),
                        group_by=[instalment.convention]))
                for convention_id, amount in cursor:
                    # SQLite returns float for SUM
                    result[name][convention_id] = Decimal(str(amount))
        for convention in conventions:
            for name in names:
                result[name][convention.id] = convention.currency.round(
                    result[name][convention.id])
        return result

    def get_invoices(self, name):
        return [i.invoice.id for i in self.instalments if i.invoice]

    @classmethod
    def check_instalments(cls, conventions, signing=False):
        "Check that the instalments of a binding convention add up"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        for convention in conventions:
            if not signing and convention.state not in SIGNED_STATES:
                continue
            if not convention.instalments:
                continue
            total = sum(i.amount for i in convention.instalments)
            if total != (convention.amount or 0):
                raise InstalmentValidationError(gettext(
                        'association_partnership'
                        '.msg_convention_instalments_total',
                        convention=convention.rec_name,
                        total=lang.currency(total, convention.currency),
                        amount=lang.currency(
                            convention.amount or 0, convention.currency)))

    @classmethod
    @ModelView.button
    def create_invoices(cls, conventions):
        "Invoice the due instalments of the conventions"
        pool = Pool()
        Date = pool.get('ir.date')
        Instalment = pool.get('association.convention.instalment')
        today = Date.today()
        Instalment.create_invoices([
                i for c in conventions for i in c.instalments
                if not i.invoice and i.date <= today])

    @classmethod
    def default_owner(cls):
        return Transaction().user or None

    @classmethod
    def default_kind(cls):
        return 'partnership'

    @classmethod
    def default_renewal(cls):
        return 'explicit'

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('renewal', 'end_date', 'notice_period')
    def on_change_with_notice_date(self, name=None):
        if self.renewal == 'tacit' and self.end_date:
            return self.end_date - relativedelta(
                months=self.notice_period or 0)

    def get_rec_name(self, name):
        if self.number:
            return '%s - %s' % (self.number, self.object)
        return self.object

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('number', *clause[1:]),
            ('object', *clause[1:]),
            ('parties.name', *clause[1:]),
            ]

    @classmethod
    def get_successor(cls, conventions, name):
        successors = dict.fromkeys(map(int, conventions))
        for sub_conventions in grouped_slice(conventions, count=SLICE):
            for successor in cls.search([
                        ('predecessor', 'in', [c.id for c in sub_conventions]),
                        ], order=[('id', 'DESC')]):
                successors[successor.predecessor.id] = successor.id
        return successors

    @classmethod
    def get_chain(cls, conventions, name):
        firsts = defaultdict(list)
        for convention in conventions:
            firsts[(convention.first_convention or convention).id].append(
                convention.id)
        chains = {c.id: [] for c in conventions}
        for sub_firsts in grouped_slice(list(firsts), count=SLICE):
            sub_firsts = list(sub_firsts)
            members = cls.search(['OR',
                    ('id', 'in', sub_firsts),
                    ('first_convention', 'in', sub_firsts),
                    ], order=[('start_date', 'ASC NULLS LAST'), ('id', 'ASC')])
            for member in members:
                first = (member.first_convention or member).id
                for convention_id in firsts[first]:
                    chains[convention_id].append(member.id)
        return chains

    @classmethod
    def validate_fields(cls, conventions, field_names):
        super().validate_fields(conventions, field_names)
        cls.check_dates(conventions, field_names)
        if not field_names or (
                field_names & {'amount', 'instalments', 'state'}):
            cls.check_instalments(conventions)

    @classmethod
    def check_dates(cls, conventions, field_names=None):
        pool = Pool()
        Lang = pool.get('ir.lang')
        if field_names and not (field_names & {'start_date', 'end_date'}):
            return
        lang = Lang.get()
        for convention in conventions:
            if (convention.start_date and convention.end_date
                    and convention.end_date < convention.start_date):
                raise ConventionValidationError(gettext(
                        'association_partnership'
                        '.msg_convention_end_before_start',
                        convention=convention.rec_name,
                        start_date=lang.strftime(convention.start_date),
                        end_date=lang.strftime(convention.end_date)))

    @classmethod
    def check_modification(
            cls, mode, conventions, values=None, external=False):
        super().check_modification(
            mode, conventions, values=values, external=external)
        if mode == 'delete':
            for convention in conventions:
                if convention.state in SIGNED_STATES:
                    raise ConventionDeleteError(gettext(
                            'association_partnership'
                            '.msg_convention_delete_signed',
                            convention=convention.rec_name))

    @classmethod
    def copy(cls, conventions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('number', None)
        default.setdefault('state', 'draft')
        default.setdefault('signature_date', None)
        default.setdefault('termination_date', None)
        default.setdefault('predecessor', None)
        default.setdefault('first_convention', None)
        default.setdefault('attachment', None)
        default.setdefault('attachment_name', None)
        return super().copy(conventions, default=default)

    @classmethod
    def set_number(cls, conventions):
        pool = Pool()
        Configuration = pool.get('association.partnership.configuration')
        config = Configuration(1)
        conventions = [c for c in conventions if not c.number]
        if conventions:
            for convention, number in zip(
                    conventions,
                    config.convention_sequence.get_many(len(conventions))):
                convention.number = number
            cls.save(conventions)

    @classmethod
    def check_sign(cls, conventions):
        cls.check_instalments(conventions, signing=True)
        for convention in conventions:
            for field in ['signature_date', 'start_date', 'end_date']:
                if not getattr(convention, field):
                    raise ConventionError(gettext(
                            'association_partnership'
                            '.msg_convention_sign_missing',
                            convention=convention.rec_name,
                            field=cls.fields_get([field])[field]['string']))
            if not convention.parties:
                raise ConventionError(gettext(
                        'association_partnership.msg_convention_no_party',
                        convention=convention.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, conventions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('negotiation')
    def negotiate(cls, conventions):
        cls.set_number(conventions)
        cls.create_benefit_commitments(conventions)

    @classmethod
    @ModelView.button
    @Workflow.transition('signed')
    def sign(cls, conventions):
        cls.check_sign(conventions)
        cls.set_number(conventions)
        cls.create_benefit_commitments(conventions)

    @classmethod
    def process(cls, date=None):
        "Activate, renew tacitly and expire the conventions on the date"
        pool = Pool()
        Date = pool.get('ir.date')
        if date is None:
            date = Date.today()
        to_activate = cls.search([
                ('state', '=', 'signed'),
                ('start_date', '<=', date),
                ])
        if to_activate:
            cls.activate(to_activate)
        ended = cls.search([
                ('state', '=', 'active'),
                ('end_date', '<', date),
                ])
        to_renew, to_expire = [], []
        for convention in ended:
            if convention.renewal == 'tacit':
                to_renew.append(convention)
            else:
                to_expire.append(convention)
        for convention in to_renew:
            duration = relativedelta(
                convention.end_date + dt.timedelta(days=1),
                convention.start_date)
            while convention.end_date < date:
                convention.end_date += duration
        cls.save(to_renew)
        if to_expire:
            cls.expire(to_expire)

    @classmethod
    def create_benefit_commitments(cls, conventions):
        """Turn the benefits of the level into commitments of the association

        They are due by the end of the convention, over which the
        association delivers them; the staff sets an earlier date where a
        benefit belongs to an event (a stand at the trade show).  Their
        descriptions are written in the language of the convention's
        document, whoever signs it."""
        pool = Pool()
        Commitment = pool.get('association.convention.commitment')
        Level = pool.get('association.partnership.level')
        commitments = []
        for convention in conventions:
            if not convention.level:
                continue
            existing = {c.benefit for c in convention.commitments}
            with Transaction().set_context(
                    language=convention.report_language):
                # The level read in that language
                level = Level(convention.level.id)
                benefits = list(level.get_benefits())
            for benefit, description in benefits:
                if benefit in existing:
                    continue
                commitments.append(Commitment(
                        convention=convention,
                        side='association',
                        benefit=benefit,
                        description=description,
                        due_date=(
                            convention.end_date or convention.start_date),
                        owner=convention.owner,
                        state='todo'))
        Commitment.save(commitments)

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def activate(cls, conventions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('expired')
    def expire(cls, conventions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('terminated')
    def terminate(cls, conventions):
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        for convention in conventions:
            if not convention.termination_date:
                convention.termination_date = today
        cls.save(conventions)

    @classmethod
    def on_modification(cls, mode, conventions, field_names=None):
        super().on_modification(mode, conventions, field_names=field_names)
        if mode == 'write' and 'state' in field_names:
            cls.update_partnership_level(conventions)

    @classmethod
    def update_partnership_level(cls, conventions):
        "Set the level of the parties from their active conventions"
        pool = Pool()
        Party = pool.get('party.party')
        parties = {p for c in conventions for p in c.parties}
        levels = {p: None for p in parties}
        for sub_parties in grouped_slice(list(parties), count=SLICE):
            active = cls.search([
                    ('parties', 'in', [p.id for p in sub_parties]),
                    ('state', '=', 'active'),
                    ('level', '!=', None),
                    ])
            for convention in active:
                for party in convention.parties:
                    if party not in levels:
                        continue
                    level = levels[party]
                    if (not level
                            or (convention.level.sequence or 0)
                            < (level.sequence or 0)):
                        levels[party] = convention.level
        to_write = defaultdict(list)
        for party, level in levels.items():
            if party.partnership_level != level:
                to_write[level.id if level else None].append(party)
        args = []
        for level_id, parties in to_write.items():
            args.extend((parties, {'partnership_level': level_id}))
        if args:
            Party.write(*args)

    @classmethod
    @ModelView.button
    def renew(cls, conventions):
        "Create the successors of the conventions and open them"
        pool = Pool()
        Action = pool.get('ir.action')
        ModelData = pool.get('ir.model.data')
        successors = cls._renew(conventions)
        action = Action(ModelData.get_id(
                'association_partnership', 'act_convention_form'))
        action = action.get_action_value()
        action['name'] = gettext(
            'association_partnership.msg_renewed_conventions')
        action['pyson_domain'] = PYSONEncoder().encode(
            [('id', 'in', [s.id for s in successors])])
        action['res_id'] = [s.id for s in successors]
        return action

    @classmethod
    def _renew(cls, conventions):
        for convention in conventions:
            if convention.state not in SIGNED_STATES:
                raise ConventionError(gettext(
                        'association_partnership.msg_convention_renew_draft',
                        convention=convention.rec_name))
            if convention.successor:
                raise ConventionError(gettext(
                        'association_partnership'
                        '.msg_convention_renew_renewed',
                        convention=convention.rec_name,
                        successor=convention.successor.rec_name))
        successors = [c.get_successor_convention() for c in conventions]
        cls.save(successors)
        return successors

    def get_successor_convention(self):
        "Return a new draft convention that renews this one"
        pool = Pool()
        Signatory = pool.get('association.convention.signatory')
        successor = self.__class__()
        for field in self._renew_fields():
            setattr(successor, field, getattr(self, field))
        successor.state = 'draft'
        successor.predecessor = self
        successor.first_convention = self.first_convention or self
        if self.end_date:
            end = self.termination_date or self.end_date
            duration = relativedelta(
                self.end_date + dt.timedelta(days=1), self.start_date)
            successor.start_date = end + dt.timedelta(days=1)
            successor.end_date = (
                successor.start_date + duration - dt.timedelta(days=1))
        successor.signatories = [
            Signatory(
                side=s.side, person=s.person, capacity=s.capacity,
                sequence=s.sequence)
            for s in self.signatories if s.side == 'association']
        successor.commitments = [
            c.get_successor_commitment(successor)
            for c in self.commitments
            if not c.benefit and c.state != 'cancelled']
        successor.instalments = [
            i.get_successor_instalment(successor) for i in self.instalments]
        return successor

    @classmethod
    def _renew_fields(cls):
        return [
            'company', 'kind', 'parties', 'object', 'description', 'level',
            'owner', 'renewal', 'notice_period', 'currency', 'amount',
            'invoice_party']


class ConventionParty(ModelSQL):
    "Convention - Party"
    __name__ = 'association.convention-party.party'
    convention = fields.Many2One(
        'association.convention', "Convention", required=True,
        ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('convention')


class Signatory(sequence_ordered(), ModelSQL, ModelView):
    "Convention Signatory"
    __name__ = 'association.convention.signatory'
    convention = fields.Many2One(
        'association.convention', "Convention", required=True,
        ondelete='CASCADE')
    side = fields.Selection([
            ('association', "Association"),
            ('partner', "Partner"),
            ], "Side", required=True)
    person = fields.Many2One(
        'party.party', "Person", required=True, ondelete='RESTRICT',
        context={
            'party_kind': 'person',
            },
        help="The person who signs.")
    capacity = fields.Char(
        "Capacity", required=True,
        help="In which capacity the person signs, "
        "for example \"President\" or \"Managing Director\".")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('convention')

    @classmethod
    def default_side(cls):
        return 'partner'

    def get_rec_name(self, name):
        return '%s (%s)' % (self.person.rec_name, self.capacity)

    @classmethod
    def validate_fields(cls, signatories, field_names):
        super().validate_fields(signatories, field_names)
        if field_names and 'person' not in field_names:
            return
        for signatory in signatories:
            if signatory.person.kind != 'person':
                raise SignatoryValidationError(gettext(
                        'association_partnership.msg_signatory_not_person',
                        party=signatory.person.rec_name,
                        convention=signatory.convention.rec_name))


class Commitment(Workflow, ModelSQL, ModelView):
    "Convention Commitment"
    __name__ = 'association.convention.commitment'
    convention = fields.Many2One(
        'association.convention', "Convention", required=True,
        ondelete='CASCADE')
    side = fields.Selection([
            ('association', "Association"),
            ('partner', "Partner"),
            ], "Side", required=True,
        help="Association: what the association owes the partner.\n"
        "Partner: what the partner owes the association.")
    description = fields.Char("Description", required=True)
    benefit = fields.Selection([
            (None, ""),
            ('stand', "Stand"),
            ('logo', "Logo"),
            ('speaking', "Speaking Slots"),
            ('speed_meeting', "Speed Meeting Access"),
            ('invitations', "Invitations"),
            ], "Benefit", readonly=True,
        help="The benefit of the partnership level "
        "the commitment comes from.")
    due_date = fields.Date(
        "Due Date",
        states={
            'readonly': Eval('state') != 'todo',
            })
    owner = fields.Many2One(
        'res.user', "Owner",
        help="The member of staff who follows the commitment.")
    done_date = fields.Date("Done Date", readonly=True)
    state = fields.Selection([
            ('todo', "To Do"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    status = fields.Function(
        fields.Selection([
                ('todo', "To Do"),
                ('late', "Late"),
                ('done', "Done"),
                ('cancelled', "Cancelled"),
                ], "Status",
            help="A commitment to do is late once its due date has passed."),
        'get_status', searcher='search_status')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('convention')
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(
                t, (t.state, Index.Equality(cardinality='low')),
                (t.due_date, Index.Range()),
                where=t.state == 'todo'))
        cls._order = [
            ('due_date', 'ASC NULLS LAST'),
            ('id', 'ASC'),
            ]
        cls._transitions |= {
            ('todo', 'done'),
            ('todo', 'cancelled'),
            ('done', 'todo'),
            ('cancelled', 'todo'),
            }
        cls._buttons.update({
                'do': {
                    'invisible': Eval('state') != 'todo',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'todo',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'reset': {
                    'invisible': Eval('state') == 'todo',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_side(cls):
        return 'association'

    @classmethod
    def default_state(cls):
        return 'todo'

    @classmethod
    def get_status(cls, commitments, name):
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        status = {}
        for commitment in commitments:
            if (commitment.state == 'todo'
                    and commitment.due_date
                    and commitment.due_date < today):
                status[commitment.id] = 'late'
            else:
                status[commitment.id] = commitment.state
        return status

    @classmethod
    def search_status(cls, name, clause):
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        _, operator, value = clause
        if operator in {'=', '!='}:
            values = {value}
        elif operator in {'in', 'not in'}:
            values = set(value)
        else:
            return []
        if operator in {'!=', 'not in'}:
            values = {'todo', 'late', 'done', 'cancelled'} - values
        domain = ['OR']
        for value in values:
            if value == 'late':
                domain.append([
                        ('state', '=', 'todo'),
                        ('due_date', '<', today),
                        ])
            elif value == 'todo':
                domain.append([
                        ('state', '=', 'todo'),
                        ['OR',
                            ('due_date', '=', None),
                            ('due_date', '>=', today),
                            ],
                        ])
            else:
                domain.append(('state', '=', value))
        return [domain]

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, commitments):
        pool = Pool()
        Date = pool.get('ir.date')
        today = Date.today()
        for commitment in commitments:
            commitment.done_date = today
        cls.save(commitments)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, commitments):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('todo')
    def reset(cls, commitments):
        cls.write(commitments, {'done_date': None})

    def get_successor_commitment(self, convention):
        "Return the commitment renewed for the successor convention"
        commitment = self.__class__(
            side=self.side, description=self.description, owner=self.owner,
            state='todo')
        predecessor = self.convention
        if (self.due_date and predecessor.start_date
                and convention.start_date):
            commitment.due_date = self.due_date + relativedelta(
                convention.start_date, predecessor.start_date)
        return commitment

    @classmethod
    def copy(cls, commitments, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('done_date', None)
        default.setdefault('state', 'todo')
        return super().copy(commitments, default=default)


class Instalment(ModelSQL, ModelView):
    "Convention Instalment"
    __name__ = 'association.convention.instalment'
    convention = fields.Many2One(
        'association.convention', "Convention", required=True,
        ondelete='CASCADE')
    date = fields.Date(
        "Date", required=True,
        states={
            'readonly': Bool(Eval('invoice')),
            },
        help="When the instalment is invoiced.")
    amount = fields.Numeric(
        "Amount", digits=(16, 2), required=True,
        domain=[
            ('amount', '>', 0),
            ],
        states={
            'readonly': Bool(Eval('invoice')),
            },
        help="Excluding taxes.")
    invoice = fields.Many2One(
        'account.invoice', "Invoice", readonly=True, ondelete='SET NULL')
    invoice_state = fields.Function(
        fields.Selection('get_invoice_states', "Invoice State"),
        'get_invoice_state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('convention')
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.date, Index.Range()), where=t.invoice == Null))
        cls._order = [
            ('date', 'ASC'),
            ('id', 'ASC'),
            ]
        cls._buttons.update({
                'invoice_instalment': {
                    'invisible': Bool(Eval('invoice')),
                    'icon': 'tryton-invoice',
                    'depends': ['invoice'],
                    },
                })

    @classmethod
    def get_invoice_states(cls):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        return [(None, "")] + Invoice.fields_get(
            ['state'])['state']['selection']

    def get_invoice_state(self, name):
        if self.invoice:
            return self.invoice.state

    def get_rec_name(self, name):
        return '%s - %s' % (self.convention.rec_name, self.date)

    @classmethod
    def validate_fields(cls, instalments, field_names):
        super().validate_fields(instalments, field_names)
        if field_names and not (field_names & {'amount', 'convention'}):
            return
        Convention = Pool().get('association.convention')
        Convention.check_instalments(
            list({i.convention for i in instalments}))

    @classmethod
    def check_modification(
            cls, mode, instalments, values=None, external=False):
        super().check_modification(
            mode, instalments, values=values, external=external)
        if mode == 'delete':
            for instalment in instalments:
                if instalment.invoice:
                    raise ConventionDeleteError(gettext(
                            'association_partnership'
                            '.msg_instalment_delete_invoiced',
                            instalment=instalment.rec_name))

    @classmethod
    def copy(cls, instalments, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('invoice', None)
        return super().copy(instalments, default=default)

    @classmethod
    @ModelView.button
    def invoice_instalment(cls, instalments):
        cls.create_invoices(instalments)

    @classmethod
    def invoice_due(cls, date=None):
        "Invoice the instalments of the running conventions due by the date"
        pool = Pool()
        Date = pool.get('ir.date')
        if date is None:
            date = Date.today()
        instalments = cls.search([
                ('date', '<=', date),
                ('invoice', '=', None),
                ('convention.state', 'in', ['signed', 'active']),
                ], order=[('convention', 'ASC'), ('date', 'ASC')])
        return cls.create_invoices(instalments)

    @classmethod
    def create_invoices(cls, instalments):
        "Create one customer invoice for each instalment not yet invoiced"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        instalments = [i for i in instalments if not i.invoice]
        for instalment in instalments:
            if instalment.convention.state not in {'signed', 'active'}:
                raise InvoiceError(gettext(
                        'association_partnership.msg_instalment_not_signed',
                        instalment=instalment.rec_name))
        invoices = []
        companies = defaultdict(list)
        for instalment in instalments:
            companies[instalment.convention.company].append(instalment)
        for company, c_instalments in companies.items():
            # Company dependent values (accounts, taxes) need the company
            with Transaction().set_context(company=company.id):
                c_instalments = cls.browse(c_instalments)
                for sub_instalments in grouped_slice(
                        c_instalments, count=SLICE // 2):
                    sub_instalments = list(sub_instalments)
                    sub_invoices = [i.get_invoice() for i in sub_instalments]
                    Invoice.save(sub_invoices)
                    for instalment, invoice in zip(
                            sub_instalments, sub_invoices):
                        instalment.invoice = invoice
                    cls.save(sub_instalments)
                    invoices.extend(sub_invoices)
        Invoice.update_taxes(invoices)
        return invoices

    def get_invoice(self):
        "Return the unsaved customer invoice of the instalment"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        convention = self.convention
        party = convention.invoice_party or convention.parties[0]
        invoice = Invoice(
            company=convention.company,
            type='out',
            party=party,
            invoice_address=party.address_get(type='invoice'),
            currency=convention.currency,
            account=party.account_receivable_used,
            description=convention.rec_name,
            )
        invoice.on_change_party()
        invoice.set_journal()
        product = convention.invoice_product
        if not product:
            raise InvoiceError(gettext(
                    'association_partnership.msg_instalment_no_product',
                    instalment=self.rec_name))
        line = InvoiceLine(
            invoice=invoice, company=invoice.company,
            currency=invoice.currency, type='line', product=product,
            quantity=1, origin=self)
        line.on_change_invoice()
        line.on_change_product()
        line.unit_price = self.amount
        line.description = self.get_invoice_line_description()
        if not line.account:
            raise InvoiceError(gettext(
                    'association_partnership.msg_instalment_no_account',
                    product=product.rec_name))
        invoice.lines = [line]
        return invoice

    def get_successor_instalment(self, convention):
        "Return the instalment renewed for the successor convention"
        instalment = self.__class__(amount=self.amount, date=self.date)
        predecessor = self.convention
        if predecessor.start_date and convention.start_date:
            instalment.date = self.date + relativedelta(
                convention.start_date, predecessor.start_date)
        return instalment

    def get_invoice_line_description(self):
        instalments = self.convention.instalments
        return gettext(
            'association_partnership.msg_instalment_invoice_line',
            convention=self.convention.rec_name,
            index=instalments.index(self) + 1,
            count=len(instalments))
