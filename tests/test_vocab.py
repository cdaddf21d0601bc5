"""Allowed values live once, in supplies/vocab.py, with labels the Spanish catalog translates."""

import ast
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import force_locale

from supplies import i18n, vocab
from supplies.distribute import forms as distribute_forms
from supplies.vocab import Label, Vocabulary

ROOT = Path(__file__).resolve().parents[1]
PO_FILE = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"
VOCABULARIES = {name: x for name, x in vars(vocab).items() if isinstance(x, Vocabulary)}


def test_every_vocabulary_is_a_tuple_of_unique_codes_each_with_a_label():
    assert len(VOCABULARIES) >= 17
    for name, values in VOCABULARIES.items():
        assert isinstance(values, tuple), name
        assert len(set(values)) == len(values), name
        assert list(values.labels) == list(values), name
        assert all(values.labels[code] for code in values), name


def test_labels_keep_their_msgids_and_spanish_translates_them():
    with PO_FILE.open("rb") as po_file:
        catalog = read_po(po_file, locale="es")
    labels = [x for values in VOCABULARIES.values() for x in values.labels.values()]
    labels += list(vocab.CATEGORY_HEADINGS.values())
    messages = [label for label in labels if isinstance(label, Label)]
    assert len(messages) > 80
    for label in messages:
        entry = catalog.get(label.english)
        assert entry is not None and entry.string, label.english


def test_label_shows_stored_codes_in_the_readers_language(app):
    assert i18n.VALUE_LABELS is vocab.VALUE_LABELS
    for values in vocab.STORED_VOCABULARIES:
        assert set(values) <= set(vocab.VALUE_LABELS)
    with app.test_request_context(), force_locale("es"):
        assert i18n.label("fixed_site") == "sitio fijo"
        assert i18n.label("lost_or_stolen") == str(
            vocab.ADJUSTMENT_REASONS.labels["lost_or_stolen"]
        )
        assert i18n.label("made_up_code") == "made up code"


def test_codes_shared_by_vocabularies_have_one_label():
    seen = {}
    for values in vocab.STORED_VOCABULARIES:
        for code, label in values.labels.items():
            assert seen.setdefault(code, label.english) == label.english, code


def test_the_related_tables_agree_with_the_vocabularies():
    assert set(vocab.SETTING_FOR_SITE_KIND) == set(vocab.SITE_KINDS)
    assert set(vocab.SETTING_FOR_SITE_KIND.values()) <= set(vocab.SETTINGS)
    assert set(vocab.REVERSAL_CATEGORIES) <= set(vocab.SUPPLY_CATEGORIES)
    assert list(vocab.CATEGORY_HEADINGS) == list(vocab.SUPPLY_CATEGORIES)
    assert list(vocab.VOID_REASONS) == [
        "entered_in_error",
        "wrong_quantity",
        "wrong_supply",
        "duplicate",
        "participant_declined",
        "other",
    ]


def test_the_distribution_form_offers_the_vocabularies():
    def codes(choices):
        return [code for code, _ in choices if code]

    assert codes(distribute_forms.SETTING_CHOICES) == list(vocab.SETTINGS)
    assert codes(distribute_forms.RECIPIENT_CHOICES) == list(vocab.RECIPIENT_TYPES)
    assert codes(distribute_forms.FIRST_TIME_CHOICES) == list(vocab.FIRST_TIME)
    assert codes(distribute_forms.AGE_CHOICES) == list(vocab.AGE_BANDS)
    assert codes(distribute_forms.LANGUAGE_CHOICES) == list(vocab.LANGUAGES)
    # The overdose toggle stands for used_on_overdose; the list has the others.
    resupply = [c for c in vocab.RESUPPLY_REASONS if c != "used_on_overdose"]
    assert codes(distribute_forms.RESUPPLY_CHOICES) == resupply
    reasons = distribute_forms.VoidForm.reason.kwargs["choices"]
    assert [choice.value for choice in reasons] == list(vocab.VOID_REASONS)


def _literal_code_sets(path: Path):
    """Sets of string constants written as a tuple, list or set, or as the keys of a table of
    labels (a dict whose values are calls such as _l("...")), in a module.

    A dict of numbers keyed by codes (the demo data's weights) is data, not a copy.
    """
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            items = node.elts
        elif isinstance(node, ast.Dict) and all(isinstance(x, ast.Call) for x in node.values):
            items = [key for key in node.keys if key is not None]
        else:
            continue
        strings = [
            i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)
        ]
        if len(strings) >= 3 and len(strings) == len(items):
            yield node.lineno, frozenset(strings)


def test_no_module_keeps_its_own_copy_of_a_vocabulary():
    known = {frozenset(values): name for name, values in VOCABULARIES.items() if len(values) >= 3}
    copies = []
    for path in sorted((ROOT / "supplies").rglob("*.py")):
        if path.name == "vocab.py":
            continue
        for line, strings in _literal_code_sets(path):
            if strings in known:
                copies.append(f"{path.relative_to(ROOT)}:{line} copies {known[strings]}")
    assert not copies
