"""Bodies validated from their bytes: FastAPI's 422 shape and OpenAPI entry, kept."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from mes_events import json_body


class Part(BaseModel):
    name: str = Field(min_length=1)
    count: int = Field(ge=1)


class Shipment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: str
    parts: tuple[Part, ...] = Field(min_length=1)


def make_app(*, with_fastapis_own: bool = True) -> FastAPI:
    """`/shipments` reads its body with json_body; `/plain`, the same model, FastAPI's way."""
    app = FastAPI()

    @app.post("/shipments", openapi_extra=json_body.documented(Shipment))
    async def ship(request: Request) -> dict[str, Any]:
        shipment = await json_body.read(request, Shipment)
        return {"ref": shipment.ref, "parts": len(shipment.parts)}

    if with_fastapis_own:

        @app.post("/plain")
        async def plain(shipment: Shipment) -> dict[str, str]:
            return {"ref": shipment.ref}

    return app


@pytest.fixture
async def client() -> Any:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


JSON = {"content-type": "application/json"}


async def test_a_valid_body_reaches_the_route(client: httpx.AsyncClient) -> None:
    r = await client.post("/shipments", json={"ref": "S-1", "parts": [{"name": "a", "count": 2}]})
    assert r.status_code == 200 and r.json() == {"ref": "S-1", "parts": 1}


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b'{"ref": "S-1", "parts": [{"name": "", "count": 0}], "extra": 1}', JSON),
        (b'{"ref": 7}', JSON),
        (b"", JSON),
        (b'{"ref": "S-1", "parts": []}', {"content-type": "text/plain"}),
        (b'{"ref": "S-1", "parts": []}', {}),
    ],
)
async def test_refusals_match_fastapis_own(
    client: httpx.AsyncClient, content: bytes, headers: dict[str, str]
) -> None:
    ours = await client.post("/shipments", content=content, headers=headers)
    fastapis = await client.post("/plain", content=content, headers=headers)
    assert ours.status_code == fastapis.status_code == 422
    assert [(e["loc"], e["type"]) for e in ours.json()["detail"]] == [
        (e["loc"], e["type"]) for e in fastapis.json()["detail"]
    ]


async def test_an_array_for_the_body_is_refused_naming_the_body(client: httpx.AsyncClient) -> None:
    # pydantic's JSON mode words it model_type, FastAPI (validating a list) model_attributes_type
    r = await client.post("/shipments", content=b"[1, 2]", headers=JSON)
    assert r.status_code == 422 and [e["loc"] for e in r.json()["detail"]] == [["body"]]


async def test_invalid_json_is_a_422_that_quotes_it_as_text(client: httpx.AsyncClient) -> None:
    r = await client.post("/shipments", content=b"\x80{", headers=JSON)
    assert r.status_code == 422
    (error,) = r.json()["detail"]
    assert error["type"] == "json_invalid" and error["loc"] == ["body"]
    assert error["input"] == "\ufffd{"


async def test_nested_fields_are_named_from_the_body(client: httpx.AsyncClient) -> None:
    body = {"ref": "S-1", "parts": [{"name": "a", "count": 1}, {"name": "b", "count": 0}]}
    r = await client.post("/shipments", json=body)
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "parts", 1, "count"]]


async def test_openapi_lists_the_body_its_parts_and_the_422() -> None:
    # Without FastAPI's own route for the model, only json_body can have listed its schemas.
    spec = make_app(with_fastapis_own=False).openapi()
    json_body.add_schemas(spec)
    operation = spec["paths"]["/shipments"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert operation["requestBody"]["required"]
    assert body == {"$ref": "#/components/schemas/Shipment"}
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }
    schemas = spec["components"]["schemas"]
    parts = schemas["Shipment"]["properties"]["parts"]
    assert parts["items"] == {"$ref": "#/components/schemas/Part"}
    assert {"Part", "HTTPValidationError", "ValidationError"} <= set(schemas)


def test_two_body_models_with_one_name_are_refused() -> None:
    class Shipment(BaseModel):  # another model under a taken component name
        ref: str

    with pytest.raises(ValueError, match="two body models named Shipment"):
        json_body.documented(Shipment)
