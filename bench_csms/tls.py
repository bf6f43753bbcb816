"""TLS helpers for the bench CSMS: a server context for security profiles 2 and 3, and the subject of the
certificate a station presented (profile 3)."""

import ssl

from cryptography import x509


def server_ssl_context(certfile, keyfile=None, client_ca=None):
    """TLS ≥ 1.2 server context; with `client_ca`, a client certificate signed by it is required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


def peer_certificate(transport):
    """DER bytes of the client certificate on a TLS transport, or None."""
    ssl_object = transport.get_extra_info("ssl_object") if transport else None
    return ssl_object.getpeercert(binary_form=True) if ssl_object else None


def subject_of(der):
    """RFC 4514 subject of a DER certificate, e.g. "CN=CP001,O=Example CPO"."""
    return x509.load_der_x509_certificate(der).subject.rfc4514_string()
