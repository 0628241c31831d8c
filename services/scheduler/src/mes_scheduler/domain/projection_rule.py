"""When an order's new projected completion is worth an OrderProjected (pure).

A repair moves many orders a little: a job finishing early pulls its center's queue forward,
and every order behind it gets a new projected completion. The orders service, the ERP behind
it and the dashboard need the moves that change a decision: an order turning late or back on
time, a move of more than the tolerance, a due time changed. An order far from its due time
can drift more before anyone acts on it than one close to it, hence the slack share.
"""

from __future__ import annotations

from dataclasses import dataclass

from mes_scheduler.domain.plan_state import Projection
from mes_scheduler.domain.timeaxis import MINUTE, TimeAxis


@dataclass(frozen=True, slots=True)
class ProjectionRule:
    """A move is published when it reaches `tolerance_minutes` and `slack_share` of the
    distance between the last published completion and the due time (0, 0: every move)."""

    tolerance_minutes: int = 0
    slack_share: float = 0.0


EVERY_MOVE = ProjectionRule()


def is_late(p: Projection, axis: TimeAxis) -> bool:
    """Projected to complete after its due time (the orders service's at-risk)."""
    return axis.at(p.completion) > p.due_at


def threshold(last: Projection, rule: ProjectionRule, axis: TimeAxis) -> float:
    """The smallest move (minutes) of a completion last published as `last` worth publishing."""
    slack = abs(last.due_at - axis.at(last.completion)) / MINUTE
    return max(rule.tolerance_minutes, rule.slack_share * slack, 1)


def worth_publishing(
    last: Projection | None,
    new: Projection,
    rule: ProjectionRule,
    axis: TimeAxis,
    *,
    about: bool = False,
) -> bool:
    """Publish `new` after `last`? Always when the input was about this order (and something
    changed), for a first projection, a new due time, or a flip between late and on time."""
    if new == last:
        return False
    if last is None or about or new.due_at != last.due_at:
        return True
    if is_late(last, axis) != is_late(new, axis):
        return True
    return abs(new.completion - last.completion) >= threshold(last, rule, axis)
