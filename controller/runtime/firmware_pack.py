"""`stationctl firmware-pack SRC --version V -o IMAGE`: build a firmware image from a source tree (docs/firmware.md).

The image is a gzip-compressed ustar archive: manifest.json first ({"format": 1, "version", "files": {name:
{"sha256", "size"}}}), then every file of SRC in name order. Caches and VCS folders (__pycache__, .git, *.pyc)
are left out. `pack()` is also what the tests and the benchmark use to make images.

`--sign-key KEY.pem` also signs the image for SignedUpdateFirmware (RSA PKCS#1 v1.5 or ECDSA, SHA-256 over the
whole file; controller/runtime/firmware_signing_cpython.py) and writes the base64 signature to IMAGE.sig: the
value of the request's `firmware.signature`, next to the signing certificate as `firmware.signingCertificate`.
"""

import argparse
import io
import json
import os
import sys
import tarfile

from controller import firmware_image

SKIP_DIRS = ("__pycache__", ".git", ".venv", "node_modules", ".pytest_cache")
SKIP_SUFFIXES = (".pyc", ".pyo")


def source_files(src):
    out = []
    for folder, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not os.path.islink(os.path.join(folder, d)))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith(SKIP_SUFFIXES) or os.path.islink(path) or not os.path.isfile(path):
                continue
            out.append(os.path.relpath(path, src).replace(os.sep, "/"))
    return sorted(out)


def _chunks(path):
    with open(path, "rb") as f:
        while True:
            data = f.read(65536)
            if not data:
                return
            yield data


def pack(src, version, image, progress=None):
    """Write the image of `src`; returns its manifest."""
    names = source_files(src)
    if not names:
        raise ValueError(src + ": no files to pack")
    files = {}
    for name in names:
        files[name] = firmware_image.describe_file(_chunks(os.path.join(src, name)))
    manifest = {"format": firmware_image.FORMAT, "version": version, "files": files}
    firmware_image.parse_manifest(json.dumps(manifest))          # the same rules the station applies
    raw = json.dumps(manifest, indent=1, sort_keys=True).encode()
    with tarfile.open(image, "w:gz", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(firmware_image.MANIFEST)
        info.size = len(raw)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(raw))
        for i, name in enumerate(names):
            path = os.path.join(src, name)
            info = tarfile.TarInfo(name)
            info.size = files[name]["size"]
            info.mode = 0o644
            with open(path, "rb") as f:
                tar.addfile(info, f)
            if progress is not None:
                progress(i + 1, len(names), name)
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(prog="stationctl firmware-pack",
                                     description="Build a firmware image (tar.gz with a manifest of version and "
                                     "SHA-256 of every file) from a source tree. See docs/firmware.md.")
    parser.add_argument("src", metavar="SRC", help="the source tree to pack (e.g. a checkout of this project)")
    parser.add_argument("--version", required=True, help="the firmware version the station will report "
                        "(1 to 50 characters, shown in BootNotification.firmwareVersion)")
    parser.add_argument("-o", "--output", required=True, metavar="IMAGE", help="the image file to write")
    parser.add_argument("--sign-key", metavar="KEY.pem", help="sign the image with this private key (PEM, RSA or "
                        "EC, not encrypted) and write the base64 signature to IMAGE.sig (docs/firmware.md)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.src):
        sys.stderr.write("stationctl firmware-pack: " + args.src + " is not a directory\n")
        return 2

    def progress(done, total, name):
        if done == total or done % 50 == 0:
            sys.stdout.write("  packed " + str(done) + "/" + str(total) + " files (" + name + ")\n")

    try:
        print("packing " + args.src + " as firmware " + args.version)
        manifest = pack(args.src, args.version, args.output, progress)
    except (ValueError, firmware_image.ImageError, OSError) as e:
        sys.stderr.write("stationctl firmware-pack: " + str(e) + "\n")
        return 2
    size = os.path.getsize(args.output)
    print("wrote " + args.output + ": " + str(len(manifest["files"])) + " files, " + str(size) + " bytes")
    if args.sign_key:
        from controller.runtime import firmware_signing_cpython
        try:
            with open(args.sign_key, "rb") as f:
                signature = firmware_signing_cpython.sign(args.output, f.read())
        except (OSError, ValueError, TypeError) as e:
            sys.stderr.write("stationctl firmware-pack: --sign-key " + args.sign_key + ": " + str(e) + "\n")
            return 2
        with open(args.output + ".sig", "w") as f:
            f.write(signature + "\n")
        print("signed: " + args.output + ".sig (" + str(len(signature)) + " base64 characters)")
    return 0
