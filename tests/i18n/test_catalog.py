"""Every template string is wrapped for translation, and every message has its Spanish."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment
from jinja2.ext import i18n

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
PO_FILE = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
KEYWORDS["msg"] = None

# Text that reads the same in every language.
NEUTRAL = {"SHA-256", "UTC", "API"}
SPOKEN_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "data-label", "aria-description"}
HOLE = "\x00"


class _Text(HTMLParser):
    """Collects the words a person reads or hears: text nodes and spoken attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        """Spoken attributes of every tag."""
        for name, value in attrs:
            if name in SPOKEN_ATTRIBUTES and value:
                self.found.append(value)

    def handle_data(self, data):
        """Text between tags."""
        self.found.append(data)


def _words(text: str) -> list[str]:
    """Runs of letters left once Jinja output and neutral tokens are taken out."""
    pieces = [p.strip() for p in text.split(HOLE)]
    words = []
    for piece in pieces:
        for token in NEUTRAL:
            piece = piece.replace(token, "")
        # Attribute text a macro writes into a tag (aria-describedby="...") is markup, not words.
        piece = re.sub(r"[\w:-]+=(\"[^\"]*\"?|'[^']*'?)", "", piece)
        piece = re.sub(r"^[\w-]*\"$", "", piece.strip())
        if re.search(r"[A-Za-z]{2,}", piece):
            words.append(piece)
    return words


# A string literal in a Jinja expression that reads like a sentence: "Choose a site".
SENTENCE = re.compile(r"^[A-Z][a-z]+( [A-Za-z]+)+")
GETTEXT_NAMES = {"_", "gettext", "ngettext"}


def unwrapped_strings(path: Path) -> list[str]:
    """Literal text of a template that is not inside {% trans %} or _()."""
    env = Environment(extensions=[i18n], autoescape=True)
    source = path.read_text()
    html, depth, literals = [], 0, []
    previous, wrapped_at = None, []  # paren depths at which a _( ... ) call is open
    parens = 0
    for _, kind, value in env.lex(source):
        if kind == "operator" and value == "(":
            parens += 1
            if previous in GETTEXT_NAMES:
                wrapped_at.append(parens)
        elif kind == "operator" and value == ")":
            if wrapped_at and wrapped_at[-1] == parens:
                wrapped_at.pop()
            parens -= 1
        elif kind == "string" and not wrapped_at and SENTENCE.match(value[1:-1]):
            literals.append(value[1:-1])
        previous = value if kind == "name" else None
        if kind == "data" and depth == 0:
            html.append(value)
        elif kind in ("block_begin", "variable_begin", "comment_begin"):
            html.append(HOLE)
        if kind == "name" and value == "trans":
            depth += 1
        if kind == "name" and value == "endtrans":
            depth -= 1
    parser = _Text()
    parser.feed("".join(html))
    parser.close()
    return [w for text in parser.found for w in _words(text)] + literals


def _templates():
    return sorted(p for p in TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_template_string_is_wrapped(path):
    relative = str(path.relative_to(TEMPLATES))
    found = unwrapped_strings(path)
    assert not found, f"{relative} has text not wrapped for translation: {found}"


def test_the_check_finds_an_unwrapped_string(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<h1>{{ _("Stock") }}</h1><p>Units on hand</p><nav aria-label="Main"></nav>'
        "{% trans %}Wrapped text{% endtrans %}<td>{{ row.quantity }} — UTC</td>"
        '{{ field(form.site, hint=_("Pick one")) }}{{ select("site", "Choose a site") }}'
    )
    assert unwrapped_strings(page) == ["Units on hand", "Main", "Choose a site"]


def _extracted() -> dict:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault(message, filename)
    return found


def test_every_message_has_its_spanish_translation():
    with PO_FILE.open("rb") as po_file:
        catalog = read_po(po_file, locale="es")
    missing, empty = [], []
    for message, filename in _extracted().items():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None:
            missing.append(f"{filename}: {message!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            empty.append(f"{filename}: {message!r}")
    hint = "run `make messages` and translate the new entries in messages.po"
    assert not missing, f"not in the Spanish catalog ({hint}): {missing}"
    assert not empty, f"no Spanish yet, or marked fuzzy: {empty}"


def test_spanish_placeholders_match_the_english():
    with PO_FILE.open("rb") as po_file:
        catalog = read_po(po_file, locale="es")
    problems = []
    for entry in catalog:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = set(re.findall(r"%\((\w+)\)", ids[-1]))
        for text in strings:
            if set(re.findall(r"%\((\w+)\)", text)) != wanted:
                problems.append((ids[0], text))
    assert not problems
