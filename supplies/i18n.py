"""Languages: which locale a request uses, locale-aware Jinja filters, and message translation.

The locale comes from the signed-in user's setting, else the `lang` cookie the
language switch sets, else the browser's Accept-Language. Services stay free of
request state: they raise with English text built by `services.messages.msg`,
and `translate()` looks the English template up in the catalog where the
message is shown (a flash, a page, an API error).
"""

from datetime import date, datetime
from functools import lru_cache

from babel import numbers
from babel.dates import format_skeleton
from flask import Flask, request
from flask_babel import format_date, format_datetime, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user

from supplies.config import PROJECT_ROOT

LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"
ROLE_CODES = ("admin", "coordinator", "staff", "funder")
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


# Codes the database stores (roles, kinds, statuses, reasons) in the reader's words.
VALUE_LABELS = {
    "admin": _l("admin"),
    "coordinator": _l("coordinator"),
    "staff": _l("staff"),
    "funder": _l("funder"),
    "available": _l("available"),
    "quarantined": _l("quarantined"),
    "recalled": _l("recalled"),
    "submitted": _l("submitted"),
    "confirmed": _l("confirmed"),
    "discarded": _l("discarded"),
    "fixed_site": _l("fixed site"),
    "outreach": _l("outreach"),
    "mobile_van": _l("mobile van"),
    "partner_agency": _l("partner agency"),
    "vending": _l("vending machine"),
    "mail": _l("mail"),
    "naloxone_nasal": _l("naloxone, nasal"),
    "naloxone_injectable": _l("naloxone, injectable"),
    "nalmefene": _l("nalmefene"),
    "fentanyl_test_strip": _l("fentanyl test strips"),
    "xylazine_test_strip": _l("xylazine test strips"),
    "syringe": _l("syringes"),
    "smoking_supply": _l("smoking supplies"),
    "wound_care": _l("wound care"),
    "condom": _l("condoms"),
    "hygiene": _l("hygiene"),
    "other": _l("other"),
    "box": _l("box"),
    "kit": _l("kit"),
    "strip": _l("strip"),
    "each": _l("each"),
    "pack": _l("pack"),
    "vial": _l("vial"),
    "device": _l("device"),
    "receive": _l("receive"),
    "transfer_out": _l("transfer out"),
    "transfer_in": _l("transfer in"),
    "distribute": _l("distribute"),
    "adjust": _l("adjust"),
    "count": _l("count"),
    "void": _l("void"),
    "expired": _l("expired"),
    "damaged": _l("damaged"),
    "lost_or_stolen": _l("lost or stolen"),
    "found": _l("found"),
    "used_in_training": _l("used in training"),
    "data_correction": _l("data correction"),
    "purchase": _l("purchase"),
    "donation": _l("donation"),
    "state_program": _l("state program"),
}


def label(value) -> str:
    """A stored code in words of the reader's language (unknown codes: underscores to spaces)."""
    if value is None or value == "":
        return "—"
    return _label_in(value, str(get_locale()))


@lru_cache(maxsize=1024, typed=True)
def _label_in(value, locale: str) -> str:
    # Drawn for every bar and row of the stock pages; the words never change while serving.
    text = VALUE_LABELS.get(value)
    return str(text) if text is not None else str(value).replace("_", " ")


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
    values = {
        key: translate(value) if hasattr(value, "template") else value
        for key, value in message.values.items()
    }
    return gettext(template, **values) if values else gettext(template)


def translate_fields(fields: dict | None) -> dict:
    """Each field's reason in the request's language."""
    return {name: translate(why) for name, why in (fields or {}).items()}


def _date(value, style: str = "medium") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        # A moment is shown in the reader's time zone: not cached.
        return format_datetime(value, style)
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


def register(app: Flask) -> None:
    """Bind Flask-Babel and add the locale filters and globals to Jinja."""
    from supplies.extensions import babel

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["number"] = _number
    app.jinja_env.filters["translate"] = translate
    app.jinja_env.filters["label"] = label
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["role_names"] = {role: VALUE_LABELS[role] for role in ROLE_CODES}
