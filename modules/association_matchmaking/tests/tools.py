# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Fixtures shared by the scenarios"
import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo


# The modules of the test database beside the module: the partnerships, with
# the French chart of accounts and the banks of their own tests, so that the
# database is built on theirs
EXTRAS = ['association_partnership', 'account_fr', 'bank']


def paris(date, time):
    "Return the naive UTC datetime of a time in Paris"
    return dt.datetime.combine(
        date, time, tzinfo=ZoneInfo('Europe/Paris')).astimezone(
        dt.timezone.utc).replace(tzinfo=None)


def create_party(name, kind, population=None, email=None, config=None):
    from proteus import Model
    Party = Model.get('party.party', config=config)
    party = Party(name=name, kind=kind)
    if population is not None:
        party.population = population
        party.population_year = 2026
    if email:
        party.contact_mechanisms.new(type='email', value=email)
    party.save()
    return party


def check_schedule(meetings):
    """Return the broken rules of the meetings of an event as the staff
    would check them on the grid: nobody twice in a slot, no room twice in a
    slot, no blocked slot, no participant over its maximum"""
    broken = []
    busy = Counter()
    used = Counter()
    count = Counter()
    for meeting in meetings:
        used[meeting.slot.id, meeting.table.id] += 1
        for participant in [meeting.commune, meeting.company]:
            busy[participant.id, meeting.slot.id] += 1
            count[participant] += 1
            if meeting.slot in participant.blocked_slots:
                broken.append('blocked: %s' % participant.rec_name)
    broken += ['twice in a slot: %s' % k for k, c in busy.items() if c > 1]
    broken += ['table twice: %s' % (k,) for k, c in used.items() if c > 1]
    for participant, n in count.items():
        if participant.maximum is not None and n > participant.maximum:
            broken.append('over maximum: %s' % participant.rec_name)
    return broken


def activate_matchmaking(*setup):
    """Activate the module with the partnerships, as the module's test case
    does (the database is shared), and the company, then run the set-up
    functions; return proteus' config"""
    from trytond.modules.association.tests.tools import activate
    from trytond.modules.company.tests.tools import create_company
    return activate('association_matchmaking', create_company, *setup,
        extras=EXTRAS)
