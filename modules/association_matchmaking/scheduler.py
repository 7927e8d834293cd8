# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Schedule the meetings of a speed meeting with OR-Tools CP-SAT

This file knows nothing of Tryton: it takes plain values and returns plain
values, so that it can be tested and benchmarked on its own.

The model has one boolean per accepted request and slot where both
participants are free (``x[r, s]``: the meeting of request ``r`` takes place
in slot ``s``).  Tables (or online rooms) are interchangeable: the model
only bounds the number of meetings of a slot by the number of tables, and
the tables are given afterwards (the pinned meetings keep theirs, the others
take the free tables in order).  Constraints:

- a request is met at most once (exactly once, in its slot, when pinned);
- a participant is in at most one meeting per slot and never in a slot it
  blocked;
- a participant has at most its maximum number of meetings;
- a slot holds at most as many meetings as there are tables.

The objective is lexicographic: first as many communes as possible that
asked for meetings get at least one (fairness; a commune asked when it is
part of an accepted request), then the highest weighted score: the sum of the
weights of the meetings held, where the weight of a request is its priority,
doubled when the interest is mutual.  Both are one CP-SAT objective: a
commune served is worth more than all the meetings together.

Before CP-SAT, the relaxation of the problem without slots (each participant
has as many meetings as its free slots and its maximum allow) is solved
exactly as a min-cost flow from the communes to the companies, with OR-Tools
too.  Every schedule is a solution of the relaxation, so its optimum is a
proven upper bound of the score and of the communes served; and the meetings
it chooses, placed in slots first-come-first-served and completed by the
other requests, give CP-SAT a complete starting solution (a hint) that is
often within a percent of the bound.  The greedy first-come-first-served
schedule is a hint too when it is better: the result is never worse than it.

