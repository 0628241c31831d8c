"""`mes simulate`: drive the running MES like the outside world, or compare planning policies."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mes_simulator.compare import run_policies, summary, table
from mes_simulator.metrics import kpis
from mes_simulator.policies import NAMES, PolicySettings
from mes_simulator.scenario import ScenarioSettings, generate
from mes_simulator.simulation import Run


def say(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - this is a console program


def _scenario_args(p: argparse.ArgumentParser) -> None:
    d = ScenarioSettings()
    g = p.add_argument_group("scenario (the same seed gives the same world)")
    g.add_argument("--seed", type=int, default=d.seed)
    g.add_argument("--days", type=float, default=d.days, help="days during which orders arrive")
    g.add_argument("--load", type=float, default=d.load, help="bottleneck utilisation to aim at")
    g.add_argument("--shifts", action="store_true", help="two shifts Mon-Fri instead of 24/7")
    g.add_argument("--scrap-rate", type=float, default=d.scrap_rate)
    g.add_argument("--mtbf-hours", type=float, default=d.mtbf_hours)


def _compare_args(p: argparse.ArgumentParser) -> None:
    d = PolicySettings()
    g = p.add_argument_group("--compare (in-process simulation, no services needed)")
    g.add_argument("--compare", action="store_true", help="one table row per planning policy")
    g.add_argument("--policies", default=",".join(NAMES), help=f"subset of {','.join(NAMES)}")
    g.add_argument(
        "--improve-every",
        type=int,
        default=d.improve_every,
        help="plant minutes between the live planner's improver rounds",
    )
    g.add_argument(
        "--improve-budget",
        type=float,
        default=d.improve_budget,
        help="CP-SAT deterministic seconds per improver round (0: repair only)",
    )
    g.add_argument(
        "--resolve-budget",
        type=float,
        default=d.resolve_budget,
        help="CP-SAT deterministic seconds per event for the re-solve baseline",
    )
    g.add_argument(
        "--operators",
        choices=("first-ready", "head"),
        default="first-ready",
        help="operators start the first ready job of the list, or only its head",
    )


def parser() -> argparse.ArgumentParser:
    """The `mes` command line."""
    top = argparse.ArgumentParser(prog="mes", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="run the factory simulator")
    _scenario_args(sim)
    _compare_args(sim)
    from mes_simulator.rest.cli import add_rest_args

    add_rest_args(sim)
    return top


def scenario_settings(args: argparse.Namespace) -> ScenarioSettings:
    return ScenarioSettings(
        seed=args.seed,
        days=args.days,
        load=args.load,
        shifts=args.shifts,
        scrap_rate=args.scrap_rate,
        mtbf_hours=args.mtbf_hours,
    )


def compare_main(args: argparse.Namespace) -> int:
    """Play one scenario under each policy and print the table and a summary line."""
    names = [n.strip() for n in args.policies.split(",") if n.strip()]
    unknown = sorted(set(names) - set(NAMES))
    if unknown:
        say(f"unknown policies {unknown}; known: {', '.join(NAMES)}")
        return 2
    scenario = generate(scenario_settings(args))
    say(
        f"scenario seed={args.seed}: {len(scenario.orders)} orders over {args.days:g} days, "
        f"{len(scenario.centers)} work centers, {len(scenario.breakdowns)} breakdowns drawn, "
        f"{len(scenario.receipts)} receipts"
    )
    settings = PolicySettings(args.improve_every, args.improve_budget, args.resolve_budget)

    def done(run: Run) -> None:
        extra = " ".join(f"{k}={v}" for k, v in run.policy_stats.items())
        hours = run.end / 60
        say(f"  {run.policy}: {run.events} events, plant time {hours:.1f} h {extra}".rstrip())
        for order_id, reason in run.open_reasons.items():
            say(f"    {order_id} still open: {reason}")

    runs = run_policies(scenario, names, settings, progress=done, strict=args.operators == "head")
    rows = [kpis(run) for run in runs]
    say("")
    say(table(rows))
    say("")
    say(f"summary: seed={args.seed} orders={len(scenario.orders)} {summary(rows)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mes` console script."""
    args = parser().parse_args(argv)
    if args.compare:
        return compare_main(args)
    from mes_simulator.rest.cli import rest_main

    return rest_main(args, scenario_settings(args))


if __name__ == "__main__":
    sys.exit(main())
