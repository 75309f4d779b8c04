#!/usr/bin/env python3
"""Writes the TOML documents written inline in the Vmfile unit tests as seed files.

usage: extract_seeds.py OUT_DIR TEST.cpp...
A document is a run of adjacent C++ string literals (plain or raw) that holds a newline and a
"=" or a "[" table header; a run preceded by `kLab +` gets the tests' lab prefix (kLab in
config_test_util.hpp) in front, as the test does. One file per document, named by its hash.
"""
import hashlib
import re
import sys

LITERAL = re.compile(r'R"(?P<d>[^(\s]*)\((?P<raw>.*?)\)(?P=d)"|"(?P<s>(?:[^"\\\n]|\\.)*)"', re.S)
ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'", "0": "\0", "r": "\r"}


def unescape(s):
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), "\\" + m.group(1)), s)


def documents(src):
    pos, run, start = 0, [], 0
    for lit in LITERAL.finditer(src):
        between = src[pos:lit.start()]
        if run and between.strip():
            yield start, "".join(run)
            run = []
        if not run:
            start = lit.start()
        run.append(lit.group("raw") if lit.group("raw") is not None else unescape(lit.group("s")))
        pos = lit.end()
    if run:
        yield start, "".join(run)


def main():
    out, files = sys.argv[1], sys.argv[2:]
    klab = ""
    for f in files:  # the shared prefix lives in the test helper header
        m = re.search(r'kLab\s*=\s*R"\((.*?)\)"', open(f, encoding="utf-8").read(), re.S)
        if m:
            klab = m.group(1)
    n = 0
    for f in files:
        src = open(f, encoding="utf-8").read()
        for start, doc in documents(src):
            if "\n" not in doc or not ("=" in doc or re.search(r"^\s*\[", doc, re.M)):
                continue
            if re.search(r"kLab\s*\)?\s*\+\s*$", src[max(0, start - 40):start]):
                doc = klab + doc
            name = hashlib.sha1(doc.encode("utf-8", "surrogateescape")).hexdigest()[:16]
            with open(f"{out}/unit-{name}.toml", "w", encoding="utf-8") as o:
                o.write(doc)
            n += 1
    print(f"extract_seeds: {n} documents from {len(files)} files")


if __name__ == "__main__":
    main()
