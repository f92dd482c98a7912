"""A real uvicorn server on 127.0.0.1 for tests and benches: ``with serving(app) as port:``.

The socket is bound and listening before uvicorn starts, so connections queue until it accepts
them: no port race and no polling for readiness. The app's lifespan runs (``lifespan="on"``),
so its shutdown work (the chat recorder's drain) happens on exit.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def serving(app: Any, lifespan: str = "on") -> Iterator[int]:
    """Serve ``app`` on a free 127.0.0.1 port (yielded) until the block ends."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(60)
        sock.close()
