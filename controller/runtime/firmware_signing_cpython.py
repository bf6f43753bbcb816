"""Signed firmware for the CPython runtime (`cryptography`): the signing certificate check, the signature check over
the downloaded image, and signing an image (`stationctl firmware-pack --sign-key`).

    check_certificate(pem, root_pems, now_epoch_ms) -> None or reason
        the PEM holds the signing certificate (optionally followed by intermediate CAs); it must be valid now and
        chain, each link's signature checked, to one of the ManufacturerRootCertificates
    verify_signature(path, manifest, context) -> None or reason      (a firmware_image.VERIFIERS entry)
        with context["signature"] (base64): the signature over the whole downloaded file, by the signing
        certificate's key: RSA PKCS#1 v1.5 or ECDSA, both with SHA-256; without one (plain UpdateFirmware) None
    sign(path, key_pem) -> base64 signature of the file, the same scheme

`install()` registers the first two in the core's seams (features/signed_firmware.CERTIFICATE_CHECKS and
firmware_image.VERIFIERS); the runtime calls it at start.
"""

import base64
import binascii
import datetime
import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from controller import firmware_image
from controller.features import signed_firmware

CHUNK = 65536
MAX_CHAIN = 5


def _certs(pem):
    try:
        return x509.load_pem_x509_certificates(pem.encode() if isinstance(pem, str) else pem)
    except ValueError:
        return []


def _issued_by(cert, issuer):
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def check_certificate(pem, root_pems, now_epoch_ms):
    chain = _certs(pem)
    if not chain:
        return "the signing certificate is not a PEM X.509 certificate"
    now = datetime.datetime.fromtimestamp(now_epoch_ms / 1000, datetime.timezone.utc)
    for cert in chain:
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return "certificate " + cert.subject.rfc4514_string()[:80] + " is not valid now (valid " + \
                cert.not_valid_before_utc.isoformat() + " to " + cert.not_valid_after_utc.isoformat() + ")"
    roots = []
    for root_pem in root_pems:
        roots += _certs(root_pem)
    if not roots:
        return "no ManufacturerRootCertificate is installed"
    cert, rest = chain[0], chain[1:]
    for _ in range(MAX_CHAIN):
        for root in roots:
            if _issued_by(cert, root):
                return None
        parents = [c for c in rest if _issued_by(cert, c)]
        if not parents:
            break
        cert = parents[0]
        rest = [c for c in rest if c is not cert]
    return "the signing certificate does not chain to an installed ManufacturerRootCertificate"


def _digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            data = f.read(CHUNK)
            if not data:
                return h.digest()
            h.update(data)


def verify_signature(path, manifest, context):
    signature = context.get("signature")
    if not signature:
        return None
    chain = _certs(context.get("signingCertificate") or "")
    if not chain:
        return "the signing certificate is not a PEM X.509 certificate"
    try:
        raw = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        return "the signature is not base64"
    key = chain[0].public_key()
    digest = _digest(path)
    prehashed = utils.Prehashed(hashes.SHA256())
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, digest, padding.PKCS1v15(), prehashed)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, digest, ec.ECDSA(prehashed))
        else:
            return "the signing certificate's key is neither RSA nor EC"
    except InvalidSignature:
        return "the firmware signature does not match the downloaded file"
    return None


def sign(path, key_pem):
    key = serialization.load_pem_private_key(key_pem, password=None)
    digest = _digest(path)
    prehashed = utils.Prehashed(hashes.SHA256())
    if isinstance(key, rsa.RSAPrivateKey):
        raw = key.sign(digest, padding.PKCS1v15(), prehashed)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        raw = key.sign(digest, ec.ECDSA(prehashed))
    else:
        raise ValueError("the signing key must be RSA or EC")
    return base64.b64encode(raw).decode()


def install():
    signed_firmware.CERTIFICATE_CHECKS[:] = [check_certificate]
    if verify_signature not in firmware_image.VERIFIERS:
        firmware_image.VERIFIERS.append(verify_signature)
