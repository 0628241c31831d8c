"""JSON Schemas of the event catalog and the AsyncAPI 3.0 document generated from it.

`python -m mes_events.schemas write` regenerates libs/events/asyncapi.yaml; `... check` exits 1
when the committed file differs from what the catalog generates now (run it in CI).
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic.json_schema import JsonSchemaMode, models_json_schema

import mes_events.catalog  # noqa: F401  (registers every event type)
from mes_events import envelope as ce
from mes_events.registry import REGISTRY, DomainEvent
from mes_events.topics import TOPICS, service_of

CATALOG_PACKAGE = "mes_events.catalog."
ASYNCAPI_PATH = Path(__file__).resolve().parents[2] / "asyncapi.yaml"
DOCUMENT_VERSION = "1.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
HEADERS_SCHEMA = "CloudEventsHeaders"
SCHEMA_REF = "#/components/schemas/{model}"
MODE: JsonSchemaMode = "serialization"  # the document describes what producers put on the wire

Json = dict[str, Any]


def event_models() -> list[type[DomainEvent]]:
    """The current version of every catalog event type, sorted by type name."""
    # The registry also holds whatever tests register (`test.*`); only the catalog is public.
    return [m for m in REGISTRY.current_models() if m.__module__.startswith(CATALOG_PACKAGE)]


def json_schemas() -> dict[str, Json]:
    """A standalone JSON Schema (with its own $defs) per current event type, by type name."""
    return {m.type_name: m.model_json_schema(mode=MODE) for m in event_models()}


def _summary(model: type[DomainEvent]) -> str:
    return (inspect.getdoc(model) or model.__name__).splitlines()[0]


def _strip_openapi_discriminators(node: Any) -> Any:
    # Pydantic emits OpenAPI's `discriminator` object; in AsyncAPI's schema dialect that
    # keyword is a plain string, and the oneOf of `kind` consts already says it all.
    if isinstance(node, dict):
        return {
            k: _strip_openapi_discriminators(v)
            for k, v in node.items()
            if not (k == "discriminator" and isinstance(v, dict) and "propertyName" in v)
        }
    if isinstance(node, list):
        return [_strip_openapi_discriminators(v) for v in node]
    return node


def _string(description: str, **extra: Any) -> Json:
    return {"type": "string", "description": description, **extra}


def headers_schema() -> Json:
    """The CloudEvents 1.0 Kafka binding headers (binary content mode) every message carries."""
    positive = {"pattern": "^[1-9][0-9]*$"}
    properties = {
        ce.H_ID: _string("Event id; the consumers' dedupe key.", format="uuid"),
        ce.H_SOURCE: _string(
            "The producer, e.g. `mes/orders`; the last segment names the service."
        ),
        ce.H_TYPE: _string("Stable wire name `<service>.<PastTense>`."),
        ce.H_SPEC: _string("CloudEvents spec version.", const=ce.SPEC_VERSION),
        ce.H_TIME: _string("When the event occurred.", format="date-time"),
        ce.H_SUBJECT: _string("The stream (aggregate) id; also the Kafka key."),
        ce.H_STREAM_TYPE: _string("The stream (aggregate) type, e.g. `order`."),
        ce.H_STREAM_VERSION: _string("1-based position of the event in its stream.", **positive),
        ce.H_SCHEMA_VERSION: _string(
            "Payload schema version; older ones are upcast on read.", **positive
        ),
        ce.H_CORRELATION: _string("Id of the first event of the causal chain.", format="uuid"),
        ce.H_CAUSATION: _string("Id of the event that caused this one.", format="uuid"),
        ce.H_POSITION: _string("Position in the producer's event store.", pattern="^[0-9]+$"),
        ce.H_CONTENT_TYPE: _string("Media type of the value.", const=ce.CONTENT_TYPE),
        ce.H_TRACEPARENT: _string(
            "W3C Trace Context of the span that appended the event.",
            pattern="^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        ),
    }
    optional = {ce.H_CAUSATION, ce.H_POSITION, ce.H_TRACEPARENT}
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes as Kafka headers (binary content mode).",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


def _message(model: type[DomainEvent], payload_ref: str) -> Json:
    fixed = {
        ce.H_TYPE: {"const": model.type_name},
        ce.H_SCHEMA_VERSION: {"const": str(model.version)},
        ce.H_STREAM_TYPE: {"const": model.stream_type},
    }
    return {
        "name": model.type_name,
        "title": model.__name__,
        "summary": _summary(model),
        "contentType": ce.CONTENT_TYPE,
        "headers": {
            "allOf": [
                {"$ref": SCHEMA_REF.format(model=HEADERS_SCHEMA)},
                {"type": "object", "properties": fixed},
            ]
        },
        "payload": {"$ref": payload_ref},
        "correlationId": {"$ref": "#/components/correlationIds/eventChain"},
        "bindings": {
            "kafka": {
                "key": _string(
                    f"The {model.stream_type} id (= ce_subject); keeps a stream in order."
                ),
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _channel(service: str, type_names: Sequence[str]) -> Json:
    return {
        "address": TOPICS[service],
        "description": f"Every event the {service} service publishes, keyed by stream id.",
        "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in type_names},
        "bindings": {
            "kafka": {
                "topic": TOPICS[service],
                # The stores are the source of truth, but new consumers read history from Kafka.
                "topicConfiguration": {"retention.ms": -1, "cleanup.policy": ["delete"]},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _operation(service: str, type_names: Sequence[str]) -> Json:
    return {
        "action": "send",
        "summary": f"The {service} service publishes its events.",
        "channel": {"$ref": f"#/channels/{service}"},
        "messages": [{"$ref": f"#/channels/{service}/messages/{t}"} for t in type_names],
    }


def asyncapi_document() -> Json:
    """The AsyncAPI 3.0 document: one channel and one send operation per producing service."""
    models = event_models()
    refs, top = models_json_schema([(m, MODE) for m in models], ref_template=SCHEMA_REF)
    by_service: dict[str, list[str]] = {service: [] for service in sorted(TOPICS)}
    for m in models:
        by_service[service_of(m.type_name)].append(m.type_name)
    schemas = {**top["$defs"], HEADERS_SCHEMA: headers_schema()}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "MES events",
            "version": DOCUMENT_VERSION,
            "description": "The event catalog of the manufacturing execution system.",
        },
        "defaultContentType": ce.CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The embedded development broker.",
            }
        },
        "channels": {s: _channel(s, names) for s, names in by_service.items()},
        "operations": {
            f"send{s.title()}Events": _operation(s, names) for s, names in by_service.items()
        },
        "components": {
            "schemas": _strip_openapi_discriminators(dict(sorted(schemas.items()))),
            "messages": {m.type_name: _message(m, refs[(m, MODE)]["$ref"]) for m in models},
            "correlationIds": {
                "eventChain": {
                    "description": "Shared by every event of one causal chain.",
                    "location": f"$message.header#/{ce.H_CORRELATION}",
                }
            },
        },
    }


def render_asyncapi() -> str:
    """The AsyncAPI document as deterministic YAML text."""
    # The JSON round trip gives every sub-document its own identity, so PyYAML never writes
    # `&id001` anchors for pydantic's shared dicts; key order is our construction order.
    document = orjson.loads(orjson.dumps(asyncapi_document()))
    body = str(yaml.safe_dump(document, sort_keys=False, width=100, allow_unicode=True))
    return "# Generated by `python -m mes_events.schemas write`; do not edit.\n" + body


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: `write` regenerates the document, `check` fails when it is stale."""
    parser = argparse.ArgumentParser(prog="python -m mes_events.schemas")
    parser.add_argument("command", choices=["write", "check"])
    parser.add_argument("--path", type=Path, default=ASYNCAPI_PATH)
    args = parser.parse_args(argv)
    path: Path = args.path
    fresh = render_asyncapi()
    if args.command == "write":
        path.write_text(fresh, encoding="utf-8")
        return 0
    if not path.exists() or path.read_text(encoding="utf-8") != fresh:
        sys.stderr.write(
            f"{path} is out of date: run `uv run python -m mes_events.schemas write`\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
