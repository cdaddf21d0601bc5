"""Parsing of untrusted input into clean values; every failure names its field."""

import re
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from supplies.services.common.errors import ValidationFailed
from supplies.services.common.messages import msg

MAX_QUANTITY = 100_000
# Patterns the OpenAPI document states as they are (the same in Python and ECMA-262).
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
ZIP_PATTERN = r"^([0-9]{3})([0-9]{2})?(-[0-9]{4})?$"
AREA_MAX_LENGTH = 40
# PostgreSQL cannot store a NUL byte, and no one types the other control characters.
_CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
# A ZIP, or a name without digits (accents allowed: Doña Ana); the service then requires
# the name to be one of the program's areas (supplies.services.areas).
AREA_PATTERN = f"{ZIP_PATTERN}|^[^0-9{_CONTROL_CHARACTERS}]{{2,40}}$"
TEXT_PATTERN = f"^[^{_CONTROL_CHARACTERS}]*$"
REQUIRED_TEXT_PATTERN = f"^(?!\\s*$)[^{_CONTROL_CHARACTERS}]*$"  # not blank either
# Dates a person could mean: anything outside these years is a typing slip or an attack
# (9999-12-31 once overflowed the day-after arithmetic of reports into a server error).
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)
# Exactly the real days from 2000-01-01 to 2100-12-31 (leap days included, 2100 is none),
# so a generator can draw dates from the pattern alone.
DATE_PATTERN = (
    r"^(?:(?:20[0-9]{2}|2100)-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"|20(?:[02468][048]|[13579][26])-02-29)$"
)
DATE_TIME_PATTERN = r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}T"
# A UUID in its canonical text (8-4-4-4-12 hex digits): no braces, no urn: prefix.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_CODE = re.compile(CODE_PATTERN)
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_UUID = re.compile(UUID_PATTERN)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(f"[{_CONTROL_CHARACTERS}]")
_ZIP = re.compile(ZIP_PATTERN)


class Fields:
    """Collects field errors so one response can name every bad field at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, name: str, why: str) -> None:
        """Record why a field is bad (the first reason wins)."""
        self.errors.setdefault(name, why)

    def check(self, name: str, parse, *args, **kwargs):
        """Run a parser; on failure record the error and return None."""
        try:
            return parse(*args, **kwargs)
        except ValidationFailed as error:
            self.fail(name, error.fields.get("value", error.message))
            return None

    def raise_if_any(self, message: str = msg("Some fields are not valid.")) -> None:
        """Raise one ValidationFailed naming every bad field."""
        if self.errors:
            raise ValidationFailed(message, dict(self.errors))


def listed_items(raw, fields: Fields, known, limit: int) -> list[tuple[str, dict]]:
    """The objects of a body's `items` list as (field name, item) pairs: an empty or too long
    list, an item that is not an object and a field an item does not have are refused."""
    if not isinstance(raw, list) or not raw:
        fields.fail("items", msg("give at least one supply and quantity"))
        return []
    if len(raw) > limit:
        fields.fail("items", msg("at most %(limit)s lines", limit=limit))
        return []
    found = []
    for index, item in enumerate(raw):
        name = f"items[{index}]"
        if not isinstance(item, dict):
            fields.fail(name, msg("must be an object with supply and quantity"))
            continue
        for key in item:
            if key not in known:
                fields.fail(f"{name}.{key}", msg("is not a field of an item"))
        found.append((name, item))
    return found


def _bad(why: str) -> ValidationFailed:
    return ValidationFailed(why, {"value": why})


def quantity(value, minimum: int = 1, maximum: int = MAX_QUANTITY) -> int:
    """A whole number of units; strings, floats and booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(
            msg(
                "must be a whole number from %(minimum)s to %(maximum)s",
                minimum=minimum,
                maximum=maximum,
            )
        )
    if value < minimum or value > maximum:
        raise _bad(
            msg(
                "must be a whole number from %(minimum)s to %(maximum)s",
                minimum=minimum,
                maximum=maximum,
            )
        )
    return value


def signed_quantity(value) -> int:
    """A whole number from -100000 to 100000, not zero."""
    if isinstance(value, bool) or not isinstance(value, int) or value == 0:
        raise _bad(
            msg(
                "must be a whole number from -%(limit)s to %(limit)s, not 0",
                limit=MAX_QUANTITY,
            )
        )
    if abs(value) > MAX_QUANTITY:
        raise _bad(
            msg(
                "must be a whole number from -%(limit)s to %(limit)s, not 0",
                limit=MAX_QUANTITY,
            )
        )
    return value


