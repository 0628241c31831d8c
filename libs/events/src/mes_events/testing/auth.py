"""Bearer tokens for tests: one test signing key, and tokens minted with it."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr

from mes_events.auth import mint_token
from mes_events.settings import AuthSettings

TEST_SIGNING_KEY = "mes-tests-only-signing-key-0123456789abcdef"


def auth_settings() -> AuthSettings:
    """Settings under which a service accepts the tokens of `token` and `bearer`."""
    return AuthSettings(signing_key=SecretStr(TEST_SIGNING_KEY))


def token(
    *scopes: str,
    subject: str = "test",
    expires_in: timedelta = timedelta(hours=1),
    key: str = TEST_SIGNING_KEY,
    audience: str = "mes",
) -> str:
    """A token granting `scopes`, signed with the test key unless told otherwise."""
    return mint_token(key, scopes, subject=subject, audience=audience, expires_in=expires_in)


def bearer(*scopes: str, subject: str = "test") -> dict[str, str]:
    """The Authorization header of a test token granting `scopes`."""
    return authorization(token(*scopes, subject=subject))


def authorization(raw_token: str) -> dict[str, str]:
    """The Authorization header carrying `raw_token`."""
    return {"Authorization": f"Bearer {raw_token}"}
