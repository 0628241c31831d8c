"""Bearer tokens for every service's API: HS256 JWTs carrying scopes (RFC 6750, RFC 9068).

Scopes, by who holds them:

- `orders:write`: ERP/CRM integrations (orders, goods receipts);
- `terminal:<work_center_id>`: the line terminal of one work center (its own jobs only);
- `quality:write`: inspectors (results, nonconformances, dispositions, lot holds);
- `admin`: master data (materials, work centers, stock corrections); implies every scope;
- `read`: dashboards; every other scope implies it too, since each writer reads what it writes.

A route declares what it needs with `Depends(require(scope))`. `build_app` puts `authorize` in
front of every router: a route that declares nothing needs `read` for GET/HEAD and `admin` for
anything else, so a write that forgot its scope fails closed. /healthz, /readyz and /metrics
stay open for probes and scrapers.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mes_events.settings import AuthSettings

READ = "read"
ADMIN = "admin"
ORDERS_WRITE = "orders:write"
QUALITY_WRITE = "quality:write"
TERMINAL_PREFIX = "terminal:"
# A requirement, not a scope to grant: the route is for some terminal; the handler then calls
# `ensure_terminal_scope` with the work center it acts on.
ANY_TERMINAL = "terminal:*"

ALGORITHM = "HS256"
REALM = "mes"
LEEWAY_S = 30
# Verified tokens kept (a client sends the same token for hours); cleared when full.
CACHED_TOKENS = 4096
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def terminal_scope(work_center_id: str) -> str:
    """The scope of the line terminal of `work_center_id`."""
    return f"{TERMINAL_PREFIX}{work_center_id}"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who called: the token's subject and the scopes it grants."""

    subject: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        """Whether the token grants `scope` (admin grants all; any scope grants read)."""
        if ADMIN in self.scopes:
            return True
        if scope == READ:
            return bool(self.scopes)
        if scope == ANY_TERMINAL:
            return any(s.startswith(TERMINAL_PREFIX) for s in self.scopes)
        return scope in self.scopes


ANONYMOUS_ADMIN = Principal("anonymous", frozenset({ADMIN}))


def unauthorized(reason: str, *, error: str | None = "invalid_token") -> HTTPException:
    """401 with the RFC 6750 challenge; no error code when no credentials came at all."""
    challenge = f'Bearer realm="{REALM}"'
    if error is not None:
        challenge += f', error="{error}", error_description="{reason}"'
    return HTTPException(401, reason, headers={"WWW-Authenticate": challenge})


def forbidden(scope: str, reason: str | None = None) -> HTTPException:
    """403 naming the scope the token lacks (RFC 6750 insufficient_scope)."""
    challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
    detail = reason or f"the token lacks the scope {scope!r}"
    return HTTPException(403, detail, headers={"WWW-Authenticate": challenge})


@dataclass(frozen=True)
class TokenVerifier:
    """Checks bearer tokens against the service's signing key and audience."""

    enabled: bool
    key: str
    audience: str
    # token -> (principal, expiry): checking a signature costs ~40 us, a look-up ~0.1 us
    _verified: dict[str, tuple[Principal, float]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_settings(cls, settings: AuthSettings, *, env_prefix: str = "") -> TokenVerifier:
        """A verifier; refuses to exist with auth on and no key (a misconfigured deployment)."""
        if not settings.enabled:
            return cls(False, "", settings.audience)
        if settings.signing_key is None:
            raise ValueError(
                f"{env_prefix}AUTH__SIGNING_KEY is not set: every API needs a token signing key"
                f" (or {env_prefix}AUTH__ENABLED=false, for tests only)"
            )
        return cls(True, settings.signing_key.get_secret_value(), settings.audience)

    def verify(self, token: str) -> Principal:
        """The token's principal; 401 when it is malformed, badly signed, expired or not ours."""
        known = self._verified.get(token)
        if known is not None and time.time() < known[1] + LEEWAY_S:
            return known[0]
        principal, expires_at = self._decode(token)
        if len(self._verified) >= CACHED_TOKENS:
            self._verified.clear()
        self._verified[token] = (principal, expires_at)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                options={"require": ["exp", "sub", "aud"]},
                leeway=timedelta(seconds=LEEWAY_S),
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("the token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise unauthorized(f"invalid token: {exc}") from None
        principal = Principal(str(claims["sub"]), _scopes(claims.get("scope")))
        return principal, float(claims["exp"])


def _scopes(claim: Any) -> frozenset[str]:
    # RFC 9068: a space-separated string; a list is accepted too (some issuers send one).
    if isinstance(claim, str):
        return frozenset(claim.split())
    if isinstance(claim, list):
        return frozenset(s for s in claim if isinstance(s, str))
    return frozenset()


def mint_token(
    key: str,
    scopes: Iterable[str],
    *,
    subject: str,
    audience: str = "mes",
    expires_in: timedelta = timedelta(hours=12),
    now: datetime | None = None,
) -> str:
    """A signed token granting `scopes` (development tokens, tests, service-to-service)."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": subject,
        "aud": audience,
        "scope": " ".join(scopes),
        "iat": issued,
        "exp": issued + expires_in,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


_bearer = HTTPBearer(auto_error=False, description="JWT (HS256) with the scopes of the caller")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from `Authorization: Bearer <jwt>`; FastAPI resolves it once per request."""
    verifier: TokenVerifier = request.app.state.token_verifier
    if not verifier.enabled:
        return ANONYMOUS_ADMIN
    if credentials is None:
        raise unauthorized("a bearer token is required", error=None)
    return verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
ScopeCheck = Callable[[Principal], Awaitable[Principal]]


def require(scope: str) -> ScopeCheck:
    """A dependency that lets the request through only if the token grants `scope`."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.allows(scope):
            raise forbidden(scope)
        return principal

    check.required_scope = scope  # type: ignore[attr-defined]  # found by `authorize`
    return check


def ensure_terminal_scope(principal: Principal, work_center_id: str) -> None:
    """403 unless the caller is `work_center_id`'s terminal (or admin): a terminal may start
    and complete only its own work center's jobs."""
    scope = terminal_scope(work_center_id)
    if not principal.allows(scope):
        raise forbidden(scope, f"the token lacks the scope {scope!r}: work center {work_center_id}")


def _declares_scope(dependant: Dependant) -> bool:
    return any(
        hasattr(d.call, "required_scope") or _declares_scope(d) for d in dependant.dependencies
    )


def default_scope(route: APIRoute) -> str | None:
    """What a route needs when it declares nothing: read to look, admin to change."""
    if _declares_scope(route.dependant):
        return None
    return READ if (route.methods or set()) <= SAFE_METHODS else ADMIN


async def authorize(request: Request, principal: CurrentPrincipal) -> Principal:
    """The dependency `build_app` puts in front of every router (see the module docstring)."""
    route = request.scope.get("route")
    needed: str | None = ADMIN  # fail closed should a route ever come without its APIRoute
    if isinstance(route, APIRoute):
        # Per app, by id: the app keeps its routes alive, so an id names one route.
        defaults: dict[int, str | None] = request.app.state.default_scopes
        if id(route) not in defaults:
            defaults[id(route)] = default_scope(route)
        needed = defaults[id(route)]
    if needed is not None and not principal.allows(needed):
        raise forbidden(needed)
    return principal
