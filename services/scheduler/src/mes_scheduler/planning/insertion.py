"""Insert one operation into the machine sequences at its cheapest position.

Trial positions are scored without copying the plan: a gap that fits costs only the
operation's own lateness; a position that pushes others is re-timed incrementally
(`propagate` stops where times stop changing) and undone afterwards.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter, sub
from typing import NamedTuple

from mes_scheduler.planning.model import NEVER, Operation, run_minutes
from mes_scheduler.planning.plan import Draft, Slot
from mes_scheduler.planning.timing import ConeTooLarge, propagate, undo

PUSH_TRIALS_PER_CENTER = 1
CONE_LIMIT = 40
SCAN_LIMIT = 40
SEARCH_LIMIT = 5000
SHIFT_LIMIT = 60
# Slot(...) without the NamedTuple's Python-level __new__ (as in timing).
_slot = tuple.__new__


class Option(NamedTuple):
    """A position on a center, ordered by cost, then end, then a stable tie-break.

    A NamedTuple: every scan creates some, and tuples compare in C.
    """

    cost: float
    end: int
    work_center: str
    position: int


def operation_due(draft: Draft, op_id: str) -> int:
    """Order due date minus the nominal work still to follow this operation."""
    op = draft.operations[op_id]
    order = draft.orders[op.order_id]
    route = draft.routing[op.order_id]
    after = route[route.index(op_id) + 1 :]
    rest = sum(
        draft.operations[o].setup + run_minutes(draft.operations[o], order.quantity, 1.0)
        for o in after
    )
    return order.due - rest


def _bounds(draft: Draft, op_id: str) -> tuple[int, int | None]:
    op = draft.operations[op_id]
    earliest = max(op.release, draft.now + draft.plant.frozen_horizon)
    pred, succ = draft.attached_job_neighbours(op_id)
    if pred is not None:
        earliest = max(earliest, draft.slots[pred].end)
    latest = draft.slots[succ].start if succ is not None else None
    return earliest, latest


def _reaches(draft: Draft, sources: list[str | None], target: str | None) -> bool:
    """Is `target` a descendant of any source (job and machine successor edges)?

    Starts never decrease along an edge of a consistent plan, so nodes starting after
    the target cannot lead to it and are not explored.
    """
    if target is None:
        return False
    horizon = draft.slots[target].start
    stack = [s for s in sources if s is not None]
    seen: set[str] = set()
    while stack:
        node = stack.pop()
        if node == target:
            return True
        if node in seen or node in draft.detached or node not in draft.slots:
            continue
        if draft.slots[node].start > horizon:
            continue
        seen.add(node)
        if len(seen) > SEARCH_LIMIT:
            return True
        nexts = (draft.attached_job_neighbours(node)[1], draft.machine_neighbours(node)[1])
        stack.extend(n for n in nexts if n is not None)
    return False


def _acyclic(draft: Draft, op_id: str, seq: list[str], p: int) -> bool:
    pred, succ = draft.attached_job_neighbours(op_id)
    before = seq[p - 1] if p > 0 else None
    after = seq[p] if p < len(seq) else None
    return not (_reaches(draft, [succ], before) or _reaches(draft, [after], pred))


@dataclass(frozen=True, slots=True)
class _Job:
    """What every center's scan needs to know about the operation being inserted."""

    op_id: str
    earliest: int
    latest: int | None
    weight: float
    due: int
    # A lower bound of its setup, to skip gaps too short for it (0 is always valid).
    least_setup: int = 0


def _least_setup(draft: Draft, op: Operation) -> int:
    """A lower bound of the operation's setup after any predecessor (Draft.setup)."""
    setups = draft.plant.family_setups
    if not setups:
        return op.setup
    return min([op.setup, *(v for (_, to), v in setups.items() if to == op.family)])


