"""Runs the emulator over HTTPS with werkzeug's threaded server, in a thread."""

from __future__ import annotations

import contextlib
import email.utils
import logging
import pathlib
import socket
import ssl
import tempfile
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from . import certs
from .app import Keys, create_app
from .state import Store


class _QuietHandler(WSGIRequestHandler):
    # The request log lives in the emulator; werkzeug's own access log would flood test output.
    def log_request(self, *args, **kwargs):
        pass

    def setup(self):
        super().setup()
        # werkzeug writes headers and body in separate sends; on a keep-alive connection Nagle's
        # algorithm plus the client's delayed ACK would add ~40 ms to every answer.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class EmulatorServer:
    """One emulator: ``start()`` binds and serves in a daemon thread, ``stop()`` shuts it down."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        state_dir: str | pathlib.Path | None = None,
        workdir: str | pathlib.Path | None = None,
        profile: str = "realistic",
    ):
        self.host, self.port, self.profile = host, port, profile
        self.state_dir = pathlib.Path(state_dir) if state_dir else None
        if self.state_dir:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        self.workdir = self.state_dir or pathlib.Path(workdir or tempfile.mkdtemp(prefix="graph-emulator-"))
        self._server = None
        self._thread = None

    def _materials(self):
        """CA, server certificate and signing key; kept in the state dir so a restart keeps them."""
        cert_dir = self.workdir / "tls"
        ca_path, cert_path, key_path = cert_dir / "ca.pem", cert_dir / "server.pem", cert_dir / "server-key.pem"
        if not (self.state_dir and ca_path.exists() and cert_path.exists() and key_path.exists()):
            ca_path, cert_path, key_path = certs.write_server_certificates(cert_dir)
        signing, public = cert_dir / "signing-key.pem", cert_dir / "signing-key.pub.pem"
        if not (self.state_dir and signing.exists() and public.exists()):
            private_pem, public_pem = certs.private_key_pem()
            signing.write_bytes(private_pem)
            signing.chmod(0o600)
            public.write_bytes(public_pem)
        return ca_path, cert_path, key_path, Keys(signing.read_bytes(), public.read_bytes())

    def start(self) -> EmulatorServer:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.ca_path, cert_path, key_path, keys = self._materials()
        self.store = Store(self.state_dir, profile=self.profile)
        self.app = create_app(self.store, keys)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert_path), str(key_path))
        store = self.store

        class _ClockHandler(_QuietHandler):
            # Clients count expiry against Graph's HTTP Date header (entra_app_secret's docs), so
            # the header shows the settable clock, not the machine's.
            def date_time_string(self, timestamp=None):
                return email.utils.formatdate(store.now() if timestamp is None else timestamp, usegmt=True)

        self._server = make_server(self.host, self.port, self.app, threaded=True, ssl_context=context, request_handler=_ClockHandler)
        self._server.daemon_threads = True
        self.port = self._server.socket.getsockname()[1]
        self.url = f"https://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="graph-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self.store.save()
            self._server = None
