"""The program's clock: business days are counted in APP_TIMEZONE."""

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def program_timezone() -> ZoneInfo:
    """The time zone whose days reports and expiry dates are counted in."""
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(timezone.utc)


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
