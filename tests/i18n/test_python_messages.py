"""Messages a person reads, written in Python, are marked for translation.

A flash, an API error or a service refusal given as a plain string literal (or an
f-string) would reach a Spanish reader in English: _() / _l() in views and forms,
msg() in services (translated where shown).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "supplies"

# Calls whose text reaches a person, and which of their arguments carry it.
SPOKEN = {
    "flash": [0],
    "ApiError": [2, 3],
    "error_response": [2, 3],
    "_json_error": [2],
    "fail": [-1],  # Fields.fail(name, why) and the imports' fail(row, name, why)
    "_bad": [0],
    "raise_if_any": [0],
    "DomainError": [0, 1],
    "ValidationFailed": [0, 1],
    "Conflict": [0, 1],
    "NotFound": [0, 1],
    "Forbidden": [0, 1],
    "InsufficientStock": [0, 1],
    "IdempotencyConflict": [0, 1],
}


def _name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _bare_text(node) -> bool:
    """A literal sentence (or f-string) that no translation marker wraps."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return any(ch.isalpha() for ch in node.value)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _bare_text(node.left) or _bare_text(node.right)
    if isinstance(node, ast.Dict):
        return any(_bare_text(value) for value in node.values)
    if isinstance(node, ast.DictComp):
        return _bare_text(node.value)
    return False


def unmarked_messages(path: Path, root: Path = ROOT) -> list[str]:
    """Line and call of each person-facing message given as bare text."""
    tree = ast.parse(path.read_text())
    found = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or _name(call) not in SPOKEN:
            continue
        for index in SPOKEN[_name(call)]:
            if -len(call.args) <= index < len(call.args) and _bare_text(call.args[index]):
                where = f"{path.relative_to(root)}:{call.lineno} {_name(call)}(...)"
                found.append((call.lineno, where))
                break
    return [text for _, text in sorted(found)]


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_person_facing_messages_are_marked(path):
    found = unmarked_messages(path)
    assert not found, f"wrap these in _() / _l() / msg(): {found}"


def test_the_check_finds_a_bare_message(tmp_path):
    module = tmp_path / "views.py"
    module.write_text(
        "flash('Saved.', 'success')\n"
        "flash(_('Saved.'), 'success')\n"
        "raise Conflict(f'{code} is taken.', {'code': 'is taken'})\n"
        "raise Conflict(msg('%(code)s is taken.', code=code), {'code': msg('is taken')})\n"
        "fields.fail('site', 'is required')\n"
    )
    found = unmarked_messages(module, root=tmp_path)
    assert found == ["views.py:1 flash(...)", "views.py:3 Conflict(...)", "views.py:5 fail(...)"]
