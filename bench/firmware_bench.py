"""`python -m bench.firmware_bench`: download and install of a firmware image over loopback HTTP and FTP.

For each protocol and image size (5 MB and 50 MB of incompressible files) a fresh process downloads the image with
controller/runtime/transfer_cpython and installs it into A/B slots (firmware_install_cpython); it reports the time
of each step and its peak RSS before and after the download. The growth must not follow the image size: the
download is streamed to disk in 64 KB chunks. The servers are the tests' (tests/firmware/servers.py).
Seeds: none publishes a firmware download time; the certified seeds answer AQ-4 "download firmware while there
is an ongoing transaction?" with No, where this station downloads during a transaction and waits only to install.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES_MB = (5, 50)

CHILD = r"""
import json, resource, sys, time
from controller.runtime import transfer_cpython as transfer
from controller.runtime.firmware_install_cpython import Slots
url, dest, slots_dir = sys.argv[1:4]
def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
before = rss_mb()
t0 = time.perf_counter()
size = transfer.download(url, dest, 30)
t1 = time.perf_counter()
after = rss_mb()
version = Slots(slots_dir, "1.0").install(dest)
t2 = time.perf_counter()
print(json.dumps({"bytes": size, "download_s": t1 - t0, "install_s": t2 - t1, "rss_before_mb": before,
                  "rss_after_mb": after, "version": version}))
"""


def make_image(folder, mb):
    from controller.runtime.firmware_pack import pack
    src = os.path.join(folder, "src%d" % mb)
    os.makedirs(src)
    for i in range(mb):
        with open(os.path.join(src, "blob%03d.bin" % i), "wb") as f:
            f.write(os.urandom(1024 * 1024))
    image = os.path.join(folder, "files", "fw%d.tar.gz" % mb)
    os.makedirs(os.path.dirname(image), exist_ok=True)
    pack(src, "bench-%d" % mb, image)
    return image


def measure(url, folder, tag):
    dest = os.path.join(folder, tag + ".download")
    done = subprocess.run([sys.executable, "-c", CHILD, url, dest, os.path.join(folder, tag + "-slots")], cwd=ROOT,
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout)


def run():
    from tests.firmware.servers import FtpServer, HttpServer
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for mb in SIZES_MB:
            print("  making a %d MB image..." % mb, flush=True)
            make_image(folder, mb)
        files = os.path.join(folder, "files")
        with HttpServer(files) as web, FtpServer(files) as ftp:
            for proto, server in (("HTTP", web), ("FTP", ftp)):
                for mb in SIZES_MB:
                    print("  %s, %d MB..." % (proto, mb), flush=True)
                    r = measure(server.url("fw%d.tar.gz" % mb), folder, "%s%d" % (proto, mb))
                    r["proto"], r["mb"] = proto, mb
                    results.append(r)
    return results


def summarize(results):
    lines = ["Firmware download and install over loopback (time, and peak RSS of the downloading process):"]
    for r in results:
        mbps = r["bytes"] / 1e6 / r["download_s"] if r["download_s"] > 0 else 0
        lines.append("  %-4s %2d MB  download %6.2f s (%5.0f MB/s)  install %6.2f s  peak RSS %5.1f -> %5.1f MB "
                     "(+%.1f)" % (r["proto"], r["mb"], r["download_s"], mbps, r["install_s"], r["rss_before_mb"],
                                  r["rss_after_mb"], r["rss_after_mb"] - r["rss_before_mb"]))
    for proto in ("HTTP", "FTP"):
        grow = [r["rss_after_mb"] - r["rss_before_mb"] for r in results if r["proto"] == proto]
        if len(grow) == 2:
            lines.append("  %s: RSS growth %.1f MB for %d MB, %.1f MB for %d MB: %s" % (
                proto, grow[0], SIZES_MB[0], grow[1], SIZES_MB[1],
                "does not grow with the image" if grow[1] < grow[0] + 2 else "GROWS with the image"))
    lines.append("  seeds: no published firmware transfer time; all answer AQ-4 (download during a transaction) No")
    return lines


def main():
    started = time.perf_counter()
    results = run()
    for line in summarize(results):
        print(line)
    print("(%.0f s)" % (time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