def _scan(
    draft: Draft, job: _Job, wc: str, bound: int = NEVER
) -> tuple[Option | None, list[Option]]:
    """First position on `wc` where the operation fits without pushing, and the first
    pushing position before it (to try later).

    Positions that cannot end at or before `bound` are not tried (see `_scan_centers`):
    the gap found may then be None where an unbounded scan finds a later one, and the
    push is left out if the center has no position ending by `bound`.
    """
    # The hot path of every insertion (each breakdown re-inserts a dozen operations over
    # every center of their group): lookups are bound to locals and Draft.setup inlined.
    op_id, earliest = job.op_id, job.earliest
    op = draft.operations[op_id]
    seq = draft.sequences[wc]
    slots = draft.slots
    n = len(seq)
    get = slots.__getitem__
    # Every slot of a sequence is on `wc`, so slots compare with the probe by start (in C);
    # the probe's end sorts below any slot with the same start.
    lo = bisect_left(seq, _slot(Slot, (wc, earliest, -NEVER)), key=get)
    while lo < n and draft.is_frozen(seq[lo]):
        lo += 1
    if job.latest is None:
        hi = n
    else:
        hi = bisect_left(seq, _slot(Slot, (wc, job.latest, -NEVER)), key=get)
    if hi < lo:
        # Times no longer prove acyclicity (a frozen successor, a pushed predecessor):
        # fall back to an explicit reachability test on the positions in between.
        lo, hi = _checked_range(draft, op_id, seq, hi, lo)
    # Positions far behind the earliest one only matter as the append-at-end fallback.
    last = min(hi, lo + SCAN_LIMIT)
    run = draft.run(op, wc)
    # A position ends no earlier than its ready time plus the least work (elapsed time is
    # at least the working time), and ready times do not decrease along a sequence: past
    # `bound`, neither a gap nor a push here could beat the gap found before.
    need = job.least_setup + run
    latest_ready = bound - need if bound < NEVER else NEVER
    if 1 <= lo <= n and slots[seq[lo - 1]].end > latest_ready or earliest > latest_ready:
        return None, []
    place = draft.availability[wc].place
    interruptible = op.interruptible
    operations = draft.operations
    setups = draft.plant.family_setups
    family, own_setup = op.family, op.setup
    pushes: list[Option] = []

    def fitting(p: int) -> Option | None:
        if p:
            prev = seq[p - 1]
            ready = slots[prev].end
            if ready < earliest:
                ready = earliest
            setup = own_setup
            if setups:
                setup = setups.get((operations[prev].family, family), own_setup)
        else:
            ready = earliest
            before = draft.last_family.get(wc) if setups else None
            setup = own_setup if before is None else setups.get((before, family), own_setup)
        _, end = place(ready, setup + run, interruptible)
        if p == n or (end <= slots[seq[p]].start and _fits_before(draft, seq[p], wc, end, op_id)):
            return Option(job.weight * max(0, end - job.due), end, wc, p)
        if len(pushes) < PUSH_TRIALS_PER_CENTER:
            pushes.append(Option(float("inf"), end, wc, p))
        return None

    p = lo
    while p <= last and len(pushes) < PUSH_TRIALS_PER_CENTER:
        found = fitting(p)
        if found is not None:
            return found, pushes
        p += 1
    # The pushing positions to try are collected; from here on only a gap can win, and
    # elapsed time is at least the working time: a gap shorter than the least setup plus
    # the run cannot fit.
    stop = min(last + 1, n)
    if latest_ready < NEVER:
        # Once one position is past `bound` so is every later one; predecessors starting
        # after the latest ready time end after it.
        probe = _slot(Slot, (wc, latest_ready, NEVER))
        stop = min(stop, bisect_right(seq, probe, p - 1, stop, key=get) + 1)
    candidates = _gap_positions(slots, seq, p, stop, need)
    for p in candidates:
        if slots[seq[p - 1]].end > latest_ready:
            return None, pushes
        found = fitting(p)
        if found is not None:
            return found, pushes
    if hi == n and lo <= last:
        if n and slots[seq[n - 1]].end > latest_ready:
            return None, pushes
        return fitting(n), pushes  # appending always fits
    return None, pushes


def _gap_positions(
    slots: Mapping[str, Slot], seq: list[str], a: int, b: int, need: int
) -> Iterable[int]:
    """Positions a <= p < b (a >= 1) whose gap after seq[p - 1] is at least `need` long.

    The hot part of every scan, so it runs in C (itemgetter, zip, map, compress) rather
    than a loop. A superset of the positions that fit is enough (the caller tries each):
    the gap is measured from the predecessor's end even where the release is later.
    """
    if a >= b:
        return ()
    window: tuple[Slot, ...] = itemgetter(*seq[a - 1 : b])(slots)  # two or more slots
    _, starts, ends = zip(*window, strict=True)
    gaps = map(sub, starts[1:], ends[:-1])
    return compress(range(a, b), map(need.__le__, gaps))