CP-SAT runs with one worker, a fixed random seed and a deterministic time
limit: the same input gives the same schedule, whatever the order of the
input.  A wall-clock limit guards against a slow machine (when it is reached
first, the result may depend on the load of the machine;
``Schedule.wall_time_reached`` tells it).  The gap to the optimum is measured
against the best of the relaxation's and CP-SAT's bounds.
"""
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from .exceptions import PinError

try:
    from ortools.graph.python import max_flow, min_cost_flow
    from ortools.sat.python import cp_model
except ImportError:  # pragma: no cover
    cp_model = max_flow = min_cost_flow = None

MUTUAL_FACTOR = 2
# The weight of the urgency of a participant's meetings in the placement of
# a slot: above every score of one meeting
URGENCY = 1000
# The longest chain of meetings moved to place one
MAX_CHAIN = 50
# The passes of improvement
MAX_PASSES = 5
# The largest CP-SAT model (variables) solved after the placement
EXACT_SIZE = 1000


def SLOT_ORDERS(slots):
    "The orders of the slots in which the meetings are placed"
    return [slots, slots[::-1], slots[::2] + slots[1::2],
        slots[1::2][::-1] + slots[::2][::-1]]


@dataclass(frozen=True)
class Participant:
    "A commune or a company of a speed meeting"
    id: object
    # the maximum number of meetings, None for no maximum
    maximum: int = None
    # the slots in which the participant is not available
    blocked: frozenset = frozenset()
    # communes are the side of the fairness objective
    commune: bool = False


@dataclass(frozen=True)
class Request:
    "An accepted meeting request between two participants"
    id: object
    participants: tuple
    # 1 (low), 2 (normal) or 3 (high); any positive integer works
    priority: int = 1
    # both sides asked or showed interest
    mutual: bool = False

    @property
    def weight(self):
        return self.priority * (MUTUAL_FACTOR if self.mutual else 1)


@dataclass(frozen=True)
class Pin:
    "A meeting fixed by hand in a slot, at a table or at any free table"
    request: object
    slot: object
    table: object = None


@dataclass(frozen=True)
class Meeting:
    request: object
    slot: object
    table: object
    pinned: bool = False


@dataclass
class Schedule:
    meetings: list = field(default_factory=list)
    # 'optimal' (proven), 'feasible' (stopped by the time limit) or
    # 'greedy' (the first-come-first-served schedule, for comparison)
    status: str = 'optimal'
    # the weighted score of the meetings and the solver's proven upper
    # bound for schedules that serve as many communes
    score: int = 0
    bound: int = 0
    # the communes served and the communes that asked
    communes_served: int = 0
    communes_asking: int = 0
    # the upper bound of the number of communes that can be served
    communes_bound: int = 0
    wall_time: float = 0.
    deterministic_time: float = 0.
    wall_time_reached: bool = False

    @property
    def gap(self):
        "The relative distance of the score to the optimum: 0 when proven"
        if not self.bound:
            return 0.
        return (self.bound - self.score) / self.bound

    @property
    def communes_gap(self):
        "The communes that may be served more: 0 when proven"
        return self.communes_bound - self.communes_served

    def by_request(self):
        return {m.request: m for m in self.meetings}


def _sort_key(value):
    # Ids of one kind sort naturally; mixed kinds sort by type name first
    return (type(value).__name__, value)


class Instance:
    "The checked and canonically ordered input of the scheduler"

    def __init__(self, participants, slots, tables, requests, pins=()):
        self.participants = {}
        for participant in participants:
            if participant.id in self.participants:
                raise ValueError(
                    "Participant %r given twice" % (participant.id,))
            if participant.maximum is not None and participant.maximum < 0:
                raise ValueError(
                    "Negative maximum for %r" % (participant.id,))
            self.participants[participant.id] = participant
        self.slots = list(slots)
        self.tables = list(tables)
        if len(set(self.slots)) != len(self.slots):
            raise ValueError("A slot is given twice")
        if len(set(self.tables)) != len(self.tables):
            raise ValueError("A table is given twice")
        self.slot_index = {s: i for i, s in enumerate(self.slots)}
        self.table_index = {t: i for i, t in enumerate(self.tables)}

        self.requests = sorted(requests, key=lambda r: _sort_key(r.id))
        self.request_index = {}
        for request in self.requests:
            if request.id in self.request_index:
                raise ValueError("Request %r given twice" % (request.id,))
            if len(request.participants) != 2:
                raise ValueError(
                    "Request %r needs two participants" % (request.id,))
            first, second = request.participants
            if first == second:
                raise ValueError(
                    "Request %r has the same participant twice"
                    % (request.id,))
            for participant in request.participants:
                if participant not in self.participants:
                    raise ValueError(
                        "Request %r has the unknown participant %r"
                        % (request.id, participant))
            if sum(self.participants[p].commune
                    for p in request.participants) != 1:
                raise ValueError(
                    "Request %r must join a commune and a company"
                    % (request.id,))
            if request.priority < 1:
                raise ValueError(
                    "Request %r has a priority below 1" % (request.id,))
            self.request_index[request.id] = request

        self.pins = {}
        for pin in sorted(pins, key=lambda p: _sort_key(p.request)):
            if pin.request not in self.request_index:
                raise PinError('unknown_request', requests=[pin.request])
            if pin.request in self.pins:
                raise PinError('duplicate', requests=[pin.request])
            if pin.slot not in self.slot_index:
                raise PinError(
                    'unknown_slot', slot=pin.slot, requests=[pin.request])
            if pin.table is not None and pin.table not in self.table_index:
                raise PinError(
                    'unknown_table', table=pin.table, requests=[pin.request])
            self.pins[pin.request] = pin
        self.check_pins()

        # The communes that asked: those in at least one accepted request
        self.communes = sorted({
                p for r in self.requests for p in r.participants
                if self.participants[p].commune}, key=_sort_key)

    def check_pins(self):
        "Raise PinError when the pinned meetings break a constraint"
        by_participant_slot = {}
        by_table_slot = {}
        by_participant = defaultdict(list)
        count_slot = defaultdict(int)
        for pin in self.pins.values():
            request = self.request_index[pin.request]
            for participant in request.participants:
                if pin.slot in self.participants[participant].blocked:
                    raise PinError(
                        'blocked', participant=participant, slot=pin.slot,
                        requests=[pin.request])
                key = (participant, pin.slot)
                if key in by_participant_slot:
                    raise PinError(
                        'participant_slot', participant=participant,
                        slot=pin.slot,
                        requests=[by_participant_slot[key], pin.request])
                by_participant_slot[key] = pin.request
                by_participant[participant].append(pin.request)
            if pin.table is not None:
                key = (pin.table, pin.slot)
                if key in by_table_slot:
                    raise PinError(
                        'table_slot', table=pin.table, slot=pin.slot,
                        requests=[by_table_slot[key], pin.request])
                by_table_slot[key] = pin.request
            count_slot[pin.slot] += 1
        for participant, pinned in sorted(
                by_participant.items(), key=lambda i: _sort_key(i[0])):
            maximum = self.participants[participant].maximum
            if maximum is not None and len(pinned) > maximum:
                raise PinError(
                    'maximum', participant=participant, count=len(pinned),
                    maximum=maximum, requests=pinned)
        for slot in self.slots:
            if count_slot[slot] > len(self.tables):
                raise PinError(
                    'tables', slot=slot, count=count_slot[slot],
                    maximum=len(self.tables))

    def available_slots(self, request):
        "The slots in which both participants of the request are free"
        first, second = (self.participants[p] for p in request.participants)
        return [s for s in self.slots
            if s not in first.blocked and s not in second.blocked]


def greedy(instance, order=None, start=None):
    """Return the first-come-first-served schedule as {request: slot}

    The pinned meetings first (or the start schedule), then each request in
    the order of its id (the order of arrival) or the given order, in the
    first slot where both participants and a table are free and below their
    maximum: what most event tools do."""
    assigned = {}
    busy = set()
    count = defaultdict(int)
    used = defaultdict(int)

    def add(request, slot):
        assigned[request.id] = slot
        used[slot] += 1
        for participant in request.participants:
            busy.add((participant, slot))
            count[participant] += 1

    if start is None:
        start = {r: p.slot for r, p in instance.pins.items()}
    for request_id, slot in start.items():
        add(instance.request_index[request_id], slot)
    n_tables = len(instance.tables)
    if order is None:
        order = instance.requests
    for request in order:
        if request.id in assigned:
            continue
        if any(instance.participants[p].maximum is not None
                and count[p] >= instance.participants[p].maximum
                for p in request.participants):
            continue
        for slot in instance.available_slots(request):
            if used[slot] >= n_tables:
                continue
            if any((p, slot) in busy for p in request.participants):
                continue
            add(request, slot)
            break
    return assigned


def assign_tables(instance, assigned):
    """Return the meetings of {request: slot} with their table

    A pinned meeting keeps its table; the others take the free tables of
    their slot in the order of the tables, by request id."""
    by_slot = defaultdict(list)
    for request_id in sorted(assigned, key=_sort_key):
        by_slot[assigned[request_id]].append(request_id)
    meetings = []
    for slot in instance.slots:
        requests = by_slot.get(slot, [])
        taken = {instance.pins[r].table for r in requests
            if r in instance.pins and instance.pins[r].table is not None}
        free = iter(t for t in instance.tables if t not in taken)
        for request_id in requests:
            pin = instance.pins.get(request_id)
            if pin is not None and pin.table is not None:
                table = pin.table
            else:
                table = next(free)
            meetings.append(Meeting(
                    request=request_id, slot=slot, table=table,
                    pinned=pin is not None))
    return meetings


def score(instance, assigned):
    return sum(instance.request_index[r].weight for r in assigned)


def communes_served(instance, assigned):
    served = set()
    for request_id in assigned:
        for participant in instance.request_index[request_id].participants:
            if instance.participants[participant].commune:
                served.add(participant)
    return len(served)


def greedy_schedule(
        participants, slots, tables, requests, pins=()):
    "Return the first-come-first-served Schedule (no proven bound)"
    instance = Instance(participants, slots, tables, requests, pins)
    assigned = greedy(instance)
    total = sum(r.weight for r in instance.requests)
    return Schedule(
        meetings=assign_tables(instance, assigned),
        status='greedy',
        score=score(instance, assigned),
        bound=total,
        communes_served=communes_served(instance, assigned),
        communes_asking=len(instance.communes),
        communes_bound=len(instance.communes))


def capacity(instance, participant_id):
    """Return how many more meetings than its pinned ones the participant
    can have"""
    participant = instance.participants[participant_id]
    pinned = [p.slot for r, p in instance.pins.items()
        if participant_id in instance.request_index[r].participants]
    free = sum(1 for s in instance.slots
        if s not in participant.blocked and s not in pinned)
    if participant.maximum is not None:
        free = min(free, participant.maximum - len(pinned))
    return free


def relaxation(instance, fairness):
    """Solve the relaxation without slots as a min-cost flow

    Each participant has as many meetings as its free slots and its maximum
    allow, the event as many as its slots and tables allow, but the slots of
    the meetings are not chosen.  Every schedule is a solution of this
    problem, so its optimum bounds every schedule.  The flow goes from the
    communes to the companies through the requests.  With fairness, the
    first meeting of each commune earns a bonus higher than every score,
    so that the flow serves as many communes as possible first.

    Return the requests chosen (pinned ones included), the number of
    communes served and the weighted score."""
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink, tables = 0, 1, 2
    node = {p: i + 3 for i, p in enumerate(
            sorted(instance.participants, key=_sort_key))}
    bonus = sum(r.weight for r in instance.requests) + 1 if fairness else 0
    pinned = set(instance.pins)
    served = {p for r in pinned
        for p in instance.request_index[r].participants
        if instance.participants[p].commune}
    supply = 0
    for participant_id in sorted(instance.participants, key=_sort_key):
        participant = instance.participants[participant_id]
        cap = max(capacity(instance, participant_id), 0)
        if participant.commune:
            supply += cap
            if (fairness and cap and participant_id not in served
                    and participant_id in instance.communes):
                flow.add_arc_with_capacity_and_unit_cost(
                    source, node[participant_id], 1, -bonus)
                cap -= 1
            flow.add_arc_with_capacity_and_unit_cost(
                source, node[participant_id], cap, 0)
        else:
            flow.add_arc_with_capacity_and_unit_cost(
                node[participant_id], tables, cap, 0)
    free_tables = len(instance.slots) * len(instance.tables) - len(pinned)
    flow.add_arc_with_capacity_and_unit_cost(tables, sink, free_tables, 0)
    # What is not met goes straight to the sink
    flow.add_arc_with_capacity_and_unit_cost(source, sink, supply, 0)
    arcs = {}
    for request in instance.requests:
        if request.id in pinned or not instance.available_slots(request):
            continue
        commune, company = request.participants
        if not instance.participants[commune].commune:
            commune, company = company, commune
        arcs[request.id] = flow.add_arc_with_capacity_and_unit_cost(
            node[commune], node[company], 1, -request.weight)
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    status = flow.solve()
    if status != flow.OPTIMAL:  # pragma: no cover
        raise RuntimeError("The relaxation has no solution: %s" % status)
    chosen = [r for r in pinned]
    chosen += [r for r, arc in arcs.items() if flow.flow(arc)]
    return (chosen, communes_served(instance, chosen),
        score(instance, chosen))


def communes_bound(instance):
    """Return an upper bound of the communes that can be served

    A commune is served by one meeting, so the schedules of one meeting per
    commune decide it: each commune meets one company of its requests in a
    slot where both are free.  Two maximum flows from the communes through
    the (company, slot) pairs bound it: one keeps the maximum of each
    company but only the total of the tables, the other the tables of each
    slot but not the maxima."""
    served = set()
    busy = set()
    used = defaultdict(int)
    for request_id, pin in instance.pins.items():
        used[pin.slot] += 1
        for participant in instance.request_index[request_id].participants:
            busy.add((participant, pin.slot))
            if instance.participants[participant].commune:
                served.add(participant)
    tables = {s: len(instance.tables) - used[s] for s in instance.slots}
    cells = defaultdict(set)
    for request in instance.requests:
        if request.id in instance.pins:
            continue
        commune, company = _sides(instance, request)
        if (commune in served or capacity(instance, commune) < 1
                or capacity(instance, company) < 1):
            continue
        for slot in instance.available_slots(request):
            if (company, slot) not in busy and tables[slot] > 0:
                cells[commune].add((company, slot))
    communes = sorted(cells, key=_sort_key)
    pairs = sorted({c for cs in cells.values() for c in cs},
        key=lambda c: (_sort_key(c[0]), instance.slot_index[c[1]]))
    companies = sorted({c for c, _ in pairs}, key=_sort_key)
    bounds = []
    for by_slot in [False, True]:
        flow = max_flow.SimpleMaxFlow()
        source, sink, total = 0, 1, 2
        node = {}
        for key in (
                [('commune', c) for c in communes]
                + [('pair', p) for p in pairs]
                + [('company', c) for c in companies]
                + [('slot', s) for s in instance.slots]):
            node[key] = len(node) + 3
        for commune in communes:
            flow.add_arc_with_capacity(source, node['commune', commune], 1)
            for pair in sorted(cells[commune], key=lambda c: (
                        _sort_key(c[0]), instance.slot_index[c[1]])):
                flow.add_arc_with_capacity(
                    node['commune', commune], node['pair', pair], 1)
        for company, slot in pairs:
            if by_slot:
                flow.add_arc_with_capacity(
                    node['pair', (company, slot)], node['slot', slot], 1)
            else:
                flow.add_arc_with_capacity(
                    node['pair', (company, slot)], node['company', company],
                    1)
        if by_slot:
            for slot in instance.slots:
                flow.add_arc_with_capacity(
                    node['slot', slot], sink, tables[slot])
        else:
            for company in companies:
                flow.add_arc_with_capacity(
                    node['company', company], total,
                    capacity(instance, company))
            flow.add_arc_with_capacity(total, sink, sum(tables.values()))
        flow.solve(source, sink)
        bounds.append(flow.optimal_flow())
    return len(served) + min(bounds)


def _sides(instance, request):
    "Return the commune and the company of the request"
    first, second = request.participants
    if instance.participants[first].commune:
        return first, second
    return second, first


class _Placement:
    """A schedule being built: the slot of each request met

    It places the meetings chosen by the relaxation slot after slot, fills
    the tables left with the other requests and improves the schedule by
    moves that serve more communes, then score more, until none does."""

    def __init__(self, instance, start):
        self.instance = instance
        self.n_tables = len(instance.tables)
        self.slot = {}
        # the request met by a participant in a slot
        self.at = {}
        self.count = defaultdict(int)
        self.used = defaultdict(int)
        self.meetings = defaultdict(set)
        self.in_slot = defaultdict(set)
        self.served = 0
        self.score = 0
        # the changes to undo, when recorded
        self.journal = None
        # the meeting to remove first: the lightest, then the latest
        self.cost = {r.id: (r.weight, _sort_key(r.id))
            for r in instance.requests}
        self.available = {}
        for request in instance.requests:
            pin = instance.pins.get(request.id)
            self.available[request.id] = (
                [pin.slot] if pin else instance.available_slots(request))
        for request_id, slot in start.items():
            self.add(instance.request_index[request_id], slot)

    def add(self, request, slot):
        self.slot[request.id] = slot
        self.used[slot] += 1
        self.in_slot[slot].add(request.id)
        self.score += request.weight
        for participant in request.participants:
            self.at[participant, slot] = request.id
            self.count[participant] += 1
            self.meetings[participant].add(request.id)
        commune, _ = _sides(self.instance, request)
        if self.count[commune] == 1:
            self.served += 1
        if self.journal is not None:
            self.journal.append((request, None))

    def remove(self, request):
        slot = self.slot.pop(request.id)
        self.used[slot] -= 1
        self.in_slot[slot].discard(request.id)
        self.score -= request.weight
        for participant in request.participants:
            del self.at[participant, slot]
            self.count[participant] -= 1
            self.meetings[participant].discard(request.id)
        commune, _ = _sides(self.instance, request)
        if not self.count[commune]:
            self.served -= 1
        if self.journal is not None:
            self.journal.append((request, slot))

    def undo(self):
        "Undo the changes recorded in the journal"
        journal, self.journal = self.journal, None
        for request, slot in reversed(journal):
            if slot is None:
                self.remove(request)
            else:
                self.add(request, slot)

    def under_maximum(self, request):
        return all(
            self.instance.participants[p].maximum is None
            or self.count[p] < self.instance.participants[p].maximum
            for p in request.participants)

    def free(self, request, slot):
        return (self.used[slot] < self.n_tables
            and all((p, slot) not in self.at for p in request.participants))

    def value(self):
        return (self.served, self.score)

    def place(self, chosen, slots):
        """Place the chosen requests slot after slot

        Each slot takes a maximum-weight set of meetings in which nobody
        meets twice, within its tables: the weight favours the participants
        with the most meetings left for the fewest free slots left, so that
        nobody is left with more meetings than slots, then the score."""
        instance = self.instance
        todo = [instance.request_index[r] for r in chosen
            if r not in self.slot]
        for i, slot in enumerate(slots):
            if not todo:
                break
            later = slots[i:]
            left = defaultdict(int)
            for request in todo:
                for participant in request.participants:
                    left[participant] += 1
            room = {}
            for participant in left:
                blocked = instance.participants[participant].blocked
                room[participant] = max(1, sum(1 for s in later
                        if s not in blocked
                        and (participant, s) not in self.at))
            candidates = [r for r in todo
                if slot in self.available[r.id] and self.free(r, slot)]
            if not candidates:
                continue
            flow = min_cost_flow.SimpleMinCostFlow()
            source, sink, tables = 0, 1, 2
            node = {}
            for request in candidates:
                for participant in _sides(instance, request):
                    node.setdefault(participant, len(node) + 3)
            arcs = []
            for request in candidates:
                commune, company = _sides(instance, request)
                urgency = sum(
                    URGENCY * left[p] // room[p] for p in (commune, company))
                arcs.append((flow.add_arc_with_capacity_and_unit_cost(
                            node[commune], node[company], 1,
                            -(urgency + request.weight)), request))
            communes = sorted({_sides(instance, r)[0] for r in candidates},
                key=_sort_key)
            companies = sorted({_sides(instance, r)[1] for r in candidates},
                key=_sort_key)
            for commune in communes:
                flow.add_arc_with_capacity_and_unit_cost(
                    source, node[commune], 1, 0)
            for company in companies:
                flow.add_arc_with_capacity_and_unit_cost(
                    node[company], tables, 1, 0)
            flow.add_arc_with_capacity_and_unit_cost(
                tables, sink, self.n_tables - self.used[slot], 0)
            flow.add_arc_with_capacity_and_unit_cost(
                source, sink, len(communes), 0)
            flow.set_node_supply(source, len(communes))
            flow.set_node_supply(sink, -len(communes))
            if flow.solve() != flow.OPTIMAL:  # pragma: no cover
                raise RuntimeError("No matching of slot %r" % (slot,))
            placed = set()
            for arc, request in arcs:
                if flow.flow(arc):
                    self.add(request, slot)
                    placed.add(request.id)
            todo = [r for r in todo if r.id not in placed]
        return todo

    def insert(self, request):
        """Place the request, moving others between two slots if needed

        Return True when placed.  When the commune is free in slot a and the
        company in slot b, the meetings that alternate between a and b from
        the company (a Kempe chain) swap their slots, which frees the
        company in a."""
        if request.id in self.slot or not self.under_maximum(request):
            return False
        available = self.available[request.id]
        for slot in available:
            if self.free(request, slot):
                self.add(request, slot)
                return True
        if request.id in self.instance.pins:
            return False
        for first, second in [
                _sides(self.instance, request),
                reversed(_sides(self.instance, request))]:
            free_first = [s for s in available
                if (first, s) not in self.at]
            free_second = [s for s in available
                if (second, s) not in self.at]
            for a in free_first:
                for b in free_second:
                    # The chain frees a table in neither a nor b
                    if a == b or (self.used[a] >= self.n_tables
                            and self.used[b] >= self.n_tables):
                        continue
                    if self._swap_chain(request, second, a, b):
                        return True
        return False

    def _swap_chain(self, request, start, a, b):
        instance = self.instance
        chain = []
        participant, slot = start, a
        while (participant, slot) in self.at:
            other = instance.request_index[self.at[participant, slot]]
            if other.id in instance.pins:
                return False
            target = b if slot == a else a
            if target not in self.available[other.id]:
                return False
            chain.append(other)
            participant, = (p for p in other.participants
                if p != participant)
            slot = target
            if len(chain) > MAX_CHAIN:
                return False
        in_a = sum(1 for r in chain if self.slot[r.id] == a)
        in_b = len(chain) - in_a
        if (self.used[a] - in_a + in_b + 1 > self.n_tables
                or self.used[b] - in_b + in_a > self.n_tables):
            return False
        moves = [(r, b if self.slot[r.id] == a else a) for r in chain]
        for other, _ in moves:
            self.remove(other)
        for other, slot in moves:
            self.add(other, slot)
        self.add(request, a)
        return True

    def replace(self, request, communes_first):
        """Place the request in place of meetings that weigh less

        The meetings removed are those of its participants in the slot, one
        of a participant at its maximum and one of the slot when its tables
        are full; each is placed again elsewhere when possible.  No commune
        loses its last meeting.  Keep the change only when it serves more
        communes or, with as many, scores more.  Return True when kept."""
        instance = self.instance
        if request.id in self.slot or request.id in instance.pins:
            return False
        before = self.value()
        for slot in self.available[request.id]:
            if not communes_first and any(
                    self.cost[self.at[p, slot]][0] >= request.weight
                    for p in request.participants
                    if (p, slot) in self.at):
                continue
            removed = self._blocking(request, slot)
            if removed is None:
                continue
            if not communes_first and (
                    sum(r.weight for r in removed) >= request.weight):
                continue
            self.journal = []
            for other in removed:
                self.remove(other)
            self.add(request, slot)
            for other in removed:
                self.insert(other)
            if self.value() > before:
                self.journal = None
                return True
            self.undo()
        return False

    def _blocking(self, request, slot):
        """Return the meetings to remove to place the request in the slot or
        None when a pinned meeting or the last meeting of another commune
        would be"""
        instance = self.instance
        commune, _ = _sides(instance, request)
        removed = []
        lost = defaultdict(int)

        def removable(request_id):
            if request_id in instance.pins or request_id in removed:
                return False
            other, _ = _sides(instance, instance.request_index[request_id])
            return other == commune or self.count[other] > lost[other] + 1

        def remove(request_id):
            removed.append(request_id)
            lost[_sides(instance, instance.request_index[request_id])[0]] += 1

        for participant in request.participants:
            other = self.at.get((participant, slot))
            if other is not None and other not in removed:
                if not removable(other):
                    return None
                remove(other)
        for participant in request.participants:
            maximum = instance.participants[participant].maximum
            if maximum is None:
                continue
            count = self.count[participant] - sum(
                1 for r in removed
                if participant in instance.request_index[r].participants)
            if count >= maximum:
                candidates = [r for r in self.meetings[participant]
                    if removable(r)]
                if not candidates:
                    return None
                remove(min(candidates, key=self.cost.__getitem__))
        if self.used[slot] - sum(
                1 for r in removed if self.slot[r] == slot) >= (
                self.n_tables):
            candidates = [r for r in self.in_slot[slot] if removable(r)]
            if not candidates:
                return None
            remove(min(candidates, key=self.cost.__getitem__))
        return [instance.request_index[r] for r in removed]

    def improve(self, order):
        """Serve more communes, then score more, by insertions and
        replacements of the requests not met, in the given order, until no
        move helps or MAX_PASSES passes"""
        instance = self.instance
        for _ in range(MAX_PASSES):
            before = self.value()
            served = {p for r in self.slot
                for p in instance.request_index[r].participants
                if instance.participants[p].commune}
            for request in order:
                commune, _ = _sides(instance, request)
                if commune in served or request.id in self.slot:
                    continue
                if self.insert(request) or self.replace(request, True):
                    served.add(commune)
            for request in order:
                if request.id not in self.slot:
                    if not self.insert(request):
                        self.replace(request, False)
            if self.value() <= before:
                break


class _Model:
    "The CP-SAT model of an instance"

    def __init__(self, instance):
        self.instance = instance
        self.model = model = cp_model.CpModel()
        self.x = x = {}
        by_participant_slot = defaultdict(list)
        by_participant = defaultdict(list)
        by_slot = defaultdict(list)
        for request in instance.requests:
            pin = instance.pins.get(request.id)
            if pin is not None:
                slots = [pin.slot]
            else:
                slots = instance.available_slots(request)
            variables = []
            for slot in slots:
                var = model.new_bool_var('')
                x[request.id, slot] = var
                variables.append(var)
                by_slot[slot].append(var)
                for participant in request.participants:
                    by_participant_slot[participant, slot].append(var)
                    by_participant[participant].append(var)
            if pin is not None:
                model.add(x[request.id, pin.slot] == 1)
            elif len(variables) > 1:
                model.add_at_most_one(variables)
        for key in sorted(by_participant_slot, key=lambda k: (
                    _sort_key(k[0]), instance.slot_index[k[1]])):
            variables = by_participant_slot[key]
            if len(variables) > 1:
                model.add_at_most_one(variables)
        for participant_id in sorted(by_participant, key=_sort_key):
            maximum = instance.participants[participant_id].maximum
            variables = by_participant[participant_id]
            if maximum is not None and len(variables) > maximum:
                model.add(cp_model.LinearExpr.sum(variables) <= maximum)
        n_tables = len(instance.tables)
        for slot in instance.slots:
            variables = by_slot.get(slot, [])
            if len(variables) > n_tables:
                model.add(cp_model.LinearExpr.sum(variables) <= n_tables)

        # y[c] is true only when commune c has a meeting
        self.y = {}
        for commune in instance.communes:
            variables = by_participant.get(commune, [])
            if not variables:
                continue
            var = model.new_bool_var('')
            self.y[commune] = var
            model.add(cp_model.LinearExpr.sum(variables) >= var)
        self.served = cp_model.LinearExpr.sum(list(self.y.values()))
        self.score = cp_model.LinearExpr.weighted_sum(
            list(x.values()), [instance.request_index[r].weight for r, _ in x])

    def __len__(self):
        return len(self.x)

    def hint(self, assigned):
        "Give the schedule {request: slot} as complete solution hint"
        self.model.clear_hints()
        served = set()
        for request_id in assigned:
            served.update(
                self.instance.request_index[request_id].participants)
        for (request_id, slot), var in self.x.items():
            self.model.add_hint(var, assigned.get(request_id) == slot)
        for commune, var in self.y.items():
            self.model.add_hint(var, commune in served)

    def solve(self, objective, assigned, time_limit, wall_time_limit, seed):
        """Maximise the objective from the schedule and return the solver,
        its status and the schedule found (the given one when none)"""
        self.model.maximize(objective)
        self.hint(assigned)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        solver.parameters.max_deterministic_time = time_limit
        solver.parameters.max_time_in_seconds = wall_time_limit
        status = solver.solve(self.model)
        if status in {cp_model.OPTIMAL, cp_model.FEASIBLE}:
            assigned = {r: s for (r, s), v in self.x.items()
                if solver.boolean_value(v)}
        return solver, status, assigned


def _value(instance, assigned):
    return (communes_served(instance, assigned), score(instance, assigned))


def schedule(
        participants, slots, tables, requests, pins=(), *,
        time_limit=10., wall_time_limit=None, seed=42,
        exact_size=EXACT_SIZE):
    """Return the Schedule of the accepted requests

    participants, requests and pins are iterables of Participant, Request and
    Pin; slots and tables are the ordered ids of the slots and of the tables.

    The relaxation without slots bounds the communes served and the score
    and chooses the meetings, which are placed slot after slot and improved
    by moves (see _Placement); all this is deterministic.  When that does
    not prove the schedule optimal and the CP-SAT model has at most
    exact_size variables, CP-SAT solves the two stages in turn from it:
    first the communes served, then the score with as many communes served.
    time_limit is the deterministic time (about seconds on a recent machine)
    given to CP-SAT in all; wall_time_limit (by default three times
    time_limit plus one second) stops it whatever happens.
    Raise PinError when the pinned meetings cannot be kept."""
    if cp_model is None:  # pragma: no cover
        raise RuntimeError("OR-Tools is not installed")
    started = time.perf_counter()
    if wall_time_limit is None:
        wall_time_limit = 3 * time_limit + 1
    instance = Instance(participants, slots, tables, requests, pins)
    result = Schedule(communes_asking=len(instance.communes))
    if not instance.requests:
        result.status = 'optimal'
        return result

    # The relaxation bounds the score of every schedule, and with fairness
    # the communes served and the score of the schedules that serve as
    # many communes as it does
    _, _, score_bound = relaxation(instance, fairness=False)
    chosen, relaxation_communes, fair_bound = relaxation(
        instance, fairness=True)
    communes_limit = min(relaxation_communes, communes_bound(instance))

    pinned = {r: p.slot for r, p in instance.pins.items()}
    index = {r: i for i, r in enumerate(instance.request_index)}
    chosen = sorted((r for r in chosen if r not in pinned), key=index.get)
    best = pinned
    # The slots in their order, then in the reverse order: where some
    # participants are free only part of the time, one often places more
    for slots in SLOT_ORDERS(instance.slots):
        placement = _Placement(instance, pinned)
        left = placement.place(chosen, slots)
        # Then the other requests, the heaviest first, in the order of
        # arrival
        others = sorted(
            (r for r in instance.requests if r.id not in placement.slot),
            key=lambda r: (-r.weight, index[r.id]))
        for request in others:
            placement.insert(request)
        placement.improve(left + [r for r in others if r not in left])
        if placement.value() > _value(instance, best):
            best = dict(placement.slot)
        if placement.value() == (relaxation_communes, fair_bound):
            break
    fcfs = greedy(instance)
    if _value(instance, fcfs) > _value(instance, best):
        best = fcfs

    def score_limit(served):
        # The fair bound holds for the schedules that serve as many
        # communes as the relaxation
        return fair_bound if served >= relaxation_communes else score_bound

    served, total = _value(instance, best)
    bound = score_limit(served)
    status = 'optimal'
    deterministic_time = 0
    wall_time_reached = False
    size = sum(len(s) for s in placement.available.values())
    if (served, total) != (communes_limit, bound) and size <= exact_size:
        model = _Model(instance)
        # The first stage: the communes served
        if served < communes_limit:
            solver, solver_status, candidate = model.solve(
                model.served, best, time_limit / 2, wall_time_limit,
                seed)
            deterministic_time += solver.deterministic_time
            if _value(instance, candidate) > _value(instance, best):
                best = candidate
            served, total = _value(instance, best)
            if solver_status == cp_model.OPTIMAL:
                communes_limit = served
            elif solver_status == cp_model.FEASIBLE:
                communes_limit = min(communes_limit,
                    math.floor(solver.best_objective_bound))
            bound = score_limit(served)
        # The second stage: the score, with as many communes served
        if served == communes_limit:
            model.model.add(model.served >= served)
            solver, solver_status, candidate = model.solve(
                model.score, best, time_limit - deterministic_time,
                max(wall_time_limit - (time.perf_counter() - started), .1),
                seed)
            deterministic_time += solver.deterministic_time
            if _value(instance, candidate) > _value(instance, best):
                best = candidate
            served, total = _value(instance, best)
            if solver_status == cp_model.OPTIMAL:
                bound = total
            elif solver_status == cp_model.FEASIBLE:
                bound = min(bound, math.floor(solver.best_objective_bound))
        wall_time_reached = (deterministic_time < .99 * time_limit
            and time.perf_counter() - started >= .99 * wall_time_limit)
    if (served, total) != (communes_limit, bound):
        status = 'feasible'
    result.meetings = assign_tables(instance, best)
    result.score = total
    result.communes_served = served
    result.communes_bound = max(communes_limit, served)
    result.bound = max(bound, total)
    result.status = status
    result.deterministic_time = deterministic_time
    result.wall_time_reached = wall_time_reached
    result.wall_time = time.perf_counter() - started
    return result
