"""Imports flow one way: the UCC-generated script -> ``firepower_estreamer_helper`` ->
``estreamer_splunk`` -> ``estreamer``, and no module of ``package/bin`` imports, at any level of
its code, a module that imports it back. Read from the source (every ``import``, function-level
ones included), so a cycle hidden inside a function is found too."""
import ast
import pathlib

from conftest import REPO_ROOT

BIN = REPO_ROOT / "package" / "bin"
PACKAGES = ("estreamer", "estreamer_splunk")
HELPER = "firepower_estreamer_helper"


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(BIN).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules():
    paths = [BIN / f"{HELPER}.py"]
    for package in PACKAGES:
        paths += sorted((BIN / package).rglob("*.py"))
    return {module_name(p): p for p in paths}


def imports_of(name, path, modules):
    """The modules of ours that ``name`` imports anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # "from pkg import module" names a module; "from module import name" the module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # "estreamer.wire.X" -> "estreamer.wire"
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph():
    modules = our_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycle_through(start, edges):
    """One import path from ``start`` back to itself, or None."""
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def test_the_walk_sees_the_helper_the_glue_and_the_library():
    edges = graph()
    assert {"estreamer_splunk.params", "estreamer_splunk.runner"} <= edges[HELPER]
    assert "estreamer.wire" in edges["estreamer_splunk.params"]


def test_no_module_imports_one_that_imports_it_back():
    edges = graph()
    cycles = [" -> ".join(path) for path in (cycle_through(m, edges) for m in sorted(edges))
              if path]
    assert cycles == []


def test_the_library_never_imports_the_splunk_glue_nor_the_helper():
    edges = graph()
    wrong = {(m, t) for m, targets in edges.items() if m.split(".")[0] == "estreamer"
             for t in targets if t.split(".")[0] != "estreamer"}
    assert wrong == set()


def test_the_splunk_glue_never_imports_the_helper():
    edges = graph()
    assert {m for m, targets in edges.items() if m.startswith("estreamer_splunk")
            and HELPER in targets} == set()


def test_every_module_opens_with_a_docstring_saying_what_it_owns():
    roots = [BIN, REPO_ROOT / "fmcsim", REPO_ROOT / "bench", REPO_ROOT / "tools",
             REPO_ROOT / "tests"]
    silent = [str(path.relative_to(REPO_ROOT)) for root in roots for path in root.rglob("*.py")
              if not ast.get_docstring(ast.parse(path.read_text(), str(path)))]
    assert silent == []
