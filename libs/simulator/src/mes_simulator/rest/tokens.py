"""Bearer tokens for the simulator's actors: the ERP, maintenance, terminals, inspectors.

The services accept HS256 JWTs carrying space-separated scopes (`mes_events.auth`). On a
development stack the simulator knows the signing key and issues each actor a token with
just the scopes it needs (`orders:write`, `terminal:<center>`, `quality:write`, `admin`).
Elsewhere it can be given one ready-made token (`MES_TOKEN`), which then needs `admin`.
Without either it sends none, for services running with auth switched off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt

KEY_VARIABLES = ("MES_AUTH_SIGNING_KEY", *(f"{p}_AUTH__SIGNING_KEY" for p in
                 ("ORDERS", "INVENTORY", "SCHEDULER", "QUALITY")))  # fmt: skip


@dataclass
class Tokens:
    """Issues (and caches) a token per scope, or hands out the one fixed token."""

    key: str | None = None
    fixed: str | None = None
    audience: str = "mes"
    lifetime: timedelta = timedelta(hours=24)
    _issued: dict[str, str] = field(default_factory=dict)

    def header(self, scope: str) -> dict[str, str]:
        """The Authorization header for an actor needing `scope` (empty when auth is off)."""
        if self.fixed is not None:
            return {"Authorization": f"Bearer {self.fixed}"}
        if self.key is None:
            return {}
        if scope not in self._issued:
            now = datetime.now(UTC)
            claims = {"sub": f"simulator/{scope}", "aud": self.audience, "scope": scope,
                      "iat": now, "exp": now + self.lifetime}  # fmt: skip
            self._issued[scope] = jwt.encode(claims, self.key, algorithm="HS256")
        return {"Authorization": f"Bearer {self._issued[scope]}"}

    @classmethod
    def from_env(cls) -> Tokens:
        """The signing key of a development stack, or MES_TOKEN, from the environment."""
        key = next((os.environ[v] for v in KEY_VARIABLES if os.environ.get(v)), None)
        return cls(key=key, fixed=os.environ.get("MES_TOKEN") or None)
