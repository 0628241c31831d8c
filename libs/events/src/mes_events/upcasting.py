"""Upcasters: pure dict -> dict functions that lift an old event version to the next one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]

_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register `fn` as the step from `from_version` to `from_version + 1` of `type_name`."""

    def register(fn: Upcaster) -> Upcaster:
        key = (type_name, from_version)
        if key in _UPCASTERS:
            raise ValueError(f"upcaster for {type_name} v{from_version} registered twice")
        _UPCASTERS[key] = fn
        return fn

    return register


def upcast(type_name: str, version: int, data: Payload, target: int) -> Payload:
    """Apply upcasters from `version` up to `target`; a missing step is an error."""
    while version < target:
        step = _UPCASTERS.get((type_name, version))
        if step is None:
            raise LookupError(f"no upcaster for {type_name} v{version} -> v{version + 1}")
        data = step(dict(data))
        version += 1
    return data
