"""The background improver: time-boxed, cancellable CP-SAT over the unfrozen window.

`improve` never changes the plan it is given; `rebase` carries its result over the events
applied since, and `adopt` decides, against the plan current at that moment, whether the
result is taken.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from mes_scheduler.planning.checker import check
from mes_scheduler.planning.cpsat_model import build, decode, select_window
from mes_scheduler.planning.diff import diff
from mes_scheduler.planning.events import Event
from mes_scheduler.planning.objective import Score, score
from mes_scheduler.planning.plan import Draft, Plan
from mes_scheduler.planning.rebase import onto, replay
from mes_scheduler.planning.result import RepairResult

PRESOLVE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class ImproverSettings:
    """Beyond `full_solve_limit` movable operations, windows of `window_ops` roll."""

    time_limit: float = 5.0
    workers: int = 2
    warm_start: bool = True
    full_solve_limit: int = 5000
    window_ops: int = 120
    slice_seconds: float = 0.5
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
    return replace(
        settings, warm_start=warm, window_offset=round_index, seed=settings.seed + round_index
    )


def improve(
    plan: Plan,
    now: int,
    settings: ImproverSettings = ImproverSettings(),
    *,
    cancel: threading.Event | None = None,
) -> ImproveResult:
    """Improve the unfrozen part of `plan` within the time limit (or until cancelled).

    Up to `full_solve_limit` movable operations, one solve over all of them; beyond,
    a rolling window (match-up): consecutive slices in time order, each solved briefly
    and kept only if the exact objective of the decoded plan improves.
    """
    began = time.monotonic()
    movable = len(Draft(plan, now).movable_ops())
    if movable == 0:
        return ImproveResult(plan.revision, None, None, "nothing to move", 0.0)
    if movable <= settings.full_solve_limit:
        candidate, status = _solve_window(
            plan, now, settings, movable, 0, settings.time_limit, cancel
        )
        result_score = score(candidate) if candidate is not None else None
        return ImproveResult(
            plan.revision, candidate, result_score, status, time.monotonic() - began
        )
    return _rolling(plan, now, settings, cancel, began)


def _rolling(
    plan: Plan,
    now: int,
    settings: ImproverSettings,
    cancel: threading.Event | None,
    began: float,
) -> ImproveResult:
    working, best = plan, score(plan)
    offset = settings.window_offset
    statuses: list[str] = []
    while cancel is None or not cancel.is_set():
        remaining = settings.time_limit - (time.monotonic() - began)
        if remaining < 0.05:
            break
        limit = min(settings.slice_seconds, remaining)
        candidate, status = _solve_window(
            working, now, settings, settings.window_ops, offset, limit, cancel
        )
        statuses.append(status)
        offset += 1
        if candidate is not None and score(candidate) < best:
            working, best = candidate, score(candidate)
    found = working if working is not plan else None
    summary = f"rolling windows={len(statuses)} improved={found is not None}"
    return ImproveResult(
        plan.revision, found, best if found else None, summary, time.monotonic() - began
    )


def _solve_window(
    plan: Plan,
    now: int,
    settings: ImproverSettings,
    size: int,
    offset: int,
    time_limit: float,
    cancel: threading.Event | None,
) -> tuple[Plan | None, str]:
    draft = Draft(plan, now)
    window = select_window(draft, size, offset)
    if not window:
        return None, "nothing to move"
    model = build(draft, window, warm=settings.warm_start)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = settings.workers
    solver.parameters.random_seed = settings.seed + offset
    # Presolving thousands of optional intervals does not finish within seconds (it
    # stalled at ~3,000 operations in the dynamic benchmark); large models skip it.
    solver.parameters.cp_model_presolve = len(window) <= PRESOLVE_LIMIT
    status = _solve(solver, model.model, cancel)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, name
    return decode(draft, model, solver), name


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


def rebase(
    current: Plan, result: ImproveResult, events: Sequence[Event], now: int
) -> ImproveResult:
    """`result` carried over `events`, the events applied to its base since, onto `current`.

    Stale (no plan) unless `events` lead exactly from the base revision to `current`.
    """
    if result.plan is None or not events:
        return result
    if result.base_revision + len(events) != current.revision:
        status = f"{result.status}, {len(events)} events do not reach the current revision"
        return ImproveResult(result.base_revision, None, None, status, result.seconds)
    return carried_over(current, result, replay(result.plan, events), now, len(events))


def carried_over(
    current: Plan, result: ImproveResult, replayed: Plan, now: int, events: int
) -> ImproveResult:
    """`result`, whose plan became `replayed` by replaying the `events` applied to its base
    since, laid onto `current` (its frozen work kept) as a result based on `current`."""
    status = f"{result.status}, rebased over {events} events"
    candidate = onto(current, replayed, now)
    if candidate is None:
        return ImproveResult(current.revision, None, None, f"{status}: diverged", result.seconds)
    return ImproveResult(current.revision, candidate, score(candidate), status, result.seconds)


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
