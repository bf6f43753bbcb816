"""Checks, heap figures and the summary line for the *_suite.py scripts (CPython and MicroPython).

A suite script imports this module first, then the code it tests, calls imported(), registers its
checks with check() / check_async() and ends with finish(). The output contract (docs/micropython.md):

    PASS name
    FAIL name: reason
    HEAP import=<bytes> peak=<bytes> above_import=<bytes>
    N passed, M failed

Heap figures are bytes of live heap above a baseline: the heap just before the script under run.mjs
(so the script's own code and this module count, about 6 KB), else the heap once this module is
imported. CPython reports tracemalloc's figures (a true peak). MicroPython has no peak counter: the
peak is the largest sample, taken before every check (and after it, except under run.mjs, where the
garbage is not collected yet) and wherever a check calls sample(). `above_import` is the peak minus
the heap after import: what running the checks costs beyond loading the code.

Under tools/micropython/run.mjs the WebAssembly port only collects garbage when control returns to
JavaScript, never inside a synchronous run. So there, check(), check_async(), imported() and finish()
queue their work, and the harness runs one queued item per call from JavaScript once the script body
has returned: garbage is collected between checks, and a sample inside a check counts the garbage
that check has made so far (an upper bound). Elsewhere everything runs at once.
"""

import gc
import sys

try:
    import os
except ImportError:  # pragma: no cover - every MicroPython board has os
    os = None


def _project_root():
    # tests/micropython/suite.py -> the directory holding tests/
    path = __file__.replace("\\", "/")
    parts = path.rsplit("/", 3)
    return parts[0] if len(parts) == 4 else "."


_ROOT = _project_root()
if _ROOT not in sys.path:
    sys.path.insert(1, _ROOT)  # after the script's own directory, before anything installed

MICROPYTHON = sys.implementation.name == "micropython"

try:
    import _harness  # only under tools/micropython/run.mjs
except ImportError:
    _harness = None

if hasattr(gc, "mem_alloc"):
    tracemalloc = None
else:
    import tracemalloc

    tracemalloc.start()


def _live_bytes():
    gc.collect()  # on the WebAssembly port this only asks for a collection at the next return to JS
    if tracemalloc is not None:
        return tracemalloc.get_traced_memory()[0]
    return gc.mem_alloc()


_DEFERRED = _harness is not None
_base = int(_harness.heap_base) if _DEFERRED else _live_bytes()
_import_bytes = None
_peak = 0
_results = []  # [name, error-or-None] in run order
_names = {}
_queue = []  # deferred work under run.mjs: (kind, name, fn)
_stepper_set = [False]
_scratch = []


def sample():
    """Record the live heap now towards the peak and return it. Call it where a check holds its
    biggest data."""
    global _peak
    live = _live_bytes() - _base
    # CPython keeps a true peak; MicroPython's is the largest sample.
    peak = tracemalloc.get_traced_memory()[1] - _base if tracemalloc is not None else live
    if peak > _peak:
        _peak = peak
    return live


def _defer(kind, name=None, fn=None):
    if not _stepper_set[0]:
        _harness.set_stepper(_step)
        _stepper_set[0] = True
    _queue.append((kind, name, fn))


def imported():
    """Call once the suite's imports are done: records the HEAP import figure."""
    if _DEFERRED:
        _defer("imported")
    else:
        _record_import()


def _record_import():
    global _import_bytes
    _import_bytes = sample()


def _valid_name(name):
    if not isinstance(name, str) or not name:
        return False
    for ch in name:
        if ch in ": \t\r\n":
            return False
    return True


def _reason(exc):
    text = str(exc)
    kind = type(exc).__name__
    return kind + ": " + text if text else kind


def _print_traceback(exc):
    if MICROPYTHON:
        sys.print_exception(exc, sys.stderr)
    else:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)


def _record(name, error):
    _results.append([name, error])
    if error is None:
        print("PASS " + name)
    else:
        print("FAIL " + name + ": " + error.replace("\n", " "))


