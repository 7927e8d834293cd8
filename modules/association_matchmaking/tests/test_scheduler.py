# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"Tests of the speed meeting scheduler on its own, on random instances"
import itertools
import random
import unittest
from collections import Counter, defaultdict

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trytond.modules.association_matchmaking.exceptions import PinError
from trytond.modules.association_matchmaking.scheduler import (
    Instance, Participant, Pin, Request, communes_bound, greedy_schedule,
    schedule)

SETTINGS = settings(
    max_examples=60, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw, max_communes=6, max_companies=4, max_slots=5,
        max_tables=3, max_requests=20):
    "Draw participants, slots, tables and accepted requests"
    n_communes = draw(st.integers(1, max_communes))
    n_companies = draw(st.integers(1, max_companies))
    slots = list(range(draw(st.integers(1, max_slots))))
    tables = ['T%s' % i for i in range(draw(st.integers(1, max_tables)))]
    participants = []
    for i in range(n_communes + n_companies):
        commune = i < n_communes
        blocked = draw(st.frozensets(st.sampled_from(slots)))
        maximum = draw(st.one_of(st.none(), st.integers(0, len(slots))))
        participants.append(Participant(
                id=i, maximum=maximum, blocked=blocked, commune=commune))
    pairs = draw(st.lists(
            st.tuples(
                st.integers(0, n_communes - 1),
                st.integers(n_communes, n_communes + n_companies - 1)),
            max_size=max_requests, unique=True))
    requests = []
    for i, (commune, company) in enumerate(pairs):
        requests.append(Request(
                id=100 + i, participants=(commune, company),
                priority=draw(st.integers(1, 3)),
                mutual=draw(st.booleans())))
    return participants, slots, tables, requests


@st.composite
def contended(draw):
    """Draw small instances joined to the trap of first come, first served:
    commune 50 first asks company 60, which accepts one meeting and is the
    only one that commune 51 asked, then company 61"""
    participants, slots, tables, requests = draw(instances(
            max_communes=3, max_companies=2, max_slots=2, max_tables=2,
            max_requests=4))
    participants += [
        Participant(50, commune=True), Participant(51, commune=True),
        Participant(60, maximum=1), Participant(61)]
    requests += [
        Request(1, (50, 60), priority=draw(st.integers(1, 3))),
        Request(2, (51, 60), priority=draw(st.integers(1, 3))),
        Request(3, (50, 61), priority=draw(st.integers(1, 3))),
        ]
    return participants, slots, tables, requests


def check(test, participants, slots, tables, requests, pins, result):
    "Check every constraint of the schedule as the staff would"
    participants = {p.id: p for p in participants}
    requests = {r.id: r for r in requests}
    met = Counter(m.request for m in result.meetings)
    test.assertTrue(all(c == 1 for c in met.values()),
        msg="a request is met twice")
    busy = Counter()
    used = Counter()
    count = Counter()
    for meeting in result.meetings:
        test.assertIn(meeting.request, requests)
        test.assertIn(meeting.slot, slots)
        test.assertIn(meeting.table, tables)
        used[meeting.slot, meeting.table] += 1
        for participant in requests[meeting.request].participants:
            busy[participant, meeting.slot] += 1
            count[participant] += 1
            test.assertNotIn(
                meeting.slot, participants[participant].blocked,
                msg="meeting in a blocked slot")
    test.assertTrue(all(c == 1 for c in busy.values()),
        msg="a participant is in two meetings at once")
    test.assertTrue(all(c == 1 for c in used.values()),
        msg="a table is used twice in a slot")
    for participant, n in count.items():
        maximum = participants[participant].maximum
        if maximum is not None:
            test.assertLessEqual(n, maximum)
    by_request = result.by_request()
    for pin in pins:
        test.assertIn(pin.request, by_request, msg="pin lost")
        test.assertEqual(by_request[pin.request].slot, pin.slot)
        if pin.table is not None:
            test.assertEqual(by_request[pin.request].table, pin.table)
        test.assertTrue(by_request[pin.request].pinned)
    test.assertEqual(
        result.score, sum(requests[r].weight for r in met))
    test.assertLessEqual(result.score, result.bound)
    served = {p for r in met for p in requests[r].participants
        if participants[p].commune}
    test.assertEqual(result.communes_served, len(served))
    test.assertLessEqual(result.communes_served, result.communes_bound)
    test.assertEqual(result.communes_gap,
        result.communes_bound - result.communes_served)


