"""`python -m bench.security_bench`: what signed firmware and GetLog cost on the station (CPython).

    signed firmware  for a 5 MB and a 50 MB image, RSA 2048 and EC P-256: the signing-certificate check before the
                     answer (CryptoPort.check_chain), the signature check over the downloaded file (the VERIFIERS
                     entry), and the peak RSS growth of that check (the file is hashed in 64 KB chunks, so it must
                     not follow the image size)
    GetLog           building the SecurityLog upload from a full security log (two 64 KB halves), open and
                     windowed

Seeds: none publishes these figures (their PICS only say signed firmware is supported).
"""

import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES_MB = (5, 50)


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def signed(folder):
    from controller.runtime.crypto_cpython import CryptoPort
    from controller.runtime.firmware_signing_cpython import sign, verify_signature
    from tests.certs import make_ca, make_cert
    out = []
    for mb in SIZES_MB:
        image = os.path.join(folder, "fw%d.bin" % mb)
        with open(image, "wb") as f:
            for _ in range(mb):
                f.write(os.urandom(1024 * 1024))
        for key in ("rsa", "ec"):
            print("  %d MB image, %s key..." % (mb, key), flush=True)
            root = make_ca("Bench Manufacturer Root", key=key)
            signer = make_cert(root, "Bench Signer", is_server=False, key=key)
            context = {"signature": sign(image, signer.key_pem), "signingCertificate": signer.cert_pem.decode()}
            wall = int(time.time() * 1000)
            port = CryptoPort()
            chain_s = _best(lambda: port.check_chain(context["signingCertificate"], [root.cert_pem.decode()], wall,
                                                     "ManufacturerRootCertificate"))
            before = _rss_mb()
            assert verify_signature(image, None, context) is None
            verify_s = _best(lambda: verify_signature(image, None, context))
            out.append({"mb": mb, "key": key, "chain_ms": chain_s * 1000, "verify_s": verify_s,
                        "rss_growth_mb": _rss_mb() - before})
        os.remove(image)
    return out


def get_log(folder):
    from controller.clock import format_iso
    from controller.runtime.diag_bundle_cpython import security_log
    start = 1795000000000
    lines = []
    for i in range(1750):
        lines.append(format_iso(start + i * 60000) + " InvalidMessages answered FormationViolation #" + str(i) + "\n")
    text = "".join(lines)
    half = len(text) // 2
    with open(os.path.join(folder, "security.log.1"), "w") as f:
        f.write(text[:text.index("\n", half) + 1])
    with open(os.path.join(folder, "security.log"), "w") as f:
        f.write(text[text.index("\n", half) + 1:])
    names = ["security.log.1", "security.log"]
    out = os.path.join(folder, "upload.log")
    whole = _best(lambda: security_log(folder, names, out))
    window = (start + 600 * 60000, start + 1000 * 60000)
    count = security_log(folder, names, out, window[0], window[1])
    windowed = _best(lambda: security_log(folder, names, out, window[0], window[1]))
    return {"bytes": len(text), "lines": len(lines), "whole_ms": whole * 1000, "window_ms": windowed * 1000,
            "window_lines": count}


def summarize(rows, log):
    out = ["Signed firmware (signing-certificate check / signature over the file / peak RSS growth):"]
    for r in rows:
        out.append("  %3d MB, %-3s  chain %.2f ms   signature %.3f s (%.0f MB/s)   RSS +%.1f MB" %
                   (r["mb"], r["key"], r["chain_ms"], r["verify_s"], r["mb"] / r["verify_s"], r["rss_growth_mb"]))
    out.append("GetLog(SecurityLog) file from a full security log (%d lines, %d KB): whole %.1f ms, a window of %d "
               "lines %.1f ms" % (log["lines"], log["bytes"] // 1024, log["whole_ms"], log["window_lines"],
                                 log["window_ms"]))
    out.append("Seeds: no published figures for either.")
    return out


def main():
    sys.path.insert(0, ROOT)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        print("signed firmware:", flush=True)
        rows = signed(folder)
        print("GetLog:", flush=True)
        log = get_log(folder)
    print()
    for line in summarize(rows, log):
        print(line)
    print("(%.0f s)" % (time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
