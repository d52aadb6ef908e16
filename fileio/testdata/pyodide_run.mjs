// pyodide_run.mjs runs a Python script under Pyodide (CPython compiled to
// WebAssembly) with Node, for a Python newer than the system's:
//
//     node pyodide_run.mjs PYODIDE_DIR SCRIPT [ARG...]
//
// PYODIDE_DIR is the folder of an installed "pyodide" npm package (the one
// that holds pyodide.mjs). The current directory is mounted in Pyodide's
// file system at the same path and made its working directory, so the
// script and its arguments name files as they would with python3. The
// script's standard output and error go to the process's, and the process
// fails when the script raises.
//
// See purepath_gen.py's docstring for the commands that use it.

import { writeSync } from "node:fs";
import { resolve, join } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, script, ...args] = process.argv.slice(2);
if (!dir || !script) {
  console.error("usage: node pyodide_run.mjs PYODIDE_DIR SCRIPT [ARG...]");
  process.exit(2);
}
const { loadPyodide } = await import(
  pathToFileURL(join(resolve(dir), "pyodide.mjs")).href
);
const py = await loadPyodide({ indexURL: resolve(dir) + "/" });

// A pipe may be non-blocking: a write that finds it full fails with EAGAIN
// after writing a part, and must go on with the rest once the reader has
// made room, rather than fail (Python would write it all again).
const nap = new Int32Array(new SharedArrayBuffer(4));
const raw = (fd) => ({
  write(buf) {
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(fd, buf, off, buf.length - off);
      } catch (e) {
        if (e.code !== "EAGAIN") throw e;
        Atomics.wait(nap, 0, 0, 5);
      }
    }
    return buf.length;
  },
});
py.setStdout(raw(1));
py.setStderr(raw(2));

const cwd = process.cwd();
py.FS.mkdirTree(cwd);
py.FS.mount(py.FS.filesystems.NODEFS, { root: cwd }, cwd);
py.globals.set("_argv", py.toPy([script, ...args]));
py.globals.set("_cwd", cwd);
try {
  py.runPython(`
import os, runpy, sys
os.chdir(_cwd)
sys.argv = list(_argv)
del _argv, _cwd
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    sys.stdout.flush()
    sys.stderr.flush()
`);
} catch (e) {
  // The Python traceback is in the message.
  console.error(String(e.message ?? e));
  process.exit(1);
}
