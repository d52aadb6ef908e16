#!/usr/bin/env python3
"""Generates the tables of Python's pathlib.PurePosixPath answers that the
Go tests of fileio.Path check, row by row.

purepath.json holds the answers of the system's python3 (3.11), made from
this directory with

    python3 purepath_gen.py > purepath.json

fileio follows Python 3.14. purepath_py314.json holds Python 3.14's answers
where they differ from purepath.json ("changed", keyed by the JSON of
[path, method, args]), and the rows of what 3.11 lacks: full_match (3.13)
and relative_to with walk_up (3.12). The Go test applies it over
purepath.json. It is made by the same script run by a real CPython 3.14:
Pyodide, CPython compiled to WebAssembly, from its npm package, run by Node
through pyodide_run.mjs (any other python3.14 works the same way):

    npm install --prefix /tmp/py314 pyodide@314.0.7
    node pyodide_run.mjs /tmp/py314/node_modules/pyodide \
        purepath_gen.py --changes-from purepath.json > purepath_py314.json

Pyodide 314.0.7 is CPython 3.14.2. Regenerate purepath.json first when the
inputs below change: --changes-from fails when the two disagree on them.
Each table records the Python version that made it.
"""

import argparse
import fnmatch
import json
import pathlib
import sys
import warnings

P = pathlib.PurePosixPath

PATHS = [
    "", ".", "..", "/", "//", "///", "////a", "a", "a/", "/a", "//a", "///a",
    "a/b", "a//b", "a/./b", "./a", "a/.", "a/..", "../a", "/..", "/../a",
    "a/b/../c", "/a/b/c.txt", "/a//b/./c/.", "a/b/c/", "foo.tar.gz",
    ".bashrc", ".config.d/x", "a/b.", "a..b", "...", "..foo", "foo.",
    "foo..", "f.o.o", ".a.b", "dir/.hidden.txt", "x/y z/åäö.txt", "~/x",
    "~user/y", "a b/c%20d", "/tmp/a#b?c", "C:/x", "a\\b", "/usr/lib/x.py",
    "/ä/ö", "//srv/share/f.txt", "a/b/c/d/e", "/a/b", "/a/b/c",
]

JOIN_ARGS = [["b"], ["/b"], ["b", "c"], ["", "x"], [".."], ["//x"],
             ["b/"], ["./c"], [], ["a", "/b", "c"]]

NAMES = ["x", "x.y", "", ".", "..", "a/b", "/x", "x/", ".x", "x.", "ä"]

STEMS = ["x", "", ".x", "x.", "x.y", "..", "a/b", "."]

SUFFIXES = [".x", "", "x", ".", "..", ".a.b", "./", "/.x", ".x/", ". "]

OTHERS = ["", ".", "/", "//", "a", "/a", "a/b", "/a/b", "..", "/a/b/c",
          "/x", "b", "a/b/c"]

PATTERNS = [
    "*", "*.txt", "a/*", "/a/*", "/*", "**", "a/**", "*/b", "b", "c",
    "[ab]", "[!a]*", "[a-c]*", "[z-a]", "[!z-a]", "?", "??", "", ".",
    "/", "b*", "*.gz", "*.tar.gz", "[", "[]]", "[!]]", "[^a]*", "[a-]*",
    "[-a]*", "A", "a/b", "/a/b", "//a", "*/*", "*/*/*", "x.py", "*.py",
    "[a-c-e]*", "[--z]*", "[!-]*", "*[0-9]*", "åäö.txt", "*ö*", "?ä*",
    "[\\]*", "a\\b", "[a\\-z]*", "c.txt", "/a/b/c.txt", "*/c.txt",
]

FULL_PATTERNS = [
    "*", "**", "/**", "/*", "a/*", "a/**", "/a/**", "**/b", "**/*.txt",
    "/a/**/c.txt", "**/c.txt", "*/b", "a/b", "/a/b", "", ".", "/", "//a",
    "**/**", "a/**/**/b", "[!x]", "a[!x]b", "?", "*.tar.gz", "**/*.gz",
    "a/**/b", "/**/c.txt", "/a/*/c.txt", "a/./b", "a//b", "*/", "..", "../*",
    "**/..", "x/y z/*", "*ö*", "**/åäö.txt", "A/B", "[a-c]/b",
]

# Character classes and wildcards, matched against single names with
# fnmatch (the rules that pathlib's patterns use within a segment).
FN_PATTERNS = [
    "[a-c-e]", "[--z]", "[!-]", "[]-a]", "[!]-a]", "[a-]", "[-]", "[!]",
    "[]", "[z-a]", "[!z-a]", "[a-b-c]", "[a--c]", "[\\]", "[\\-a]",
    "[^a]", "[[]", "[[:alpha:]]", "[a[:b]", "[&&a]", "[~~]", "[||]",
    "[a-\\]", "*[", "[*]", "[?]", "a*b*c", "*a*", "?*?", "[é-ü]", "[!é]",
    "[!a-c]", "[b-b]", "[!b-b]", "[z-ab]", "[!z-ab]", "[a-cx-z]", "[]]",
    "[!]]", "[]a]", "[!!]", "[a-c]*", "**", "*?*", "[-a-c]", "[a-c-]",
]
FN_NAMES = [
    "a", "b", "c", "d", "e", "-", "]", "[", "\\", "^", "&", "~", "|", "z",
    "é", "ñ", "ü", "abc", "aXbYc", "x", ":", "!", "*", "?", "ab", "[[",
]

