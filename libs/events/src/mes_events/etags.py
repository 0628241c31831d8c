"""ETags as stream versions, and the If-Match header that carries one back."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, HTTPException


def etag(version: int) -> str:
    """The strong ETag of a resource at `version`."""
    return f'"{version}"'


def parse_if_match(
    value: str | None, *, required: bool = False, what: str = "resource"
) -> int | None:
    """The version in an If-Match header (`"3"`, `W/"3"` or `3`); `*` or none matches any.

    Missing when `required` is a 428; anything but one of our ETags is a 412.
    """
    if value is None:
        if required:
            raise HTTPException(428, f"If-Match with the {what}'s ETag is required")
        return None
    if value.strip() == "*":
        return None  # RFC 9110: any current version of an existing resource
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise HTTPException(412, f"If-Match {value!r} is not an ETag of this API")
    return int(raw)


async def optional_if_match(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """FastAPI dependency: the version in an optional If-Match header."""
    return parse_if_match(if_match)
