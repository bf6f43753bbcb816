#!/usr/bin/env node
// Runs one Python script on the official MicroPython 1.27 WebAssembly port under Node, with the project's
// controller/, drivers/, boards/ and tests/micropython/ trees copied into the interpreter's file system.
// The script's stdout and stderr stream through; the exit status is the script's. See docs/micropython.md.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_ROOT = path.resolve(HERE, "..", "..");
const PACKAGE_DIR = path.join(HERE, "node_modules", "@micropython", "micropython-webassembly-pyscript");

// Trees copied into the interpreter, relative to the project root, and the files taken from them.
const TREES = ["controller", "drivers", "boards", "tests/micropython"];
const COPIED_SUFFIXES = [".py", ".json"];
const VROOT = "/project"; // where the project root sits inside the interpreter
const VSTUBS = "/harness/board"; // board-profile stubs, searched before the port's frozen modules

// An ESP32-S3 without PSRAM gives MicroPython a few hundred KB; 256 KiB is the default budget.
const DEFAULT_HEAP = 256 * 1024;
// The port grows its heap on demand by up to this much (gc_get_max_new_split in ports/webassembly);
// gc.mem_free() includes it, so the real capacity is mem_alloc + mem_free - this.
const MAX_NEW_SPLIT = 128 * 1024 * 1024;
// Growth adds at least a heap's worth; smaller differences are allocations between two readings.
const GROWTH_SLACK = 4096;

// The pyscript build freezes parts of micropython-lib that a stock ESP32 firmware does not have.
// With the board profile on, importing these fails as it would on the board.
const BLOCKED_MODULES = [
  "abc", "base64", "copy", "datetime", "fnmatch", "functools", "gzip", "hmac", "html", "inspect",
  "itertools", "locale", "logging", "operator", "pathlib", "stat", "string", "tarfile", "types",
  "unittest", "uu", "zlib",
];
// ...and extends these built-in modules (os.path, time.strftime, collections.defaultdict, ...).
// With the board profile on, they are the bare built-ins, as on the board.
const BUILTIN_ONLY_MODULES = ["binascii", "collections", "io", "os", "time"];

const USAGE = `usage: node tools/micropython/run.mjs [options] SCRIPT.py [args...]

Runs SCRIPT.py on MicroPython 1.27 (WebAssembly port) with the project's
${TREES.join("/, ")}/ trees at ${VROOT} (the working directory) and exits with its status.

options:
  --heap BYTES          heap the interpreter starts with (suffix k or m allowed; default ${DEFAULT_HEAP}).
                        The port grows its heap instead of raising MemoryError; growth past
                        BYTES is reported on stderr.
  --strict-heap         fail the run (status 3) when the heap grew past --heap
  --no-board-profile    keep the port's extra frozen modules (logging, functools, os.path, ...)
  -h, --help            show this help

Exit status: the script's (1 for an uncaught exception), 3 for heap growth under --strict-heap,
2 for a usage error or a missing install (run: make setup-micropython).`;

function fail(message, status = 2) {
  process.stderr.write(`run.mjs: ${message}\n`);
  process.exit(status);
}

function parseBytes(text) {
  const m = /^(\d+)([kKmM]?)$/.exec(text || "");
  if (!m) fail(`--heap wants a byte count such as 262144 or 256k, got ${JSON.stringify(text)}`);
  const scale = { "": 1, k: 1024, m: 1024 * 1024 }[m[2].toLowerCase()];
  return parseInt(m[1], 10) * scale;
}

function parseArgs(argv) {
  const opts = { heap: DEFAULT_HEAP, strictHeap: false, boardProfile: true, script: null, args: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    } else if (a === "--heap") {
      opts.heap = parseBytes(argv[++i]);
    } else if (a.startsWith("--heap=")) {
      opts.heap = parseBytes(a.slice("--heap=".length));
    } else if (a === "--strict-heap") {
      opts.strictHeap = true;
    } else if (a === "--no-board-profile") {
      opts.boardProfile = false;
    } else if (a === "--") {
      i++;
      break;
    } else if (a.startsWith("-")) {
      fail(`unknown option ${a}\n${USAGE}`);
    } else {
      break;
    }
  }
  if (i >= argv.length) fail(`no script given\n${USAGE}`);
  opts.script = argv[i];
  opts.args = argv.slice(i + 1);
  if (opts.heap < 16 * 1024) fail("--heap below 16k leaves no room for the interpreter itself");
  return opts;
}

