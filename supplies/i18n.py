"""Languages: which locale a request uses, locale-aware Jinja filters, and message translation.

The locale comes from the signed-in user's setting, else the `lang` cookie the
language switch sets, else the browser's Accept-Language. Services stay free of
request state: they raise with English text built by `services.messages.msg`,
and `translate()` looks the English template up in the catalog where the
message is shown (a flash, a page, an API error).
"""

from datetime import date, datetime
from functools import lru_cache

from babel import Locale, numbers
from babel.dates import format_skeleton
from flask import Flask, request
from flask_babel import format_date, get_locale, gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user

from supplies.config import PROJECT_ROOT
from supplies.services.common import clock
from supplies.vocab import INTERFACE_LANGUAGES, ROLES, VALUE_LABELS

# The screens' languages, each named in its own words.
LANGUAGES = INTERFACE_LANGUAGES.labels
DEFAULT_LANGUAGE = "en"
ROLE_CODES = ROLES
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def label(value) -> str:
    """A stored code in words of the reader's language (unknown codes: underscores to spaces)."""
    if value is None or value == "":
        return "—"
    return _label_in(value, str(get_locale()))


@lru_cache(maxsize=1024, typed=True)
def _label_in(value, locale: str) -> str:
    # Drawn for every bar and row of the stock pages; the words never change while serving.
    # The codes and their words are defined once, in supplies.vocab.
    text = VALUE_LABELS.get(value)
    return str(text) if text is not None else str(value).replace("_", " ")


def option_label(value) -> str:
    """A stored code as an option of a list or a heading shows it: its label with a capital
    first letter ("Purchase", "Expired", "Admin"), never the bare code."""
    text = label(value)
    return text[:1].upper() + text[1:]


def lazy_option_label(value) -> LazyString:
    """`option_label(value)` worked out when shown, for form choices built at import time."""
    return LazyString(option_label, value)


def lazy_label(value) -> LazyString:
    """`label(value)` worked out when shown, for form choices built at import time."""
    return LazyString(label, value)


def lazy_translate(message) -> LazyString:
    """`translate(message)` worked out when shown, for a service's labels in a form."""
    return LazyString(translate, message)


def select_locale() -> str:
    """The user's setting, else the switch's cookie, else the browser's best match."""
    user_language = getattr(current_user, "language", None) if _user_known() else None
    if user_language in LANGUAGES:
        return user_language
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def _user_known() -> bool:
    # Reading current_user outside a request (CLI, workbook jobs) would fail.
    try:
        return bool(current_user and current_user.is_authenticated)
    except (AttributeError, RuntimeError):
        return False


def current_language() -> str:
    """The language of this request, as a two-letter code."""
    locale = get_locale()
    return locale.language if locale else DEFAULT_LANGUAGE


def translate(message) -> str:
    """Show a service's English message in the request's language (unknown text stays as is)."""
    if message is None:
        return ""
    template = getattr(message, "template", None)
    if template is None:
        return gettext(str(message)) if str(message) else ""
    values = {key: _shown_value(key, value) for key, value in message.values.items()}
    return gettext(template, **values) if values else gettext(template)


# Values that are counts of units, shown as the pages show numbers ("1,988", "1.988"); a
# row or a year ("row 1204", "2026") is left as written.
_UNIT_COUNTS = frozenset(
    {"available", "wanted", "left", "units", "quantity", "usable", "requested"}
)


def _shown_value(key: str, value):
    if hasattr(value, "template"):
        return translate(value)
    if key in _UNIT_COUNTS and isinstance(value, int) and not isinstance(value, bool):
        return numbers.format_decimal(value, locale=get_locale() or DEFAULT_LANGUAGE)
    return value


def translate_fields(fields: dict | None) -> dict:
    """Each field's reason in the request's language."""
    return {name: translate(why) for name, why in (fields or {}).items()}


def format_moment(moment: datetime | str, style: str = "medium") -> str:
    """An instant as every page shows one: on the program's clock (APP_TIMEZONE, through
    clock.local_time), in the reader's language, with a 24-hour time.

    style: "medium" the date and time ("Jan 14, 2026, 19:30"), "day_time" without the year
    ("Jan 14, 19:30"), "time" the time alone ("19:30"), "day" the program's date alone.
    """
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    local = clock.local_time(moment)
    locale = get_locale() or Locale.parse(DEFAULT_LANGUAGE)
    if style == "day":
        return _formatted_date(local.date(), "medium", str(locale))
    time_text = format_skeleton("Hm", local, locale=locale)
    if style == "time":
        return time_text
    day = format_skeleton("MMMd" if style == "day_time" else "yMMMd", local, locale=locale)
    # The locale's own way of joining a date and a time ("{1}, {0}" in English and Spanish).
    return locale.datetime_formats["medium"].format(time_text, day)


def _date(value, style: str = "medium") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            try:
                value = datetime.fromisoformat(value)  # an instant written as ISO text
            except ValueError:
                return value
    if isinstance(value, datetime):
        # A moment, on the program's clock whatever the reader's zone: not cached.
        return format_moment(value, style)
    return _formatted_date(value, style, str(get_locale()))


@lru_cache(maxsize=4096)
def _formatted_date(day: date, style: str, locale: str) -> str:
    # A chart or a lot list shows the same few days over and over: as with numbers, Babel's
    # formatting is done once per day, style and language.
    if style == "day_month":
        # The locale's own short form: "Nov 23" in English, "23 nov" in Spanish.
        return format_skeleton("MMMd", day, locale=locale)
    return format_date(day, style)  # in the current locale, which `locale` names


def _number(value) -> str:
    if value is None or value == "":
        return "—"
    return _formatted_number(value, str(get_locale()))


@lru_cache(maxsize=4096)
def _formatted_number(value, locale: str) -> str:
    # The stock pages show hundreds of small counts, mostly the same few values: Babel's
    # formatting is worth doing once per value and language.
    return numbers.format_decimal(value, locale=locale)


def format_number(value) -> str:
    """A number as every page writes one (the `number` filter): "4,800" in English."""
    return _number(value)


def format_day(value, style: str = "medium") -> str:
    """A day or moment as every page writes one (the `date` filter): "May 30, 2028"."""
    return _date(value, style)


def register(app: Flask) -> None:
    """Bind Flask-Babel and add the locale filters and globals to Jinja."""
    from supplies.extensions import babel

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations"))
    # One zone for every time shown: Flask-Babel's own helpers agree with format_moment.
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["APP_TIMEZONE"]
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["date"] = _date  # days, and moments through format_moment
    app.jinja_env.filters["number"] = _number
    app.jinja_env.filters["translate"] = translate
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["option_label"] = option_label
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["role_names"] = {role: VALUE_LABELS[role] for role in ROLE_CODES}
