"""The storage port: small atomic documents and append-only record files, on both targets.

`FileStorage` needs only `open` and `os` (rename, remove, stat), so it serves CPython and MicroPython alike.
`MemoryStorage` is the same port in RAM, for scenario tests; `crash()` models a power cut by dropping what was
never made durable. `FaultyStorage` wraps either and makes atomic writes fail on demand (the control API's
storage fault). Large files are written from chunks (`write_atomic_chunks`) and read in pieces (`read_at`), so
neither needs the whole file in RAM.
"""

import json
import os


class StorageError(Exception):
    pass


def _fsync(f):
    f.flush()
    sync = getattr(os, "fsync", None)
    if sync is not None:
        sync(f.fileno())
    else:
        sync_all = getattr(os, "sync", None)  # MicroPython ports that have it flush the whole filesystem
        if sync_all is not None:
            sync_all()


def _sync_dir(path):
    """fsync a directory, so a rename in it survives a power cut (CPython; MicroPython has no os.open)."""
    opener = getattr(os, "open", None)
    if opener is None:
        return
    try:
        fd = opener(path, getattr(os, "O_RDONLY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _private(path, mode):
    chmod = getattr(os, "chmod", None)
    if chmod is not None:
        chmod(path, mode)


class FileStorage:
    def __init__(self, root):
        self.root = root.rstrip("/")
        try:
            os.mkdir(self.root)
        except OSError:
            pass

    def _path(self, name):
        return self.root + "/" + name

    def read(self, name):
        try:
            with open(self._path(name), "rb") as f:
                return f.read()
        except OSError:
            return None

    def write_atomic(self, name, data):
        tmp = self._path(name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            _fsync(f)
        os.rename(tmp, self._path(name))
        _sync_dir(self.root)

    def write_private(self, name, data):
        """As write_atomic, for secrets: the file's folder is made private (0700) and the file is created 0600
        before a byte is written (where the port has permissions at all; MicroPython's has none)."""
        if "/" in name:
            folder = self._path(name.rsplit("/", 1)[0])
            try:
                os.mkdir(folder)
            except OSError:
                pass
            _private(folder, 0o700)
        tmp = self._path(name + ".tmp")
        self.remove(name + ".tmp")
        opener = getattr(os, "open", None)
        if opener is not None:
            f = os.fdopen(opener(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
        else:
            f = open(tmp, "wb")
        with f:
            f.write(data)
            _fsync(f)
        _private(tmp, 0o600)
        os.rename(tmp, self._path(name))

    def write_atomic_chunks(self, name, chunks):
        """As write_atomic, from an iterable of byte strings; if it raises, the old file stays as it was."""
        tmp = self._path(name + ".tmp")
        try:
            with open(tmp, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                _fsync(f)
        except BaseException:
            self.remove(name + ".tmp")
            raise
        os.rename(tmp, self._path(name))
        _sync_dir(self.root)

    def read_at(self, name, offset, length):
        """`length` bytes of `name` from `offset` (fewer at its end), or None when it does not exist."""
        try:
            with open(self._path(name), "rb") as f:
                f.seek(offset)
                return f.read(length)
        except OSError:
            return None

    def append(self, name, data, sync=True):
        with open(self._path(name), "ab") as f:
            f.write(data)
            if sync:
                _fsync(f)
            else:
                f.flush()

    def sync(self, name):
        """Make everything appended to `name` durable (fsync flushes the file, whichever handle wrote it)."""
        try:
            with open(self._path(name), "ab") as f:
                _fsync(f)
        except OSError:
            pass

    def remove(self, name):
        try:
            os.remove(self._path(name))
        except OSError:
            pass

    def size(self, name):
        try:
            return os.stat(self._path(name))[6]
        except OSError:
            return 0


class MemoryStorage:
    def __init__(self):
        self.files = {}

    def read(self, name):
        return self.files.get(name)

    def write_atomic(self, name, data):
        self.files[name] = bytes(data)

    def write_private(self, name, data):
        self.files[name] = bytes(data)

    def write_atomic_chunks(self, name, chunks):
        self.files[name] = b"".join([bytes(c) for c in chunks])

    def read_at(self, name, offset, length):
        data = self.files.get(name)
        return None if data is None else data[offset:offset + length]

    def append(self, name, data, sync=True):
        self.files[name] = self.files.get(name, b"") + bytes(data)

    def sync(self, name):
        pass

    def remove(self, name):
        self.files.pop(name, None)

    def size(self, name):
        return len(self.files.get(name, b""))


class FaultyStorage:
    """Another storage whose atomic writes fail (OSError, as a worn-out flash would) while `fails` is true, except
    for the files named in `spared` (the journal, whose durability has its own tests)."""

    def __init__(self, inner, spared=()):
        self.inner = inner
        self.spared = spared
        self.fails = False

    def _check(self, name):
        if self.fails and name not in self.spared:
            raise OSError("storage fault injected: " + name + " not written")

    def write_atomic(self, name, data):
        self._check(name)
        self.inner.write_atomic(name, data)

    def write_private(self, name, data):
        self._check(name)
        self.inner.write_private(name, data)

    def write_atomic_chunks(self, name, chunks):
        self._check(name)
        self.inner.write_atomic_chunks(name, chunks)

    def read(self, name):
        return self.inner.read(name)

    def read_at(self, name, offset, length):
        return self.inner.read_at(name, offset, length)

    def append(self, name, data, sync=True):
        self.inner.append(name, data, sync)

    def sync(self, name):
        self.inner.sync(name)

    def remove(self, name):
        self.inner.remove(name)

    def size(self, name):
        return self.inner.size(name)


def load_doc(storage, name, default):
    """A JSON document, or `default` when absent or unreadable (a torn write never stops the station)."""
    raw = storage.read(name)
    if raw is None:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return default


def save_doc(storage, name, doc):
    storage.write_atomic(name, json.dumps(doc).encode())


def try_save_doc(storage, name, doc):
    """save_doc that reports a failed write (False) instead of raising: for state that is written again later."""
    try:
        save_doc(storage, name, doc)
        return True
    except (OSError, StorageError):
        return False


class DeferredWrite:
    """A document that may reach the disk a little later: it is written `delay_ms` after its first change, so a
    burst of changes costs one write, and no fsync sits between a CSMS answer and the next message. For state
    whose loss in a power cut is harmless (a cache, a meter's last reading), never for the journal."""

    def __init__(self, delay_ms=2000):
        self.delay_ms = delay_ms
        self.due_at = None

    def touch(self, now):
        if self.due_at is None:
            self.due_at = now + self.delay_ms

    def deadline(self):
        return self.due_at

    def take(self, now):
        """True once, when the write is due."""
        if self.due_at is not None and now >= self.due_at:
            self.due_at = None
            return True
        return False

    def take_all(self):
        """True once if a write is waiting, due or not (Station.flush, before a restart)."""
        if self.due_at is None:
            return False
        self.due_at = None
        return True