// Every copied file under one tree, as paths relative to the project root.
function listTree(rel) {
  const found = [];
  const walk = (dirRel) => {
    let entries;
    try {
      entries = fs.readdirSync(path.join(PROJECT_ROOT, dirRel), { withFileTypes: true });
    } catch (e) {
      if (e.code === "ENOENT") return;
      throw e;
    }
    for (const ent of entries) {
      if (ent.name.startsWith(".") || ent.name === "__pycache__") continue;
      const childRel = path.posix.join(dirRel, ent.name);
      if (ent.isDirectory()) walk(childRel);
      else if (ent.isFile() && COPIED_SUFFIXES.some((s) => ent.name.endsWith(s))) found.push(childRel);
    }
  };
  walk(rel);
  return found;
}

function writeVirtual(FS, vpath, data) {
  FS.mkdirTree(path.posix.dirname(vpath));
  FS.writeFile(vpath, data);
}

function installBoardStubs(FS) {
  for (const name of BLOCKED_MODULES) {
    const msg = `no module named '${name}' (not in ESP32 MicroPython firmware; see docs/micropython.md)`;
    writeVirtual(FS, `${VSTUBS}/${name}.py`, `raise ImportError(${JSON.stringify(msg)})\n`);
  }
  for (const name of BUILTIN_ONLY_MODULES) {
    // "u"-prefixed names always reach the built-in module, never a file on sys.path.
    writeVirtual(FS, `${VSTUBS}/${name}.py`, `from u${name} import *\n`);
  }
}

// Python run inside the interpreter before the script: sys.path and argv, an asyncio.run for the port
// (which has none), and _harness_run_script(), which runs the script and leaves its status in _harness_rc.
function setupSource(vscript, vpathEntries, argv) {
  const py = (v) => JSON.stringify(v);
  return `
import sys, gc
sys.path[:] = ${py(vpathEntries)}
sys.argv[:] = ${py(argv)}
import asyncio
import _harness

def _harness_exit_code(e):
    code = e.args[0] if e.args else None
    if code is None:
        return 0
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    print(code, file=sys.stderr)
    return 1

def _harness_note_heap():
    cap = gc.mem_alloc() + gc.mem_free()
    _harness.note_heap(cap)

async def _harness_drive(coro):
    rc = 0
    try:
        await coro
    except SystemExit as e:
        rc = _harness_exit_code(e)
    except BaseException as e:
        sys.print_exception(e, sys.stderr)
        rc = 1
    _harness_note_heap()
    _harness.task_done(rc)

def _harness_asyncio_run(coro):
    # The port's asyncio runs on Node's event loop and cannot block, so this returns at once;
    # the harness waits for the coroutine after the script body has finished.
    _harness.task_started()
    asyncio.create_task(_harness_drive(coro))

if not hasattr(asyncio, "run"):
    asyncio.run = _harness_asyncio_run

def _harness_main():
    path = ${py(vscript)}
    with open(path) as f:
        source = f.read()
    code = compile(source, path, "exec")
    del source
    exec(code, {"__name__": "__main__", "__file__": path})

_harness_rc = 0

def _harness_run_script():
    global _harness_rc
    try:
        _harness_main()
    except SystemExit as e:
        _harness_rc = _harness_exit_code(e)
    except BaseException as e:
        sys.print_exception(e, sys.stderr)
        _harness_rc = 1
    # Before anything else allocates: the next collection may give a grown area back.
    _harness_note_heap()

# Collect the set-up's garbage when this call returns, so the baseline the harness takes next is live data.
gc.collect()
`;
}

// Exit status carried by a PythonError for SystemExit, or null for any other exception.
function systemExitCode(err) {
  if (!err || err.name !== "PythonError" || err.type !== "SystemExit") return null;
  const lines = err.message.trimEnd().split("\n");
  const detail = lines[lines.length - 1].replace(/^SystemExit:? ?/, "");
  if (detail === "" || detail === "None") return 0;
  if (/^-?\d+$/.test(detail)) return parseInt(detail, 10);
  process.stderr.write(detail + "\n");
  return 1;
}

function reportPythonError(err) {
  const text = err.message || String(err);
  process.stderr.write(text.endsWith("\n") ? text : text + "\n");
}

// The port's line buffering holds back text printed without a trailing newline.
function flushPartialLine(mod, key, stream) {
  const buf = mod && mod[key];
  if (buf && buf.length) {
    stream.write(Buffer.from(buf).toString("utf8"));
    mod[key] = [];
  }
}

