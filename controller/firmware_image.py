"""The firmware image format: a gzip-compressed ustar archive whose first member is `manifest.json` (both targets).

    manifest.json   {"format": 1, "version": "1.4.0", "files": {"controller/station.py": {"sha256": "..",
                     "size": 1234}, ...}}
    every other member: a regular file (or a directory) listed in the manifest, with that size and SHA-256

`verify(path, context)` reads the image as a stream (never whole in memory), checks every rule below and returns
the manifest, or raises ImageError with the reason. `unpack(path, dest)` writes the files under `dest`, checking
the hashes again as it goes. Rules: the manifest comes first and parses; the version is 1 to 50 characters; every
name is relative, without "..", "\\" or a NUL; no links, devices or duplicates; every file matches its manifest
entry and every entry has its file.

The verification seam: `VERIFIERS` is a list of functions `fn(path, manifest, context) -> None or reason` that
`verify` calls after its own checks, in order; the first reason rejects the image. `context` is what the request
carried (e.g. a signature and signing certificate for SignedUpdateFirmware); UpdateFirmware passes {}.
`run_verifiers(path, None, context)` runs them alone, before the structural checks, for the signature step of a
signed update (manifest None); the CPython runtime registers its signature check (firmware_signing_cpython).
The format is documented in docs/firmware.md; `stationctl firmware-pack` builds images.
"""

import binascii
import hashlib
import json
import os

MANIFEST = "manifest.json"
FORMAT = 1
BLOCK = 512
CHUNK = 4096
MAX_MANIFEST = 256 * 1024

VERIFIERS = []
STORAGE_FULL = (28, 27, 122)     # ENOSPC, EFBIG, EDQUOT


class ImageError(Exception):
    pass


def open_stream(path):
    """The decompressed byte stream of a .tar.gz image."""
    try:
        import gzip
        return gzip.open(path, "rb")
    except ImportError:
        import deflate     # MicroPython
        return deflate.DeflateIO(open(path, "rb"), deflate.GZIP)


def _read_exact(stream, n):
    parts = []
    got = 0
    while got < n:
        data = stream.read(n - got)
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def _field(block, start, length):
    raw = block[start:start + length]
    cut = raw.find(b"\0")
    if cut >= 0:
        raw = raw[:cut]
    return raw.decode()


def _octal(block, start, length):
    text = _field(block, start, length).strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise ImageError("not a tar archive (a header's size field is not octal)")


def check_name(name):
    if not name or name.startswith("/") or "\\" in name or "\0" in name:
        raise ImageError("unsafe file name in the image: " + repr(name))
    for part in name.split("/"):
        if part == "..":
            raise ImageError("unsafe file name in the image: " + repr(name))
    return name


def members(stream):
    """Yields (name, kind, size, chunks) for each member; kind is "file" or "dir"; `chunks()` yields the content
    and must be used up before the next member."""
    while True:
        header = _read_exact(stream, BLOCK)
        if len(header) < BLOCK:
            raise ImageError("the image is truncated (no end-of-archive marker)")
        if header == b"\0" * BLOCK:
            return
        stored = _octal(header, 148, 8)
        total = 0
        for i in range(BLOCK):
            total += 32 if 148 <= i < 156 else header[i]
        if total != stored:
            raise ImageError("not a tar archive (header checksum mismatch)")
        name = _field(header, 0, 100)
        if header[257:262] == b"ustar":
            prefix = _field(header, 345, 155)
            if prefix:
                name = prefix + "/" + name
        flag = header[156:157]
        size = _octal(header, 124, 12)
        if flag in (b"0", b"\0"):
            kind = "file"
        elif flag == b"5":
            kind = "dir"
            name = name.rstrip("/")
        else:
            raise ImageError("the image holds a member of type " + repr(flag.decode()) + " (" + name +
                             "); only files and directories are allowed")
        check_name(name)
        left = [size]

        def chunks():
            while left[0] > 0:
                data = stream.read(min(CHUNK, left[0]))
                if not data:
                    raise ImageError("the image is truncated (in " + name + ")")
                left[0] -= len(data)
                yield data

        yield name, kind, size, chunks
        for _ in chunks():
            pass
        pad = (BLOCK - size % BLOCK) % BLOCK
        if pad and len(_read_exact(stream, pad)) < pad:
            raise ImageError("the image is truncated (in " + name + ")")