def _fits_before(draft: Draft, nxt: str, wc: str, end: int, op_id: str) -> bool:
    """Would `nxt`, now following `op_id` (ending at `end`), still end no later?

    The family setup of `nxt` may grow, and it may not be able to start earlier to
    absorb it; only an unchanged end guarantees nothing downstream moves.
    """
    slots = draft.slots
    current = slots[nxt]
    if end > current.start:
        return False
    setups = draft.plant.family_setups
    if not setups:
        return True
    operations = draft.operations
    op = operations[nxt]
    earliest = draft.horizon
    if op.release > earliest:
        earliest = op.release
    if end > earliest:
        earliest = end
    # Draft.job_neighbours and Draft.work inlined (called for most scanned positions).
    route = draft.routing[op.order_id]
    k = route.index(nxt)
    if k:
        pred = slots.get(route[k - 1])
        if pred is not None and pred.end > earliest:
            earliest = pred.end
    work = setups.get((operations[op_id].family, op.family), op.setup) + draft.run(op, wc)
    _, new_end = draft.availability[wc].place(earliest, work, op.interruptible)
    return new_end <= current.end


def _checked_range(draft: Draft, op_id: str, seq: list[str], a: int, b: int) -> tuple[int, int]:
    """The latest acyclic position in [a, b], as a range of one (empty if none).

    The latest: the operation cannot start before the work from `b` on, so any earlier
    position makes the work in between wait for it.
    """
    for p in range(b, a - 1, -1):
        if _acyclic(draft, op_id, seq, p):
            return p, p
    return 1, 0


def _pushes_too_far(draft: Draft, op_id: str, push: Option) -> bool:
    """Would the push shift more operations on its own center than a trial may re-time?

    Counted in working minutes, where a shift moves interruptible work exactly and
    non-interruptible work at least as much, so a trial this predicts to exceed the
    limit would: it is skipped rather than run and abandoned.
    """
    seq = draft.sequences[push.work_center]
    slots = draft.slots
    p = push.position
    limit = min(CONE_LIMIT, draft.trial_budget)
    if p >= len(seq) or len(seq) - p < limit:
        return False
    avail = draft.availability[push.work_center]
    nxt = seq[p]
    op = draft.operations[nxt]
    # Only the first operation gets a new predecessor; a smaller setup absorbs part.
    saving = draft.setup(op, push.work_center, seq[p - 1] if p else None) - draft.setup(
        op, push.work_center, op_id
    )
    delay = avail.working_minutes(slots[nxt].start, push.end) - max(saving, 0)
    for q in range(p, p + limit - 1):
        if delay <= 0:
            return False
        delay -= avail.working_minutes(slots[seq[q]].end, slots[seq[q + 1]].start)
    return delay > 0


class _CostBound:
    """Running cost of a trial (own lateness + other orders' added lateness) vs a bound."""

    def __init__(self, draft: Draft, op_id: str, own_due: int, bound: float) -> None:
        self.draft = draft
        self.op_id = op_id
        self.own_order = draft.operations[op_id].order_id
        self.own_due = own_due
        self.bound = bound
        self.parts: dict[str, float] = {}
        self.total = 0.0

    def __call__(self, changed: str, original: Slot, new: Slot) -> bool:
        draft = self.draft
        if changed == self.op_id:
            part = draft.orders[self.own_order].weight * max(0, new.end - self.own_due)
        else:
            order_id = draft.operations[changed].order_id
            if order_id == self.own_order or draft.routing[order_id][-1] != changed:
                return False
            order = draft.orders[order_id]
            was = max(0, original.end - order.due)
            part = order.weight * (max(0, new.end - order.due) - was)
        self.total += part - self.parts.get(changed, 0.0)
        self.parts[changed] = part
        return self.total > self.bound


