"""The package's shape: imports flow one way (no cycles, no arrow up a layer), stages do not import each
other, modules stay small, and the published results schema is the one the code writes."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from conftest import invoke

from safetygate.report.result import json_schema

PACKAGE = Path(__file__).resolve().parents[1] / "safetygate"
# Lowest first. A module may import its own layer or a lower one, never a higher one.
LAYERS = [
    {"errors", "languages", "records", "config", "langid", "plural", "proportions"},
    {"fileio", "lines", "resources"},
    {"backends", "response_files"},
    {"suites", "generate", "judge", "gate"},  # the stages
    {"report"},
    {"pipeline", "demo"},
    {"cli", "__main__"},
]
STAGES = LAYERS[3]
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The package's own modules that `path` imports, anywhere in the file, as dotted names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("safetygate")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("safetygate"):
                # `from . import tables` names a module; `from .x import Name` names the module x.
                found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names}
    return {resolve(m) for m in found} - {name}


def resolve(dotted: str) -> str:
    while dotted not in MODULES and "." in dotted:
        dotted = dotted.rpartition(".")[0]
    return dotted


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py")}
GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer(module: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if top(module) in names)


def test_every_module_has_a_layer():
    assert {top(m) for m in MODULES if m != "safetygate"} <= set().union(*LAYERS)


def test_the_import_graph_has_no_cycle():
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == "open":
                cycle = path[path.index(target) :] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])


def test_no_import_runs_up_a_layer():
    upward = [
        f"{m} -> {t}"
        for m, targets in GRAPH.items()
        if m != "safetygate"
        for t in targets
        if t != "safetygate" and layer(t) > layer(m)
    ]
    assert not upward, upward


def test_a_stage_never_imports_another_stage():
    crossing = [
        f"{m} -> {t}"
        for m, targets in GRAPH.items()
        for t in targets
        if top(m) in STAGES and top(t) in STAGES and top(m) != top(t)
    ]
    assert not crossing, crossing


def test_modules_stay_small():
    big = {module_name(p): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, big


def test_importing_the_cli_loads_no_engine():
    import subprocess
    import sys

    code = "import sys, safetygate.cli; print(sorted(m for m in ('torch', 'vllm', 'transformers') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_published_schema_is_the_one_the_code_writes():
    committed = json.loads((PACKAGE / "report" / "results.schema.json").read_text())
    assert committed == json_schema(), "run: safetygate schema > safetygate/report/results.schema.json"
    printed = invoke("schema")
    assert printed.exit_code == 0 and json.loads(printed.stdout) == committed
