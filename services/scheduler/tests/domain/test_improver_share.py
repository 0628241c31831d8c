"""The improver's duty cycle: how long it rests after a round."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mes_scheduler.application.improver import rest_after
from mes_scheduler.config import Settings


@pytest.mark.parametrize(
    ("round_seconds", "share", "rest"),
    [(5.0, 0.5, 5.0), (5.0, 1.0, 0.0), (2.0, 0.25, 6.0), (0.0, 0.5, 0.0)],
)
def test_rest_keeps_the_search_within_its_share(
    round_seconds: float, share: float, rest: float
) -> None:
    assert rest_after(round_seconds, share) == pytest.approx(rest)
    busy = round_seconds / (round_seconds + rest) if round_seconds else 0.0
    assert busy <= share + 1e-9


@pytest.mark.parametrize("share", [0, -0.1, 1.5])
def test_a_share_outside_0_to_1_is_refused(share: float) -> None:
    with pytest.raises(ValidationError, match="improver_max_share"):
        Settings(improver_max_share=share)
