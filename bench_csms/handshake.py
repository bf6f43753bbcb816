"""What a station presents when it opens its WebSocket (OCPP-J 1.6 §3, security whitepaper §2).

`read_request` turns the HTTP upgrade request into a plain record (charge point id, subprotocols offered,
Basic credentials, TLS client certificate subject); the bench CSMS keeps one per attempt in
`csms.handshakes` and decides from it whether to upgrade.
"""

import base64
import binascii
import time
from urllib.parse import unquote

from .tls import peer_certificate, subject_of


def read_request(connection, request, base_path):
    """A record of the upgrade request. `segment` is the raw path part after `<base_path>/` ("" if none)."""
    path = request.path.split("?", 1)[0]
    prefix = base_path.rstrip("/") + "/"
    segment = path[len(prefix):] if path.startswith(prefix) else ""
    der = peer_certificate(connection.transport)
    return {
        "t": time.monotonic(),
        "cp": unquote(segment),
        "path": path,
        "segment": segment,
        "subprotocols": [p.strip() for value in request.headers.get_all("Sec-WebSocket-Protocol")
                         for p in value.split(",") if p.strip()],
        "auth": parse_basic(request.headers.get("Authorization")),
        "client_cert_subject": subject_of(der) if der else None,
        "client_cert_der": der,
        "tls": _tls_of(connection.transport),
        "status": 101,
    }


def _tls_of(transport):
    """(TLS version, cipher suite name) of the connection, or None over plain TCP."""
    ssl_object = transport.get_extra_info("ssl_object") if transport else None
    if ssl_object is None:
        return None
    return ssl_object.version(), ssl_object.cipher()[0]


def parse_basic(header):
    """{"user", "password" (bytes)} from an `Authorization: Basic` header, None without the header.

    A malformed header gives {"user": None, "password": b"", "raw": header}.
    """
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    try:
        user, sep, password = base64.b64decode(token.strip(), validate=True).partition(b":")
    except (binascii.Error, ValueError):
        sep = b""
    if scheme.lower() != "basic" or not sep:
        return {"user": None, "password": b"", "raw": header}
    return {"user": user.decode("utf-8", "replace"), "password": password}


def credentials_ok(record, passwords):
    """True if the record carries Basic credentials for its own charge point id with the expected password."""
    auth, expected = record["auth"], passwords.get(record["cp"])
    if isinstance(expected, str):
        expected = expected.encode()
    return auth is not None and expected is not None and auth["user"] == record["cp"] and auth["password"] == expected


def describe(record):
    auth = record["auth"]
    return "upgrade request %s subprotocols=%s auth=%s client_cert=%s -> %d" % (
        record["path"], record["subprotocols"],
        "%s:<%d bytes>" % (auth["user"], len(auth["password"])) if auth else None,
        record["client_cert_subject"], record["status"])
