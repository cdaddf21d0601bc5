"""The import rules of DESIGN.md (Layout), read from the source with ast.

- A blueprint (a folder of supplies/ with a views.py) imports no other blueprint; what two
  blueprints share lives in supplies/web/ or the services.
- supplies/services/ knows nothing of the web: no request, session, flash or templates from
  flask, no blueprint, no supplies/web, no CLI commands and no create_app.
- No import circle among the modules of supplies/. Imports made while a module loads are
  checked first; imports inside functions are checked on their own, as they only hide a
  circle until the function runs.

The checks take the package folder as an argument, so the tests at the end can show
each check finds what it is for in a small made-up package.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "supplies"

# The blueprints DESIGN.md names; each must still be found (a check over nothing passes).
KNOWN_BLUEPRINTS = {
    "admin",
    "api",
    "auth",
    "catalog",
    "distribute",
    "imports",
    "inventory",
    "main",
    "reports",
}
# What services must not take from flask: the request and what answers it.
WEB_NAMES = {"request", "session", "flash", "render_template", "render_template_string"}

# Circles through imports inside functions that are allowed, each with its reason.
# Write them as tuples of module names in sorted order.
ALLOWED_FUNCTION_CIRCLES: dict[tuple[str, ...], str] = {}


@dataclass(frozen=True)
class Import:
    """One imported module (or a module's names) in one module."""

    source: str
    target: str
    names: tuple[str, ...]
    line: int
    in_function: bool
    type_only: bool

    def where(self) -> str:
        """Module and line, for messages."""
        return f"{self.source}:{self.line}"


def modules(package: Path) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its __init__.py)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` reads from."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    package = package[: len(package) - node.level + 1]
    return ".".join([*package, node.module] if node.module else package)


def imports_of(module: str, path: Path, known: set[str]) -> list[Import]:
    """What a module imports; `from pkg import sub` counts as importing the module pkg.sub."""
    found = []

    def add(target, names, node, in_function, type_only):
        found.append(Import(module, target, names, node.lineno, in_function, type_only))

    def visit(node, in_function, type_only):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    add(alias.name, (), child, in_function, type_only)
            elif isinstance(child, ast.ImportFrom):
                base = _base(module, path, child)
                plain = []
                for alias in child.names:
                    if f"{base}.{alias.name}" in known:
                        add(f"{base}.{alias.name}", (), child, in_function, type_only)
                    else:
                        plain.append(alias.name)
                if plain:
                    add(base, tuple(plain), child, in_function, type_only)
            # Attribute use of a plain `import flask` (flask.request) counts as importing it.
            elif (
                isinstance(child, ast.Attribute)
                and isinstance(child.value, ast.Name)
                and child.value.id == "flask"
            ):
                add("flask", (child.attr,), child, in_function, type_only)
            visit(
                child,
                in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)),
                type_only or (isinstance(child, ast.If) and _is_type_checking(child)),
            )

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False, False)
    return found


def all_imports(package: Path) -> list[Import]:
    """The imports of every module of the package."""
    found = modules(package)
    known = set(found)
    return [item for name, path in found.items() for item in imports_of(name, path, known)]


def blueprints(package: Path) -> set[str]:
    """The folders of the package with a views.py."""
    return {path.parent.name for path in package.glob("*/views.py")}


def _part(module: str, package: Path, parts: set[str]) -> str | None:
    """The top folder of the package a module belongs to, if it is one of parts."""
    pieces = module.split(".")
    if pieces[0] != package.name or len(pieces) < 2:
        return None
    return pieces[1] if pieces[1] in parts else None


def _inside(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def blueprint_crossings(package: Path) -> list[str]:
    """Imports from one blueprint into another."""
    parts = blueprints(package)
    wrong = []
    for item in all_imports(package):
        mine = _part(item.source, package, parts)
        theirs = _part(item.target, package, parts)
        if mine and theirs and mine != theirs:
            wrong.append(f"{item.where()} ({mine}) imports {item.target} ({theirs})")
    return wrong


def web_in_services(package: Path) -> list[str]:
    """Imports in services/ of request handling, blueprints, web glue, commands or the app."""
    top = package.name
    services = f"{top}.services"
    banned = [f"{top}.{name}" for name in sorted(blueprints(package))]
    banned += [f"{top}.web", f"{top}.commands"]
    wrong = []
    for item in all_imports(package):
        if not _inside(item.source, services):
            continue
        if item.target == "flask" and WEB_NAMES & set(item.names):
            names = ", ".join(sorted(WEB_NAMES & set(item.names)))
            wrong.append(f"{item.where()} takes {names} from flask")
        elif item.target == top:
            wrong.append(f"{item.where()} imports {top} (create_app)")
        elif any(_inside(item.target, prefix) for prefix in banned):
            wrong.append(f"{item.where()} imports {item.target}")
    return wrong


def _circles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The groups of modules that import each other (strongly connected, more than one)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        # Tarjan's algorithm without recursion: (node, its remaining neighbours).
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, rest = work[-1]
            step = next(rest, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(tuple(sorted(group)))
    return sorted(found)


def import_circles(package: Path, with_functions: bool) -> list[tuple[str, ...]]:
    """Circles among the package's modules: load-time imports, or those and function imports.

    Imports only made for type checkers are left out: they never run.
    """
    names = modules(package)
    graph: dict[str, set[str]] = {name: set() for name in names}
    for item in all_imports(package):
        if item.type_only or (item.in_function and not with_functions):
            continue
        if item.target in names and item.target != item.source:
            graph[item.source].add(item.target)
    return _circles(graph)


def _explain(circle: tuple[str, ...], package: Path, with_functions: bool) -> str:
    members = set(circle)
    lines = [
        f"    {item.where()} imports {item.target}"
        + (" (in a function)" if item.in_function else "")
        for item in all_imports(package)
        if item.source in members
        and item.target in members
        and not item.type_only
        and (with_functions or not item.in_function)
    ]
    return " <-> ".join(circle) + ":\n" + "\n".join(lines)


# --- the rules on supplies/ ------------------------------------------------------------------


def test_the_blueprints_are_found():
    missing = KNOWN_BLUEPRINTS - blueprints(PACKAGE)
    assert not missing, f"blueprints of DESIGN.md without a views.py: {sorted(missing)}"


def test_no_blueprint_imports_another_blueprint():
    wrong = blueprint_crossings(PACKAGE)
    assert not wrong, (
        "A blueprint imports another; move what both need to supplies/web/ or a service:\n  "
        + "\n  ".join(wrong)
    )


def test_services_know_nothing_of_the_web():
    wrong = web_in_services(PACKAGE)
    assert not wrong, (
        "services/ must not use the request, templates, blueprints or supplies/web:\n  "
        + "\n  ".join(wrong)
    )


def test_no_import_circles_when_modules_load():
    circles = import_circles(PACKAGE, with_functions=False)
    assert not circles, "Import circles:\n" + "\n".join(
        _explain(c, PACKAGE, False) for c in circles
    )


def test_no_import_circles_through_imports_inside_functions():
    hidden = [
        c for c in import_circles(PACKAGE, with_functions=True) if c not in ALLOWED_FUNCTION_CIRCLES
    ]
    assert not hidden, "Import circles hidden by imports inside functions:\n" + "\n".join(
        _explain(c, PACKAGE, True) for c in hidden
    )
    stale = [c for c in ALLOWED_FUNCTION_CIRCLES if c not in import_circles(PACKAGE, True)]
    assert not stale, f"ALLOWED_FUNCTION_CIRCLES names circles that are gone: {stale}"


# --- the checks find what they are for -------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "app"


def test_the_checks_find_a_crossing_a_web_service_and_circles(tmp_path):
    package = _write(
        tmp_path,
        {
            "app/__init__.py": "def create_app():\n    from app.shop import views\n",
            "app/shop/__init__.py": "",
            "app/shop/views.py": "from app.shop.blueprint import bp\nfrom app.shop import parts\n",
            "app/shop/blueprint.py": "bp = None\n",
            "app/shop/parts.py": "from .views import bp\n",
            "app/till/__init__.py": "",
            "app/till/views.py": "from app.shop.blueprint import bp\n",
            "app/services/__init__.py": "",
            "app/services/stock.py": (
                "from flask import current_app, flash\n"
                "import flask\n"
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from app.services import sales\n"
                "def f():\n"
                "    from app.services import sales\n"
                "    return flask.request\n"
            ),
            "app/services/sales.py": "from app.services import stock\nfrom app.web import forms\n",
            "app/web/__init__.py": "",
            "app/web/forms.py": "",
        },
    )
    assert blueprints(package) == {"shop", "till"}
    assert blueprint_crossings(package) == [
        "app.till.views:1 (till) imports app.shop.blueprint (shop)"
    ]
    assert web_in_services(package) == [
        "app.services.sales:2 imports app.web.forms",
        "app.services.stock:1 takes flash from flask",
        "app.services.stock:8 takes request from flask",
    ]
    assert import_circles(package, with_functions=False) == [("app.shop.parts", "app.shop.views")]
    assert import_circles(package, with_functions=True) == [
        ("app.services.sales", "app.services.stock"),
        ("app.shop.parts", "app.shop.views"),
    ]
