"""Inventory events used by the domain, re-exported from the shared catalog."""

from __future__ import annotations

from mes_events.catalog.inventory import ReservationReleased

__all__ = ["ReservationReleased"]
