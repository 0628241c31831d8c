"""The same seeded scenario under each planning policy, one table row per policy."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mes_simulator.metrics import Kpis, kpis
from mes_simulator.policies import DEFAULTS, NAMES, PolicySettings, make
from mes_simulator.scenario import Scenario
from mes_simulator.simulation import Run, Simulation

COLUMNS: tuple[tuple[str, str, Callable[[Kpis], str]], ...] = (
    ("policy", "<", lambda k: k.policy),
    ("done", ">", lambda k: f"{k.completed}/{k.orders}"),
    ("on-time", ">", lambda k: f"{100 * k.on_time:.1f}%"),
    ("mean late h", ">", lambda k: f"{k.mean_lateness_h:.1f}"),
    ("max late h", ">", lambda k: f"{k.max_lateness_h:.1f}"),
    ("w.tardiness h", ">", lambda k: f"{k.weighted_tardiness_h:.0f}"),
    ("OEE", ">", lambda k: f"{100 * k.oee:.1f}%"),
    ("WIP", ">", lambda k: f"{k.wip:.1f}"),
    ("plan changes", ">", lambda k: str(k.plan_changes)),
    ("events", ">", lambda k: str(k.events)),
    ("CPU ms/event", ">", lambda k: f"{k.cpu_ms_per_event:.2f}"),
    ("CPU ms max", ">", lambda k: f"{k.cpu_ms_max:.0f}"),
)


def run_policies(
    scenario: Scenario,
    names: Iterable[str] = NAMES,
    settings: PolicySettings = DEFAULTS,
    *,
    progress: Callable[[Run], None] | None = None,
) -> list[Run]:
    """Play `scenario` once per policy, one after the other in this process."""
    runs = []
    for name in names:
        run = Simulation(scenario, make(name, scenario.plant(), settings)).run()
        if progress is not None:
            progress(run)
        runs.append(run)
    return runs


def table(rows: Iterable[Kpis]) -> str:
    """A fixed-width text table with one row per policy."""
    cells = [[fmt(k) for _, _, fmt in COLUMNS] for k in rows]
    heads = [name for name, _, _ in COLUMNS]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(heads)]
    aligns = [align for _, align, _ in COLUMNS]

    def line(values: list[str]) -> str:
        return "  ".join(f"{v:{a}{w}}" for v, a, w in zip(values, aligns, widths, strict=True))

    return "\n".join([line(heads), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def summary(rows: Iterable[Kpis]) -> str:
    """One line of key=value pairs, `<policy>_<kpi>=value`."""
    parts = []
    for k in rows:
        p = k.policy
        parts += [
            f"{p}_on_time_pct={100 * k.on_time:.1f}",
            f"{p}_mean_lateness_h={k.mean_lateness_h:.2f}",
            f"{p}_max_lateness_h={k.max_lateness_h:.2f}",
            f"{p}_weighted_tardiness_h={k.weighted_tardiness_h:.1f}",
            f"{p}_oee_pct={100 * k.oee:.1f}",
            f"{p}_wip={k.wip:.2f}",
            f"{p}_plan_changes={k.plan_changes}",
            f"{p}_cpu_ms_per_event={k.cpu_ms_per_event:.3f}",
        ]
    return " ".join(parts)


def compare(
    scenario: Scenario, names: Iterable[str] = NAMES, settings: PolicySettings = DEFAULTS
) -> list[Kpis]:
    """KPIs of each policy on `scenario`."""
    return [kpis(run) for run in run_policies(scenario, names, settings)]
