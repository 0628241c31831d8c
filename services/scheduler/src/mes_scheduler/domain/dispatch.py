"""What a line terminal tells the operator to do with each job in its queue (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def blocked(row: Mapping[str, Any]) -> str | None:
    """Why a planned job cannot start now, or None."""
    if row["material_status"] == "short":
        return "wait: material short"
    pred = row["predecessor_job_id"]
    if pred is not None and row["predecessor_status"] != "completed":
        return f"wait: operation {row['predecessor_seq']} not done"
    return None


def annotate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with its `action`: the running job, then the first startable job of an idle
    center gets "start"; blocked jobs say why; the rest are "queued"."""
    idle = not any(r["status"] == "started" for r in rows)
    out: list[dict[str, Any]] = []
    for row in rows:
        if row["status"] == "started":
            what = "running: complete it when done"
        else:
            what = blocked(row) or ("start" if idle else "queued")
            idle = idle and what != "start"
        out.append(row | {"action": what})
    return out
