"""The program's clock: business days are counted in APP_TIMEZONE."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app

# Set only while a history is loaded as it happened (the demo): see `replaying`.
_replayed_now: ContextVar[datetime | None] = ContextVar("replayed_now", default=None)


def program_timezone() -> ZoneInfo:
    """The time zone whose days reports and expiry dates are counted in."""
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def now() -> datetime:
    """The current instant, aware, in UTC."""
    replayed = _replayed_now.get()
    return replayed if replayed is not None else datetime.now(timezone.utc)


@contextmanager
def replaying(moment: datetime) -> Iterator[None]:
    """Run the block as if it were that past moment, for loading a history as it was
    recorded (the demo's six months: each write then is dated "now", checked against
    the stock and the open quarter of that moment). Never on a request path. Stamps the
    database or the audit log take from the real clock stay real."""
    if moment.tzinfo is None:
        raise ValueError("replaying needs an aware datetime")
    token = _replayed_now.set(moment.astimezone(timezone.utc))
    try:
        yield
    finally:
        _replayed_now.reset(token)


def local_time(moment: datetime, zone: ZoneInfo | None = None) -> datetime:
    """An instant on the program's clock (aware, in APP_TIMEZONE): every time shown is this.

    A naive datetime is taken as UTC, as the database stores instants. `zone` saves the
    look-up in a loop over many rows (it must be program_timezone()).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone or program_timezone())


def sheet_time(moment: datetime, zone: ZoneInfo | None = None) -> datetime:
    """An instant as a workbook cell: the program's wall time, naive, in whole seconds
    (Excel has no time zones)."""
    return local_time(moment, zone).replace(tzinfo=None, microsecond=0)


def local_date(moment: datetime) -> date:
    """The program's calendar date of an instant."""
    return local_time(moment).date()


def today() -> date:
    """Today's date where the program works."""
    return local_date(now())


def start_of_day(day: date) -> datetime:
    """The first instant of a program day, in UTC."""
    return datetime.combine(day, time.min, tzinfo=program_timezone()).astimezone(timezone.utc)
