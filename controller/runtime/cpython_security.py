"""Connection security for the CPython runtime: the URL, Basic-auth header and TLS context per security profile, and
what a failed connection attempt means as a security event.

Profile 0: ws://, nothing. Profile 1: ws:// with Basic auth. Profile 2: wss:// checked against the CSMS root
certificates, with Basic auth. Profile 3: wss:// with a client certificate, no Basic auth. TLS is 1.2 or newer with
the whitepaper's cipher suites (for TLS 1.2: the ECDHE-ECDSA AES-GCM pair and the RSA AES-GCM pair), no
compression, the server's chain and host name checked. At profile 2 or 3 the station never dials ws://.
"""

import base64
import os
import socket
import ssl
import warnings
from urllib.parse import quote, urlsplit

# Security Whitepaper ed. 3 §2: TLS_ECDHE_ECDSA_WITH_AES_{128,256}_GCM_SHA{256,384} and
# TLS_RSA_WITH_AES_{128,256}_GCM_SHA{256,384}, in OpenSSL's names. TLS 1.3 suites are all AEAD and stay on.
WHITEPAPER_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-GCM-SHA384"

_VERSION = ("UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "WRONG_VERSION_NUMBER", "NO_PROTOCOLS_AVAILABLE",
            "VERSION_TOO_LOW", "TLSV1_ALERT_INSUFFICIENT_SECURITY")
_CIPHER = ("SSLV3_ALERT_HANDSHAKE_FAILURE", "NO_SHARED_CIPHER", "NO_CIPHERS_AVAILABLE", "NO_SUITABLE_SIGNATURE_ALGORITHM")
_CLIENT_REFUSED = ("TLSV13_ALERT_CERTIFICATE_REQUIRED", "SSLV3_ALERT_BAD_CERTIFICATE", "TLSV1_ALERT_UNKNOWN_CA",
                   "SSLV3_ALERT_CERTIFICATE_UNKNOWN", "TLSV1_ALERT_ACCESS_DENIED", "SSLV3_ALERT_CERTIFICATE_EXPIRED",
                   "TLSV1_ALERT_DECRYPT_ERROR", "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE")


class DowngradeRefused(Exception):
    """A ws:// URL for security profile 2 or 3."""


def connection_url(csms_url, charge_point_id):
    return csms_url.rstrip("/") + "/" + quote(charge_point_id, safe="")


def url_for(settings, profile):
    """The CSMS endpoint for a profile: `csms_url_tls` (or csms_url with wss://) for 2 and 3, csms_url for 0 and 1."""
    base = settings["csms_url"]
    if profile >= 2:
        base = settings.get("csms_url_tls") or base
        if base.startswith("ws://") and not settings.get("csms_url_tls"):
            base = "wss://" + base[len("ws://"):]
        if not base.startswith("wss://"):
            raise DowngradeRefused("security profile " + str(profile) + " needs wss://, not " + base)
    return connection_url(base, settings["charge_point_id"])


def basic_auth_header(charge_point_id, key_bytes):
    token = base64.b64encode(charge_point_id.encode() + b":" + key_bytes).decode()
    return "Basic " + token


def _read(path):
    with open(path) as f:
        return f.read()


def tls_context(params, tls, data_dir):
    """The client TLS context for the core's connection parameters (SecurityProfile.connection()), or None."""
    if params["profile"] < 2:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)      # CERT_REQUIRED and check_hostname
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(WHITEPAPER_CIPHERS)
    ctx.options |= ssl.OP_NO_COMPRESSION
    roots = list(params["roots"])
    if tls.get("ca_file"):
        roots.append(_read(tls["ca_file"]))
    if not roots:
        raise ssl.SSLError("no CentralSystemRootCertificate to check the CSMS against")
    ctx.load_verify_locations(cadata="\n".join(roots))
    client = params["client"]
    if params["profile"] == 3:
        if client == "provisioned":
            ctx.load_cert_chain(tls["client_cert"], tls["client_key"])
        elif client is not None:
            ctx.load_cert_chain(os.path.join(data_dir, client[0]), os.path.join(data_dir, client[1]))
    return ctx


def handshake_headers(profile, charge_point_id, key_bytes):
    if profile in (1, 2) and key_bytes:
        return {"Authorization": basic_auth_header(charge_point_id, key_bytes)}
    return {}


def classify(error, profile=0):
    """The security event a failed connection attempt raises (InvalidCentralSystemCertificate, InvalidTLSVersion,
    InvalidTLSCipherSuite, FailedToAuthenticateAtCentralSystem), or None for an ordinary network failure.

    At profile 3, a server that closes the connection right after the TLS handshake, before any HTTP answer, has
    refused our client certificate (with TLS 1.3 its alert arrives after the handshake and is lost in the EOF)."""
    if profile == 3 and _closed_before_http(error):
        return "FailedToAuthenticateAtCentralSystem"
    seen = 0
    while error is not None and seen < 8:
        seen += 1
        if isinstance(error, DowngradeRefused):
            return "InvalidTLSVersion"
        if isinstance(error, ssl.SSLCertVerificationError):
            return "InvalidCentralSystemCertificate"
        if isinstance(error, ssl.SSLError):
            reason = getattr(error, "reason", None) or ""
            if reason in _VERSION:
                return "InvalidTLSVersion"
            if reason in _CIPHER:
                return "InvalidTLSCipherSuite"
            if reason in _CLIENT_REFUSED:
                return "FailedToAuthenticateAtCentralSystem"
        response = getattr(error, "response", None)
        if getattr(response, "status_code", None) in (401, 403):
            return "FailedToAuthenticateAtCentralSystem"
        error = error.__cause__ or error.__context__
    return None


def _closed_before_http(error):
    from websockets.exceptions import InvalidMessage
    return isinstance(error, InvalidMessage) and isinstance(error.__cause__, EOFError)


def dropped_in_handshake(error):
    """True when the server closed or reset the connection during the TLS handshake without saying why."""
    return isinstance(error, (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError))


def diagnose(url, timeout=5):
    """Why a server dropped our whitepaper handshake: one more handshake that accepts anything (any version from
    TLS 1.0, any cipher, no certificate check), closed at once. InvalidTLSVersion when the server then speaks less
    than TLS 1.2, InvalidTLSCipherSuite when it picks a cipher outside the whitepaper's, InvalidTLSVersion too when
    it closes on this hello without a single TLS record (it speaks no TLS at all: a ws:// endpoint where profile 2
    or 3 needs wss://, a downgrade), else None. Blocking: run it in a thread. No OCPP or HTTP byte is sent."""
    parts = urlsplit(url)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    try:
        with socket.create_connection((parts.hostname, parts.port or 443), timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=parts.hostname) as tls:
                version, cipher = tls.version(), tls.cipher()[0]
    except (ssl.SSLEOFError, ConnectionResetError):
        return "InvalidTLSVersion"
    except (OSError, ssl.SSLError):
        return None
    if version not in ("TLSv1.2", "TLSv1.3"):
        return "InvalidTLSVersion"
    if version == "TLSv1.2" and cipher not in WHITEPAPER_CIPHERS.split(":"):
        return "InvalidTLSCipherSuite"
    return None
