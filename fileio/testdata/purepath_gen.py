#!/usr/bin/env python3
"""Generates purepath.json: what Python's pathlib.PurePosixPath answers for
the inputs below. The Go tests of fileio.Path check every row.

Run it from this directory with the system's python3:

    python3 purepath_gen.py > purepath.json

The table records the Python version that made it. fileio follows Python
3.14. Rows for what older Pythons lack (full_match, relative_to with
walk_up) are written only when the running Python has it. With an older
Python, purepath_py314.json holds Python 3.14's answers where they differ
from this table, and the rows this table lacks; the Go test applies it.
"""

import fnmatch
import json
import pathlib
import sys

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


def main():
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
        add(path, "as_uri", [], lambda: p.as_uri())
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

    out = sys.stdout
    out.write('{"python": %s, "rows": [\n' % json.dumps(sys.version.split()[0]))
    out.write(",\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    out.write("\n]}\n")


main()