def _trial(
    draft: Draft,
    op_id: str,
    wc: str,
    p: int,
    own_due: int,
    bound: float = float("inf"),
    cones: dict[Option, dict[str, Slot]] | None = None,
) -> Option | None:
    """Apply, score and undo one pushing position; None if it was abandoned.

    The new slots of a scored trial go to `cones`, under its option.
    """
    before = draft.slots.get(op_id)
    draft.place_in_sequence(op_id, wc, p)
    seeds = [op_id, *draft.sequences[wc][p + 1 : p + 2]]
    watch = _CostBound(draft, op_id, own_due, bound) if bound < float("inf") else None
    try:
        limit = min(CONE_LIMIT, draft.trial_budget)
        old = propagate(draft, seeds, limit=limit, watch=watch, undone=True)
    except ConeTooLarge as exc:
        old = exc.old
        option = None
    else:
        option = _score_trial(draft, op_id, wc, p, own_due, old)
        if cones is not None:
            cones[option] = {changed: draft.slots[changed] for changed in old}
    draft.trial_budget -= max(len(old), 1)
    undo(draft, old)
    draft.remove_from_sequence(op_id)
    _restore(draft, op_id, before)
    return option


def _score_trial(
    draft: Draft, op_id: str, wc: str, p: int, own_due: int, old: dict[str, Slot]
) -> Option:
    own_order = draft.operations[op_id].order_id
    end = draft.slots[op_id].end
    cost = draft.orders[own_order].weight * max(0, end - own_due)
    for changed, was in old.items():
        order_id = draft.operations[changed].order_id
        if order_id == own_order or draft.routing[order_id][-1] != changed:
            continue
        order = draft.orders[order_id]
        now_late = max(0, draft.slots[changed].end - order.due)
        cost += order.weight * (now_late - max(0, was.end - order.due))
    return Option(cost, end, wc, p)


def _restore(draft: Draft, op_id: str, before: Slot | None) -> None:
    if before is None:
        del draft.slots[op_id]
    else:
        draft.slots[op_id] = before


def best_option(draft: Draft, op_id: str, centers: tuple[str, ...] | None = None) -> Option | None:
    """Cheapest position for a detached or new operation over its eligible centers."""
    return _choose(draft, op_id, centers)[0]


def _choose(
    draft: Draft, op_id: str, centers: tuple[str, ...] | None
) -> tuple[Option | None, dict[str, Slot] | None]:
    """`best_option`, plus the slots its trial re-timed if a push trial won."""
    own_due = operation_due(draft, op_id)
    op = draft.operations[op_id]
    if centers is None:
        centers = draft.centers_of(op.group)
    earliest, latest = _bounds(draft, op_id)
    weight = draft.orders[op.order_id].weight
    job = _Job(op_id, earliest, latest, weight, own_due, _least_setup(draft, op))
    gaps, pushes = _scan_centers(draft, job, centers, prune=True)
    trials: list[Option] = []
    cones: dict[Option, dict[str, Slot]] = {}
    if not gaps or min(gaps).cost > 0:
        trials = _push_trials(draft, op_id, own_due, pushes, min(gaps, default=None), cones)
    # Times prove acyclicity only while the plan is consistent; a repair that detached
    # work mid-flight may not be, so the chosen position is verified explicitly.
    options = gaps + trials
    if options and _acyclic_option(draft, op_id, min(options)):
        return min(options), cones.get(min(options))
    # The pruned positions all cost more than the best, which is not acyclic: the
    # runners-up come from an unpruned scan (the trials saw every push already).
    gaps, pushes = _scan_centers(draft, job, centers, prune=False)
    for option in sorted(gaps + trials):
        if _acyclic_option(draft, op_id, option):
            return option, cones.get(option)
    for push in sorted(pushes, key=_by_end):
        # Every push cascades beyond the trial budget (e.g. a successor must move too):
        # take the earliest-finishing position unevaluated rather than fail.
        if _acyclic_option(draft, op_id, push):
            return push, None
    return None, None


def _scan_centers(
    draft: Draft, job: _Job, centers: tuple[str, ...], *, prune: bool
) -> tuple[list[Option], list[Option]]:
    """The gap found on each center, and every center's first pushing position.

    With `prune`, a scan does not try positions ending after the best gap found so far:
    cost grows with the end, so no such gap could win, and `_push_trials` skips such a
    push (its own lateness alone would exceed the best gap's).
    """
    gaps: list[Option] = []
    pushes: list[Option] = []
    bound = NEVER
    for wc in centers:
        gap, wc_pushes = _scan(draft, job, wc, bound)
        if gap is not None:
            gaps.append(gap)
            if prune and gap.end < bound:
                bound = gap.end
        pushes.extend(wc_pushes)
    return gaps, pushes


