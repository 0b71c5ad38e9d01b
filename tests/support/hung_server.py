"""A TCP server that accepts connections and never answers: a Redis stopped with SIGSTOP, as clients see it.

The kernel still completes the handshake of a stopped process's listening socket, so
connecting succeeds at once; every command then waits for a reply that never comes.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class HungServer:
    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.connections: list[socket.socket] = []
        self.accepted = threading.Event()  # at least one client connected
        self._stopping = threading.Event()
        self.listener.settimeout(0.05)  # so the accept loop notices stop() (close() would not wake it)
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.listener.getsockname()[:2]
        return f"redis://{host}:{port}/0"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)  # kept open, never read from, never written to
            self.accepted.set()

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.listener.close()
        for conn in self.connections:
            conn.close()
