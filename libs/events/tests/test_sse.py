"""GET /events/stream: exact resume with Last-Event-ID, filters, slow clients cut off."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from mes_events.auth import READ
from mes_events.service import Role, ServiceRuntime, build_app
from mes_events.settings import ServiceSettings
from mes_events.sse import STREAM_PATH, format_id, parse_id
from mes_events.store import Cursor
from mes_events.testing.auth import auth_settings, bearer
from mes_events.testing.events import Counted, Renamed, meta
from mes_events.testing.plugin import STORE_MIGRATIONS
from mes_events.testing.sse_client import Message, read_messages, serving

pytestmark = pytest.mark.integration
READER = bearer(READ, subject="dashboard")


@dataclass
class Served:
    url: str
    app: FastAPI
    runtime: ServiceRuntime

    async def append(self, stream: str, *events: Counted | Renamed) -> None:
        """Append `events` to `stream` in one transaction (at its current version)."""
        store = self.runtime.store
        async with self.runtime.uow.transaction() as conn:
            version = await store.stream_version(conn, stream)
            await store.append(conn, stream, version, list(events), meta())


@pytest.fixture(scope="module")
async def served(store_db_url: str) -> AsyncIterator[Served]:
    settings = ServiceSettings(
        service="streamtest", database_url=store_db_url, auth=auth_settings()
    )
    runtime = ServiceRuntime(settings, STORE_MIGRATIONS, roles=frozenset({Role.API}))
    app = build_app(runtime, title="stream test")
    async with serving(app) as url:
        yield Served(url, app, runtime)


async def take(messages: AsyncIterator[Message], n: int, *, timeout: float = 10) -> list[Message]:
    """The next `n` messages that carry data (id-only messages are skipped)."""
    out: list[Message] = []
    async with asyncio.timeout(timeout):
        async for m in messages:
            if m.data is not None:
                out.append(m)
                if len(out) == n:
                    break
    return out


def versions(messages: list[Message]) -> list[tuple[str, int]]:
    return [(str(m.json()["subject"]), int(str(m.json()["streamversion"]))) for m in messages]


async def test_reconnect_with_last_event_id_gets_exactly_the_missed_events(
    served: Served,
) -> None:
    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10, headers=READER) as client,
        client.stream("GET", STREAM_PATH) as first,
    ):
        assert first.headers["content-type"].startswith("text/event-stream")
        await served.append("r-1", Counted(n=1), Counted(n=2))
        seen = await take(read_messages(first), 2)
    assert versions(seen) == [("r-1", 1), ("r-1", 2)]
    event = seen[0].json()
    assert seen[0].event == event["type"] == "test.Counted"
    assert event["specversion"] == "1.0" and event["data"] == {"n": 1}
    last_id = seen[-1].id
    assert last_id is not None

    # Disconnected: more events arrive, from two streams and three transactions.
    await served.append("r-1", Counted(n=3))
    await served.append("r-2", Renamed(label="x"), Counted(n=4))
    await served.append("r-1", Counted(n=5))

    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10, headers=READER) as client,
        client.stream("GET", STREAM_PATH, headers={"Last-Event-ID": last_id}) as resumed,
    ):
        messages = read_messages(resumed)
        missed = await take(messages, 4)
        await served.append("r-3", Counted(n=6))  # the live tail follows the catch-up
        after = await take(messages, 1)
    assert versions(missed) == [("r-1", 3), ("r-2", 1), ("r-2", 2), ("r-1", 4)]
    assert versions(after) == [("r-3", 1)]
    ids = [parse_id(m.id or "") for m in [*seen, *missed, *after]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


async def test_resume_after_a_late_commit_with_a_lower_position(served: Served) -> None:
    """Why the id is the whole cursor: a position alone would skip the late commit's event."""
    engine = served.runtime.engine
    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10, headers=READER) as client,
        client.stream("GET", STREAM_PATH, params={"subject": ["late", "early"]}) as stream,
        engine.connect() as late,
    ):
        # `late` takes its transaction id first but stores its event last.
        await late.execute(text("SELECT pg_current_xact_id()"))
        await served.append("early", Counted(n=1))
        await served.runtime.store.append(late, "late", 0, [Counted(n=2)], meta())
        await late.commit()
        got = await take(read_messages(stream), 1)
    assert versions(got) == [("late", 1)]
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT stream_id, position FROM stored_event"))
        positions: dict[str, int] = {str(r[0]): int(r[1]) for r in rows}
    assert positions["early"] < positions["late"], "the scenario needs the lower position"

    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10, headers=READER) as client,
        client.stream(
            "GET",
            STREAM_PATH,
            params={"subject": ["late", "early"]},
            headers={"Last-Event-ID": got[0].id or ""},
        ) as resumed,
    ):
        rest = await take(read_messages(resumed), 1)
    assert versions(rest) == [("early", 1)]