// Heap figures read from JavaScript: a top-level call, so a pending collection has run before.
function heapFigures(mp) {
  const gc = mp.pyimport("gc");
  const alloc = gc.mem_alloc();
  return { alloc, capacity: alloc + gc.mem_free() - MAX_NEW_SPLIT };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const entry = path.join(PACKAGE_DIR, "micropython.mjs");
  if (!fs.existsSync(entry)) {
    fail(`MicroPython is not installed (${path.relative(PROJECT_ROOT, entry)} missing): run make setup-micropython`);
  }
  const hostScript = path.resolve(opts.script);
  if (!fs.existsSync(hostScript)) fail(`no such script: ${opts.script}`);

  const { loadMicroPython } = await import(pathToFileURL(entry).href);
  let mod = null;
  const mp = await loadMicroPython({
    heapsize: opts.heap,
    linebuffer: true,
    stdout: (line) => process.stdout.write(line + "\n"),
    stderr: (line) => {
      flushPartialLine(mod, "_stdoutBuffer", process.stdout); // keep "print(x, end='')" before a traceback
      process.stderr.write(line + "\n");
    },
  });
  mod = mp._module;
  const FS = mp.FS;

  for (const tree of TREES) {
    for (const rel of listTree(tree)) {
      writeVirtual(FS, `${VROOT}/${rel}`, fs.readFileSync(path.join(PROJECT_ROOT, rel)));
    }
  }
  const relScript = path.relative(PROJECT_ROOT, hostScript);
  const insideProject = !relScript.startsWith("..") && !path.isAbsolute(relScript);
  const vscript = insideProject
    ? `${VROOT}/${relScript.split(path.sep).join("/")}`
    : `/script/${path.basename(hostScript)}`;
  writeVirtual(FS, vscript, fs.readFileSync(hostScript));
  if (opts.boardProfile) installBoardStubs(FS);
  FS.mkdirTree("/tmp");
  FS.chdir(VROOT);

  let started = 0;
  let finished = 0;
  let taskRc = 0;
  let allDone = null;
  const tasksDone = new Promise((resolve) => (allDone = resolve));
  let capacityMax = 0;
  let stepper = null;
  // The Python side of the harness (import _harness); tests/micropython/suite.py uses it.
  const harness = {
    heap_base: 0, // live heap just before the script runs
    note_heap: (raw) => {
      capacityMax = Math.max(capacityMax, raw - MAX_NEW_SPLIT);
    },
    // A coroutine function run repeatedly, each call a separate entry from JavaScript (so the port
    // collects garbage in between), until it returns a false value or raises SystemExit.
    set_stepper: (fn) => {
      stepper = fn;
    },
    task_started: () => {
      started++;
    },
    task_done: (rc) => {
      finished++;
      if (rc !== 0 && taskRc === 0) taskRc = rc;
      if (finished === started) allDone();
    },
  };
  mp.registerJsModule("_harness", harness);

  const vpath = [path.posix.dirname(vscript), VROOT];
  if (opts.boardProfile) vpath.push(VSTUBS);
  vpath.push(".frozen", "/lib");
  mp.runPython(setupSource(vscript, vpath, [vscript, ...opts.args]));
  const before = heapFigures(mp);
  harness.heap_base = before.alloc;
  capacityMax = before.capacity;

  mp.runPython("_harness_run_script()");
  let rc = mp.globals.get("_harness_rc");

  if (started > finished) {
    // Node exits once nothing is scheduled; if the coroutine is still waiting then, it never ends.
    const onBeforeExit = () => {
      process.stderr.write("run.mjs: asyncio.run() coroutine never finished (it waits on nothing scheduled)\n");
      process.exit(1);
    };
    process.once("beforeExit", onBeforeExit);
    await tasksDone;
    process.removeListener("beforeExit", onBeforeExit);
    if (rc === 0) rc = taskRc;
  }

  while (stepper && rc === 0) {
    try {
      if (!(await stepper())) break;
    } catch (err) {
      const code = systemExitCode(err);
      if (code === null) {
        reportPythonError(err);
        rc = 1;
      } else {
        rc = code;
      }
      break;
    }
  }

  flushPartialLine(mod, "_stdoutBuffer", process.stdout);
  flushPartialLine(mod, "_stderrBuffer", process.stderr);

  if (capacityMax > before.capacity + GROWTH_SLACK) {
    process.stderr.write(
      `run.mjs: heap budget exceeded: the interpreter grew its heap from ${before.capacity} to ` +
        `${capacityMax} bytes (--heap ${opts.heap}). This port collects garbage only between ` +
        `calls from JavaScript, so the figure counts garbage too; see docs/micropython.md\n`,
    );
    if (opts.strictHeap && rc === 0) rc = 3;
  }
  return rc;
}

// An exception escaping a Python callback on Node's event loop (for example SystemExit raised in a task
// the script created itself) ends the run like an uncaught exception in the script.
process.on("uncaughtException", (err) => {
  if (err && err.name === "PythonError") {
    const code = systemExitCode(err);
    if (code !== null) process.exit(code);
    reportPythonError(err);
    process.exit(1);
  }
  process.stderr.write(`run.mjs: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});

main().then(
  (rc) => {
    process.stdout.write("", () => process.exit(rc));
  },
  (err) => {
    process.stderr.write(`run.mjs: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
