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


def local_date(moment: datetime) -> date:
    """The program's calendar date of an instant."""
    return moment.astimezone(program_timezone()).date()


def today() -> date:
    """Today's date where the program works."""
    return local_date(now())


def start_of_day(day: date) -> datetime:
    """The first instant of a program day, in UTC."""
    return datetime.combine(day, time.min, tzinfo=program_timezone()).astimezone(timezone.utc)
