"""The value every repair returns, and how a draft becomes one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mes_scheduler.planning.diff import Diff, diff
from mes_scheduler.planning.plan import Draft, Plan


@dataclass(frozen=True, slots=True)
class RepairResult:
    """The next plan and what changed relative to the previous one."""

    plan: Plan
    diff: Diff


def finish(draft: Draft, extra: Iterable[str] = ()) -> RepairResult:
    """Freeze a draft and diff it over the operations the repair touched."""
    plan = draft.to_plan()
    candidates = draft.touched | set(extra)
    return RepairResult(plan, diff(draft.base, plan, candidates, draft.resequenced))


def forget(draft: Draft, op_id: str) -> None:
    """Drop a detached operation from the draft entirely."""
    del draft.slots[op_id]
    op = draft.operations.pop(op_id)
    for wc in draft.centers_of(op.group):
        draft.run_cache.pop((op_id, wc), None)
    draft.started.pop(op_id, None)
    draft.detached.discard(op_id)
