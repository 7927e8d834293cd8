#!/usr/bin/env python3
# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of the speed meeting scheduler

Generated speed meetings of 100, 500 and 1,000 participants (60% communes,
40% companies), each participant asking 5 meetings of the other side (more
to the popular companies, some interest mutual, priorities 1 to 3), 10% of
the slots blocked, 16 slots and one table per four participants.  For each,
in the same run: the number of meetings and the weighted score of the
schedule found by the scheduler (OR-Tools), of the greedy
first-come-first-served scheduler that most event tools use, and the
proven upper bound of the score; the percentage of the bound reached, the
gain over greedy and the times.

The scheduler does not touch the database: no backend is involved.

Usage: .venv/bin/python benchmarks/matchmaking_scheduler.py
       [--sizes 100,500,1000] [--time-limit 2] [--wall-time-limit 9]
       [--seed 1]"""
import argparse
import os
import random
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'modules'))

from association_matchmaking.scheduler import (  # noqa: E402
    Participant, Request, greedy_schedule, schedule)

SLOTS = 16
PER_PARTICIPANT = 5


def generate(rng, size):
    "Return the participants, slots, tables and requests of an instance"
    communes = size * 6 // 10
    company_ids = list(range(communes, size))
    popularity = [1 + rng.random() * 3 for _ in company_ids]
    slots = list(range(SLOTS))
    participants = []
    for i in range(size):
        participants.append(Participant(
                id=i, commune=i < communes,
                maximum=rng.choice([None, SLOTS // 2, SLOTS // 4]),
                blocked=frozenset(s for s in slots if rng.random() < .1)))
    asked = {}
    mutual = set()
    for commune in range(communes):
        for company in set(rng.choices(
                    company_ids, popularity, k=PER_PARTICIPANT)):
            asked[commune, company] = rng.randint(1, 3)
    for company in company_ids:
        for commune in rng.sample(range(communes), PER_PARTICIPANT):
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
    tables = ['T%s' % t for t in range(size // 4)]
    return participants, slots, tables, requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='100,500,1000')
    parser.add_argument('--time-limit', type=float, default=2,
        help="deterministic time given to CP-SAT")
    parser.add_argument('--wall-time-limit', type=float, default=9,
        help="wall-clock guard of CP-SAT")
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()

    print("%6s %8s | %8s %7s | %8s %7s | %7s | %6s %6s | %6s %6s %6s" % (
            "people", "requests", "greedy", "score", "found", "score",
            "bound", "%bound", "+greedy", "time s", "det.", "status"))
    for size in map(int, args.sizes.split(',')):
        participants, slots, tables, requests = generate(
            random.Random(args.seed), size)
        start = time.perf_counter()
        greedy = greedy_schedule(participants, slots, tables, requests)
        greedy_time = time.perf_counter() - start
        start = time.perf_counter()
        result = schedule(
            participants, slots, tables, requests,
            time_limit=args.time_limit, wall_time_limit=args.wall_time_limit)
        elapsed = time.perf_counter() - start
        print("%6d %8d | %8d %7d | %8d %7d | %7d | %5.1f%% %+5.1f%% | "
            "%6.2f %6.2f %6s" % (
                size, len(requests),
                len(greedy.meetings), greedy.score,
                len(result.meetings), result.score,
                result.bound,
                100 * result.score / result.bound,
                100 * (result.score - greedy.score) / greedy.score,
                elapsed, result.deterministic_time, result.status))
        print("%6s communes served: greedy %d, found %d of %d that asked "
            "(bound %d); greedy took %.3f s; wall-clock guard reached: %s"
            % ("", greedy.communes_served, result.communes_served,
                result.communes_asking, result.communes_bound, greedy_time,
                result.wall_time_reached))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
