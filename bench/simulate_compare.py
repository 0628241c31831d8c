"""Planning policies side by side on the simulated shop: live re-planning against baselines.

The same seeded scenario (order arrivals, receipts, breakdowns, per-operation noise, scrap
and inspection results) is played under each policy in this process: `live` (the
engine's incremental repair on every event plus a small CP-SAT improver every hour of
plant time), `greedy` (first free slot when an order arrives, never repaired), `edd`
(no plan: a free machine starts the released job due first), `resolve` (a cold CP-SAT
re-solve of all open work on every event). Several seeds are pooled at the end.
Ends with one `summary:` line of key=value pairs.

    uv run python bench/simulate_compare.py                    # 3 seeds x 5 days (~minutes)
    uv run python bench/simulate_compare.py --seeds 1 --days 2 --policies live,edd
"""

from __future__ import annotations

import argparse
import time

from mes_simulator.compare import pooled, run_policies, summary, table
from mes_simulator.metrics import Kpis, kpis
from mes_simulator.policies import NAMES, PolicySettings
from mes_simulator.scenario import ScenarioSettings, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--days", type=float, default=5.0)
    parser.add_argument("--load", type=float, default=ScenarioSettings().load)
    parser.add_argument("--policies", default=",".join(NAMES))
    parser.add_argument("--improve-budget", type=float, default=PolicySettings().improve_budget)
    parser.add_argument("--improve-every", type=int, default=PolicySettings().improve_every)
    parser.add_argument("--resolve-budget", type=float, default=PolicySettings().resolve_budget)
    parser.add_argument("--operators", choices=("first-ready", "head"), default="first-ready")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    names = args.policies.split(",")
    settings = PolicySettings(args.improve_every, args.improve_budget, args.resolve_budget)
    by_policy: dict[str, list[Kpis]] = {n: [] for n in names}
    began = time.perf_counter()
    for seed in seeds:
        scenario = generate(ScenarioSettings(seed=seed, days=args.days, load=args.load))
        print(f"seed {seed}: {len(scenario.orders)} orders, {len(scenario.centers)} centers, "
              f"{len(scenario.breakdowns)} breakdowns drawn", flush=True)  # fmt: skip
        rows = []
        for run in run_policies(scenario, names, settings, strict=args.operators == "head"):
            rows.append(kpis(run))
            by_policy[run.policy].append(rows[-1])
            stats = " ".join(f"{k}={v}" for k, v in run.policy_stats.items())
            print(f"  {run.policy}: open={len(run.open_reasons)} {stats}", flush=True)
        print(table(rows), "\n", flush=True)
    total = [pooled(by_policy[n]) for n in names]
    print(f"pooled over seeds {args.seeds} ({args.days:g} days each):")
    print(table(total))
    print(
        f"summary: seeds={args.seeds} days={args.days:g} load={args.load:g} "
        f"improve_budget={args.improve_budget:g} resolve_budget={args.resolve_budget:g} "
        f"operators={args.operators} "
        f"{summary(total)} seconds={time.perf_counter() - began:.0f}"
    )


if __name__ == "__main__":
    main()
