"""The CPython signed-firmware checks with certificates made in each test: the signing certificate against
ManufacturerRootCertificates (the crypto port's check_chain), the signature over the image, RSA and EC
(controller/runtime/firmware_signing_cpython.py), and `stationctl firmware-pack --sign-key`.
"""

import datetime
import os
import subprocess
import sys
import time

import pytest

from controller import firmware_image
from controller.runtime import firmware_signing_cpython as signing
from controller.runtime.crypto_cpython import CryptoPort
from tests.certs import make_ca, make_cert
from tests.firmware.conftest import image  # noqa: F401 (fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def now_ms():
    return int(time.time() * 1000)


def pem(issued):
    return issued.cert_pem.decode()


@pytest.fixture(scope="module")
def maker():
    root = make_ca("Manufacturer Root")
    return {"root": root, "signer": make_cert(root, "Firmware Signer", is_server=False)}


def check(pem_text, roots):
    return CryptoPort().check_chain(pem_text, roots, now_ms(), "ManufacturerRootCertificate")


def test_certificate_chains_to_the_root(maker):
    assert check(pem(maker["signer"]), [pem(maker["root"])]) is None


def test_certificate_through_an_intermediate(maker):
    sub = make_ca("Manufacturer Sub CA", issuer=maker["root"])
    leaf = make_cert(sub, "Signer via sub", is_server=False)
    assert check(leaf.chain_pem().decode(), [pem(maker["root"])]) is None
    assert "does not chain" in check(pem(leaf), [pem(maker["root"])]), "without the intermediate it cannot chain"


def test_certificate_refusals(maker):
    other = make_ca("Some Other Root")
    roots = [pem(maker["root"])]
    assert "does not chain to an installed ManufacturerRootCertificate" in check(pem(make_cert(other, "x", False)),
                                                                                  roots)
    assert "does not chain" in check(pem(other), roots), "self-signed"
    assert "not a PEM" in check("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", roots)
    assert "no certificate" in check("hello", roots)
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=10)
    expired = make_cert(maker["root"], "old", False, not_before=past - datetime.timedelta(days=5), not_after=past)
    assert "outside its validity" in check(pem(expired), roots)
    forged = make_cert(make_ca("Manufacturer Root"), "forged", False)      # same name, other key
    assert "does not chain" in check(pem(forged), roots)


@pytest.mark.parametrize("key", ["rsa", "ec"])
def test_signature_over_the_image(maker, image, key):
    signer = make_cert(maker["root"], "Signer " + key, is_server=False, key=key)
    signature = signing.sign(image, signer.key_pem)
    context = {"signature": signature, "signingCertificate": pem(signer)}
    assert signing.verify_signature(image, None, context) is None
    other = make_cert(maker["root"], "Other " + key, is_server=False, key=key)
    assert "does not match" in signing.verify_signature(image, None, dict(context, signingCertificate=pem(other)))
    with open(image, "ab") as f:
        f.write(b"\0")
    assert "does not match" in signing.verify_signature(image, None, context), "one byte more"


def test_signature_edge_cases(maker, image):
    assert signing.verify_signature(image, None, {}) is None, "a plain update has no signature"
    assert "not base64" in signing.verify_signature(image, None, {"signature": "***",
                                                                  "signingCertificate": pem(maker["signer"])})
    assert "not a PEM" in signing.verify_signature(image, None, {"signature": "AAAA", "signingCertificate": "x"})


def test_install_registers_the_verifier_once(maker, image):
    saved = list(firmware_image.VERIFIERS)
    try:
        signing.install()
        signing.install()
        assert firmware_image.VERIFIERS.count(signing.verify_signature) == 1
        bad = {"signature": signing.sign(image, make_ca("x").key_pem), "signingCertificate": pem(maker["signer"])}
        with pytest.raises(firmware_image.ImageError, match="does not match"):
            firmware_image.verify(image, bad)
    finally:
        firmware_image.VERIFIERS[:] = saved


def test_firmware_pack_sign_key(tmp_path, maker):
    from tests.firmware.conftest import make_tree
    key_file = str(tmp_path / "signer.key")
    with open(key_file, "wb") as f:
        f.write(maker["signer"].key_pem)
    out = str(tmp_path / "fw.tar.gz")
    done = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "firmware-pack", make_tree(tmp_path / "src"),
                           "--version", "2.0", "-o", out, "--sign-key", key_file], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "signed: " + out + ".sig" in done.stdout
    with open(out + ".sig") as f:
        signature = f.read().strip()
    assert signing.verify_signature(out, None, {"signature": signature, "signingCertificate": pem(maker["signer"])}) \
        is None
    bad = subprocess.run([sys.executable, "-m", "controller.runtime.cli", "firmware-pack", str(tmp_path / "src"),
                          "--version", "2.0", "-o", out, "--sign-key", str(tmp_path / "missing.key")], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--sign-key" in bad.stderr
