"""``Listening``: the server on a socket that is bound and listening before uvicorn starts.

``localmem ui`` opens the browser on it at once: the browser's first connection waits in the
socket's queue until uvicorn accepts it, so there is no race with the server's start and no
polling. The tests run their server the same way.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

from localmem.errors import ConfigError

__all__ = ["Listening"]


class Listening:
    """A socket listening on ``host:port`` (port 0: any free port; ``url`` says which), bound
    before the app is built, so a taken port fails fast; then ``run(app)`` serves on it.

    Raises:
        ConfigError: the port cannot be bound (in use, or not allowed).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, log_level: str = "info") -> None:
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}); pass another "
                              "--port, or --port 0 for any free one") from None
        self.sock.listen(64)  # connections queue here until uvicorn accepts them
        bound = self.sock.getsockname()[1]
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{bound}/"
        self.log_level = log_level
        self.server: Any = None

    def run(self, app: Any, on_listening: Callable[[str], object] | None = None) -> None:
        """Serve ``app`` until ``stop`` (or Ctrl-C); ``on_listening(url)`` runs on its own
        thread first (``webbrowser.open`` may wait for the browser it starts)."""
        self._build(app)
        if on_listening is not None:
            threading.Thread(target=on_listening, args=(self.url,), daemon=True).start()
        self._serve()

    def start(self, app: Any) -> threading.Thread:
        """Serve ``app`` on a background thread (tests); requests may be sent at once."""
        self._build(app)  # here, not on the thread: stop() must find it even before it begins
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        return thread

    def _build(self, app: Any) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, log_level=self.log_level))

    def _serve(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    def stop(self, thread: threading.Thread | None = None) -> None:
        """Ask the server to finish its requests and stop; wait for ``thread`` if given."""
        if self.server is not None:
            self.server.should_exit = True
        if thread is not None:
            thread.join(30)
