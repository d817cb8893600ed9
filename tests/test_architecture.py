"""The layering of DESIGN.md, enforced: ldv -> porcelain -> plumbing;
remote_server -> plumbing.  Plumbing never prints, reads os.environ or imports click."""
from __future__ import annotations

import ast
import configparser
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
LAYERS = {"ldv": ROOT / "ldv", "plumbing": ROOT / "plumbing",
          "porcelain": ROOT / "porcelain", "remote_server": ROOT / "remote_server"}
ALLOWED = {
    "ldv": {"ldv", "plumbing", "porcelain", "remote_server"},
    "porcelain": {"porcelain", "plumbing"},
    "plumbing": {"plumbing"},
    "remote_server": {"remote_server", "plumbing"},
}


def _layer_of_import(module: str, current: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "ldv":
        return None
    if len(parts) > 1 and parts[1] in ("plumbing", "porcelain", "remote_server"):
        return parts[1]
    return "ldv"


def _imports(path: pathlib.Path, layer: str):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # relative import: stays inside the current layer unless it climbs
                # out of it (``from .. import x`` at a layer's top level).
                rel = path.relative_to(LAYERS[layer]).parts
                depth = len(rel) - 1
                if node.level - 1 > depth:
                    yield node.lineno, "ldv." + (node.module or "")
                continue
            yield node.lineno, node.module or ""


def _py_files(layer):
    return sorted(LAYERS[layer].rglob("*.py"))


def test_import_direction():
    bad = []
    for layer in LAYERS:
        for f in _py_files(layer):
            for lineno, mod in _imports(f, layer):
                target = _layer_of_import(mod, layer)
                if target and target not in ALLOWED[layer]:
                    bad.append(f"{f.relative_to(ROOT)}:{lineno} imports {mod}")
    assert not bad, "layer violations:\n" + "\n".join(bad)


def test_plumbing_is_quiet():
    bad = []
    for layer in ("plumbing", "porcelain", "remote_server"):
        for f in _py_files(layer):
            tree = ast.parse(f.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print" \
                        and layer != "remote_server":
                    bad.append(f"{f.relative_to(ROOT)}:{node.lineno} prints")
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                        else [node.module or ""]
                    if any(n == "click" or n.startswith("click.") for n in names) \
                            and layer != "remote_server":
                        bad.append(f"{f.relative_to(ROOT)}:{node.lineno} imports click")
                if layer == "plumbing" and isinstance(node, ast.Attribute) \
                        and node.attr == "environ" and getattr(node.value, "id", "") == "os":
                    bad.append(f"{f.relative_to(ROOT)}:{node.lineno} reads os.environ")
    assert not bad, "\n".join(bad)


def test_every_package_is_listed_in_setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    listed = set(cfg["options"]["packages"].split())
    found = set()
    for layer, base in LAYERS.items():
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base).parts
            name = ".".join(("ldv",) + (() if layer == "ldv" else (layer,)) + rel)
            found.add(name)
    assert found <= listed, f"add to setup.cfg packages: {sorted(found - listed)}"