def _claim(name):
    """Validate a new check name; False for a duplicate, which is reported as a failure in its turn."""
    if not _valid_name(name):
        raise ValueError("check name must be non-empty, without spaces or ':': %r" % (name,))
    if name in _names:
        if _DEFERRED:
            _defer("duplicate", name)
        else:
            _record(name, "duplicate check name")
        return False
    _names[name] = True
    return True


def _run_check(name, fn):
    sample()
    try:
        fn()
    except Exception as exc:  # a failed check must not stop the suite
        _print_traceback(exc)
        _record(name, _reason(exc))
        return False
    if not _DEFERRED:
        # Under run.mjs a sample here would count this check's uncollected garbage; the next check's first
        # sample comes after a collection and measures what the check left alive.
        sample()
    _record(name, None)
    return True


async def _run_check_async(name, fn):
    sample()
    try:
        await fn()
    except Exception as exc:
        _print_traceback(exc)
        _record(name, _reason(exc))
        return False
    sample()
    _record(name, None)
    return True


def check(name, fn):
    """Run fn() (now, or queued under run.mjs): PASS when it returns, FAIL with its exception."""
    if _claim(name):
        if _DEFERRED:
            _defer("check", name, fn)
        else:
            _run_check(name, fn)


async def check_async(name, fn):
    """As check(), for a coroutine function: await suite.check_async(name, fn)."""
    if _claim(name):
        if _DEFERRED:
            _defer("check_async", name, fn)
        else:
            await _run_check_async(name, fn)


def eq(actual, expected, what=""):
    """Assert actual == expected with a message that shows both."""
    if actual != expected:
        label = what + ": " if what else ""
        raise AssertionError("%sexpected %r, got %r" % (label, expected, actual))


def true(cond, message="condition is false"):
    """Assert cond is truthy, with a message (assert statements vanish under mpy-cross -O)."""
    if not cond:
        raise AssertionError(message)


def raises(exc_type, fn, *args):
    """Assert fn(*args) raises exc_type; returns the exception."""
    try:
        fn(*args)
    except exc_type as exc:
        return exc
    raise AssertionError("expected %s" % exc_type.__name__)


def scratch_dir():
    """A fresh empty directory outside the project tree, removed by finish()."""
    if MICROPYTHON:
        base = "/tmp"
        try:
            os.stat(base)
        except OSError:
            base = ""
        path = "%s/suite-%d" % (base, len(_scratch))
        os.mkdir(path)
    else:
        import tempfile

        path = tempfile.mkdtemp(prefix="mpsuite-")
    _scratch.append(path)
    return path


def _remove_tree(path):
    if not MICROPYTHON:
        import shutil

        shutil.rmtree(path, ignore_errors=True)
        return
    for entry in os.ilistdir(path):
        child = path + "/" + entry[0]
        if entry[1] == 0x4000:  # directory
            _remove_tree(child)
        else:
            os.remove(child)
    os.rmdir(path)


def finish():
    """Print the HEAP line and the summary line, then exit: status 1 when any check failed."""
    if _DEFERRED:
        _defer("finish")
    else:
        _finish()


def _finish():
    sample()
    for path in _scratch:
        try:
            _remove_tree(path)
        except OSError:
            pass
    if _import_bytes is not None:
        print("HEAP import=%d peak=%d above_import=%d" % (_import_bytes, _peak, _peak - _import_bytes))
    failed = 0
    for _name, error in _results:
        if error is not None:
            failed += 1
    print("%d passed, %d failed" % (len(_results) - failed, failed))
    sys.exit(1 if failed else 0)


async def _step():
    """Run the next queued item; called by run.mjs, once per call from JavaScript."""
    if not _queue:
        return False
    kind, name, fn = _queue.pop(0)
    if kind == "check":
        _run_check(name, fn)
    elif kind == "check_async":
        await _run_check_async(name, fn)
    elif kind == "imported":
        _record_import()
    elif kind == "duplicate":
        _record(name, "duplicate check name")
    else:
        _finish()
    _harness.note_heap(gc.mem_alloc() + gc.mem_free())
    gc.collect()  # flags a collection, which runs when this call returns to JavaScript
    return True
