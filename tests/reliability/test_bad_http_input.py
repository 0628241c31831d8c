"""Bad HTTP input: generated requests (schemathesis) and oversized or malformed bodies.

Every service must answer whatever a client sends with a documented status and a body that
matches its documented schema, never a 5xx. Schemathesis drives each app in process (ASGI),
so no server and no network are involved; examples per operation are bounded.
"""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi import checks as openapi_checks

from mes_events.auth import ADMIN
from mes_events.db import drop_database
from mes_events.http_limits import DEFAULT_MAX_BODY_BYTES
from mes_events.testing.auth import bearer
from mes_events.testing.plugin import fresh_database

from .apps import SERVICES

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 15
# The event stream never ends by design (server-sent events); its own tests cover it.
STREAMS = ("/events/stream",)
CHECKS: list[Callable[..., Any]] = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]
ADMIN_TOKEN = bearer(ADMIN)


@pytest.fixture(scope="module")
async def databases(pg_server_url: str) -> AsyncIterator[dict[str, str]]:
    """A fresh migrated database per service, for this module."""
    urls = {
        name: await fresh_database(pg_server_url, f"t_badin_{name}", s.migrations)
        for name, s in SERVICES.items()
    }
    yield urls
    for url in urls.values():
        await drop_database(pg_server_url, url.rsplit("/", 1)[-1].split("?")[0])


@pytest.fixture
def loaded_schema(request: pytest.FixtureRequest, databases: dict[str, str]) -> Iterator[Any]:
    """The service's OpenAPI, read from its running app (schemathesis starts its lifespan)."""
    name = request.param
    app = SERVICES[name].app(databases[name])
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()


def failures_of(operation: Any) -> str | None:
    """Runs generated requests, valid and invalid, against one operation; the failure, if any."""
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case[Any]) -> None:
        try:
            response = case.call(headers=ADMIN_TOKEN)
        except UnicodeEncodeError:
            reject()  # a header no HTTP client can send (not latin-1): never reaches the server
        case.validate_response(response, checks=CHECKS, headers=ADMIN_TOKEN)

    try:
        run()
    except (Exception, FailureGroup) as exc:
        return f"{operation.label}: " + "".join(traceback.format_exception(exc))
    return None


@pytest.mark.parametrize("loaded_schema", sorted(SERVICES), indirect=True)
def test_generated_requests_get_no_5xx_and_documented_answers(loaded_schema: Any) -> None:
    operations = [result.ok() for result in loaded_schema.get_all_operations()]
    tested = [op for op in operations if op.path not in STREAMS]
    assert len(tested) >= 5, [op.label for op in operations]
    failures = [f for f in map(failures_of, tested) if f is not None]
    assert not failures, "\n\n".join(failures)


@pytest.fixture(params=sorted(SERVICES))
async def client(
    request: pytest.FixtureRequest, databases: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """The service's app with its lifespan, signed in as admin."""
    app = SERVICES[request.param].app(databases[request.param])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", headers=ADMIN_TOKEN
        ) as c,
    ):
        c.app = app  # type: ignore[attr-defined]
        yield c


def writes(app: FastAPI) -> list[tuple[str, str]]:
    """Every operation taking a JSON body, as (method, path with each parameter set to `x`)."""
    found = []
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                concrete = "/".join("x" if p.startswith("{") else p for p in path.split("/"))
                found.append((method.upper(), concrete))
    return found


async def test_oversized_and_malformed_bodies_get_4xx_on_every_write(
    client: httpx.AsyncClient,
) -> None:
    app: FastAPI = client.app  # type: ignore[attr-defined]
    targets = writes(app)
    assert targets
    huge = b'{"pad": "' + b"x" * DEFAULT_MAX_BODY_BYTES + b'"}'
    json_header = {"content-type": "application/json"}
    for method, path in targets:
        where = f"{method} {path}"
        r = await client.request(method, path, content=huge, headers=json_header)
        assert r.status_code == 413 and "larger than" in r.json()["detail"], where

        r = await client.request(method, path, content=_chunks(huge), headers=json_header)
        assert r.status_code == 413, f"{where} (streamed, no Content-Length)"

        r = await client.request(method, path, content=b'{"quantity": 3,', headers=json_header)
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid", where

        r = await client.request(method, path, content=b"\xff\xfe{}", headers=json_header)
        assert r.status_code in (400, 422) and "detail" in r.json(), where

        r = await client.request(method, path, content=b"[]", headers=json_header)
        assert r.status_code == 422, where
    assert (await client.get("/healthz")).status_code == 200


async def _chunks(body: bytes, size: int = 65_536) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


# Values only the database can refuse: a NUL in text, an integer beyond its column.
UNSTORABLE = {
    "orders": ("GET", "/orders?customer=a%00b", None),
    "scheduler": ("POST", "/work-centers", {"id": "WC\u0000", "group": "SAW"}),
    "quality": ("GET", "/spc/P-1/bore?operation_seq=2147483648", None),
    "inventory": (
        "POST",
        "/materials",
        {"material_id": "M-1", "description": "-", "unit": "k\u0000g"},
    ),
}


@pytest.mark.parametrize("service", sorted(UNSTORABLE))
async def test_values_the_database_cannot_take_get_422(
    service: str, databases: dict[str, str]
) -> None:
    method, path, body = UNSTORABLE[service]
    app = SERVICES[service].app(databases[service])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", headers=ADMIN_TOKEN
        ) as client,
    ):
        r = await client.request(method, path, json=body)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["msg"], r.text