def brute_force(participants, slots, tables, requests):
    """Return the best (communes served, score) by trying every schedule

    Independent of the solver: each request is in one slot or none."""
    participants = {p.id: p for p in participants}
    best = (0, 0)
    choices = [[None] + [
            s for s in slots
            if all(s not in participants[p].blocked
                for p in r.participants)]
        for r in requests]
    for assignment in itertools.product(*choices):
        busy = set()
        used = Counter()
        count = Counter()
        feasible = True
        for request, slot in zip(requests, assignment):
            if slot is None:
                continue
            used[slot] += 1
            if used[slot] > len(tables):
                feasible = False
                break
            for participant in request.participants:
                if (participant, slot) in busy:
                    feasible = False
                    break
                busy.add((participant, slot))
                count[participant] += 1
            if not feasible:
                break
        if not feasible:
            continue
        if any(participants[p].maximum is not None
                and n > participants[p].maximum for p, n in count.items()):
            continue
        served = {p for r, s in zip(requests, assignment) if s is not None
            for p in r.participants if participants[p].commune}
        value = (len(served), sum(
                r.weight for r, s in zip(requests, assignment)
                if s is not None))
        best = max(best, value)
    return best


class SchedulerTestCase(unittest.TestCase):
    "Test the speed meeting scheduler"

    @SETTINGS
    @given(instances())
    def test_constraints(self, instance):
        "Every constraint holds on random instances, at least greedy's score"
        participants, slots, tables, requests = instance
        result = schedule(participants, slots, tables, requests,
            time_limit=5)
        check(self, participants, slots, tables, requests, [], result)
        self.assertEqual(result.status, 'optimal')
        self.assertEqual(result.gap, 0)
        greedy = greedy_schedule(participants, slots, tables, requests)
        check(self, participants, slots, tables, requests, [], greedy)
        self.assertGreaterEqual(
            result.communes_served, greedy.communes_served)
        if result.communes_served == greedy.communes_served:
            self.assertGreaterEqual(result.score, greedy.score)

    @SETTINGS
    @given(instances(
            max_communes=3, max_companies=3, max_slots=3, max_tables=2,
            max_requests=6))
    def test_optimal(self, instance):
        "The schedule serves as many communes and scores as the best one"
        participants, slots, tables, requests = instance
        result = schedule(participants, slots, tables, requests,
            time_limit=5)
        best = brute_force(participants, slots, tables, requests)
        self.assertEqual((result.communes_served, result.score), best)
        self.assertEqual(result.status, 'optimal')
        self.assertEqual((result.communes_gap, result.gap), (0, 0))
        # The bounds of the relaxation hold
        self.assertGreaterEqual(
            communes_bound(Instance(participants, slots, tables, requests)),
            best[0])

    @SETTINGS
    @given(contended())
    def test_communes_greedy_short(self, instance):
        """Where first come, first served leaves out communes that the flow
        bound allows, the schedule serves as many communes as the best one
        and says it"""
        participants, slots, tables, requests = instance
        greedy = greedy_schedule(participants, slots, tables, requests)
        bound = communes_bound(
            Instance(participants, slots, tables, requests))
        assume(greedy.communes_served < bound)
        best = brute_force(participants, slots, tables, requests)
        for exact_size in [0, 1000]:
            result = schedule(participants, slots, tables, requests,
                time_limit=5, exact_size=exact_size)
            check(self, participants, slots, tables, requests, [], result)
            self.assertGreater(
                result.communes_served, greedy.communes_served)
            self.assertLessEqual(best[0], result.communes_bound)
            if exact_size:
                self.assertEqual(
                    (result.communes_served, result.score), best)
                self.assertEqual(result.communes_gap, 0)
            elif result.communes_served < best[0]:
                # Without the exact solver, a commune left out is told
                self.assertGreater(result.communes_gap, 0)
                self.assertEqual(result.status, 'feasible')

    @SETTINGS
    @given(instances(), st.randoms(use_true_random=False))
    def test_pins(self, instance, rng):
        "Pinned meetings are kept and the others scheduled around them"
        participants, slots, tables, requests = instance
        assume(requests)
        first = schedule(participants, slots, tables, requests, time_limit=5)
        assume(first.meetings)
        # Pin some meetings of a first schedule, some moved to another
        # table, and schedule again
        pins = []
        for meeting in rng.sample(
                first.meetings, rng.randint(1, len(first.meetings))):
            table = rng.choice([None, meeting.table])
            pins.append(Pin(meeting.request, meeting.slot, table))
        result = schedule(
            participants, slots, tables, requests, pins, time_limit=5)
        check(self, participants, slots, tables, requests, pins, result)
        # Pins taken from a feasible schedule lose nothing in optimality
        # when all its meetings are pinned
        if len(pins) == len(first.meetings):
            self.assertEqual(result.score, first.score)

    @SETTINGS
    @given(instances(), st.randoms(use_true_random=False))
    def test_determinism(self, instance, rng):
        "The same input in any order gives the same schedule"
        participants, slots, tables, requests = instance
        first = schedule(participants, slots, tables, requests, time_limit=5)
        shuffled = list(requests)
        rng.shuffle(shuffled)
        second = schedule(participants, slots, tables, shuffled,
            time_limit=5)
        self.assertEqual(first.meetings, second.meetings)
        self.assertEqual(first.score, second.score)

    def test_determinism_time_limit(self):
        "Stopped by its time limit, the solver still gives the same schedule"
        participants, slots, tables, requests = generate(
            random.Random(1), communes=40, companies=20, per_participant=4,
            slots=8, tables=8, half_days=.6)
        results = [schedule(participants, slots, tables, requests,
                time_limit=0.02, wall_time_limit=60) for _ in range(2)]
        self.assertEqual(results[0].status, 'feasible')
        self.assertFalse(results[0].wall_time_reached)
        self.assertGreater(results[0].gap, 0)
        self.assertEqual(results[0].meetings, results[1].meetings)
        self.assertEqual(results[0].bound, results[1].bound)
        check(self, participants, slots, tables, requests, [], results[0])

    def test_fairness(self):
        "A commune gets a meeting even when another's priority is higher"
        # One slot: the company 10 can meet commune 1 (high priority) or
        # commune 2 (low priority, its only request); commune 1 can also meet
        # company 11.
        participants = [
            Participant(1, commune=True), Participant(2, commune=True),
            Participant(10, maximum=1), Participant(11)]
        requests = [
            Request(1, (1, 10), priority=3, mutual=True),
            Request(2, (2, 10), priority=1),
            Request(3, (1, 11), priority=1),
            ]
        result = schedule(participants, [0], ['A', 'B'], requests)
        self.assertEqual(
            sorted(m.request for m in result.meetings), [2, 3])
        self.assertEqual(result.communes_served, 2)
        # the score alone would have chosen the request 1
        self.assertEqual(result.score, 2)

    def test_fairness_random(self):
        "Every commune that asked gets a meeting when the solver proves it"
        participants, slots, tables, requests = generate(
            random.Random(5), communes=30, companies=6, per_participant=3,
            slots=6, tables=6)
        result = schedule(participants, slots, tables, requests,
            time_limit=1, wall_time_limit=60)
        check(self, participants, slots, tables, requests, [], result)
        greedy = greedy_schedule(participants, slots, tables, requests)
        self.assertLess(greedy.communes_served, result.communes_served)
        self.assertEqual(result.communes_served, result.communes_bound)

    def test_fewer_tables(self):
        """With fewer tables than requests and maxima of one to three, every
        table serves a commune, proven by the flow bound, whatever the order
        of the requests"""
        participants, slots, tables, requests = generate(
            random.Random(7), communes=150, companies=60, per_participant=4,
            slots=10, tables=12, maximum=2, half_days=.3)
        greedy = greedy_schedule(participants, slots, tables, requests)
        result = schedule(participants, slots, tables, requests,
            exact_size=0)
        check(self, participants, slots, tables, requests, [], result)
        self.assertEqual(result.communes_served, len(slots) * len(tables))
        self.assertEqual(result.communes_gap, 0)
        self.assertLess(greedy.communes_served, result.communes_served)
        shuffled = list(requests)
        random.Random(1).shuffle(shuffled)
        again = schedule(participants[::-1], slots, tables, shuffled,
            exact_size=0)
        self.assertEqual(again.meetings, result.meetings)

    def test_weight(self):
        "Priority and mutual interest weigh in the choice"
        participants = [
            Participant(1, commune=True), Participant(2, commune=True),
            Participant(3, commune=True), Participant(10)]
        requests = [
            Request(1, (1, 10), priority=1, mutual=True),
            Request(2, (2, 10), priority=3),
            Request(3, (3, 10), priority=1),
            ]
        result = schedule(participants, [0, 1], ['A'], requests)
        self.assertEqual(
            sorted(m.request for m in result.meetings), [1, 2])
        self.assertEqual(result.score, 5)

    def test_pin_table(self):
        "A meeting pinned to a table keeps it, the others take free tables"
        participants = [Participant(i, commune=i < 3) for i in range(6)]
        requests = [Request(i, (i, i + 3)) for i in range(3)]
        pins = [Pin(1, 'S1', 'T1')]
        result = schedule(participants, ['S1'], ['T1', 'T2', 'T3'], requests,
            pins)
        by_request = result.by_request()
        self.assertEqual(by_request[1].table, 'T1')
        self.assertEqual(by_request[0].table, 'T2')
        self.assertEqual(by_request[2].table, 'T3')

    @SETTINGS
    @given(instances(), st.data())
    def test_pins_over_maximum(self, instance, data):
        "More pinned meetings than a participant can hold is an error"
        participants, slots, tables, requests = instance
        by_participant = defaultdict(list)
        for request in requests:
            for participant in request.participants:
                by_participant[participant].append(request)
        candidates = [p for p in participants
            if p.maximum is not None
            and len(by_participant[p.id]) > p.maximum]
        assume(candidates)
        participant = data.draw(st.sampled_from(candidates))
        pinned = by_participant[participant.id][:participant.maximum + 1]
        # each pinned meeting in its own slot and table when possible
        pins = [Pin(r.id, slots[i % len(slots)], None)
            for i, r in enumerate(pinned)]
        with self.assertRaises(PinError) as cm:
            schedule(participants, slots, tables, requests, pins)
        # the maximum is reported unless an earlier rule is broken first
        self.assertIn(cm.exception.reason, {
                'maximum', 'participant_slot', 'blocked', 'tables'})
        if cm.exception.reason == 'maximum':
            self.assertEqual(cm.exception.count, participant.maximum + 1)
            self.assertEqual(
                set(cm.exception.requests), {r.id for r in pinned})

    def test_pins_over_maximum_exact(self):
        "The error names the participant, its maximum and its pins"
        participants = [
            Participant(1, commune=True, maximum=1), Participant(10),
            Participant(11)]
        requests = [Request(1, (1, 10)), Request(2, (1, 11))]
        with self.assertRaises(PinError) as cm:
            schedule(participants, [0, 1], ['A'], requests,
                [Pin(1, 0), Pin(2, 1)])
        self.assertEqual(cm.exception.reason, 'maximum')
        self.assertEqual(cm.exception.participant, 1)
        self.assertEqual(cm.exception.count, 2)
        self.assertEqual(cm.exception.maximum, 1)
        self.assertEqual(cm.exception.requests, (1, 2))

    def test_pins_same_slot(self):
        "Two pins of a participant in one slot is an error"
        participants = [Participant(1, commune=True), Participant(10),
            Participant(11)]
        requests = [Request(1, (1, 10)), Request(2, (1, 11))]
        with self.assertRaises(PinError) as cm:
            schedule(participants, [0, 1], ['A', 'B'], requests,
                [Pin(1, 0, 'A'), Pin(2, 0, 'B')])
        self.assertEqual(cm.exception.reason, 'participant_slot')
        self.assertEqual(cm.exception.participant, 1)
        self.assertEqual(cm.exception.slot, 0)
        self.assertEqual(cm.exception.requests, (1, 2))

    def test_pins_same_table(self):
        "Two pins at one table in one slot is an error"
        participants = [Participant(i, commune=i % 2) for i in range(4)]
        requests = [Request(1, (0, 1)), Request(2, (2, 3))]
        with self.assertRaises(PinError) as cm:
            schedule(participants, [0], ['A', 'B'], requests,
                [Pin(1, 0, 'A'), Pin(2, 0, 'A')])
        self.assertEqual(cm.exception.reason, 'table_slot')
        self.assertEqual(cm.exception.table, 'A')

    def test_pins_blocked(self):
        "A pin in a slot the participant blocked is an error"
        participants = [Participant(0, blocked=frozenset({1})),
            Participant(1, commune=True)]
        requests = [Request(1, (0, 1))]
        with self.assertRaises(PinError) as cm:
            schedule(participants, [0, 1], ['A'], requests, [Pin(1, 1)])
        self.assertEqual(cm.exception.reason, 'blocked')
        self.assertEqual(cm.exception.participant, 0)

    def test_pins_tables(self):
        "More pins in a slot than tables is an error"
        participants = [Participant(i, commune=i % 2) for i in range(4)]
        requests = [Request(1, (0, 1)), Request(2, (2, 3))]
        with self.assertRaises(PinError) as cm:
            schedule(participants, [0], ['A'], requests,
                [Pin(1, 0), Pin(2, 0)])
        self.assertEqual(cm.exception.reason, 'tables')
        self.assertEqual((cm.exception.count, cm.exception.maximum), (2, 1))

    def test_pins_unknown(self):
        "A pin must name an accepted request, a slot and a table"
        participants = [Participant(0), Participant(1, commune=True)]
        requests = [Request(1, (0, 1))]
        for pin, reason in [
                (Pin(2, 0), 'unknown_request'),
                (Pin(1, 5), 'unknown_slot'),
                (Pin(1, 0, 'Z'), 'unknown_table'),
                ]:
            with self.assertRaises(PinError) as cm:
                schedule(participants, [0], ['A'], requests, [pin])
            self.assertEqual(cm.exception.reason, reason)
        with self.assertRaises(PinError) as cm:
            schedule(participants, [0, 1], ['A'], requests,
                [Pin(1, 0), Pin(1, 1)])
        self.assertEqual(cm.exception.reason, 'duplicate')

    def test_bad_input(self):
        "Malformed input is refused"
        participants = [Participant(0), Participant(1, commune=True),
            Participant(2, commune=True)]
        for requests in [
                [Request(1, (1, 2))],
                [Request(1, (0, 0))],
                [Request(1, (0, 3))],
                [Request(1, (0, 1)), Request(1, (0, 1))],
                [Request(1, (0, 1), priority=0)],
                ]:
            with self.assertRaises(ValueError):
                schedule(participants, [0], ['A'], requests)

    def test_empty(self):
        "No request, no meeting"
        result = schedule([Participant(0)], [0], ['A'], [])
        self.assertEqual(result.meetings, [])
        self.assertEqual(result.status, 'optimal')