def parse_manifest(raw):
    try:
        doc = json.loads(raw)
    except ValueError:
        raise ImageError(MANIFEST + " is not valid JSON")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImageError(MANIFEST + ": unknown format (expected \"format\": " + str(FORMAT) + ")")
    version = doc.get("version")
    if not isinstance(version, str) or not 1 <= len(version) <= 50:
        raise ImageError(MANIFEST + ": \"version\" must be a string of 1 to 50 characters")
    files = doc.get("files")
    if not isinstance(files, dict) or not files:
        raise ImageError(MANIFEST + ": \"files\" must list the image's files")
    for name in files:
        entry = files[name]
        check_name(name)
        if (not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str) or
                not isinstance(entry.get("size"), int) or isinstance(entry.get("size"), bool)):
            raise ImageError(MANIFEST + ": the entry of " + name + " needs sha256 and size")
    return doc


def _walk(path, on_file=None, on_dir=None):
    """Reads the whole image, checking it against its manifest; calls on_file(name, chunks) for each file."""
    try:
        stream = open_stream(path)
    except OSError as e:
        raise ImageError("the image cannot be opened: " + str(e))
    try:
        manifest = None
        seen = {}
        for name, kind, size, chunks in members(stream):
            if manifest is None:
                if name != MANIFEST or kind != "file" or size > MAX_MANIFEST:
                    raise ImageError("the image does not start with " + MANIFEST)
                manifest = parse_manifest(b"".join(list(chunks())))
                continue
            if kind == "dir":
                if on_dir is not None:
                    on_dir(name)
                continue
            entry = manifest["files"].get(name)
            if entry is None:
                raise ImageError(name + " is in the image but not in its manifest")
            if name in seen:
                raise ImageError(name + " is twice in the image")
            seen[name] = True
            if size != entry["size"]:
                raise ImageError(name + ": size " + str(size) + ", the manifest says " + str(entry["size"]))
            digest = hashlib.sha256()

            def hashed(source=chunks, digest=digest):
                for data in source():
                    digest.update(data)
                    yield data

            if on_file is not None:
                on_file(name, hashed)
            else:
                for _ in hashed():
                    pass
            if binascii.hexlify(digest.digest()).decode() != entry["sha256"].lower():
                raise ImageError(name + ": its SHA-256 does not match the manifest")
        while stream.read(CHUNK):
            pass                # to the end of the gzip stream, whose trailer holds the CRC of it all
        if manifest is None:
            raise ImageError("the image is empty")
        for name in manifest["files"]:
            if name not in seen:
                raise ImageError(name + " is in the manifest but not in the image")
        return manifest
    except ImageError:
        raise
    except OSError as e:
        if e.args and e.args[0] in STORAGE_FULL:
            raise               # not the image's fault: the caller reports the storage
        raise ImageError("the image is not a valid .tar.gz (" + (str(e) or e.__class__.__name__) + ")")
    except Exception as e:      # zlib.error, EOFError, OSError, UnicodeError: all mean a damaged image
        raise ImageError("the image is not a valid .tar.gz (" + (str(e) or e.__class__.__name__) + ")")
    finally:
        stream.close()


def run_verifiers(path, manifest, context):
    """The first VERIFIERS reason against the image, or None."""
    for fn in VERIFIERS:
        reason = fn(path, manifest, context or {})
        if reason:
            return reason
    return None


def verify(path, context=None):
    """The manifest of a valid image, or raise ImageError. Runs the structural checks, then VERIFIERS."""
    manifest = _walk(path)
    reason = run_verifiers(path, manifest, context)
    if reason:
        raise ImageError(reason)
    return manifest


def _makedirs(path):
    parts = path.split("/")
    for i in range(1, len(parts) + 1):
        sub = "/".join(parts[:i])
        if not sub:
            continue
        try:
            os.mkdir(sub)
        except OSError:
            pass


def unpack(path, dest):
    """Writes the image's files under `dest` (which should be empty); returns the manifest. Raises ImageError."""
    _makedirs(dest)

    def on_dir(name):
        _makedirs(dest + "/" + name)

    def on_file(name, chunks):
        target = dest + "/" + name
        cut = target.rfind("/")
        _makedirs(target[:cut])
        with open(target, "wb") as f:
            for data in chunks():
                f.write(data)
            f.flush()
            try:
                os.fsync(f.fileno())
            except (AttributeError, OSError):
                pass    # MicroPython's littlefs writes through on close

    manifest = _walk(path, on_file, on_dir)
    with open(dest + "/" + MANIFEST, "w") as f:
        f.write(json.dumps(manifest))
    return manifest


def describe_file(chunks):
    """{"sha256", "size"} of a file given as a chunk iterator (for the image builder)."""
    digest = hashlib.sha256()
    size = 0
    for data in chunks:
        digest.update(data)
        size += len(data)
    return {"sha256": binascii.hexlify(digest.digest()).decode(), "size": size}
