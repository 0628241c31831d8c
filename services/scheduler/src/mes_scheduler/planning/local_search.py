"""Critical-path local search: swap adjacent operations on the critical path (N1).

Swapping two machine-adjacent operations where the second starts exactly when the
first ends can never create a cycle (van Laarhoven, Aarts & Lenstra 1992), and each
trial is re-timed incrementally and undone if it does not improve the objective.
The budget is counted in evaluations, not seconds, so the result is deterministic.
"""

from __future__ import annotations

import random

from mes_scheduler.planning.model import Secondary
from mes_scheduler.planning.plan import Draft
from mes_scheduler.planning.timing import propagate, undo

_UNLIMITED_PULL = 1 << 30


def draft_score(draft: Draft) -> tuple[float, int]:
    """The objective (weighted tardiness, secondary) of a draft, as `objective.score`."""
    tardiness = 0.0
    makespan = 0
    flow = 0
    for order_id in sorted(draft.routing):
        order = draft.orders[order_id]
        end = draft.slots[draft.routing[order_id][-1]].end
        tardiness += order.weight * max(0, end - order.due)
        makespan = max(makespan, end)
        flow += end
    secondary = makespan if draft.plant.secondary is Secondary.MAKESPAN else flow
    return round(tardiness, 6), secondary


def _target(draft: Draft) -> str:
    def key(order_id: str) -> tuple[float, int, str]:
        order = draft.orders[order_id]
        end = draft.slots[draft.routing[order_id][-1]].end
        return (order.weight * max(0, end - order.due), end, order_id)

    return draft.routing[max(draft.routing, key=key)][-1]


def critical_pairs(draft: Draft) -> list[tuple[str, str]]:
    """Machine-adjacent, tight pairs on the critical path to the worst order's end."""
    pairs: list[tuple[str, str]] = []
    op_id: str | None = _target(draft)
    while op_id is not None:
        start = draft.slots[op_id].start
        job_pred, _ = draft.job_neighbours(op_id)
        mc_pred, _ = draft.machine_neighbours(op_id)
        if mc_pred is not None and draft.slots[mc_pred].end == start:
            if not draft.is_frozen(mc_pred):
                pairs.append((mc_pred, op_id))
            op_id = mc_pred
        elif job_pred is not None and draft.slots[job_pred].end == start:
            op_id = job_pred
        else:
            op_id = None
    return pairs


def _swap(draft: Draft, a: str, b: str) -> None:
    draft.resequenced = None
    seq = draft.sequences[draft.slots[a].work_center]
    i = seq.index(a)
    seq[i], seq[i + 1] = b, a


def _descend(draft: Draft, best: tuple[float, int], budget: int) -> tuple[tuple[float, int], int]:
    used = 0
    improved = True
    while improved and used < budget:
        improved = False
        for a, b in critical_pairs(draft):
            if used >= budget:
                break
            used += 1
            _swap(draft, a, b)
            old = propagate(draft, [b, a], pull=_UNLIMITED_PULL)
            candidate = draft_score(draft)
            if candidate < best:
                best, improved = candidate, True
                break
            undo(draft, old)
            _swap(draft, b, a)
    return best, used


def _kick(draft: Draft, rng: random.Random, swaps: int) -> None:
    for _ in range(swaps):
        pairs = critical_pairs(draft)
        if not pairs:
            return
        a, b = pairs[rng.randrange(len(pairs))]
        _swap(draft, a, b)
        propagate(draft, [b, a], pull=_UNLIMITED_PULL)


def polish(draft: Draft, *, evaluations: int, seed: int = 0) -> tuple[float, int]:
    """Iterated descent: descend, keep the best, kick with random critical swaps, repeat."""
    rng = random.Random(seed)
    current, used = _descend(draft, draft_score(draft), evaluations)
    best = current
    saved = ({wc: list(seq) for wc, seq in draft.sequences.items()}, dict(draft.slots))
    while used < evaluations:
        _kick(draft, rng, 2)
        current, spent = _descend(draft, draft_score(draft), evaluations - used)
        used += spent + 2
        if current < best:
            best = current
            saved = ({wc: list(seq) for wc, seq in draft.sequences.items()}, dict(draft.slots))
        elif rng.random() < 0.9:
            draft.sequences = {wc: list(seq) for wc, seq in saved[0].items()}
            draft.slots = dict(saved[1])
    draft.sequences, draft.slots = saved
    return best
