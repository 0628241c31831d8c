"""Dynamic benchmark: a generated plant under a stream of events.

Reports repair latency p50/p99, operations moved and sequence changes per event kind,
and at checkpoints the plan's weighted tardiness before / after the improver compared
with a CP-SAT re-solve of the same state. Every plan is verified by the checker.
Ends with one summary line of key=value pairs.

    uv run python bench/planning_dynamic.py                      # full run (~15 min)
    uv run python bench/planning_dynamic.py --events 1000 --checkpoint-every 500 --solve-seconds 2
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

from mes_events import heap
from mes_scheduler.planning import repair, scenarios
from mes_scheduler.planning.checker import check
from mes_scheduler.planning.events import apply, kind
from mes_scheduler.planning.improver import ImproverSettings, adopt, improve
from mes_scheduler.planning.objective import weighted_tardiness
from mes_scheduler.planning.plan import Plan, empty_plan


@dataclass
class KindStats:
    latencies_ms: list[float] = field(default_factory=list)
    # CPU time of the repair's thread: on a shared machine, wall time minus waiting for a core.
    cpu_ms: list[float] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    sequence_changes: list[int] = field(default_factory=list)


def _mean(values: list[float]) -> float:
    return statistics.mean(values) if values else float("nan")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def initial_plan(seed: int, orders: int) -> Plan:
    rng = random.Random(seed)
    plant = scenarios.plant(rng, 10, 5, shifts=True, frozen=60)
    batch = [scenarios.order(rng, plant, f"I{i:05d}", 0) for i in range(orders)]
    return repair.plan_from_scratch(empty_plan(plant), batch, 0, rules=["atc"], polish_best=0).plan


def checkpoint(
    plan: Plan, now: int, args: argparse.Namespace, round_index: int
) -> tuple[Plan, float, float]:
    """Improver round on the repaired plan vs an independent CP-SAT re-solve of it.

    At a few thousand operations a cold CP-SAT solve finds nothing in 10 s, so the
    reference re-solve is warm-started from the same repaired plan (other seed).
    """
    before = weighted_tardiness(plan)
    base = ImproverSettings(time_limit=args.improve_seconds, workers=2)
    # Warm rounds only: at this size a cold solve finds no solution within 10 s (measured),
    # so the service's warm / cold alternation would waste every other round here.
    result = improve(plan, now, replace(base, warm_start=True, seed=round_index))
    adopted = adopt(plan, result, now)
    improved = adopted.plan if adopted is not None else plan
    after = weighted_tardiness(improved)
    full = replace(base, time_limit=args.solve_seconds, seed=10_000 + round_index)
    reference = improve(plan, now, full)
    assert reference.plan is None or not check(reference.plan, base=plan, now=now)
    ref_wt = weighted_tardiness(reference.plan) if reference.plan is not None else before
    ratio = after / ref_wt if ref_wt > 0 else 1.0
    repair_ratio = before / ref_wt if ref_wt > 0 else 1.0
    print(
        f"checkpoint ops={len(plan.operations)} wt_repair={before:.0f} "
        f"wt_improved={after:.0f} adopted={adopted is not None} ({result.status}) "
        f"wt_cpsat_{args.solve_seconds:g}s={ref_wt:.0f} ({reference.status}) "
        f"ratio_improved={ratio:.3f} ratio_repair_only={repair_ratio:.3f}",
        flush=True,
    )
    return improved, ratio, repair_ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--checkpoint-every", type=int, default=500)
    parser.add_argument("--max-checkpoints", type=int, default=10**9)
    parser.add_argument("--improve-seconds", type=float, default=10.0)
    parser.add_argument("--solve-seconds", type=float, default=10.0)
    parser.add_argument("--check-every", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    began = time.perf_counter()
    load_start = os.getloadavg()[0]
    plan = initial_plan(args.seed, args.orders)
    assert not check(plan)
    heap.settle()  # as the scheduler service does once its plan is loaded (Planner)
    print(f"initial plan: {len(plan.orders)} orders, {len(plan.operations)} operations, "
          f"built in {time.perf_counter() - began:.1f}s", flush=True)  # fmt: skip
    stream = scenarios.EventStream(random.Random(args.seed + 1))
    stats: dict[str, KindStats] = defaultdict(KindStats)
    ops_seen: list[int] = []
    ratios: list[float] = []
    repair_ratios: list[float] = []
    applied = 0
    checkpoints = 0
    while applied < args.events:
        event = stream.next(plan)
        if event is None:
            continue
        t0, c0 = time.perf_counter(), time.thread_time()
        result = apply(plan, event)
        elapsed = (time.perf_counter() - t0) * 1000
        s = stats[kind(event)]
        s.latencies_ms.append(elapsed)
        s.cpu_ms.append((time.thread_time() - c0) * 1000)
        s.moved.append(result.diff.moved)
        s.sequence_changes.append(result.diff.sequence_changes)
        if applied % args.check_every == 0:
            violations = check(result.plan, base=plan, now=event.at)
            assert not violations, (event, violations[:5])
        plan = result.plan
        applied += 1
        ops_seen.append(len(plan.operations))
        if applied % args.checkpoint_every == 0 and checkpoints < args.max_checkpoints:
            checkpoints += 1
            plan, ratio, repair_ratio = checkpoint(plan, stream.now, args, checkpoints)
            ratios.append(ratio)
            repair_ratios.append(repair_ratio)
    loads = (load_start, os.getloadavg()[0])
    _report(stats, ops_seen, ratios, repair_ratios, applied, time.perf_counter() - began, loads)


def _report(
    stats: dict[str, KindStats],
    ops_seen: list[int],
    ratios: list[float],
    repair_ratios: list[float],
    applied: int,
    seconds: float,
    loads: tuple[float, float],
) -> None:
    print(
        f"{'kind':22} {'n':>5} {'p50_ms':>7} {'p99_ms':>7} {'max_ms':>7} {'p50_cpu':>7} "
        f"{'p99_cpu':>7} {'moved':>7} {'seqchg':>7}"
    )
    worst_p99 = worst_cpu = 0.0
    for name in sorted(stats):
        s = stats[name]
        p99, p99_cpu = _pct(s.latencies_ms, 0.99), _pct(s.cpu_ms, 0.99)
        worst_p99, worst_cpu = max(worst_p99, p99), max(worst_cpu, p99_cpu)
        print(
            f"{name:22} {len(s.latencies_ms):5d} {_pct(s.latencies_ms, 0.5):7.2f} {p99:7.2f} "
            f"{max(s.latencies_ms):7.2f} {_pct(s.cpu_ms, 0.5):7.2f} {p99_cpu:7.2f} "
            f"{statistics.mean(s.moved):7.1f} {statistics.mean(s.sequence_changes):7.1f}"
        )
    print(
        f"SUMMARY events={applied} open_ops_min={min(ops_seen)} open_ops_max={max(ops_seen)} "
        f"worst_kind_p99_ms={worst_p99:.2f} worst_kind_p99_cpu_ms={worst_cpu:.2f} "
        f"checkpoints={len(ratios)} "
        f"mean_wt_ratio_improved_vs_cpsat={_mean(ratios):.3f} "
        f"max_wt_ratio_improved_vs_cpsat={max(ratios, default=float('nan')):.3f} "
        f"mean_wt_ratio_repair_only_vs_cpsat={_mean(repair_ratios):.3f} "
        f"seconds={seconds:.0f} loadavg_start={loads[0]:.1f} loadavg_end={loads[1]:.1f}"
    )


if __name__ == "__main__":
    main()
