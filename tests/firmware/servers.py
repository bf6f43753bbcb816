"""Real file servers on 127.0.0.1 for the transfer tests: FTP and FTPS (pyftpdlib) and HTTP(S) (http.server + ssl).

    with FtpServer(root, tls=server_cert) as ftp: ftp.url("fw.tar.gz")      user "station", password "secret"
                                                  (user "reader", password "secret": may read, not write)
    with HttpServer(root, tls=server_cert) as web: web.url("fw.tar.gz")
    with GarbageServer() as junk: junk.url("logs")                          answers anything with a non-HTTP line

The HTTP server stores PUT bodies and multipart POST uploads under `root/uploads/`, and misbehaves on request:
paths under /drop/ send half the file and close, /slow/ stalls before the body, /nopost/ answers PUT with 405,
/deny/ answers PUT and POST with 403, /noupload/ answers both with 405. They run in a thread; they stop on exit.
"""

import http.server
import logging
import os
import shutil
import socket
import ssl
import threading
import time

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer

USER = "station"
READER = "reader"
logging.getLogger("pyftpdlib").addHandler(logging.NullHandler())   # else serve_forever logs every command
PASSWORD = "secret"


class FtpServer:
    def __init__(self, root, tls=None, tmp=None):
        self.root = str(root)
        os.makedirs(self.root, exist_ok=True)
        authorizer = DummyAuthorizer()
        authorizer.add_user(USER, PASSWORD, self.root, perm="elradfmwMT")
        authorizer.add_user(READER, PASSWORD, self.root, perm="elr")
        if tls is not None:
            os.makedirs(tmp or self.root + "-certs", exist_ok=True)
            cert, key = tls.write(tmp or self.root + "-certs", "ftps")
            handler = type("Handler", (TLS_FTPHandler,), {"certfile": cert, "keyfile": key, "tls_control_required":
                                                          True, "tls_data_required": True})
        else:
            handler = type("Handler", (FTPHandler,), {})
        handler.authorizer = authorizer
        handler.passive_ports = None
        handler.auth_failed_timeout = 0.05
        self.scheme = "ftps" if tls is not None else "ftp"
        self.server = FTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.socket.getsockname()[1]
        self.thread = None

    def url(self, path, user=USER, password=PASSWORD):
        return self.scheme + "://" + user + ":" + password + "@127.0.0.1:" + str(self.port) + "/" + path

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"timeout": 0.05}, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.close_all()
        self.thread.join(5)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _file(self):
        path = self.path.split("?", 1)[0].lstrip("/")
        for special in ("drop/", "slow/", "nopost/", "deny/", "noupload/"):
            if path.startswith(special):
                path = path[len(special):]
        return os.path.join(self.server.root, path)

    def do_GET(self):
        name = self._file()
        if not os.path.isfile(name):
            self.send_error(404)
            return
        size = os.path.getsize(name)
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.path.startswith("/slow/"):
            time.sleep(self.server.slow_s)
        limit = size // 2 if self.path.startswith("/drop/") else size
        with open(name, "rb") as f:
            sent = 0
            while sent < limit:
                data = f.read(min(65536, limit - sent))
                self.wfile.write(data)
                sent += len(data)
        if limit < size:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    def _body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def _refuse(self, code):
        self._body()
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self):
        if self.path.startswith(("/nopost/", "/noupload/")):
            self._refuse(405)
            return
        if self.path.startswith("/deny/"):
            self._refuse(403)
            return
        self._store(self.path, self._body())

    def do_POST(self):
        if self.path.startswith(("/noupload/", "/deny/")):
            self._refuse(405 if self.path.startswith("/noupload/") else 403)
            return
        body = self._body()
        kind = self.headers.get("Content-Type", "")
        boundary = kind.split("boundary=", 1)[1].encode() if "boundary=" in kind else None
        if boundary is None:
            self.send_error(400)
            return
        part = body.split(b"--" + boundary)[1]
        head, _, content = part.partition(b"\r\n\r\n")
        name = head.split(b'filename="', 1)[1].split(b'"', 1)[0].decode()
        self._store(name, content[:-2])

    def _store(self, name, data):
        folder = os.path.join(self.server.root, "uploads")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, os.path.basename(name)), "wb") as f:
            f.write(data)
        self.server.uploads.append((self.command, name))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()


class HttpServer:
    def __init__(self, root, tls=None, tmp=None, slow_s=3):
        self.root = str(root)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.root = self.root
        self.server.slow_s = slow_s
        self.server.uploads = []
        self.scheme = "http"
        if tls is not None:
            os.makedirs(tmp or self.root + "-certs", exist_ok=True)
            cert, key = tls.write(tmp or self.root + "-certs", "https")
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(cert, key)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.port = self.server.server_address[1]
        self.thread = None

    @property
    def uploads(self):
        return self.server.uploads

    def url(self, path):
        return self.scheme + "://127.0.0.1:" + str(self.port) + "/" + path

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class GarbageServer:
    """A TCP server on 127.0.0.1 that answers every connection with a line that is neither HTTP nor FTP."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.running = False
        self.thread = None

    def url(self, path):
        return "http://127.0.0.1:" + str(self.port) + "/" + path

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.3)
                try:
                    try:
                        while conn.recv(65536):
                            pass        # the whole request, so the client is not cut off while it sends
                    except socket.timeout:
                        pass
                    conn.sendall(b"GARBAGE 42 this is not a protocol\r\n\r\n")
                except OSError:
                    pass

    def __enter__(self):
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join(5)
        self.sock.close()


def copy(src, root, name):
    os.makedirs(str(root), exist_ok=True)
    shutil.copyfile(str(src), os.path.join(str(root), name))
