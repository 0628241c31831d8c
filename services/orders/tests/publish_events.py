"""Publishes events to Kafka the way another service's relay does; run as its own process.

Usage: python publish_events.py BOOTSTRAP_SERVERS < records.json, where each record is
{"topic", "key", "headers": [[name, value], ...], "value"} (an EventEnvelope's Kafka form).
"""

from __future__ import annotations

import asyncio
import sys

import orjson

from mes_events.kafka import ensure_topics, make_producer
from mes_events.settings import KafkaSettings


async def main(servers: str) -> None:
    records = orjson.loads(sys.stdin.buffer.read())
    settings = KafkaSettings(bootstrap_servers=servers)
    await ensure_topics(settings, *sorted({r["topic"] for r in records}))
    producer = make_producer(settings)
    await producer.start()
    try:
        for r in records:
            headers = [(k, v.encode()) for k, v in r["headers"]]
            value, key = r["value"].encode(), r["key"].encode()
            await producer.send_and_wait(r["topic"], value, key=key, headers=headers)
    finally:
        await producer.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
