"""Breakdowns on a generated plant: the repair stays feasible and decides as it did.

The scan that finds each re-inserted operation's position skips work (gap filter,
bisection on slots); it must find what trying every position in order would find.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from mes_scheduler.planning import insertion, repair, scenarios
from mes_scheduler.planning.checker import assert_feasible
from mes_scheduler.planning.events import WorkCenterDown, apply
from mes_scheduler.planning.insertion import Option
from mes_scheduler.planning.model import NEVER
from mes_scheduler.planning.plan import Draft, Plan, empty_plan
from mes_scheduler.planning.repair_orders import add_order_ops


def _plan(seed: int, orders: int) -> Plan:
    rng = random.Random(seed)
    plant = scenarios.plant(rng, 3, 3, shifts=True, frozen=60)
    batch = [scenarios.order(rng, plant, f"I{i:03d}", 0) for i in range(orders)]
    return repair.plan_from_scratch(empty_plan(plant), batch, 0, rules=["atc"], polish_best=0).plan


def _digest(plan: Plan) -> str:
    text = repr((sorted(plan.slots.items()), sorted(plan.sequences.items())))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _breakdowns(seed: int) -> tuple[Plan, list[tuple[Plan, WorkCenterDown]]]:
    """A stream of 300 events on a dense plan, with the plan before each breakdown."""
    plan = _plan(seed, 120)
    stream = scenarios.EventStream(random.Random(seed + 1))
    downs: list[tuple[Plan, WorkCenterDown]] = []
    applied = 0
    while applied < 300:
        event = stream.next(plan)
        if event is None:
            continue
        result = apply(plan, event)
        if isinstance(event, WorkCenterDown):
            assert_feasible(result.plan, base=plan, now=event.at)
            downs.append((plan, event))
        plan = result.plan
        applied += 1
    return plan, downs


# Recorded with the repair before its scan was sped up (same decisions since).
EXPECTED = {1: "68f3c4a079ed1d10", 2: "c2b31c09c5508b41"}


@pytest.mark.parametrize("seed", [1, 2])
def test_breakdown_repairs_are_feasible_and_unchanged(seed: int) -> None:
    final, downs = _breakdowns(seed)
    assert downs
    assert _digest(final) == EXPECTED[seed]


def _reference_scan(
    draft: Draft, job: insertion._Job, wc: str
) -> tuple[Option | None, list[Option]]:
    """`_scan` without its shortcuts: every position from the first one, in order."""
    op = draft.operations[job.op_id]
    seq = draft.sequences[wc]
    n = len(seq)
    starts = [draft.slots[o].start for o in seq]
    lo = next((i for i, s in enumerate(starts) if s >= job.earliest), n)
    while lo < n and draft.is_frozen(seq[lo]):
        lo += 1
    hi = n if job.latest is None else next((i for i, s in enumerate(starts) if s >= job.latest), n)
    if hi < lo:
        lo, hi = insertion._checked_range(draft, job.op_id, seq, hi, lo)
    last = min(hi, lo + insertion.SCAN_LIMIT)
    pushes: list[Option] = []
    positions = [*range(lo, min(last + 1, n)), *([n] if hi == n and lo <= last else [])]
    for p in positions:
        prev = seq[p - 1] if p else None
        ready = max([job.earliest, *([draft.slots[prev].end] if prev else [])])
        work = draft.setup(op, wc, prev) + draft.run(op, wc)
        _, end = draft.availability[wc].place(ready, work, op.interruptible)
        nxt = seq[p] if p < n else None
        if nxt is None or (
            end <= draft.slots[nxt].start and insertion._fits_before(draft, nxt, wc, end, job.op_id)
        ):
            return Option(job.weight * max(0, end - job.due), end, wc, p), pushes
        if not pushes:
            pushes.append(Option(float("inf"), end, wc, p))
    return None, pushes


def _new_order_job(plan: Plan, rng: random.Random, k: int) -> tuple[Draft, insertion._Job]:
    """A draft with a new order added at a random time, and its first operation's job."""
    draft = Draft(plan, rng.randint(0, 3000))
    order = scenarios.order(rng, plan.plant, f"N{k}", draft.now)
    add_order_ops(draft, order)
    op_id = order.operations[0].id
    job = insertion._Job(
        op_id,
        *insertion._bounds(draft, op_id),
        1.0,
        insertion.operation_due(draft, op_id),
        insertion._least_setup(draft, draft.operations[op_id]),
    )
    return draft, job


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_scan_finds_what_trying_every_position_finds(seed: int) -> None:
    plan = _plan(seed, 150)
    rng = random.Random(seed + 7)
    compared = 0
    for k in range(40):
        draft, job = _new_order_job(plan, rng, k)
        op = draft.operations[job.op_id]
        for wc in draft.centers_of(op.group):
            assert insertion._scan(draft, job, wc) == _reference_scan(draft, job, wc)
            compared += 1
    assert compared > 100


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_bound_prunes_only_positions_ending_after_it(seed: int) -> None:
    plan = _plan(seed, 150)
    rng = random.Random(seed + 11)
    pruned = 0
    for k in range(40):
        draft, job = _new_order_job(plan, rng, k)
        op = draft.operations[job.op_id]
        centers = draft.centers_of(op.group)
        for wc in centers:
            gap, pushes = insertion._scan(draft, job, wc)
            if gap is None:
                continue
            # A gap ending exactly at the bound ties with the best so far: still found.
            assert insertion._scan(draft, job, wc, gap.end) == (gap, pushes)
            found, kept = insertion._scan(draft, job, wc, gap.end - 1)
            assert kept in ([], pushes)
            assert found in (None, gap)
            pruned += found is None
        gaps, pushes = insertion._scan_centers(draft, job, centers, prune=True)
        every, all_pushes = insertion._scan_centers(draft, job, centers, prune=False)
        best = min(gaps, default=None)
        assert best == min(every, default=None)
        # Every push that could still win (ending by the best gap) is collected.
        end = NEVER if best is None else best.end
        assert [q for q in pushes if q.end <= end] == [q for q in all_pushes if q.end <= end]
    assert pruned > 10
