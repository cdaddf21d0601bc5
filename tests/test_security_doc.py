"""SECURITY.md backs every promise with a named test, and every test it names exists."""

import ast
import re

from supplies.config import PROJECT_ROOT

DOC = (PROJECT_ROOT / "SECURITY.md").read_text()
NAMED = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def _promises() -> list[str]:
    """The bullets of the sections that promise something (not what a deployer must do)."""
    body = DOC.split("## What the deployer must do")[0]
    bullets = re.split(r"\n(?=- )", body.split("## What is worth protecting")[1])
    return [b for b in bullets if b.startswith("- ")]


def test_every_promise_names_a_test():
    unbacked = [
        p.splitlines()[0] for p in _promises() if not NAMED.search(p) and "`make lint`" not in p
    ]
    assert not unbacked, "promises in SECURITY.md without a test:\n" + "\n".join(unbacked)


def test_every_test_the_document_names_exists():
    missing = []
    for path, name in NAMED.findall(DOC):
        source = PROJECT_ROOT / path
        defined = set()
        if source.exists():
            tree = ast.parse(source.read_text())
            defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        if name not in defined:
            missing.append(f"{path}::{name}")
    assert not missing, "SECURITY.md names tests that do not exist: " + ", ".join(missing)
    assert len(NAMED.findall(DOC)) >= 50
