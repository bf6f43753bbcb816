"""Signed firmware for the CPython runtime (`cryptography`): the signature check over the downloaded image and
signing an image (`stationctl firmware-pack --sign-key`). The signing certificate itself is checked by the crypto
port before the answer (crypto_cpython.CryptoPort.check_chain, features/signed_firmware.py).

    verify_signature(path, manifest, context) -> None or reason      (a firmware_image.VERIFIERS entry)
        with context["signature"] (base64): the signature over the whole downloaded file, by the key of
        context["signingCertificate"] (its first certificate): RSA PKCS#1 v1.5 or ECDSA, both with SHA-256;
        without a signature (plain UpdateFirmware) None
    sign(path, key_pem) -> base64 signature of the file, the same scheme

`install()` registers verify_signature in firmware_image.VERIFIERS; the runtime calls it at start. `cryptography`
is imported by the two functions, not at the top: it adds about 10 MiB and 80 ms to a station's start.
"""

import base64
import binascii
import hashlib

from controller import firmware_image

CHUNK = 65536


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
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
    try:
        cert = x509.load_pem_x509_certificate((context.get("signingCertificate") or "").encode())
    except ValueError:
        return "the signing certificate is not a PEM X.509 certificate"
    try:
        raw = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        return "the signature is not base64"
    key = cert.public_key()
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
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
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
    if verify_signature not in firmware_image.VERIFIERS:
        firmware_image.VERIFIERS.append(verify_signature)
