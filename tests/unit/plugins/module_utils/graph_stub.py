"""A scripted HTTPS stand-in for Graph and the token service, for client unit tests.

Not the emulator (tests/emulator): it answers only what a test scripts, so the client's retry,
paging and error paths can be driven exactly. It serves HTTPS with a throw-away CA because msal
refuses http:// authorities (reference/tooling.md). Bound to 127.0.0.1, stopped by the test.
"""

from __future__ import annotations

import base64
import http.server
import json
import re
import socket
import ssl
import threading
import time

from tests.emulator.certs import write_server_certificates

DROP = "drop"


def make_jwt(claims):
    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return "%s.%s.%s" % (enc({"alg": "none", "typ": "JWT"}), enc(claims), "c2ln")


def make_ca_and_cert(tmp_path):
    """A CA and a 127.0.0.1 server certificate: the emulator's, whose key identifiers pass the
    strict chain checks of Python 3.13's ssl module (VERIFY_X509_STRICT)."""
    ca_path, cert_path, key_path = write_server_certificates(tmp_path)
    return str(ca_path), (str(cert_path), str(key_path))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        stub = self.server.stub
        entry = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": raw.decode("utf-8", "replace")}
        stub.log.append(entry)
        answer = stub.answer(self.command, self.path, entry)
        if answer == DROP:  # no answer at all: the client sees a dropped connection
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, headers, body = answer
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        if body is not None and not isinstance(body, bytes):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve


class GraphStub:
    """Routes: ``add(method, path_regex, *answers)``; each answer is ``(status, headers, body)`` or a
    callable(entry) returning one; the last answer repeats. Token and discovery routes are built in."""

    TENANT = "11111111-2222-3333-4444-555555555555"

    def __init__(self, tmp_path, certs=None):
        """``certs``: ``make_ca_and_cert``'s answer to reuse (a CA and key pair cost two RSA keys)."""
        self.ca_path, chain = certs or make_ca_and_cert(tmp_path)
        self.routes = []
        self.log = []
        self.token_roles = ["Application.ReadWrite.OwnedBy"]
        self.token_faults = []  # answers the token endpoint gives first (5xx, DROP), one per request
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.stub = self
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*chain)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.url = "https://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def add(self, method, pattern, *answers):
        self.routes.append([method, re.compile(pattern), list(answers)])

    def token_requests(self):
        return [e for e in self.log if e["path"].endswith("/oauth2/v2.0/token")]

    def graph_requests(self):
        return [e for e in self.log if e["path"].startswith("/v1.0/")]

    def answer(self, method, path, entry):
        if path.endswith("/v2.0/.well-known/openid-configuration"):
            tenant = path.split("/")[1]
            base = "%s/%s" % (self.url, tenant)
            return (
                200,
                {},
                {
                    "token_endpoint": base + "/oauth2/v2.0/token",
                    "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                    "issuer": "%s/%s/v2.0" % (self.url, tenant),
                },
            )
        if path.endswith("/oauth2/v2.0/token"):
            if self.token_faults:
                return self.token_faults.pop(0)
            body = entry["body"]
            if "client_secret=wrong" in body:
                return 401, {}, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}
            claims = {"tid": self.TENANT, "roles": self.token_roles, "oid": "sp-oid", "exp": int(time.time()) + 3600}
            return 200, {}, {"access_token": make_jwt(claims), "token_type": "Bearer", "expires_in": 3600}
        for route in self.routes:
            route_method, pattern, answers = route
            if route_method == method and pattern.search(path):
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                return answer(entry) if callable(answer) else answer
        return 404, {}, {"error": {"code": "Request_ResourceNotFound", "message": "no route %s %s" % (method, path), "innerError": {"request-id": "rid-404"}}}