def text(value, max_length: int, required: bool = True) -> str | None:
    """A trimmed string of at most max_length characters."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _bad(msg("is required"))
        return None
    if not isinstance(value, str):
        raise _bad(msg("must be text"))
    value = value.strip()
    if _CONTROL.search(value):
        raise _bad(msg("must not hold control characters"))
    if len(value) > max_length:
        raise _bad(msg("must be at most %(max_length)s characters", max_length=max_length))
    return value


# A stock note is about stock, never about a person: a field that takes any text will
# receive a name one day (DOMAIN.md). A name cannot be told from other words, but the
# shapes that only ever point at a person can. Each stands between non-word characters, so
# digits inside a lot number, an NDC code or a tracking number never match; a toll-free
# number (a recall notice's hotline) is a company's, and a bare run of digits is a phone
# number only after a word that says so.
_BIRTH_YEARS = r"19\d\d|200\d|201[0-4]"  # a full date in these years is someone's birth
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic)[a-z]*\.?"
_TOLL_FREE = r"8(?:00|33|44|55|66|77|88)\b"
_PERSONAL_SHAPES = (
    r"[\w.+-]+@[a-z][\w-]*(?:\.[a-z]{2,})*",  # an email address, even without its ending
    rf"(?:\+?1[\s.-]?)?\(?(?!{_TOLL_FREE})\d{{3}}\)?[\s.-]?\d{{3}}[\s.-]\d{{4}}",  # 555-123-4567
    r"\d{2}[\s.-]\d{4}[\s.-]\d{4}",  # 55 1234 5678 (Mexico)
    rf"\+(?!1[\s.-]?\(?{_TOLL_FREE})\d{{1,3}}(?:[\s.-]?\d){{7,13}}",  # +52 1 55 1234 5678
    rf"(?:tel|phone|cell?|m[oó]vil|tel[eé]fono)\W{{0,3}}(?!(?:\+?1[\s.-]?)?\(?{_TOLL_FREE})"
    r"\+?\d[\d\s().-]{6,}\d",
    r"\d{3}[\s-]\d{2}[\s-]\d{4}",  # a social security number
    # 3/4/1990, 3/4/90; a two-digit year from 40 only (12/31/30 is an expiry date)
    rf"\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:{_BIRTH_YEARS}|[4-9]\d)",
    rf"(?:{_BIRTH_YEARS})[/.-]\d{{1,2}}[/.-]\d{{1,2}}",  # 1990-03-04
    rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:{_BIRTH_YEARS})",  # Jan 5, 1985
    rf"\d{{1,2}}\s+(?:de\s+)?{_MONTH},?\s+(?:de\s+)?(?:{_BIRTH_YEARS})",  # 5 de enero de 1985
    r"d\.?\s?o\.?\s?b\.?:?\s?\d*",  # DOB, D.O.B., DOB85
    r"date of birth|birth\s?date|birthday|born|fecha de nacimiento|nacimiento|naci[oó]|nacid[oa]",
)
_PERSONAL_DETAILS = re.compile(
    "|".join(rf"(?<!\w)(?:{shape})(?!\w)" for shape in _PERSONAL_SHAPES), re.IGNORECASE
)


def stock_note(value, max_length: int) -> str | None:
    """Optional text about stock; what can only be a person's details is refused."""
    value = text(value, max_length, required=False)
    if value is not None and _PERSONAL_DETAILS.search(value):
        raise _bad(
            msg(
                "must describe the stock, not a person: no phone numbers, emails, birth "
                "dates or ID numbers"
            )
        )
    return value


def is_code(value) -> bool:
    """Whether a value could be a code at all (a lookup of anything else finds nothing)."""
    return isinstance(value, str) and _CODE.fullmatch(value) is not None


def code(value) -> str:
    """A short identifier used in URLs and exports: letters, digits, - _ ."""
    value = text(value, 32)
    if not is_code(value):
        raise _bad(msg("use up to 32 letters, digits, '-', '_' or '.'"))
    return value


def choice(value, allowed, required: bool = False):
    """One of the allowed values, or None when optional and absent."""
    if value is None or value == "":
        if required:
            raise _bad(msg("is required"))
        return None
    if not isinstance(value, str) or value not in allowed:
        raise _bad(msg("must be one of: %(values)s", values=", ".join(allowed)))
    return value


