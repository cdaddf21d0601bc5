"""Reporting periods: the presets funders ask for, as inclusive first and last days."""

from datetime import date, timedelta

from supplies.services.common.messages import msg

PRESETS = {
    "last_month": msg("Last month"),
    "last_quarter": msg("Last quarter"),
    "last_federal_fy": msg("Last federal fiscal year (October to September)"),
    "last_state_fy": msg("Last state fiscal year (July to June)"),
    "last_calendar_year": msg("Last calendar year"),
    "custom": msg("Custom dates"),
}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    """The first of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _last_completed_year(today: date, first_month: int) -> tuple[date, date]:
    """The latest whole twelve months starting on the 1st of first_month that ended before today."""
    year = today.year if today.month >= first_month else today.year - 1
    start = date(year - 1, first_month, 1)
    return start, _add_months(start, 12) - timedelta(days=1)


def preset_period(preset: str, today: date) -> tuple[date, date]:
    """The first and last day (inclusive) of a preset period that has ended by today."""
    if preset == "last_month":
        start = _add_months(today, -1)
        return start, _month_start(today) - timedelta(days=1)
    if preset == "last_quarter":
        this_quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        start = _add_months(this_quarter, -3)
        return start, this_quarter - timedelta(days=1)
    if preset == "last_federal_fy":
        return _last_completed_year(today, 10)
    if preset == "last_state_fy":
        return _last_completed_year(today, 7)
    if preset == "last_calendar_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    raise ValueError(f"unknown preset {preset}")


def months_between(start: date, end: date) -> list[date]:
    """The first day of every month that the period touches, in order."""
    months, month = [], _month_start(start)
    while month <= end:
        months.append(month)
        month = _add_months(month, 1)
    return months


def next_month(month: date) -> date:
    """The first day of the following month."""
    return _add_months(month, 1)
