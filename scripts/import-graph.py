#!/usr/bin/env python3
"""Checks the import graph between source files for circles.

Each `.rs` file is a node; `use crate::a::b`, `use super::x` and inline `crate::…`/`super::…`
paths are edges to the file that defines the named module. The checked scopes are the rooms
that must stay layered (ARCHITECTURE.md): the server's service, store and HTTP files, the app's
components, and the lifecycle core (where a circle between top-level modules means an upward
arrow). A module file and its own child files count as one room: children reach their parent
with `super::`, while the parent names its children without a prefix, which is not read here.
Prints every circle and exits 1 when there is one; `--edges` prints the graph.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (crate src dir, scope: files whose circles are errors, granularity)
SCOPES = [
    ("server/src", ["service.rs", "service/", "store.rs", "store/"], "file"),
    ("server/src", ["api.rs", "api/", "auth.rs", "errors.rs", "web.rs"], "file"),
    ("app/src", ["components.rs", "components/"], "file"),
    ("lifecycle/src", [""], "top"),
]

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)


def module_of(src, rel):
    """Module path (list) of a file relative to src."""
    parts = rel[:-3].split("/")
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return parts


def file_of(src, module):
    """The file defining the longest prefix of `module`."""
    for n in range(len(module), 0, -1):
        base = os.path.join(ROOT, src, *module[:n])
        for candidate in (base + ".rs", os.path.join(base, "mod.rs")):
            if os.path.isfile(candidate):
                return os.path.relpath(candidate, os.path.join(ROOT, src))
    return None


def strip_comments_and_strings(text):
    """Blanks comments, string and char literals (one left-to-right scan, so `"a://b"` and
    `'"'` cannot desynchronise it)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "r" and re.match(r'r#*"', text[i:]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = len(re.match(r"r(#*)", text[i:]).group(1))
            end = '"' + "#" * hashes
            j = text.find(end, i + 2 + hashes)
            i = n if j < 0 else j + len(end)
            out.append('""')
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.[^']*|[^'\\])'", text[i:]):
            i += len(re.match(r"'(\\.[^']*|[^'\\])'", text[i:]).group(0))
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def edges(src):
    graph = {}
    base = os.path.join(ROOT, src)
    for dirpath, _, files in os.walk(base):
        for name in files:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), base)
            text = strip_comments_and_strings(open(os.path.join(dirpath, name)).read())
            # Tests may reach anywhere; they are not part of the layering.
            text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
            here = module_of(src, rel)
            if name not in ("lib.rs", "main.rs", "mod.rs"):
                parent = here[:-1]
            else:
                parent = here[:-1] if here else []
            paths = []
            for m in USE_GROUP.finditer(text):
                for item in re.split(r",", m.group(3)):
                    item = item.strip().split(" as ")[0].strip()
                    if item and item not in ("self",) and re.match(r"^[A-Za-z_][\w:]*$", item):
                        paths.append((m.group(1), m.group(2) + "::" + item))
            for m in PATH.finditer(text):
                paths.append((m.group(1), m.group(2)))
            targets = set()
            for kind, tail in paths:
                names = [p for p in tail.split("::") if p]
                if kind == "crate":
                    module = names
                elif kind == "self":
                    module = here + names
                else:
                    module = list(here if name not in ("lib.rs", "main.rs", "mod.rs") else here)
                    module = module[:-1]
                    while names and names[0] == "super":
                        module = module[:-1]
                        names = names[1:]
                    module = module + names
                target = file_of(src, module)
                if target and target != rel:
                    targets.add(target)
            graph[rel] = targets
    return graph


def in_scope(rel, scope):
    return any(rel == s or (s.endswith("/") and rel.startswith(s)) or s == "" for s in scope)


def top(rel):
    return rel.split("/")[0].removesuffix(".rs")


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main():
    show = "--edges" in sys.argv
    failed = False
    for src, scope, granularity in SCOPES:
        graph = edges(src)
        sub = {}
        for node, targets in graph.items():
            if not in_scope(node, scope):
                continue
            a = top(node) if granularity == "top" else node
            for t in targets:
                if not in_scope(t, scope):
                    continue
                b = top(t) if granularity == "top" else t
                if a != b:
                    sub.setdefault(a, set()).add(b)
            sub.setdefault(a, set())
        if show:
            for a in sorted(sub):
                print(f"{src}/{a} -> {', '.join(sorted(sub[a])) or '-'}")
        for comp in cycles(sub):
            failed = True
            print(f"import circle in {src}: {' <-> '.join(comp)}")
    if not failed:
        print("import graph: no circles")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
