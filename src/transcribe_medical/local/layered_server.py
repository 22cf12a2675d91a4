"""moto's WSGI app behind a list of layers, served on a thread (the emulator's batch endpoint).

moto's app (``DomainDispatcherApplication(create_backend_app)``, what its own server runs) serves
S3 and every service moto has; the layers (:class:`~transcribe_medical.local.aws_json.Layer`) in
front of it answer what moto lacks or gets wrong. The server is werkzeug's threaded server, run
here rather than through ``ThreadedMotoServer`` so that nothing depends on moto's private server
attributes.

Example:
    >>> from transcribe_medical.local.throttled_moto import ThrottlingMiddleware
    >>> server = LayeredMotoServer([ThrottlingMiddleware(rate=25, burst=5)])   # doctest: +SKIP
    >>> server.start(); print(server.endpoint_url); server.stop()              # doctest: +SKIP
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from typing import Any

from transcribe_medical.local.aws_json import Layer, WsgiApp, compose

__all__ = ["LayeredMotoServer", "moto_app"]


def moto_app() -> WsgiApp:
    """moto's WSGI app: every service it emulates, dispatched by host, path and signature."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app: WsgiApp = DomainDispatcherApplication(create_backend_app)
    return app


def _request_handler() -> Any:
    # Newer moto releases ship a request handler that keeps S3 metadata headers spelled with
    # underscores; older ones have none and their own server ran werkzeug's, as we then do.
    try:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
    except ImportError:
        from werkzeug.serving import WSGIRequestHandler

        return WSGIRequestHandler
    return MotoRequestHandler


class LayeredMotoServer:
    """A threaded HTTP server of moto's app with ``layers`` in front (the first sees requests first).

    Args:
        layers: The layers, outermost first.
        host: Interface to bind.
        port: Port (0: any free port).
    """

    def __init__(self, layers: Sequence[Layer] = (), *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.layers = list(layers)
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind and serve on a daemon thread (returns once the socket accepts connections)."""
        if self._server is not None:
            return
        from werkzeug.serving import make_server

        app = compose(moto_app(), self.layers)
        # Bind here, not in werkzeug: on a busy port or a foreign address werkzeug prints its own
        # message and calls sys.exit(1); an OSError lets the caller say one line (serve: exit 2).
        listener = socket.create_server((self.host, self.port))
        try:
            self._server = make_server(
                self.host,
                listener.getsockname()[1],
                app,
                threaded=True,
                request_handler=_request_handler(),
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug serves a duplicate of the descriptor
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator-batch-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def get_host_and_port(self) -> tuple[str, int]:
        """``(host, port)`` the server is bound to.

        Raises:
            RuntimeError: Not started.
        """
        if self._server is None:
            raise RuntimeError("the server is not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def endpoint_url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        host, port = self.get_host_and_port()
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"
