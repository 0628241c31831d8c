"""The background improver: time-boxed, cancellable CP-SAT over the unfrozen window.

`improve` never changes the plan it is given; `adopt` decides, against the plan current
at that moment, whether the result is taken.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from mes_scheduler.planning.checker import check
from mes_scheduler.planning.cpsat_model import build, decode, select_window
from mes_scheduler.planning.diff import diff
from mes_scheduler.planning.objective import Score, score
from mes_scheduler.planning.plan import Draft, Plan
from mes_scheduler.planning.result import RepairResult


@dataclass(frozen=True, slots=True)
class ImproverSettings:
    """`window_ops` bounds the movable operations per solve (rolling match-up window)."""

    time_limit: float = 5.0
    workers: int = 2
    warm_start: bool = True
    window_ops: int = 300
    window_offset: int = 0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class ImproveResult:
    """A candidate plan computed from the plan at `base_revision` (None: no solution)."""

    base_revision: int
    plan: Plan | None
    score: Score | None
    status: str
    seconds: float


def alternating(settings: ImproverSettings, round_index: int) -> ImproverSettings:
    """Settings for the n-th background round: warm and cold solves alternate."""
    warm = round_index % 2 == 0
    return ImproverSettings(
        time_limit=settings.time_limit,
        workers=settings.workers,
        warm_start=warm,
        window_ops=settings.window_ops,
        window_offset=round_index // 2,
        seed=settings.seed + round_index,
    )


def improve(
    plan: Plan,
    now: int,
    settings: ImproverSettings = ImproverSettings(),
    *,
    cancel: threading.Event | None = None,
) -> ImproveResult:
    """Solve the unfrozen window of `plan` within the time limit (or until cancelled)."""
    began = time.monotonic()
    draft = Draft(plan, now)
    window = select_window(draft, settings.window_ops, settings.window_offset)
    if not window:
        return ImproveResult(plan.revision, None, None, "nothing to move", 0.0)
    model = build(draft, window, warm=settings.warm_start)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = settings.time_limit
    solver.parameters.num_workers = settings.workers
    solver.parameters.random_seed = settings.seed
    status = _solve(solver, model.model, cancel)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ImproveResult(plan.revision, None, None, name, time.monotonic() - began)
    candidate = decode(draft, model, solver)
    return ImproveResult(plan.revision, candidate, score(candidate), name, time.monotonic() - began)


def _solve(
    solver: cp_model.CpSolver, model: cp_model.CpModel, cancel: threading.Event | None
) -> cp_model.CpSolverStatus:
    if cancel is None:
        return solver.solve(model)
    done = threading.Event()

    def watch() -> None:
        # Poll rather than block: CP-SAT offers no way to wait on an external event.
        while not done.wait(0.02):
            if cancel.is_set():
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        return solver.solve(model)
    finally:
        done.set()
        watcher.join()


def adopt(
    current: Plan, result: ImproveResult, now: int, *, threshold: float = 0.0
) -> RepairResult | None:
    """The adopted plan and its diff, or None if stale, not better enough or infeasible."""
    candidate = result.plan
    if candidate is None or result.score is None or result.base_revision != current.revision:
        return None
    if not result.score.beats(score(current), threshold=threshold):
        return None
    if check(candidate, base=current, now=now):
        return None
    adopted = replace(candidate, revision=current.revision + 1)
    return RepairResult(adopted, diff(current, adopted))
