"""Counts in words, singular or plural as the number asks, in the reader's language."""

from babel.numbers import format_decimal
from flask_babel import get_locale, ngettext

# Each noun a message counts, with its two English forms (the catalog holds the others).
_NOUNS = {
    "unit": lambda n, count: ngettext("%(count)s unit", "%(count)s units", n, count=count),
    "line": lambda n, count: ngettext("%(count)s line", "%(count)s lines", n, count=count),
    "expired unit": lambda n, count: ngettext(
        "%(count)s expired unit", "%(count)s expired units", n, count=count
    ),
}


def counted(num: int, noun: str, *, signed: bool = False) -> str:
    """'1 unit', '48 units', '2 lines' ('+5 units' when signed): a number with its noun."""
    # One number format everywhere: "4,800" in English, "4800" / "4.800" as Spanish writes it.
    count = format_decimal(abs(num), locale=str(get_locale() or "en"))
    if signed:
        count = ("-" if num < 0 else "+") + count
    return _NOUNS[noun](abs(num), count)