CONSTRUCT = [["a", "b"], ["/a", "b"], ["a", "/b"], ["a", ""], ["", "a"],
             ["a/", "b"], ["//a", "b"], ["a", "//b", "c"], ["", ""],
             [".", "."], ["a", ".", "b"], ["/", "/"]]


def call(fn):
    try:
        return {"result": fn()}
    except Exception as e:  # the table records the class of the error
        return {"error": type(e).__name__}


def s(p):
    return str(p)


def as_uri(p):
    # Python 3.14 deprecates PurePath.as_uri (Path.as_uri stays); the
    # answers are the same.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return p.as_uri()


def outcome(row):
    return {k: row[k] for k in ("result", "error") if k in row}


def key(row):
    return json.dumps([row["path"], row["method"], row["args"]],
                      ensure_ascii=False)


def make_rows():
    rows = []

    def add(path, method, args, fn):
        row = {"path": path, "method": method, "args": args}
        row.update(call(fn))
        rows.append(row)

    for path in PATHS:
        p = P(path)
        add(path, "str", [], lambda: s(p))
        add(path, "parts", [], lambda: list(p.parts))
        add(path, "name", [], lambda: p.name)
        add(path, "stem", [], lambda: p.stem)
        add(path, "suffix", [], lambda: p.suffix)
        add(path, "suffixes", [], lambda: p.suffixes)
        add(path, "parent", [], lambda: s(p.parent))
        add(path, "parents", [], lambda: [s(x) for x in p.parents])
        add(path, "root", [], lambda: p.root)
        add(path, "anchor", [], lambda: p.anchor)
        add(path, "is_absolute", [], lambda: p.is_absolute())
        add(path, "as_posix", [], lambda: p.as_posix())
        add(path, "as_uri", [], lambda: as_uri(p))
        for a in JOIN_ARGS:
            add(path, "joinpath", a, lambda: s(p.joinpath(*a)))
        for a in NAMES:
            add(path, "with_name", [a], lambda: s(p.with_name(a)))
        for a in STEMS:
            add(path, "with_stem", [a], lambda: s(p.with_stem(a)))
        for a in SUFFIXES:
            add(path, "with_suffix", [a], lambda: s(p.with_suffix(a)))
        for a in OTHERS:
            add(path, "relative_to", [a], lambda: s(p.relative_to(a)))
            add(path, "is_relative_to", [a], lambda: p.is_relative_to(a))
        for a in PATTERNS:
            add(path, "match", [a], lambda: p.match(a))
    for path in PATHS:
        p = P(path)
        if hasattr(p, "full_match"):
            for a in FULL_PATTERNS:
                add(path, "full_match", [a], lambda: p.full_match(a))
        if sys.version_info >= (3, 12):
            for a in OTHERS:
                add(path, "relative_to_walk_up", [a],
                    lambda: s(p.relative_to(a, walk_up=True)))
    for pat in FN_PATTERNS:
        for name in FN_NAMES:
            add(name, "fnmatch", [pat],
                lambda: fnmatch.fnmatchcase(name, pat))
    for a in CONSTRUCT:
        add("", "new", a, lambda: s(P(*a)))
    # Ordering, as __lt__ gives it.
    for i, x in enumerate(PATHS):
        for y in PATHS[i + 1:i + 4]:
            add(x, "lt", [y], lambda: P(x) < P(y))
            add(y, "lt", [x], lambda: P(y) < P(x))
    return rows


def version():
    return sys.version.split()[0]


def write_table(rows, out):
    out.write('{"python": %s, "rows": [\n' % json.dumps(version()))
    out.write(",\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    out.write("\n]}\n")


def write_changes(rows, base_name, out):
    """Writes this Python's answers where they differ from the table in
    base_name, and the rows that table lacks."""
    with open(base_name, encoding="utf-8") as f:
        base = json.load(f)
    old = {key(r): outcome(r) for r in base["rows"]}
    new = {key(r) for r in rows}
    missing = [k for k in old if k not in new]
    if missing:
        sys.exit("%s has %d rows that this script no longer makes, such as"
                 " %s: regenerate it first" % (base_name, len(missing),
                                               missing[0]))
    changed = [(key(r), outcome(r)) for r in rows
               if key(r) in old and outcome(r) != old[key(r)]]
    added = [r for r in rows if key(r) not in old]
    out.write('{"python": %s,\n"base": %s,\n"changed": {\n' % (
        json.dumps(version()),
        json.dumps("%s, made by Python %s" % (base_name, base["python"]))))
    out.write(",\n".join("%s: %s" % (json.dumps(k, ensure_ascii=False),
                                       json.dumps(v, ensure_ascii=False))
                           for k, v in changed))
    out.write('\n},\n"rows": [\n')
    out.write(",\n".join(json.dumps(r, ensure_ascii=False) for r in added))
    out.write("\n]}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--changes-from", metavar="TABLE",
                    help="write only the answers that differ from TABLE's,"
                    " and the rows TABLE lacks")
    opts = ap.parse_args()
    rows = make_rows()
    if opts.changes_from:
        write_changes(rows, opts.changes_from, sys.stdout)
    else:
        write_table(rows, sys.stdout)


main()
