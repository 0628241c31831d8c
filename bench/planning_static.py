"""Static quality benchmark on classic job-shop instances (makespan gap to best known).

(a) the repair path building a plan from scratch (dispatch rules, best of all), and
(b) the CP-SAT improver warm-started from (a), at each time limit, on 2 workers.
Every plan is verified by the feasibility checker. Ends with one summary line.

    uv run python bench/planning_static.py                       # development set, 1 s and 10 s
    uv run python bench/planning_static.py --set quick --times 1  # a few minutes
"""

from __future__ import annotations

import argparse
import statistics
import time

from _jobshop_instances import DEVELOPMENT_SET, QUICK_SET, load, to_plant_and_orders

from mes_scheduler.planning import repair
from mes_scheduler.planning.checker import check
from mes_scheduler.planning.improver import ImproverSettings, improve
from mes_scheduler.planning.objective import score
from mes_scheduler.planning.plan import Plan, empty_plan


def _gap(makespan: int, best: int) -> float:
    return 100.0 * (makespan - best) / best


def _verified(plan: Plan) -> int:
    violations = check(plan)
    assert not violations, violations[:5]
    return score(plan).secondary


def run_instance(name: str, times: list[float], workers: int) -> dict[str, float]:
    inst = load(name)
    plant, orders = to_plant_and_orders(inst)
    t0 = time.perf_counter()
    built = repair.plan_from_scratch(empty_plan(plant), orders, 0).plan
    build_ms = (time.perf_counter() - t0) * 1000
    gaps = {"dispatch": _gap(_verified(built), inst.best_known)}
    line = (
        f"{name:6} best={inst.best_known:5d} dispatch={gaps['dispatch']:6.2f}% ({build_ms:.0f} ms)"
    )
    for limit in times:
        settings = ImproverSettings(time_limit=limit, workers=workers, full_solve_limit=10**6)
        result = improve(built, 0, settings)
        makespan = _verified(result.plan) if result.plan is not None else 10**9
        gaps[f"cpsat_{limit:g}s"] = _gap(min(makespan, score(built).secondary), inst.best_known)
        line += f" improver_{limit:g}s={gaps[f'cpsat_{limit:g}s']:6.2f}%"
    print(line, flush=True)
    return gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", choices=["dev", "quick"], default="dev")
    parser.add_argument("--instances", help="comma-separated names (overrides --set)")
    parser.add_argument("--times", default="1,10", help="improver time limits in seconds")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    names = (
        args.instances.split(",")
        if args.instances
        else (DEVELOPMENT_SET if args.set == "dev" else QUICK_SET)
    )
    times = [float(t) for t in args.times.split(",") if t]
    results = [run_instance(name, times, args.workers) for name in names]
    summary = {key: statistics.mean(r[key] for r in results) for key in results[0]}
    worst = {key: max(r[key] for r in results) for key in results[0]}
    fields = [f"instances={len(results)}"]
    fields += [f"mean_gap_{k}={v:.2f}" for k, v in summary.items()]
    fields += [f"max_gap_{k}={v:.2f}" for k, v in worst.items()]
    print("SUMMARY " + " ".join(fields))


if __name__ == "__main__":
    main()
