"""Planning policies the simulated shop can run: the live planner and three baselines."""

from __future__ import annotations

from dataclasses import dataclass

from mes_scheduler.planning.model import Plant
from mes_simulator.policies.base import Policy
from mes_simulator.policies.edd import EddPolicy
from mes_simulator.policies.greedy import GreedyPolicy
from mes_simulator.policies.live import LivePolicy, LiveSettings
from mes_simulator.policies.resolve import ResolvePolicy

NAMES = ("live", "greedy", "edd", "resolve")


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Budgets of the CP-SAT parts, in deterministic seconds."""

    improve_every: int = 60
    improve_budget: float = 0.5
    resolve_budget: float = 1.0


DEFAULTS = PolicySettings()


def make(name: str, plant: Plant, settings: PolicySettings = DEFAULTS) -> Policy:
    """A fresh policy called `name` (one of NAMES) for `plant`."""
    if name == "live":
        return LivePolicy(plant, LiveSettings(settings.improve_every, settings.improve_budget))
    if name == "greedy":
        return GreedyPolicy(plant)
    if name == "edd":
        return EddPolicy(plant)
    if name == "resolve":
        return ResolvePolicy(plant, settings.resolve_budget)
    raise ValueError(f"unknown policy {name!r}; known: {', '.join(NAMES)}")


__all__ = ["DEFAULTS", "NAMES", "Policy", "PolicySettings", "make"]
