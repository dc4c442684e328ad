"""The three layers stay apart: the library, training, and the classroom server.

`ls ganlib` shows them: the library's modules (what a notebook user imports), `training/`
(the machinery that trains in the background) and `server/` (what one app process shares
between browsers). Each layer imports only layers below it, nothing imports in a circle,
the server never imports Streamlit, and pages reach the server only through `ui/`. These
tests read the import statements (top-level, inside functions and under TYPE_CHECKING
alike), so a lazy import cannot hide an upward dependency. The same reader keeps
docs/design.md's module table true: a row per module, with what it imports.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first: a module may import its own layer and the ones before it.
LAYERS = ("library", "training", "server")
# The command line is an entry point, as app.py is: it drives training runs, so it sits
# above training, but it has no business with the classroom server.
ENTRY_POINTS = {"ganlib.cli": "training", "ganlib.__main__": "training"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str | None = None) -> set[str]:
    """Every module `path` (the module named `module`) imports, as absolute dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = module or module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            # `from ganlib.training import runner` imports the module ganlib.training.runner
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def ganlib_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / "ganlib").rglob("*.py"))}


def layer_of(module: str) -> str:
    if module in ENTRY_POINTS:
        return ENTRY_POINTS[module]
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("training", "server"):
        return parts[1]
    return "library"


def internal_imports(path: Path, known: dict[str, Path]) -> set[str]:
    return {name for name in imports_of(path) if name in known and name != "ganlib"}


def test_ls_ganlib_shows_the_three_layers():
    assert (ROOT / "ganlib" / "training" / "__init__.py").is_file()
    assert (ROOT / "ganlib" / "server" / "__init__.py").is_file()
    modules = ganlib_modules()
    assert {layer_of(m) for m in modules} == set(LAYERS)


def test_no_layer_imports_a_layer_above_it():
    modules = ganlib_modules()
    upward = []
    for name, path in modules.items():
        own = LAYERS.index(layer_of(name))
        for imported in internal_imports(path, modules):
            if LAYERS.index(layer_of(imported)) > own and name not in ENTRY_POINTS:
                upward.append(f"{name} ({layer_of(name)}) imports {imported} ({layer_of(imported)})")
            if name in ENTRY_POINTS and layer_of(imported) == "server":
                upward.append(f"{name} (entry point) imports {imported} (server)")
    assert not upward, "\n".join(upward)


def test_no_import_circle_anywhere_in_ganlib():
    modules = ganlib_modules()
    graph = {name: internal_imports(path, modules) - {name} for name, path in modules.items()}
    # A package imports its own submodules' names only through them, so `ganlib.x` ->
    # `ganlib.x.y` edges of a package's __init__ re-exporting its parts are kept: a circle
    # through one is still a circle.
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


def test_neither_the_library_nor_the_server_imports_streamlit_or_the_ui():
    offenders = []
    for name, path in ganlib_modules().items():
        for imported in imports_of(path):
            if imported.split(".")[0] in ("streamlit", "ui", "pages"):
                offenders.append(f"{name} imports {imported}")
    assert not offenders, "\n".join(offenders)


def test_pages_reach_the_server_only_through_ui():
    offenders = [f"{path.name} imports {imported}"
                 for path in sorted((ROOT / "pages").glob("*.py"))
                 for imported in imports_of(path) if imported.startswith("ganlib.server")]
    assert not offenders, "\n".join(offenders)


def test_the_import_reader_sees_lazy_and_relative_imports(tmp_path):
    """The checks above are only as good as `imports_of`: it must see an import inside a
    function, one under TYPE_CHECKING, and `from . import x` in a package."""
    source = ("from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    from ganlib.server.registry import RunRegistry\n"
              "def f():\n    from ganlib.training import runner\n"
              "from . import sibling\n")
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    found = imports_of(probe, "ganlib.training.probe")
    assert {"ganlib.server.registry", "ganlib.training.runner", "ganlib.training.sibling"} <= found


# --- docs/design.md's module table says what each module imports ------------------------------

DESIGN = ROOT / "docs" / "design.md"
# Modules any module may import; the table leaves them out of "depends on".
EVERYWHERE = {"ganlib.errors", "ganlib.messages"}
_ROW = re.compile(r"^\|\s*`(ganlib/[^`]+)`\s*\|")


def documented_modules() -> dict[str, Path]:
    """Every ganlib module that needs a row: all but a package's `__init__` that holds only
    its docstring (`ganlib/training/`, `ganlib/server/`)."""
    def docstring_only(path: Path) -> bool:
        body = ast.parse(path.read_text(encoding="utf-8")).body
        return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                   for node in body)
    return {name: path for name, path in ganlib_modules().items()
            if not (path.name == "__init__.py" and docstring_only(path))}


def short(module: str) -> str:
    """A module as the table names it: `training.runner` for ganlib.training.runner."""
    return module.removeprefix("ganlib.")


def table_rows() -> dict[str, tuple[str, set[str]]]:
    """The module table's rows: module (dotted) -> (the file it names, the modules in its
    "depends on" column; text in parentheses is a remark, "—" is none)."""
    rows: dict[str, tuple[str, set[str]]] = {}
    for number, line in enumerate(DESIGN.read_text(encoding="utf-8").splitlines(), 1):
        if not (found := _ROW.match(line)):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 3, (f"docs/design.md line {number}: a module row has three "
                                 f"cells (module | what it is | depends on), not {len(cells)}")
        module = module_name(ROOT / found.group(1).rstrip("/"))
        assert module not in rows, f"docs/design.md line {number}: a second row for {module}"
        listed = re.sub(r"\([^)]*\)", "", cells[2]).replace("`", "")
        rows[module] = (found.group(1), {f"ganlib.{name.strip()}" for name in listed.split(",")
                                         if name.strip() not in ("", "—", "-")})
    return rows


def test_the_design_docs_module_table_has_a_true_row_for_every_module():
    """docs/design.md's module table: a row for every ganlib module, none for a module that
    is gone, and each row's "depends on" is what the module imports. A failure says which
    row to add, fix or remove."""
    modules, rows = documented_modules(), table_rows()
    problems = []
    for name, path in modules.items():
        imported = sorted(internal_imports(path, modules) - EVERYWHERE - {name})
        should_read = ", ".join(map(short, imported)) or "—"
        file = path.relative_to(ROOT).as_posix()
        if name not in rows:
            problems.append(f"no row for {file}: add one to its layer's table in "
                            f"docs/design.md:\n  | `{file}` | <what it is, and why> | "
                            f"{should_read} |")
        elif rows[name][1] != set(imported):
            listed = ", ".join(sorted(map(short, rows[name][1]))) or "—"
            problems.append(f"the row of {file} says it depends on {listed}, but it imports "
                            f"{should_read}: write \"{should_read}\"")
    problems += [f"docs/design.md has a row for {file}, which is not a ganlib module (moved "
                 f"or removed?): fix or remove the row"
                 for name, (file, _) in rows.items() if name not in modules]
    assert not problems, "\n".join(problems)
