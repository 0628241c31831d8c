"""Bearer tokens on every API: 401 without a valid token, 403 naming the missing scope."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, SecretStr

from mes_events.auth import (
    ADMIN,
    ANY_TERMINAL,
    ORDERS_WRITE,
    QUALITY_WRITE,
    READ,
    CurrentPrincipal,
    GuardedRoute,
    Principal,
    TokenVerifier,
    ensure_terminal_scope,
    requires,
    terminal_scope,
)
from mes_events.routing import service_router
from mes_events.service import Role, ServiceRuntime, build_app
from mes_events.settings import AuthSettings, ServiceSettings
from mes_events.sse import STREAM_PATH
from mes_events.testing.auth import auth_settings, authorization, bearer, token
from mes_events.testing.plugin import STORE_MIGRATIONS

pytestmark = pytest.mark.integration
router = APIRouter(route_class=GuardedRoute)


class JobIn(BaseModel):
    work_center_id: str


@router.get("/things")
async def list_things() -> list[str]:
    return ["a"]


@router.post("/orders", status_code=201)
@requires(ORDERS_WRITE)
async def create_order() -> dict[str, str]:
    return {"created": "yes"}


@router.post("/materials", status_code=201)  # declares nothing: a write needs admin
async def register_material() -> dict[str, str]:
    return {"created": "yes"}


@router.post("/jobs/{job_id}/start")
@requires(ANY_TERMINAL)
async def start_job(job_id: str, body: JobIn, principal: CurrentPrincipal) -> dict[str, str]:
    ensure_terminal_scope(principal, body.work_center_id)
    return {"started": job_id, "by": principal.subject}


@requires(QUALITY_WRITE)  # declared after routing: still checked
@router.post("/holds", status_code=201)
async def hold() -> dict[str, str]:
    return {"held": "yes"}


class Public(BaseModel):
    shown: str


@router.post("/raw", status_code=201)
@requires(ORDERS_WRITE)
async def raw(request: Request) -> Response:
    # Only the Request in, a Response out: GuardedRoute runs it without FastAPI's handler.
    body = await request.body()
    if body == b"conflict":
        raise HTTPException(409, "taken")
    return Response(body[::-1], 202, {"X-Seen": str(len(body))}, media_type="text/plain")


@router.post("/filtered", response_model=Public)
@requires(ORDERS_WRITE)
async def filtered(request: Request) -> dict[str, str]:
    # Only the Request in, but a dict out: FastAPI's handler still applies the response model.
    return {"shown": request.method, "hidden": "secret"}


@pytest.fixture(scope="module")
async def client(store_db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(service="authtest", database_url=store_db_url, auth=auth_settings())
    runtime = ServiceRuntime(settings, STORE_MIGRATIONS, roles=frozenset({Role.API}))
    app = build_app(runtime, title="auth test", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as c,
    ):
        yield c


async def test_probes_and_metrics_need_no_token(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await client.get(path)).status_code == 200, path


INVALID = [
    ("no token", {}, "a bearer token is required"),
    ("another scheme", {"Authorization": "Basic dXNlcjpwYXNz"}, "a bearer token is required"),
    ("scheme alone", {"Authorization": "Bearer "}, "a bearer token is required"),
    ("not a JWT", authorization("not-a-jwt"), "invalid token"),
    (
        "bad signature",
        authorization(token(READ, key="another-signing-key-of-at-least-32-bytes")),
        "Signature verification failed",
    ),
    ("expired", authorization(token(READ, expires_in=timedelta(minutes=-5))), "expired"),
    ("other audience", authorization(token(READ, audience="not-mes")), "Audience"),
]


@pytest.mark.parametrize(("case", "headers", "reason"), INVALID, ids=[c[0] for c in INVALID])
async def test_without_a_valid_token_every_route_is_401_with_a_bearer_challenge(
    client: httpx.AsyncClient, case: str, headers: dict[str, str], reason: str
) -> None:
    for method, path in (("GET", "/things"), ("POST", "/orders"), ("GET", STREAM_PATH)):
        response = await client.request(method, path, headers=headers)
        assert response.status_code == 401, (case, path)
        assert reason in response.json()["detail"], (case, path, response.json())
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="mes"'), challenge
        # RFC 6750 3.1: no error code when the request carried no credentials at all
        assert ("error=" in challenge) == (reason != "a bearer token is required"), challenge


async def test_the_scheme_name_is_case_insensitive(client: httpx.AsyncClient) -> None:
    # RFC 7235 2.1: auth schemes are case-insensitive; some clients send "bearer".
    headers = {"Authorization": f"bearer  {token(READ)}"}
    assert (await client.get("/things", headers=headers)).status_code == 200


async def test_openapi_names_the_scopes_each_operation_needs(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    needs = {
        (method, path): operation["security"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    assert needs == {
        ("get", "/things"): [{"bearer": [READ]}],
        ("post", "/orders"): [{"bearer": [ORDERS_WRITE]}],
        ("post", "/materials"): [{"bearer": [ADMIN]}],  # declares nothing: a write needs admin
        ("post", "/jobs/{job_id}/start"): [{"bearer": [ANY_TERMINAL]}],
        ("post", "/holds"): [{"bearer": [QUALITY_WRITE]}],
        ("post", "/raw"): [{"bearer": [ORDERS_WRITE]}],
        ("post", "/filtered"): [{"bearer": [ORDERS_WRITE]}],
        ("get", STREAM_PATH): [{"bearer": [READ]}],
    }


SCOPES = [
    # (scopes of the token, method, path, status, scope named in a 403)
    ((READ,), "GET", "/things", 200, None),
    ((ORDERS_WRITE,), "GET", "/things", 200, None),  # every scope implies read
    ((), "GET", "/things", 403, READ),  # a token granting nothing reads nothing
    ((READ,), "POST", "/orders", 403, ORDERS_WRITE),
    ((QUALITY_WRITE,), "POST", "/orders", 403, ORDERS_WRITE),
    ((ORDERS_WRITE,), "POST", "/orders", 201, None),
    ((ADMIN,), "POST", "/orders", 201, None),  # admin implies every scope
    ((ORDERS_WRITE,), "POST", "/materials", 403, ADMIN),
    ((ADMIN,), "POST", "/materials", 201, None),
    ((ORDERS_WRITE,), "POST", "/holds", 403, QUALITY_WRITE),
    ((QUALITY_WRITE,), "POST", "/holds", 201, None),
]


@pytest.mark.parametrize(("scopes", "method", "path", "status", "missing"), SCOPES)
async def test_a_route_answers_only_tokens_with_its_scope(
    client: httpx.AsyncClient,
    scopes: tuple[str, ...],
    method: str,
    path: str,
    status: int,
    missing: str | None,
) -> None:
    response = await client.request(method, path, headers=bearer(*scopes))
    assert response.status_code == status, response.json()
    if missing is not None:
        assert repr(missing) in response.json()["detail"]
        challenge = response.headers["WWW-Authenticate"]
        assert f'error="insufficient_scope", scope="{missing}"' in challenge


TERMINALS = [
    ((terminal_scope("SAW-1"),), "SAW-1", 200, None),
    ((terminal_scope("SAW-1"),), "CNC-2", 403, terminal_scope("CNC-2")),
    ((terminal_scope("SAW-1"), terminal_scope("CNC-2")), "CNC-2", 200, None),
    ((ADMIN,), "CNC-2", 200, None),  # the manager's override
    ((READ,), "SAW-1", 403, ANY_TERMINAL),
    ((ORDERS_WRITE,), "SAW-1", 403, ANY_TERMINAL),
]


@pytest.mark.parametrize(("scopes", "work_center", "status", "missing"), TERMINALS)
async def test_a_terminal_starts_only_its_own_work_centers_jobs(
    client: httpx.AsyncClient,
    scopes: tuple[str, ...],
    work_center: str,
    status: int,
    missing: str | None,
) -> None:
    response = await client.post(
        "/jobs/J-1/start",
        json={"work_center_id": work_center},
        headers=bearer(*scopes, subject="terminal"),
    )
    assert response.status_code == status, response.json()
    if missing is not None:
        assert repr(missing) in response.json()["detail"]
    else:
        assert response.json() == {"started": "J-1", "by": "terminal"}


async def test_the_event_stream_needs_read(client: httpx.AsyncClient) -> None:
    # A token granting nothing; that a read token streams is in test_sse.py (a real server:
    # the ASGI transport waits for a response's end, and a stream has none).
    denied = await client.get(STREAM_PATH, headers=bearer())
    assert denied.status_code == 403 and repr(READ) in denied.json()["detail"]


async def test_the_token_is_checked_before_the_body_is_read(client: httpx.AsyncClient) -> None:
    # Neither a stranger nor a token without the scope learns how the body would be judged.
    async def post(headers: dict[str, str]) -> int:
        headers = headers | {"Content-Type": "application/json"}
        return (
            await client.post("/jobs/J-1/start", content=b"{not json", headers=headers)
        ).status_code

    assert await post({}) == 401
    assert await post(bearer(READ)) == 403
    assert await post(bearer(ADMIN)) == 422


async def test_a_route_taking_only_the_request_answers_with_its_own_response(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/raw", content=b"abc")).status_code == 401
    denied = await client.post("/raw", content=b"abc", headers=bearer(READ))
    assert denied.status_code == 403 and repr(ORDERS_WRITE) in denied.json()["detail"]
    ok = await client.post("/raw", content=b"abc", headers=bearer(ORDERS_WRITE))
    assert (ok.status_code, ok.text, ok.headers["x-seen"]) == (202, "cba", "3")
    assert ok.headers["content-type"].startswith("text/plain")
    assert ok.headers["x-correlation-id"]  # the middleware still wraps it
    taken = await client.post("/raw", content=b"conflict", headers=bearer(ORDERS_WRITE))
    assert (taken.status_code, taken.json()) == (409, {"detail": "taken"})


async def test_a_route_taking_only_the_request_but_returning_data_keeps_its_model(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/filtered", headers=bearer(ORDERS_WRITE))
    assert (answer.status_code, answer.json()) == (200, {"shown": "POST"})


def test_a_router_whose_routes_check_no_token_is_refused(store_db_url: str) -> None:
    unguarded = APIRouter()

    @unguarded.get("/open")
    async def open_route() -> dict[str, str]:
        return {}

    settings = ServiceSettings(service="authtest", database_url=store_db_url, auth=auth_settings())
    runtime = ServiceRuntime(settings, STORE_MIGRATIONS, roles=frozenset({Role.API}))
    with pytest.raises(TypeError, match="'/open' does not check tokens"):
        build_app(runtime, title="unguarded", routers=[router, unguarded])


def test_a_service_routers_routes_are_the_apps_own_and_document_the_error_answers(
    store_db_url: str,
) -> None:
    reports = service_router(prefix="/reports", tags=["reports"])

    @reports.get("/daily")
    async def daily() -> dict[str, str]:
        return {}

    settings = ServiceSettings(service="authtest", database_url=store_db_url, auth=auth_settings())
    runtime = ServiceRuntime(settings, STORE_MIGRATIONS, roles=frozenset({Role.API}))
    app = build_app(runtime, title="flat", routers=[reports])
    # No wrapper to match through on every request (FastAPI's include_router keeps one).
    assert all(route in app.router.routes for route in reports.routes)
    answers = app.openapi()["paths"]["/reports/daily"]["get"]["responses"]
    for status in ("401", "403", "404", "503"):
        schema = answers[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorDetail"}, status
    assert answers["503"]["headers"]["Retry-After"]


def test_a_service_with_auth_on_and_no_signing_key_refuses_to_start() -> None:
    runtime = ServiceRuntime(ServiceSettings(service="authtest"), STORE_MIGRATIONS)
    with pytest.raises(ValueError, match="AUTH__SIGNING_KEY is not set"):
        build_app(runtime, title="no key", routers=[router])


def test_a_short_signing_key_is_refused() -> None:
    with pytest.raises(ValueError, match="signing_key"):
        AuthSettings(signing_key=SecretStr("short"))


async def test_with_auth_off_every_request_is_the_anonymous_admin(store_db_url: str) -> None:
    settings = ServiceSettings(
        service="authtest", database_url=store_db_url, auth=AuthSettings(enabled=False)
    )
    runtime = ServiceRuntime(settings, STORE_MIGRATIONS, roles=frozenset({Role.API}))
    app = build_app(runtime, title="auth off", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as c,
    ):
        assert (await c.post("/materials")).status_code == 201
        started = await c.post("/jobs/J-2/start", json={"work_center_id": "SAW-1"})
        assert started.json() == {"started": "J-2", "by": "anonymous"}


def test_scope_rules() -> None:
    terminal = Principal("t", frozenset({terminal_scope("SAW-1")}))
    assert terminal.allows(READ) and terminal.allows(ANY_TERMINAL)
    assert not terminal.allows(ORDERS_WRITE) and not terminal.allows(terminal_scope("SAW-10"))
    admin = Principal("a", frozenset({ADMIN}))
    assert all(admin.allows(s) for s in (READ, ORDERS_WRITE, ANY_TERMINAL, "terminal:X"))
    assert not Principal("n", frozenset()).allows(READ)


async def test_a_verified_token_is_remembered_only_until_it_expires() -> None:
    verifier = TokenVerifier.from_settings(auth_settings())
    # expired 29 s ago: still inside the 30 s leeway for about a second
    raw = token(READ, expires_in=timedelta(seconds=-29))
    assert verifier.verify(raw).scopes == {READ}
    assert verifier.verify(raw).scopes == {READ}  # remembered
    await asyncio.sleep(1.2)
    with pytest.raises(HTTPException) as expired:
        verifier.verify(raw)
    assert expired.value.status_code == 401 and "expired" in expired.value.detail
