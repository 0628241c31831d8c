"""A loopback TCP proxy that can cut a service off from its database and bring it back.

The shared PostgreSQL server keeps running for every other test: the service under test
connects through the proxy, and `cut()` stops listening (new connections are refused) and
drops the connections open through it, as a database restart or a network partition would.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port` while up."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = _free_port()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self.accepted = 0

    @property
    def up(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        """Listen again on the same port (reuse_address: no wait for TIME_WAIT)."""
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )

    async def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._open):
            _abort(writer)  # both pumps of the pair then end on their own
        self._open.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _abort(writer)
            return
        pair = {writer, up_writer}
        self._open |= pair
        try:
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            for w in pair:
                _abort(w)
            self._open -= pair


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65_536):
            writer.write(data)
            await writer.drain()
    _abort(writer)


def _abort(writer: asyncio.StreamWriter) -> None:
    # A reset rather than an orderly close: the client sees its connection die mid-use.
    transport = writer.transport
    if not transport.is_closing():
        transport.abort()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
