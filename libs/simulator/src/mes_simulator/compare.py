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
    strict: bool = False,
) -> list[Run]:
    """Play `scenario` once per policy, one after the other in this process."""
    runs = []
    for name in names:
        policy = make(name, scenario.plant(), settings)
        run = Simulation(scenario, policy, strict=strict).run()
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


def pooled(rows: list[Kpis]) -> Kpis:
    """One policy's rows from several seeds as one: counts summed, rates over all orders."""
    done = sum(k.completed for k in rows) or 1
    events = sum(k.events for k in rows) or 1

    def mean(values: Iterable[float]) -> float:
        values = list(values)
        return sum(values) / len(values)

    return Kpis(
        policy=rows[0].policy,
        orders=sum(k.orders for k in rows),
        completed=sum(k.completed for k in rows),
        on_time=sum(k.on_time * k.completed for k in rows) / done,
        mean_lateness_h=sum(k.mean_lateness_h * k.completed for k in rows) / done,
        max_lateness_h=max(k.max_lateness_h for k in rows),
        weighted_tardiness_h=sum(k.weighted_tardiness_h for k in rows),
        oee=mean(k.oee for k in rows),
        availability=mean(k.availability for k in rows),
        performance=mean(k.performance for k in rows),
        quality=mean(k.quality for k in rows),
        wip=mean(k.wip for k in rows),
        scrap=sum(k.scrap for k in rows),
        scrap_rate=mean(k.scrap_rate for k in rows),
        plan_changes=sum(k.plan_changes for k in rows),
        events=sum(k.events for k in rows),
        cpu_ms_per_event=sum(k.cpu_ms_per_event * k.events for k in rows) / events,
        cpu_ms_max=max(k.cpu_ms_max for k in rows),
        end_h=mean(k.end_h for k in rows),
    )
