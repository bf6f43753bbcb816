"""Test-only X.509 helpers: a throw-away CA, server and client certificates, CSR signing, PEM files.

    ca = make_ca("Test Root CA")
    server = make_cert(ca, "localhost", is_server=True, san=["localhost", "127.0.0.1"])
    client = make_cert(ca, "CP001", is_server=False, org="Test CPO")
    cert_path, key_path = server.write(tmp_path, "server")

Keys are EC P-256 by default (fast); pass key="rsa" for RSA 2048.
"""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class Issued:
    """A certificate, its private key and the CA that issued it (None when self-signed)."""

    def __init__(self, cert, key, issuer=None):
        self.cert = cert
        self.key = key
        self.issuer = issuer

    @property
    def cert_pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self):
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    def chain_pem(self):
        """This certificate followed by its intermediate CAs (not the self-signed root)."""
        pem, issuer = self.cert_pem, self.issuer
        while issuer is not None and issuer.issuer is not None:
            pem, issuer = pem + issuer.cert_pem, issuer.issuer
        return pem

    def write(self, directory, name):
        """Write NAME.pem (certificate chain) and NAME.key; return their paths."""
        cert_path = os.path.join(str(directory), name + ".pem")
        key_path = os.path.join(str(directory), name + ".key")
        with open(cert_path, "wb") as f:
            f.write(self.chain_pem())
        with open(key_path, "wb") as f:
            f.write(self.key_pem)
        return cert_path, key_path


def _new_key(key):
    if key == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn, org=None):
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attributes)


def _builder(subject, issuer_name, public_key, not_before, not_after):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer_name).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - datetime.timedelta(minutes=5))
            .not_valid_after(not_after or now + datetime.timedelta(days=30)))


def make_ca(cn, issuer=None, key="ec", not_before=None, not_after=None):
    """A CA certificate: self-signed root, or an intermediate signed by `issuer`."""
    private_key = _new_key(key)
    issuer_name = issuer.cert.subject if issuer else _name(cn)
    signing_key = issuer.key if issuer else private_key
    cert = (_builder(_name(cn), issuer_name, private_key.public_key(), not_before, not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
            .sign(signing_key, hashes.SHA256()))
    return Issued(cert, private_key, issuer)


def make_cert(ca, cn, is_server, san=(), org=None, key="ec", not_before=None, not_after=None):
    """A leaf certificate signed by `ca`: TLS server (with SAN DNS names / IPs) or TLS client."""
    private_key = _new_key(key)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if is_server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (_builder(_name(cn, org), ca.cert.subject, private_key.public_key(), not_before, not_after)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(n) for n in san]), critical=False)
    return Issued(builder.sign(ca.key, hashes.SHA256()), private_key, ca)


def _general_name(name):
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def sign_csr(ca, csr_pem, days=30, not_before=None, not_after=None, subject=None):
    """Sign a PEM PKCS#10 request (e.g. from SignCertificate.req) as a client certificate; returns PEM bytes.
    `subject` (an x509.Name) replaces the request's, to make a wrong certificate on purpose."""
    csr = x509.load_pem_x509_csr(csr_pem.encode() if isinstance(csr_pem, str) else csr_pem)
    now = datetime.datetime.now(datetime.timezone.utc)
    not_before = not_before or now - datetime.timedelta(minutes=5)
    cert = (_builder(subject or csr.subject, ca.cert.subject, csr.public_key(), not_before,
                     not_after or not_before + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca.key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)
