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
from collections import defaultdict
from dataclasses import dataclass, field

from .exceptions import PinError

try:
    from ortools.graph.python import min_cost_flow
    from ortools.sat.python import cp_model
except ImportError:  # pragma: no cover
    cp_model = min_cost_flow = None

MUTUAL_FACTOR = 2


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
        "The relative distance to the optimum: 0 when proven optimal"
        if not self.bound:
            return 0.
        return (self.bound - self.score) / self.bound

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
        count_participant = defaultdict(int)
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
                count_participant[participant] += 1
            if pin.table is not None:
                key = (pin.table, pin.slot)
                if key in by_table_slot:
                    raise PinError(
                        'table_slot', table=pin.table, slot=pin.slot,
                        requests=[by_table_slot[key], pin.request])
                by_table_slot[key] = pin.request
            count_slot[pin.slot] += 1
        for participant, count in sorted(
                count_participant.items(), key=lambda i: _sort_key(i[0])):
            maximum = self.participants[participant].maximum
            if maximum is not None and count > maximum:
                raise PinError(
                    'maximum', participant=participant, count=count,
                    maximum=maximum)
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

        # Lexicographic objective: a commune served is worth more than
        # every meeting together
        self.bonus = sum(r.weight for r in instance.requests) + 1
        variables = list(self.y.values()) + list(x.values())
        weights = [self.bonus] * len(self.y) + [
            instance.request_index[r].weight for r, _ in x]
        model.maximize(cp_model.LinearExpr.weighted_sum(variables, weights))

    def hint(self, assigned):
        "Give the schedule {request: slot} as complete solution hint"
        served = set()
        for request_id in assigned:
            served.update(
                self.instance.request_index[request_id].participants)
        hint = self.model.proto.solution_hint
        hint.vars.extend(v.index for v in self.x.values())
        hint.values.extend(int(assigned.get(r) == s) for r, s in self.x)
        hint.vars.extend(v.index for v in self.y.values())
        hint.values.extend(int(c in served) for c in self.y)

    def assigned(self, solver):
        return {r: s for (r, s), v in self.x.items()
            if solver.boolean_value(v)}


def _value(instance, assigned):
    return (communes_served(instance, assigned), score(instance, assigned))


def schedule(
        participants, slots, tables, requests, pins=(), *,
        time_limit=10., wall_time_limit=None, seed=42):
    """Return the Schedule of the accepted requests

    participants, requests and pins are iterables of Participant, Request and
    Pin; slots and tables are the ordered ids of the slots and of the tables.
    time_limit is the deterministic time (about seconds on a recent machine)
    given to CP-SAT; wall_time_limit (by default three times time_limit plus
    one second) stops it whatever happens.
    Raise PinError when the pinned meetings cannot be kept."""
    if cp_model is None:  # pragma: no cover
        raise RuntimeError("OR-Tools is not installed")
    if wall_time_limit is None:
        wall_time_limit = 3 * time_limit + 1
    instance = Instance(participants, slots, tables, requests, pins)
    result = Schedule(communes_asking=len(instance.communes))
    if not instance.requests:
        result.status = 'optimal'
        return result

    # The relaxation gives the bounds and the meetings worth having
    _, _, bound = relaxation(instance, fairness=False)
    chosen, communes_bound, _ = relaxation(instance, fairness=True)
    # The chosen meetings first, in the order of arrival, then the others
    index = {r: i for i, r in enumerate(instance.request_index)}
    chosen = sorted(
        (r for r in chosen if r not in instance.pins), key=index.get)
    start = greedy(
        instance, order=[instance.request_index[r] for r in chosen])
    start = greedy(instance, start=start)
    best = max(greedy(instance), start, key=lambda a: _value(instance, a))

    model = _Model(instance)
    model.hint(best)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = time_limit
    solver.parameters.max_time_in_seconds = wall_time_limit
    status = solver.solve(model.model)
    if status in {cp_model.OPTIMAL, cp_model.FEASIBLE}:
        candidate = model.assigned(solver)
        if _value(instance, candidate) >= _value(instance, best):
            best = candidate
        served = communes_served(instance, best)
        solver_bound = math.floor(solver.best_objective_bound)
        communes_bound = min(communes_bound, solver_bound // model.bonus)
        if solver_bound // model.bonus <= served:
            bound = min(bound, solver_bound - served * model.bonus)
    result.meetings = assign_tables(instance, best)
    result.score = score(instance, best)
    result.communes_served = communes_served(instance, best)
    result.communes_bound = max(communes_bound, result.communes_served)
    result.bound = max(bound, result.score)
    if (status == cp_model.OPTIMAL
            or (result.score == result.bound
                and result.communes_served == result.communes_bound)):
        result.status = 'optimal'
    else:
        result.status = 'feasible'
    result.wall_time = solver.wall_time
    result.deterministic_time = solver.deterministic_time
    result.wall_time_reached = (
        status != cp_model.OPTIMAL
        and solver.wall_time >= .99 * wall_time_limit)
    return result