def generate(rng, communes, companies, per_participant, slots, tables,
        maximum=None, half_days=0):
    """Return a random instance

    Each participant asks per_participant meetings of the other side, with a
    preference for some popular companies; a mutual request when the other
    side asked too.  Each participant blocks a tenth of the slots and
    half_days of them a half of the slots."""
    participants = []
    company_ids = list(range(communes, communes + companies))
    popularity = [1 + rng.random() * 3 for _ in company_ids]
    slot_ids = list(range(slots))
    for i in range(communes + companies):
        blocked = {s for s in slot_ids if rng.random() < .1}
        if rng.random() < half_days:
            half = slots // 2
            blocked |= set(
                slot_ids[:half] if rng.random() < .5 else slot_ids[half:])
        blocked = frozenset(blocked)
        participants.append(Participant(
                id=i, commune=i < communes,
                maximum=maximum if maximum is not None else rng.choice(
                    [None, slots // 2, slots // 4 or 1]),
                blocked=blocked))
    asked = {}
    for commune in range(communes):
        for company in set(rng.choices(
                    company_ids, popularity, k=per_participant)):
            asked[commune, company] = rng.randint(1, 3)
    mutual = set()
    for company in company_ids:
        for commune in rng.sample(
                range(communes), min(per_participant, communes)):
            if (commune, company) in asked:
                mutual.add((commune, company))
            else:
                asked[commune, company] = rng.randint(1, 3)
    # the order of the ids is the order of arrival
    items = sorted(asked.items())
    rng.shuffle(items)
    requests = [
        Request(id=i, participants=pair, priority=priority,
            mutual=pair in mutual)
        for i, (pair, priority) in enumerate(items)]
    return participants, slot_ids, ['T%s' % t for t in range(tables)], \
        requests
