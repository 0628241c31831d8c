"""`mes-events`: operator commands (republish, rebuild a projection, mint an API token)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from datetime import timedelta
from pathlib import Path

from mes_events.auth import mint_token
from mes_events.db import make_engine
from mes_events.kafka import broker_identity
from mes_events.projection import Projection, rebuild
from mes_events.relay import rewind
from mes_events.settings import KafkaSettings
from mes_events.store import EventStore
from mes_events.uow import UnitOfWork


async def republish(database_url: str, relay: str, bootstrap: str, from_position: int) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        broker = await broker_identity(KafkaSettings(bootstrap_servers=bootstrap))
        cursor = await rewind(engine, relay, broker, from_position)
    finally:
        await engine.dispose()
    print(f"relay {relay} on broker {broker} resumes after {cursor}")  # noqa: T201


async def rebuild_projection(database_url: str, source: str, target: str) -> None:
    module, _, attr = target.partition(":")
    projection: Projection = getattr(importlib.import_module(module), attr)()
    engine = make_engine(database_url, pool_size=2)
    uow = UnitOfWork(engine, size=1)
    try:
        n = await rebuild(uow, EventStore(source), projection)
    finally:
        await uow.close()
        await engine.dispose()
    print(f"rebuilt {projection.name} from {n} events")  # noqa: T201


KEY_VARIABLES = ("MES_AUTH_SIGNING_KEY", "MES_SIGNING_KEY")


def signing_key(key_file: Path) -> str:
    """The key from the environment, else from `key_file` (what `make up` keeps)."""
    for name in KEY_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    if not key_file.exists():
        raise SystemExit(f"no signing key: set {KEY_VARIABLES[0]} or pass --key-file")
    return key_file.read_text().strip()


def token(args: argparse.Namespace) -> None:
    key = signing_key(args.key_file)
    lifetime = timedelta(hours=args.hours)
    subject = args.subject or " ".join(args.scope)
    print(mint_token(key, args.scope, subject=subject, expires_in=lifetime))  # noqa: T201


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mes-events")
    sub = parser.add_subparsers(dest="command", required=True)
    rp = sub.add_parser("republish", help="make a relay publish again from a store position")
    rp.add_argument("--database-url", required=True)
    rp.add_argument("--relay", required=True)
    rp.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    rp.add_argument("--from-position", type=int, default=1)
    rb = sub.add_parser("rebuild", help="empty a projection and replay the store into it")
    rb.add_argument("--database-url", required=True)
    rb.add_argument(
        "--source", required=True, help="the store's CloudEvents source, e.g. mes/orders"
    )
    rb.add_argument("projection", help="module:ClassName of the projection")
    tk = sub.add_parser("token", help="print a bearer token for the APIs (mes_events.auth)")
    tk.add_argument("--scope", action="append", required=True, help="e.g. terminal:SAW-1")
    tk.add_argument("--subject", help="who the token is for (default: its scopes)")
    tk.add_argument("--hours", type=float, default=12.0)
    data = Path(os.environ.get("MES_DATA_DIR", ".data"))
    tk.add_argument("--key-file", type=Path, default=data / "signing-key")
    args = parser.parse_args(argv)
    if args.command == "token":
        token(args)
    elif args.command == "republish":
        asyncio.run(
            republish(args.database_url, args.relay, args.bootstrap_servers, args.from_position)
        )
    else:
        asyncio.run(rebuild_projection(args.database_url, args.source, args.projection))
    return 0


if __name__ == "__main__":
    sys.exit(main())
