"""The CPython signed-firmware checks (controller/runtime/firmware_signing_cpython.py) with certificates made in each
test: the signing certificate against ManufacturerRootCertificates, the signature over the image (RSA and EC), and
`stationctl firmware-pack --sign-key`.
"""

import datetime
import os
import subprocess
import sys
import time

import pytest

from controller import firmware_image
from controller.runtime import firmware_signing_cpython as signing
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


def test_certificate_chains_to_the_root(maker):
    assert signing.check_certificate(pem(maker["signer"]), [pem(maker["root"])], now_ms()) is None


def test_certificate_through_an_intermediate(maker):
    sub = make_ca("Manufacturer Sub CA", issuer=maker["root"])
    leaf = make_cert(sub, "Signer via sub", is_server=False)
    assert signing.check_certificate(leaf.chain_pem().decode(), [pem(maker["root"])], now_ms()) is None
    assert "does not chain" in signing.check_certificate(pem(leaf), [pem(maker["root"])], now_ms()), \
        "without the intermediate it cannot chain"


def test_certificate_refusals(maker):
    other = make_ca("Some Other Root")
    roots = [pem(maker["root"])]
    assert "does not chain" in signing.check_certificate(pem(make_cert(other, "x", False)), roots, now_ms())
    assert "does not chain" in signing.check_certificate(pem(other), roots, now_ms()), "self-signed"
    assert "no ManufacturerRootCertificate" in signing.check_certificate(pem(maker["signer"]), [], now_ms())
    assert "not a PEM" in signing.check_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n", roots, now_ms())
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=10)
    expired = make_cert(maker["root"], "old", False, not_before=past - datetime.timedelta(days=5), not_after=past)
    assert "not valid now" in signing.check_certificate(pem(expired), roots, now_ms())
    forged = make_cert(make_ca("Manufacturer Root"), "forged", False)      # same name, other key
    assert "does not chain" in signing.check_certificate(pem(forged), roots, now_ms())


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


def test_install_registers_both_seams(maker, image):
    from controller.features import signed_firmware
    saved = list(firmware_image.VERIFIERS), list(signed_firmware.CERTIFICATE_CHECKS)
    try:
        signing.install()
        signing.install()
        assert firmware_image.VERIFIERS.count(signing.verify_signature) == 1
        assert signed_firmware.CERTIFICATE_CHECKS == [signing.check_certificate]
        bad = {"signature": signing.sign(image, make_ca("x").key_pem), "signingCertificate": pem(maker["signer"])}
        with pytest.raises(firmware_image.ImageError, match="does not match"):
            firmware_image.verify(image, bad)
    finally:
        firmware_image.VERIFIERS[:] = saved[0]
        signed_firmware.CERTIFICATE_CHECKS[:] = saved[1]


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
