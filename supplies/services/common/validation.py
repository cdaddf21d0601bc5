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
COUNTY_PATTERN = r"^[A-Za-z][A-Za-z .'-]{1,39}$"
AREA_PATTERN = f"{ZIP_PATTERN}|{COUNTY_PATTERN}"
AREA_MAX_LENGTH = 40
# PostgreSQL cannot store a NUL byte, and no one types the other control characters.
_CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
TEXT_PATTERN = f"^[^{_CONTROL_CHARACTERS}]*$"
REQUIRED_TEXT_PATTERN = f"^(?!\\s*$)[^{_CONTROL_CHARACTERS}]*$"  # not blank either
_CODE = re.compile(CODE_PATTERN)
_CONTROL = re.compile(f"[{_CONTROL_CHARACTERS}]")
_ZIP = re.compile(ZIP_PATTERN)
_COUNTY = re.compile(COUNTY_PATTERN)


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
    if not isinstance(value, str):
        raise _bad(msg("must be a date written YYYY-MM-DD"))
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _bad(msg("must be a date written YYYY-MM-DD")) from None


def instant(value, tz_name: str, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 time (local time of the program when no offset), at most 5 minutes ahead."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(msg("must be a date and time in ISO 8601"))
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _bad(msg("must be a date and time in ISO 8601")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz_name))
    now = now or datetime.now(timezone.utc)
    if moment > now + timedelta(minutes=5):
        raise _bad(msg("cannot be in the future"))
    if moment.year < 2000:
        raise _bad(msg("is too far in the past"))
    return moment.astimezone(timezone.utc)


def operation_id(value, required: bool) -> str | None:
    """A client-generated UUID, returned in canonical lower-case form."""
    if value is None:
        if required:
            raise _bad(msg("is required (a UUID made by the client)"))
        return None
    if not isinstance(value, str):
        raise _bad(msg("must be a UUID"))
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise _bad(msg("must be a UUID")) from None


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
    if any(ch.isdigit() for ch in value) or not _COUNTY.match(value):
        raise _bad(msg("must be a county name or a 3-digit ZIP prefix"))
    return value
