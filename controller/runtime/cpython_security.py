"""Connection security for the CPython runtime: the URL, Basic-auth header and TLS context per security profile.

Profile 0: ws://, nothing. Profile 1: ws:// with Basic auth. Profile 2: wss:// checked against the CSMS root
certificate, with Basic auth. Profile 3: wss:// with a client certificate, no Basic auth.
"""

import base64
import ssl
from urllib.parse import quote


def connection_url(csms_url, charge_point_id):
    return csms_url.rstrip("/") + "/" + quote(charge_point_id, safe="")


def basic_auth_header(charge_point_id, key_bytes):
    token = base64.b64encode(charge_point_id.encode() + b":" + key_bytes).decode()
    return "Basic " + token


def tls_context(profile, tls):
    if profile < 2:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=tls["ca_file"])
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if profile == 3:
        ctx.load_cert_chain(tls["client_cert"], tls["client_key"])
    return ctx


def handshake_headers(profile, charge_point_id, key_bytes):
    if profile in (1, 2) and key_bytes:
        return {"Authorization": basic_auth_header(charge_point_id, key_bytes)}
    return {}
