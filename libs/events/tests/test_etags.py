"""If-Match parsing shared by every service's API."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from mes_events.etags import etag, parse_if_match


@pytest.mark.parametrize(
    ("header", "version"),
    [('"3"', 3), ('W/"3"', 3), ("3", 3), (" 7 ", 7), ("*", None), (None, None)],
)
def test_an_etag_or_any_is_read(header: str | None, version: int | None) -> None:
    assert parse_if_match(header) == version


def test_an_etag_round_trips() -> None:
    assert parse_if_match(etag(12)) == 12


def test_not_our_etag_is_412_and_a_missing_required_one_428() -> None:
    with pytest.raises(HTTPException) as bad:
        parse_if_match('"abc"')
    assert bad.value.status_code == 412
    with pytest.raises(HTTPException) as missing:
        parse_if_match(None, required=True, what="order")
    assert missing.value.status_code == 428
    assert missing.value.detail == "If-Match with the order's ETag is required"
