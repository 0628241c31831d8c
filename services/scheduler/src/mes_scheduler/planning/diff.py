"""What a repair or an adopted improvement changed, for publishing and for stability."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mes_scheduler.planning.plan import Plan, Slot


@dataclass(frozen=True, slots=True)
class Change:
    """One operation whose work center or times changed; None means absent."""

    op_id: str
    before: Slot | None
    after: Slot | None


@dataclass(frozen=True, slots=True)
class Diff:
    """Changed operations (sorted by id) and how many machine predecessors changed."""

    changes: tuple[Change, ...] = ()
    sequence_changes: int = 0

    @property
    def moved(self) -> int:
        return len(self.changes)


def diff(
    before: Plan,
    after: Plan,
    candidates: Iterable[str] | None = None,
    resequenced: Iterable[str] | None = None,
) -> Diff:
    """Compare two plans, over `candidates` only when given (a repair knows its cone).

    `resequenced`, when given, holds every operation whose machine predecessor may differ.
    """
    ops = set(candidates) if candidates is not None else set(before.slots) | set(after.slots)
    old, new = before.slots.get, after.slots.get
    # Candidates include every operation a trial touched and undid: sort the changed only.
    changed = sorted(op for op in ops if old(op) != new(op))
    changes = tuple(Change(op, old(op), new(op)) for op in changed)
    return Diff(changes, sequence_changes(before, after, resequenced))


def sequence_changes(before: Plan, after: Plan, among: Iterable[str] | None = None) -> int:
    """Operations (present in both) whose center or machine predecessor differs.

    With `among`, only those operations are compared (the others are known unchanged).
    """
    if among is not None:
        return sum(
            1
            for op in set(among)
            if op in before.slots
            and op in after.slots
            and _center_and_predecessor(before, op) != _center_and_predecessor(after, op)
        )
    count = 0
    for wc in sorted(after.sequences):
        seq = after.sequences[wc]
        if seq == before.sequences.get(wc):
            continue
        old_pred = _predecessors(before, wc)
        for i, op in enumerate(seq):
            if op in before.slots and old_pred.get(op, "?") != (seq[i - 1] if i else None):
                count += 1
    return count


def _predecessors(plan: Plan, wc: str) -> dict[str, str | None]:
    seq = plan.sequences.get(wc, ())
    return {op: (seq[i - 1] if i else None) for i, op in enumerate(seq)}


def _center_and_predecessor(plan: Plan, op: str) -> tuple[str, str | None]:
    wc = plan.slots[op].work_center
    seq = plan.sequences[wc]
    i = seq.index(op)
    return wc, (seq[i - 1] if i else None)
