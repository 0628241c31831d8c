"""Improver adoption under a stream of events (the dynamic benchmark's plant and stream).

Each round: the improver runs on the plan of that moment; meanwhile `--lag` events arrive
and are repaired as usual; the result is then carried over those events (`rebase`) and
offered to `adopt` against the plan that is current by then. Reports per round the gain
over the current plan, how many rounds were adopted, and the cost of the carry-over.
Every adopted plan is verified by the checker. Ends with one summary line.

    uv run python bench/planning_adoption.py --rounds 6 --lag 50 --improve-seconds 5
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from dataclasses import dataclass

from planning_dynamic import initial_plan

from mes_scheduler.planning import scenarios
from mes_scheduler.planning.checker import check
from mes_scheduler.planning.events import Event, apply
from mes_scheduler.planning.improver import ImproverSettings, adopt, improve, rebase
from mes_scheduler.planning.objective import weighted_tardiness
from mes_scheduler.planning.plan import Plan


@dataclass
class Round:
    adopted: bool
    found: float  # relative weighted-tardiness gain of the result over its base plan
    gain: float  # relative weighted-tardiness gain over the current plan when adopted
    rebase_ms: float
    status: str


def one_round(
    plan: Plan, stream: scenarios.EventStream, args: argparse.Namespace, index: int
) -> tuple[Plan, Round]:
    """Improve `plan`, let `args.lag` events arrive, carry the result over them, adopt."""
    settings = ImproverSettings(time_limit=args.improve_seconds, workers=2, seed=index)
    result = improve(plan, stream.now, settings)
    found = _gain(plan, result.plan)
    events: list[Event] = []
    while len(events) < args.lag:
        event = stream.next(plan)
        if event is not None:
            plan = apply(plan, event).plan
            events.append(event)
    t0 = time.perf_counter()
    carried = rebase(plan, result, events, stream.now)
    rebase_ms = (time.perf_counter() - t0) * 1000
    adopted = adopt(plan, carried, stream.now)
    if adopted is None:
        return plan, Round(False, found, 0.0, rebase_ms, carried.status)
    assert not check(adopted.plan, base=plan, now=stream.now)
    gain = _gain(plan, adopted.plan)
    return adopted.plan, Round(True, found, gain, rebase_ms, carried.status)


def _gain(before: Plan, after: Plan | None) -> float:
    wt = weighted_tardiness(before)
    return 0.0 if after is None or wt <= 0 else 1 - weighted_tardiness(after) / wt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--lag", type=int, default=50, help="events arriving during a round")
    parser.add_argument("--between", type=int, default=200, help="events between rounds")
    parser.add_argument("--improve-seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    began = time.perf_counter()
    load_start = os.getloadavg()[0]
    plan = initial_plan(args.seed, args.orders)
    stream = scenarios.EventStream(random.Random(args.seed + 1))
    rounds: list[Round] = []
    for index in range(args.rounds):
        applied = 0
        while applied < args.between:
            event = stream.next(plan)
            if event is not None:
                plan = apply(plan, event).plan
                applied += 1
        plan, r = one_round(plan, stream, args, index)
        rounds.append(r)
        print(
            f"round {index} ops={len(plan.operations)} found={r.found:.3%} adopted={r.adopted} "
            f"gain={r.gain:.3%} rebase_ms={r.rebase_ms:.0f} ({r.status})",
            flush=True,
        )
    adopted = [r for r in rounds if r.adopted]
    print(
        f"SUMMARY rounds={len(rounds)} adopted={len(adopted)} lag_events={args.lag} "
        f"mean_found={statistics.mean([r.found for r in rounds]):.3%} "
        f"mean_gain_adopted={statistics.mean([r.gain for r in adopted] or [0.0]):.3%} "
        f"max_rebase_ms={max(r.rebase_ms for r in rounds):.0f} "
        f"seconds={time.perf_counter() - began:.0f} "
        f"loadavg_start={load_start:.1f} loadavg_end={os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
