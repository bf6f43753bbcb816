"""Smoke checks of the interpreter itself (JSON, files, hashes, asyncio) so the harness has a suite to run.

Run from the project root: python tests/micropython/smoke_suite.py
                     or:   node tools/micropython/run.mjs tests/micropython/smoke_suite.py
"""

import suite  # first: sets sys.path and the heap baseline

import asyncio
import binascii
import hashlib
import json
import os
import struct
import time

suite.imported()


def json_round_trip():
    doc = {"id": 7, "energy_wh": 123456789, "ok": True, "none": None, "tags": ["A1", "é"], "nested": {"x": []}}
    text = json.dumps(doc)
    suite.eq(json.loads(text), doc, "round trip")
    suite.true(isinstance(text, str), "dumps gives str")


def file_write_read():
    path = suite.scratch_dir() + "/data.bin"
    with open(path, "wb") as f:
        f.write(b"\x00\x01abc")
    with open(path, "ab") as f:
        f.write(b"\xff")
    with open(path, "rb") as f:
        suite.eq(f.read(), b"\x00\x01abc\xff")
    suite.eq(os.stat(path)[6], 6, "st_size")
    with open(path, "r+b") as f:
        f.seek(2)
        f.write(b"A")
        f.flush()
    with open(path, "rb") as f:
        suite.eq(f.read(), b"\x00\x01Abc\xff")


def rename_replaces_target():
    # The atomic-write pattern: write a temporary file, then rename it over the old one.
    d = suite.scratch_dir()
    with open(d + "/doc.json", "w") as f:
        f.write('{"v": 1}')
    with open(d + "/doc.json.tmp", "w") as f:
        f.write('{"v": 2}')
    os.rename(d + "/doc.json.tmp", d + "/doc.json")
    with open(d + "/doc.json") as f:
        suite.eq(json.loads(f.read()), {"v": 2})
    suite.eq(os.listdir(d), ["doc.json"])


def listdir_mkdir_remove():
    d = suite.scratch_dir()
    os.mkdir(d + "/sub")
    for name in ("b.txt", "a.txt"):
        with open(d + "/" + name, "w") as f:
            f.write(name)
    suite.eq(sorted(os.listdir(d)), ["a.txt", "b.txt", "sub"])
    os.remove(d + "/a.txt")
    os.rmdir(d + "/sub")
    suite.eq(os.listdir(d), ["b.txt"])
    err = suite.raises(OSError, os.stat, d + "/a.txt")
    suite.true(err.args, "OSError carries an errno")


def struct_pack():
    data = struct.pack("<BHi", 1, 0x0203, -4)
    suite.eq(data, b"\x01\x03\x02\xfc\xff\xff\xff")
    suite.eq(struct.unpack(">H", b"\x12\x34"), (0x1234,))


def crc32_and_sha256():
    suite.eq(binascii.crc32(b"123456789"), 0xCBF43926, "CRC-32 check value")
    digest = hashlib.sha256(b"abc").digest()
    suite.eq(binascii.hexlify(digest[:8]), b"ba7816bf8f01cfea", "SHA-256('abc')")


def integers_stay_exact():
    suite.eq(2**40 + 1 - 2**40, 1)
    suite.eq(123456789 * 1000 // 1000, 123456789)
    suite.true(isinstance(True, bool), "bool type")


def heap_sample_sees_live_data():
    before = suite.sample()
    rows = [bytearray(64) for _ in range(200)]
    during = suite.sample()
    suite.true(during - before >= 200 * 64, "sampled %d bytes more, want >= %d" % (during - before, 200 * 64))
    suite.eq(len(rows), 200)


def ticks_are_monotonic():
    if hasattr(time, "ticks_ms"):
        a = time.ticks_ms()
        b = time.ticks_ms()
        suite.true(time.ticks_diff(b, a) >= 0, "ticks_diff")
    else:
        a = time.monotonic_ns()
        suite.true(time.monotonic_ns() >= a, "monotonic_ns")


suite.check("json_round_trip", json_round_trip)
suite.check("file_write_read", file_write_read)
suite.check("rename_replaces_target", rename_replaces_target)
suite.check("listdir_mkdir_remove", listdir_mkdir_remove)
suite.check("struct_pack", struct_pack)
suite.check("crc32_and_sha256", crc32_and_sha256)
suite.check("integers_stay_exact", integers_stay_exact)
suite.check("heap_sample_sees_live_data", heap_sample_sees_live_data)
suite.check("ticks_are_monotonic", ticks_are_monotonic)


async def event_between_tasks():
    ev = asyncio.Event()
    seen = []

    async def setter():
        await asyncio.sleep(0)
        seen.append("set")
        ev.set()

    task = asyncio.create_task(setter())
    await ev.wait()
    await task
    suite.eq(seen, ["set"])


async def main():
    await suite.check_async("asyncio_event_between_tasks", event_between_tasks)
    suite.finish()


asyncio.run(main())  # last statement: the CI interpreter returns from asyncio.run at once
