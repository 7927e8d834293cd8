# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from collections import defaultdict
from email.message import EmailMessage

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.sendmail import SMTPDataManager, send_message_transactional
from trytond.tools import grouped_slice
from trytond.tools.email_ import format_address, set_from_header
from trytond.transaction import Transaction

# Number of ids in one IN clause
SLICE = 1000


class Reminder(ModelSQL, ModelView):
    "Convention Reminder"
    __name__ = 'association.convention.reminder'
    convention = fields.Many2One(
        'association.convention', "Convention", required=True,
        ondelete='CASCADE')
    kind = fields.Selection([
            ('end', "End"),
            ('notice', "Notice Date"),
            ('commitment', "Late Commitment"),
            ], "Kind", required=True, readonly=True)
    commitment = fields.Many2One(
        'association.convention.commitment', "Commitment", readonly=True,
        ondelete='CASCADE')
    date = fields.Date("Date", required=True, readonly=True)
    owner = fields.Many2One('res.user', "Owner", readonly=True)
    description = fields.Char("Description", readonly=True)
    done = fields.Boolean(
        "Done", help="Check when the reminder has been dealt with.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('convention')
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.done, Index.Equality(cardinality='low')),
                where=t.done == False))  # noqa: E712
        cls._order = [
            ('date', 'DESC'),
            ('id', 'DESC'),
            ]

    @classmethod
    def default_done(cls):
        return False


class Convention(metaclass=PoolMeta):
    __name__ = 'association.convention'

    reminders = fields.One2Many(
        'association.convention.reminder', 'convention', "Reminders",
        help="The to-dos of the staff about the convention.")

    @classmethod
    def send_reminders(cls, date=None):
        """Create the reminders due on the date and e-mail their owners

        A convention is reminded once when its end or its notice date is
        within the reminder days of the configuration, and once for each
        late commitment."""
        pool = Pool()
        Date = pool.get('ir.date')
        Configuration = pool.get('association.partnership.configuration')
        Commitment = pool.get('association.convention.commitment')
        Reminder = pool.get('association.convention.reminder')
        if date is None:
            date = Date.today()
        config = Configuration(1)
        horizon = date + config.reminder_delta

        reminders = []
        conventions = cls.search([
                ('state', '=', 'active'),
                ('end_date', '>=', date),
                ])
        existing = defaultdict(set)
        for sub_conventions in grouped_slice(conventions, count=SLICE):
            for reminder in Reminder.search([
                        ('convention', 'in', [c.id for c in sub_conventions]),
                        ('kind', 'in', ['end', 'notice']),
                        ]):
                existing[reminder.convention.id].add(
                    (reminder.kind, reminder.date))
        for convention in conventions:
            if convention.renewal == 'tacit':
                kind, due = 'notice', convention.notice_date
            else:
                kind, due = 'end', convention.end_date
            if due and date <= due <= horizon and (
                    (kind, due) not in existing[convention.id]):
                reminders.append(convention.get_reminder(kind, due))

        commitments = Commitment.search([
                ('status', '=', 'late'),
                ('convention.state', 'in', ['signed', 'active']),
                ])
        reminded = set()
        for sub_commitments in grouped_slice(commitments, count=SLICE):
            reminded.update(r.commitment.id for r in Reminder.search([
                        ('commitment', 'in', [c.id for c in sub_commitments]),
                        ]))
        for commitment in commitments:
            if commitment.id not in reminded:
                reminders.append(commitment.convention.get_reminder(
                        'commitment', commitment.due_date, commitment))
        Reminder.save(reminders)
        cls.send_reminder_emails(reminders)
        return reminders

    def staff_language(self, user):
        """The code of the language in which user is reminded: the user's
        own, else the association's"""
        if user and user.language:
            return user.language.code
        return self.company.party.document_language

    def get_reminder(self, kind, due, commitment=None):
        "Return the unsaved reminder of the kind"
        pool = Pool()
        Reminder = pool.get('association.convention.reminder')
        Lang = pool.get('ir.lang')
        owner = (commitment.owner if commitment else None) or self.owner
        with Transaction().set_context(
                language=self.staff_language(owner)):
            lang = Lang.get()
            if kind == 'commitment':
                description = gettext(
                    'association_partnership.msg_reminder_commitment',
                    commitment=commitment.description,
                    date=lang.strftime(due))
            else:
                description = gettext(
                    'association_partnership.msg_reminder_%s' % kind,
                    convention=self.rec_name,
                    date=lang.strftime(due))
        return Reminder(
            convention=self, kind=kind, commitment=commitment, date=due,
            owner=owner, description=description, done=False)

    @classmethod
    def send_reminder_emails(cls, reminders):
        "Send to each owner one e-mail per convention with its reminders"
        pool = Pool()
        Email = pool.get('ir.email')
        groups = defaultdict(list)
        for reminder in reminders:
            if reminder.owner and reminder.owner.email:
                groups[(reminder.owner, reminder.convention)].append(reminder)
        from_ = config.get('email', 'from')
        datamanager = SMTPDataManager()
        emails = []
        for (owner, convention), sub_reminders in groups.items():
            with Transaction().set_context(
                    language=convention.staff_language(owner)):
                subject = gettext(
                    'association_partnership.msg_reminder_email_subject',
                    convention=convention.rec_name)
                body = '\n'.join(r.description for r in sub_reminders)
            msg = EmailMessage()
            set_from_header(msg, from_, from_)
            msg['To'] = format_address(owner.email, owner.name)
            msg['Subject'] = subject
            msg.set_content(body)
            send_message_transactional(msg, datamanager=datamanager)
            emails.append(Email.from_message(msg, body=body,
                    resource=convention))
        Email.save(emails)
        return emails
