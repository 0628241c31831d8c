"""A CP-SAT solve of a plan's unfrozen part with a deterministic budget, for reproducible runs.

The engine's `improver.improve` bounds the solve by wall time, so two runs of the same
seed could differ. Here the same model (`cpsat_model.build` / `decode`) runs single-threaded
under CP-SAT's deterministic time limit, so the same plan gives the same answer on any
machine; the result feeds the engine's own `improver.adopt` or the checker as usual.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from mes_scheduler.planning.cpsat_model import build, decode, select_window
from mes_scheduler.planning.improver import PRESOLVE_LIMIT, ImproveResult
from mes_scheduler.planning.objective import score
from mes_scheduler.planning.plan import Draft, Plan


def solve(plan: Plan, now: int, *, warm: bool, budget: float, seed: int = 0) -> ImproveResult:
    """Assignment and sequence of every movable operation of `plan` within `budget`.

    `budget` is in CP-SAT deterministic seconds (roughly seconds of one core's work).
    """
    began = time.perf_counter()
    draft = Draft(plan, now)
    movable = draft.movable_ops()
    if not movable:
        return ImproveResult(plan.revision, None, None, "nothing to move", 0.0)
    window = select_window(draft, len(movable), 0)
    model = build(draft, window, warm=warm)
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = budget
    # A wall-clock guard far above the budget, only against a pathological model.
    solver.parameters.max_time_in_seconds = 30 * budget + 5
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.cp_model_presolve = len(window) <= PRESOLVE_LIMIT
    status = solver.solve(model.model)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ImproveResult(plan.revision, None, None, name, time.perf_counter() - began)
    candidate = decode(draft, model, solver)
    return ImproveResult(
        plan.revision, candidate, score(candidate), name, time.perf_counter() - began
    )