def boolean(value, required: bool = False) -> bool | None:
    """True or false (JSON booleans only); None when optional and absent."""
    if value is None:
        if required:
            raise _bad(msg("is required"))
        return None
    if not isinstance(value, bool):
        raise _bad(msg("must be true or false"))
    return value


def iso_date(value, required: bool = False) -> date | None:
    """A calendar date written YYYY-MM-DD."""
    if value is None or value == "":
        if required:
            raise _bad(msg("is required"))
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DAY.fullmatch(value.strip()):
        # date.fromisoformat() takes more shapes (20260101, 2026-W01-1): the API says one.
        raise _bad(msg("must be a date written YYYY-MM-DD"))
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise _bad(msg("must be a date written YYYY-MM-DD")) from None
    return plausible_date(day)


def plausible_date(day: date) -> date:
    """A date from 2000-01-01 to 2100-12-31; others are refused (the one rule for dates)."""
    if not MIN_DATE <= day <= MAX_DATE:
        raise _bad(msg("must be a date from 2000-01-01 to 2100-12-31"))
    return day


def utc_as_offset(text: str) -> str:
    """ISO 8601 text with a trailing Z or z (UTC; RFC 3339 allows either case) written as
    +00:00, which fromisoformat reads on every Python."""
    return text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text


def instant(value, tz_name: str, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 time (local time of the program when no offset), at most 5 minutes ahead."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(msg("must be a date and time in ISO 8601"))
    text = value.strip()
    if len(text) > 10 and text[10] not in "Tt ":
        # fromisoformat takes any character between the date and the time.
        raise _bad(msg("must be a date and time in ISO 8601"))
    try:
        moment = datetime.fromisoformat(utc_as_offset(text))
    except ValueError:
        raise _bad(msg("must be a date and time in ISO 8601")) from None
    # Before any arithmetic: a year near 1 or 9999 overflows once an offset is applied.
    if moment.year < MIN_DATE.year:
        raise _bad(msg("is too far in the past"))
    if moment.year > MAX_DATE.year:
        raise _bad(msg("cannot be in the future"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz_name))
    now = now or datetime.now(timezone.utc)
    if moment > now + timedelta(minutes=5):
        raise _bad(msg("cannot be in the future"))
    return moment.astimezone(timezone.utc)


def operation_id(value, required: bool) -> str | None:
    """A client-generated UUID in its canonical text, returned in lower case.

    Only the 8-4-4-4-12 form is taken: uuid.UUID() also reads braces, "urn:uuid:" and bare
    hex, and one operation must not go by several names.
    """
    if value is None:
        if required:
            raise _bad(msg("is required (a UUID made by the client)"))
        return None
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise _bad(msg("must be a UUID"))
    return str(uuid.UUID(value))


def is_plain_text(value) -> bool:
    """Whether a value is text a person could type: no control characters, no lone surrogates
    (PostgreSQL refuses a NUL byte in a query, so such text is never looked up)."""
    return isinstance(value, str) and not _CONTROL.search(value) and not _SURROGATE.search(value)


def is_uuid(value) -> bool:
    """Whether a value is a UUID in canonical text (a lookup of anything else finds nothing)."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def lone_surrogate(value, path: str = "") -> str | None:
    """Where in a parsed JSON value text holds a lone UTF-16 surrogate ("x\\ud800y"), or None.

    JSON may spell one, but it is not text: no database can store it, so it is refused
    before anything reads the body. The answer names the field (items[0].supply).
    """
    if isinstance(value, str):
        return (path or "body") if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _SURROGATE.search(key):
                return _SURROGATE.sub("\ufffd", where)
            found = lone_surrogate(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = lone_surrogate(item, f"{path}[{index}]")
            if found:
                return found
    return None


def area(value) -> str | None:
    """A county name or a 3-digit ZIP prefix; a longer ZIP is cut to its first 3 digits."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise _bad(msg("must be a county name or a 3-digit ZIP prefix"))
    value = value.strip()
    zip_match = _ZIP.match(value)
    if zip_match:
        return zip_match.group(1)
    if not 2 <= len(value) <= AREA_MAX_LENGTH or not _is_place_name(value):
        raise _bad(msg("must be a county name or a 3-digit ZIP prefix"))
    return " ".join(value.split())


def _is_place_name(value: str) -> bool:
    """Letters (accents too), spaces, dots, apostrophes and dashes, from a letter on."""
    return value[0].isalpha() and all(ch.isalpha() or ch in " .'-" for ch in value)