async def test_filters_by_type_and_subject_and_keep_the_resume_point_moving(
    served: Served,
) -> None:
    params = {"type": ["test.Renamed"], "subject": ["f-1"]}
    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10, headers=READER) as client,
        client.stream("GET", STREAM_PATH, params=params) as stream,
    ):
        messages = read_messages(stream)
        await served.append("f-1", Counted(n=1))
        await served.append("f-2", Renamed(label="other stream"))
        await served.append("f-1", Renamed(label="wanted"))
        await served.append("f-1", Counted(n=2))
        seen: list[Message] = []
        async with asyncio.timeout(10):
            async for m in messages:
                seen.append(m)
                if m.data is None and any(s.data is not None for s in seen):
                    break  # the id-only message for the last, filtered-out event
    wanted = [m for m in seen if m.data is not None]
    assert [(m.event, m.json()["data"]) for m in wanted] == [("test.Renamed", {"label": "wanted"})]
    # Id-only messages for the start and the skipped events, in order, the last past the one.
    assert seen[0].data is None and seen[-1].data is None
    ids = [parse_id(m.id or "") for m in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert ids[-1] > parse_id(wanted[0].id or "")


async def test_bad_resume_ids_and_unknown_types_are_422_naming_the_field(
    served: Served,
) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=10, headers=READER) as client:
        bad_header = await client.get(STREAM_PATH, headers={"Last-Event-ID": "42"})
        bad_query = await client.get(STREAM_PATH, params={"after": "x-1"})
        bad_type = await client.get(STREAM_PATH, params={"type": "test.Nope"})
    assert bad_header.status_code == 422
    assert bad_header.json()["detail"][0]["loc"] == ["header", "Last-Event-ID"]
    assert bad_query.json()["detail"][0]["loc"] == ["query", "after"]
    assert bad_type.status_code == 422 and "test.Nope" in bad_type.json()["detail"][0]["msg"]
    assert format_id(Cursor(7, 9)) == "7-9" and parse_id("7-9") == Cursor(7, 9)


async def test_backlog_starts_that_many_events_back(served: Served) -> None:
    await served.append("b-1", Counted(n=1), Counted(n=2), Counted(n=3))
    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10, headers=READER) as client,
        client.stream("GET", STREAM_PATH, params={"backlog": 2}) as stream,
    ):
        got = await take(read_messages(stream), 2)
    assert versions(got) == [("b-1", 2), ("b-1", 3)]


async def test_a_slow_client_is_told_to_resume_while_the_service_keeps_answering(
    served: Served,
) -> None:
    tail = served.app.state.event_tail
    tail.buffer_size = 100
    host, port = served.url.removeprefix("http://").split(":")
    slow = socket.socket()
    # A tiny receive window: the server's writes to this client block almost at once.
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(slow, (host, int(port)))
    await loop.sock_sendall(
        slow,
        f"GET {STREAM_PATH}?subject=s-1 HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {READER['Authorization']}\r\n\r\n".encode(),
    )
    head = await loop.sock_recv(slow, 1024)
    assert b"200" in head.split(b"\r\n", 1)[0]
    try:
        async with asyncio.timeout(10):
            while tail.readers == 0:
                await asyncio.sleep(0.01)
        tail.buffer_size = 1_000  # the fast client's buffer
        async with (
            httpx.AsyncClient(base_url=served.url, timeout=10, headers=READER) as client,
            client.stream("GET", STREAM_PATH, params={"subject": "s-1"}) as fast,
        ):
            total = 0
            # 10 MB: more than the kernel buffers for the slow client (a send buffer grows to
            # net.ipv4.tcp_wmem's 4 MB here) plus its 100 buffered events.
            for _ in range(12):
                await served.append("s-1", *[Renamed(label="x" * 8000) for _ in range(100)])
                total += 100
                assert (await client.get("/healthz")).status_code == 200
            got = await take(read_messages(fast), total, timeout=30)
        assert len(got) == total  # the fast client missed nothing
        received = bytearray()
        async with asyncio.timeout(30):
            while b"event: resume" not in received or not received.endswith(b"\r\n\r\n"):
                chunk = await loop.sock_recv(slow, 65536)
                assert chunk, "the stream closed without a resume event"
                received += chunk
    finally:
        slow.close()
        tail.buffer_size = 1_000
    resume = received[received.index(b"event: resume") - 200 :].decode(errors="replace")
    resume_id = resume.split("id: ")[-1].split("\r\n")[0]
    sent = received.count(b"event: test.Renamed")
    assert sent < total

    # The resume id picks up exactly where the slow client stopped.
    async with (
        httpx.AsyncClient(base_url=served.url, timeout=10, headers=READER) as client,
        client.stream(
            "GET", STREAM_PATH, params={"subject": "s-1"}, headers={"Last-Event-ID": resume_id}
        ) as resumed,
    ):
        rest = await take(read_messages(resumed), total - sent, timeout=30)
    assert [v for _, v in versions(rest)] == list(range(sent + 1, total + 1))
