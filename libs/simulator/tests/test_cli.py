"""`mes simulate --compare` end to end in this process."""

from __future__ import annotations

import pytest

from mes_simulator.cli import main


def test_compare_prints_one_row_per_policy_and_a_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["simulate", "--compare", "--days", "0.5", "--seed", "3",
            "--improve-budget", "0.05", "--resolve-budget", "0.05"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    rows = [line.split()[0] for line in out.splitlines() if line.split()[:1] and
            line.split()[0] in ("live", "greedy", "edd", "resolve")]  # fmt: skip
    assert rows == ["live", "greedy", "edd", "resolve"]
    (summary,) = [line for line in out.splitlines() if line.startswith("summary:")]
    pairs = dict(p.split("=") for p in summary.removeprefix("summary:").split())
    assert pairs["seed"] == "3"
    for policy in rows:
        assert 0 <= float(pairs[f"{policy}_on_time_pct"]) <= 100
        assert float(pairs[f"{policy}_cpu_ms_per_event"]) >= 0


def test_an_unknown_policy_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--compare", "--policies", "live,fifo"]) == 2
    assert "unknown policies ['fifo']" in capsys.readouterr().out
