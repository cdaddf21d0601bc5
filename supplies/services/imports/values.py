"""Spreadsheet cells into clean values: numbers, dates and yes/no as people type them.

Every parser raises CellError with a reason that reads well after "row 7, column C:".
"""

import re
from datetime import date, datetime, time, timedelta

from supplies.services.common.messages import msg
from supplies.services.common.validation import utc_as_offset

EXCEL_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (it counts 1900 as a leap year)
# Serial numbers from 2000-01-01 to 2099-12-31: anything else is not a plausible date here.
SERIAL_RANGE = (36526, 73050)
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.0+)?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_TEXT_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y")
_TRUE = {"true", "yes", "y", "1", "x", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


class CellError(ValueError):
    """A cell that cannot be read as what its column holds; the message says why."""


def blank(value) -> bool:
    """True for an empty cell or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def text(value, max_length: int = 120) -> str | None:
    """A trimmed string (numbers written as text: 12.0 becomes "12"); None when blank."""
    if blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(msg("must be text"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        raise CellError(msg("must be text, not a date"))
    value = " ".join(str(value).split())
    if len(value) > max_length:
        raise CellError(msg("must be at most %(length)s characters", length=max_length))
    return value


def whole_number(value, minimum: int, maximum: int) -> int | None:
    """A whole number in range; fractions, negatives and words are refused; None when blank."""
    if blank(value):
        return None
    reason = msg(
        "must be a whole number from %(minimum)s to %(maximum)s", minimum=minimum, maximum=maximum
    )
    if isinstance(value, bool | datetime | date):
        raise CellError(reason)
    if isinstance(value, str):
        cleaned = value.strip()
        if _THOUSANDS.match(cleaned):
            cleaned = cleaned.replace(",", "")
        try:
            value = float(cleaned) if "." in cleaned or "e" in cleaned.lower() else int(cleaned)
        except ValueError:
            found = repr(value.strip()[:20])
            raise CellError(
                msg("%(reason)s (found %(value)s)", reason=reason, value=found)
            ) from None
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(
                msg("%(reason)s: %(value)s is a fraction", reason=reason, value=f"{value:g}")
            )
        value = int(value)
    if value < minimum:
        if value < 0:
            raise CellError(msg("%(reason)s: negative", reason=reason))
        raise CellError(msg("%(reason)s: %(value)s is too small", reason=reason, value=value))
    if value > maximum:
        raise CellError(msg("%(reason)s: %(value)s is too large", reason=reason, value=value))
    return value


def _from_serial(number: float) -> datetime:
    if not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        raise CellError(
            msg(
                "must be a date; %(value)s is not a date between 2000 and 2099", value=f"{number:g}"
            )
        )
    return EXCEL_EPOCH + timedelta(days=number)


def _text_moment(value: str) -> datetime:
    cleaned = value.strip()
    try:
        return datetime.fromisoformat(utc_as_offset(cleaned).replace("/", "-"))
    except ValueError:
        pass
    day_part, _, time_part = cleaned.partition(" ")
    slashed = _SLASHED.match(day_part)
    if slashed:
        # Programs here are in the US: 03/04/2026 is March 4th.
        month, day, year = (int(part) for part in slashed.groups())
        year = year + 2000 if year < 100 else year
        try:
            moment = datetime(year, month, day)
        except ValueError:
            raise CellError(
                msg("%(value)s is not a date (month/day/year)", value=repr(cleaned))
            ) from None
        if time_part:
            moment = datetime.combine(moment.date(), _time_of_day(time_part, cleaned))
        return moment
    for pattern in _TEXT_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
    try:
        return _from_serial(float(cleaned))
    except ValueError:
        pass
    raise CellError(msg("%(value)s is not a date (write YYYY-MM-DD)", value=repr(cleaned[:30])))


def _time_of_day(value: str, whole: str) -> time:
    for pattern in ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p"):
        try:
            return datetime.strptime(value.strip().upper(), pattern).time()
        except ValueError:
            continue
    raise CellError(msg("%(value)s has a time that is not a time", value=repr(whole[:30])))


def moment(value) -> datetime | date | None:
    """A date, or a date and time when the cell has one; text, Excel dates and serials.

    The time is naive (the program's clock) except for text that names its offset or ends
    in Z, which stays aware so the caller converts it rather than reading it as local.
    """
    if blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(msg("must be a date"))
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        return value.date() if value.time() == time.min else value
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        found = _from_serial(float(value))
    else:
        found = _text_moment(str(value))
    if found.tzinfo is not None:
        return found
    return found.date() if found.time() == time.min else found


def day(value) -> date | None:
    """A calendar date (a time of day, if any, is refused as a likely mix-up of columns)."""
    found = moment(value)
    if isinstance(found, datetime):
        if found.tzinfo is None and found.time() == time.min:
            return found.date()
        raise CellError(msg("must be a date without a time of day"))
    return found


def yes_no(value) -> bool | None:
    """True or false from yes/no, true/false, y/n, 1/0 or a ticked cell; None when blank."""
    if blank(value):
        return None
    if isinstance(value, bool):
        return value
    word = str(int(value) if isinstance(value, float) and value.is_integer() else value)
    word = word.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise CellError(msg("must be yes or no"))


def choice(value, allowed: tuple[str, ...]) -> str | None:
    """One of the allowed codes; case, spaces and dashes are forgiven (18-24 is 18_24)."""
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    word = re.sub(r"[\s-]+", "_", str(value).strip().lower()).replace("+", "_plus")
    word = word.replace("__", "_")
    if word in allowed:
        return word
    raise CellError(msg("must be one of: %(values)s", values=", ".join(allowed)))


def area(value) -> str | None:
    """Area as typed; a ZIP stored as a number gets back its leading zeros (2134 is 02134)."""
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value).zfill(3) if value < 1000 else str(value).zfill(5)
    return str(value).strip()
