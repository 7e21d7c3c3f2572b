"""The one way a test double serves HTTP: a real ``ThreadingHTTPServer`` on 127.0.0.1 in a
daemon thread, started and stopped by :class:`ThreadServer` (or used as a context manager).
The splunkd REST double and the Splunk Web stub build on it; each says what it serves."""
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional, Type


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner = None  # the ThreadServer, for handlers: ``self.server.owner``

    def handle_error(self, request, client_address):
        # Clients hang up on kept-alive connections; that is not a failure of the double.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)


class ThreadServer:
    """A double's HTTP server. Subclasses set :attr:`handler` (a ``BaseHTTPRequestHandler``
    class; it reaches the double as ``self.server.owner``) and may override :meth:`_started`
    (before serving) and :meth:`_stopped` (after); ``tls`` wraps the socket with the context
    :meth:`_tls_context` returns."""

    handler: Type[BaseHTTPRequestHandler]
    thread_name = "double"

    def __init__(self, port: int = 0, tls: bool = False):
        self._port, self._tls = port, tls
        self.scheme = "https" if tls else "http"
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    def start(self):
        self._started()
        server = self._server = _Server(("127.0.0.1", self._port), self.handler)
        server.owner = self
        if self._tls:
            server.socket = self._tls_context().wrap_socket(server.socket, server_side=True,
                                                            do_handshake_on_connect=False)
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True,
                                        name=self.thread_name)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._stopped()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return "{}://127.0.0.1:{}".format(self.scheme, self.port)

    def _started(self):
        pass

    def _stopped(self):
        pass

    def _tls_context(self) -> ssl.SSLContext:
        raise NotImplementedError("a double that serves TLS says with which certificate")
