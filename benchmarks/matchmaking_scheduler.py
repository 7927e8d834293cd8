#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of the speed meeting scheduler

Generated speed meetings of several shapes of demand, each with its own
seed: the shape of the first benchmark (60 % communes, each participant
asking 5 meetings of the other side, 10 % of the slots blocked, one table
per four participants), a few companies requested by most communes, fewer
tables than the demand, half-days and random slots blocked, maxima of one
to three meetings, communes that ask only the most popular companies, and
all of them at once; 200 to 1,000 participants, 8 to 20 slots.

For each instance: the communes served and the score of the scheduler, of
the first-come-first-served greedy scheduler that most event tools use,
and of the proven optimum, found by an exact solve given more time (a
mixed-integer program solved by HiGHS, an independent model and solver:
first the communes served, then the score with as many communes served);
the percentage of the optimal score reached, the gain over greedy, the
wall time of the scheduler and whether it gives the same schedule from the
input shuffled.

The scheduler does not touch the database: no backend is involved.

Usage: .venv/bin/python benchmarks/matchmaking_scheduler.py
       [--instances name,...] [--time-limit 10] [--exact-time-limit 600]
       [--no-exact]"""
import argparse
import contextlib
import os
import random
import sys
import time
from collections import defaultdict

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'modules'))

from association_matchmaking.scheduler import (  # noqa: E402
    Instance, Participant, Request, greedy_schedule, schedule)


def generate(seed, size, slots, *, communes=.6, asks=5, offers=5,
        popular=0, popular_share=0, only_popular=0, tables=None,
        half_days=0, blocked=.1, maxima=(None, 'half', 'quarter')):
    """Return the participants, slots, tables and requests of an instance

    size participants, a share communes of them communes, the others
    companies; each commune asks asks companies (more often the popular
    ones; popular_share of its requests go to the popular first companies,
    and only_popular of the communes ask only them), each company offers
    offers meetings to communes; a request is mutual when both sides asked.
    Each participant blocks each slot with the probability blocked and
    half_days of them one half of the slots; its maximum is drawn from
    maxima ('half' and 'quarter' of the slots).  tables defaults to one per
    four participants."""
    rng = random.Random(seed)
    n_communes = round(size * communes)
    company_ids = list(range(n_communes, size))
    weights = [1 + rng.random() * 3 for _ in company_ids]
    stars = company_ids[:popular]
    slot_ids = list(range(slots))
    half = slots // 2
    participants = []
    for i in range(size):
        blocked_slots = {s for s in slot_ids if rng.random() < blocked}
        if rng.random() < half_days:
            blocked_slots |= set(
                slot_ids[:half] if rng.random() < .5 else slot_ids[half:])
        maximum = rng.choice(maxima)
        if maximum == 'half':
            maximum = slots // 2
        elif maximum == 'quarter':
            maximum = slots // 4
        participants.append(Participant(
                id=i, commune=i < n_communes, maximum=maximum,
                blocked=frozenset(blocked_slots)))
    asked = {}
    for commune in range(n_communes):
        if stars and rng.random() < only_popular:
            companies = set(rng.sample(stars, min(asks, len(stars))))
        else:
            companies = set()
            for _ in range(asks):
                if stars and rng.random() < popular_share:
                    companies.add(rng.choice(stars))
                else:
                    companies.add(rng.choices(company_ids, weights)[0])
        for company in companies:
            asked[commune, company] = rng.randint(1, 3)
    mutual = set()
    for company in company_ids:
        for commune in rng.sample(range(n_communes), min(offers, n_communes)):
            if (commune, company) in asked:
                mutual.add((commune, company))
            else:
                asked[commune, company] = rng.randint(1, 3)
    # The ids are the order of arrival
    items = sorted(asked.items())
    rng.shuffle(items)
    requests = [
        Request(id=i, participants=pair, priority=priority,
            mutual=pair in mutual)
        for i, (pair, priority) in enumerate(items)]
    if tables is None:
        tables = size // 4
    return participants, slot_ids, ['T%s' % t for t in range(tables)], \
        requests


# name: (seed, participants, slots, shape)
INSTANCES = {
    'base-1000': (1, 1000, 16, {}),
    'popular-1000': (11, 1000, 16, dict(popular=8, popular_share=.8)),
    'tables-1000': (12, 1000, 12, dict(tables=40)),
    'half-days-1000': (13, 1000, 20, dict(half_days=.5, blocked=.15)),
    'maxima-1000': (14, 1000, 8, dict(maxima=(1, 2, 3))),
    'only-popular-1000': (15, 1000, 16, dict(
            popular=6, only_popular=.5, offers=1)),
    'mixed-1000': (16, 1000, 12, dict(
            popular=10, popular_share=.5, only_popular=.2, tables=60,
            half_days=.3, blocked=.15, maxima=(1, 2, 3, None))),
    'mixed-1000-20': (17, 1000, 20, dict(
            popular=5, popular_share=.6, only_popular=.3, offers=2,
            tables=50, half_days=.5, blocked=.2, maxima=(1, 2, 3, None))),
    'popular-200': (21, 200, 8, dict(popular=3, popular_share=.8)),
    'half-days-200': (22, 200, 10, dict(half_days=.6, blocked=.2)),
    'mixed-200': (23, 200, 8, dict(
            popular=4, popular_share=.5, only_popular=.3, offers=2,
            tables=12, half_days=.4, blocked=.15, maxima=(1, 2, 3, None))),
    'tables-500': (31, 500, 10, dict(tables=25)),
    'mixed-500': (32, 500, 20, dict(
            popular=6, popular_share=.5, only_popular=.2, tables=30,
            half_days=.4, blocked=.15, maxima=(1, 2, 3, None))),
    }


@contextlib.contextmanager
def quiet():
    "Keep the banner that HiGHS prints on the standard output away"
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, 'w') as devnull:
        os.dup2(devnull.fileno(), 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def exact(participants, slots, tables, requests, time_limit):
    """Return the optimal (communes served, score) and whether both are
    proven, by a mixed-integer program solved with HiGHS"""
    with quiet():
        return _exact(participants, slots, tables, requests, time_limit)


def _exact(participants, slots, tables, requests, time_limit):
    from ortools.linear_solver import pywraplp
    instance = Instance(participants, slots, tables, requests)
    solver = pywraplp.Solver.CreateSolver('HIGHS')
    solver.SetNumThreads(1)
    x = {}
    by_participant_slot = defaultdict(list)
    by_participant = defaultdict(list)
    by_slot = defaultdict(list)
    for request in instance.requests:
        variables = []
        for slot in instance.available_slots(request):
            var = x[request.id, slot] = solver.BoolVar('')
            variables.append(var)
            by_slot[slot].append(var)
            for participant in request.participants:
                by_participant_slot[participant, slot].append(var)
                by_participant[participant].append(var)
        if len(variables) > 1:
            solver.Add(sum(variables) <= 1)
    for variables in by_participant_slot.values():
        if len(variables) > 1:
            solver.Add(sum(variables) <= 1)
    for participant, variables in by_participant.items():
        maximum = instance.participants[participant].maximum
        if maximum is not None and len(variables) > maximum:
            solver.Add(sum(variables) <= maximum)
    for variables in by_slot.values():
        if len(variables) > len(tables):
            solver.Add(sum(variables) <= len(tables))
    served = []
    for commune in instance.communes:
        if by_participant.get(commune):
            var = solver.BoolVar('')
            solver.Add(sum(by_participant[commune]) >= var)
            served.append(var)
    started = time.perf_counter()
    solver.SetTimeLimit(int(time_limit * 1000))
    solver.Maximize(sum(served))
    status = solver.Solve()
    communes = round(solver.Objective().Value())
    proven = status == solver.OPTIMAL
    solver.Add(sum(served) >= communes)
    solver.Maximize(sum(
            instance.request_index[r].weight * v for (r, _), v in x.items()))
    solver.SetTimeLimit(int(max(
                time_limit - (time.perf_counter() - started), 1) * 1000))
    status = solver.Solve()
    proven &= status == solver.OPTIMAL
    return communes, round(solver.Objective().Value()), proven


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--instances', default=','.join(INSTANCES))
    parser.add_argument('--time-limit', type=float, default=10,
        help="deterministic time given to CP-SAT (the scheduler's default)")
    parser.add_argument('--exact-time-limit', type=float, default=600,
        help="seconds given to the exact solve of each instance")
    parser.add_argument('--no-exact', action='store_true',
        help="compare with the scheduler's bounds only")
    args = parser.parse_args()

    print("%-18s %5s %5s | %-13s | %-13s | %-13s | %6s %7s | %6s %s" % (
            "instance", "reqs", "slots", "greedy c/sc", "found c/sc",
            "optimum c/sc", "%opt", "+greedy", "time s", "status"))
    for name in args.instances.split(','):
        seed, size, slots, shape = INSTANCES[name]
        participants, slots, tables, requests = generate(
            seed, size, slots, **shape)
        greedy = greedy_schedule(participants, slots, tables, requests)
        start = time.perf_counter()
        result = schedule(
            participants, slots, tables, requests,
            time_limit=args.time_limit)
        elapsed = time.perf_counter() - start
        # The same input in another order gives the same schedule
        shuffled = list(requests)
        random.Random(seed).shuffle(shuffled)
        again = schedule(
            participants[::-1], slots, tables, shuffled,
            time_limit=args.time_limit)
        same = again.meetings == result.meetings
        if args.no_exact:
            optimum = result.communes_bound, result.bound, False
        else:
            optimum = exact(participants, slots, tables, requests,
                args.exact_time_limit)
        communes, best, proven = optimum
        print("%-18s %5d %5d | %5d / %5d | %5d / %5d | %5d / %5d%s | "
            "%5.1f%% %+6.1f%% | %6.2f %s%s" % (
                name, len(requests), len(slots),
                greedy.communes_served, greedy.score,
                result.communes_served, result.score,
                communes, best, '' if proven else '?',
                100 * result.score / best,
                100 * (result.score - greedy.score) / greedy.score,
                elapsed, result.status,
                ' (wall-clock guard)' if result.wall_time_reached else ''))
        print("%-18s communes: %d asked, bound %d (gap %d); score bound %d "
            "(gap %.2f%%); same schedule from the input shuffled: %s" % (
                '', result.communes_asking, result.communes_bound,
                result.communes_gap, result.bound, 100 * result.gap,
                "yes" if same else "NO"))
        sys.stdout.flush()
    print("c/sc: communes served / score; ? : the exact solve stopped "
        "before its proof (its best)")


if __name__ == '__main__':
    main()
