"""A real HTTP receiver on loopback for the webhook tests, and the verification snippet of docs/webhooks.md."""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verify() -> Callable[..., bool]:
    """The ```python block of docs/webhooks.md, executed: the function the docs tell receivers to use."""
    [block] = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    namespace: dict[str, Any] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    return namespace["verify_signature"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=list)  # answered in order; 200 once they run out
    requests: list[Received] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)  # event ids accepted once each (de-duplicated)


@contextmanager
def receiver(tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> Iterator[Receiver]:
    """Plain HTTP on 127.0.0.1, or HTTPS with `tls` (a server context holding its certificate) at
    `https://{host}:{port}/`, `host` being the name the certificate is for (the tests make it resolve to
    127.0.0.1). A failed handshake never reaches the handler: it records nothing."""
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                status = state.statuses.pop(0) if state.statuses else 200
                event_id = self.headers.get("Oro-Event-Id", "")
                if 200 <= status < 300 and event_id not in state.accepted_ids:
                    state.accepted_ids.append(event_id)
            payload = b"ok" if status < 300 else b"Internal Server Error"
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "http" if tls is None else "https"
    state.url = f"{scheme}://{host}:{server.server_address[1]}/hooks/oro"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