def _by_end(option: Option) -> tuple[int, str, int]:
    return option.end, option.work_center, option.position


def _push_trials(
    draft: Draft,
    op_id: str,
    own_due: int,
    pushes: list[Option],
    best: Option | None,
    cones: dict[Option, dict[str, Slot]],
) -> list[Option]:
    """Evaluate pushing positions, earliest end first, by branch and bound.

    A trial is abandoned once the cost it has accumulated exceeds the best option so
    far; pushing others only adds lateness, so it could not have won.
    """
    bound = best.cost if best is not None else float("inf")
    weight = draft.orders[draft.operations[op_id].order_id].weight
    found: list[Option] = []
    for push in sorted(pushes, key=_by_end):
        if draft.trial_budget <= 0:
            break
        if weight * max(0, push.end - own_due) > bound:
            continue
        if _pushes_too_far(draft, op_id, push) or not _acyclic_option(draft, op_id, push):
            continue
        trial = _trial(draft, op_id, push.work_center, push.position, own_due, bound, cones)
        if trial is not None:
            found.append(trial)
            bound = min(bound, trial.cost)
    return found


def _acyclic_option(draft: Draft, op_id: str, option: Option) -> bool:
    return _acyclic(draft, op_id, draft.sequences[option.work_center], option.position)


def insert(draft: Draft, op_id: str, centers: tuple[str, ...] | None = None) -> None:
    """Insert `op_id` (new or detached) at its best position and re-time its cone."""
    option, cone = _choose(draft, op_id, centers)
    if option is None:
        raise ValueError(f"no work center can run operation {op_id}")
    draft.place_in_sequence(op_id, option.work_center, option.position)
    if cone is not None:
        # The winning trial re-timed this very placement (later trials were undone), to
        # completion: its slots are what re-timing again would compute.
        draft.slots.update(cone)
        draft.touched.update(cone)
        return
    seq = draft.sequences[option.work_center]
    propagate(draft, [op_id, *seq[option.position + 1 : option.position + 2]])


def reinsert_with_successors(
    draft: Draft, ops: list[str], *, pinned: Mapping[str, str] | None = None
) -> None:
    """Detach `ops` and their unfrozen routing successors, then insert them again.

    Re-inserting the successors too lets the work queued behind them go first instead
    of being right-shifted behind a chain that now starts later. `pinned` operations
    (frozen ones) are re-inserted too, but only on the center given for each.
    """
    pinned = pinned or {}
    chain: set[str] = set(pinned)
    for op_id in [*ops, *pinned]:
        route = draft.routing[draft.operations[op_id].order_id]
        chain.update(o for o in route[route.index(op_id) + 1 :] if not draft.is_frozen(o))
        if op_id not in pinned:
            chain.add(op_id)
    order = sorted(chain, key=lambda o: (draft.slots[o].start, o))
    seeds: list[str] = []
    for op_id in order:
        if op_id not in draft.detached:
            seeds += draft.remove_from_sequence(op_id)
    for op_id in order:
        wc = pinned.get(op_id)
        insert(draft, op_id, None if wc is None else (wc,))
    propagate(draft, [s for s in seeds if s not in chain])


def settle(draft: Draft, seeds: list[str], *, shift_limit: int | None = None) -> None:
    """Re-time after a forced change to frozen or started work (a delay, a breakdown).

    A push that moves at most `shift_limit` (default SHIFT_LIMIT) operations is
    right-shifted. A larger one stops where it would reach unfrozen work: that work is
    re-inserted (with its unfrozen successors) instead, since on a dense plan a
    right-shift cascades through most of the plan.
    """
    limit = SHIFT_LIMIT if shift_limit is None else shift_limit
    if limit > 0:
        try:
            propagate(draft, seeds, limit=limit)
            return
        except ConeTooLarge as exc:
            undo(draft, exc.old)
    moving: list[str] = []
    while seeds:
        absorbed: list[str] = []
        propagate(draft, seeds, absorb=absorbed)
        seeds = []
        for op_id in sorted(set(absorbed), key=lambda o: (draft.slots[o].start, o)):
            seeds += draft.remove_from_sequence(op_id)
            moving.append(op_id)
    if moving:
        reinsert_with_successors(draft, moving)
