"""Reporting quarters: which quarter a day is in, when it closes, closing early and reopening.

Person-derived counts are published per closed quarter (DESIGN.md, "Privacy of published
counts"), so a distribution or void dated in a closed quarter is refused: it would change
a number a funder may already hold. A quarter closes REPORTING_CLOSE_DAYS after it ends;
an admin may close an ended quarter early or reopen one to enter history (audited).
Quarters are the calendar's, or the program's own where FISCAL_YEAR_START is set.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app

from supplies.extensions import db
from supplies.models import QuarterState
from supplies.services.common import clock
from supplies.services.common.errors import Conflict, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db import audit

CLOSED, REOPENED = "closed", "reopened"
_LABEL = re.compile(r"^(FY)?(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Quarter:
    """Three months of reporting: first and last day (inclusive) and the funder's label."""

    starts_on: date
    ends_on: date
    label: str


def _first_month() -> int:
    return current_app.config["FISCAL_YEAR_START"]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _quarter_starting(starts_on: date, first_month: int) -> Quarter:
    number = ((starts_on.month - first_month) % 12) // 3 + 1
    if first_month == 1:
        label = f"{starts_on.year}-Q{number}"
    else:
        # A fiscal year is named by the calendar year it ends in (FY2027 starts Oct 2026).
        fiscal_year = starts_on.year + (1 if starts_on.month >= first_month else 0)
        label = f"FY{fiscal_year}-Q{number}"
    return Quarter(starts_on, _add_months(starts_on, 3) - timedelta(days=1), label)


def quarter_of(day: date) -> Quarter:
    """The reporting quarter a program day falls in."""
    first_month = _first_month()
    offset = (day.month - first_month) % 3
    return _quarter_starting(_add_months(day.replace(day=1), -offset), first_month)


def quarters_between(start: date, end: date) -> list[Quarter]:
    """Every quarter the days from start to end (inclusive) touch, in order."""
    quarters, quarter = [], quarter_of(start)
    while quarter.starts_on <= end:
        quarters.append(quarter)
        quarter = quarter_of(quarter.ends_on + timedelta(days=1))
    return quarters


def parse(text) -> Quarter:
    """A quarter from its label: 2026-Q3 (calendar quarters) or FY2027-Q1 (fiscal ones)."""
    match = _LABEL.match(str(text or "").strip().upper())
    first_month = _first_month()
    if not match or bool(match.group(1)) != (first_month != 1):
        example = "2026-Q3" if first_month == 1 else "FY2027-Q1"
        raise ValidationFailed(
            msg("Name a quarter like %(example)s.", example=example),
            {"quarter": msg("write it like %(example)s", example=example)},
        )
    year, number = int(match.group(2)), int(match.group(3))
    if first_month == 1:
        return _quarter_starting(date(year, 3 * number - 2, 1), 1)
    fiscal_start = date(year - 1, first_month, 1)
    return _quarter_starting(_add_months(fiscal_start, 3 * (number - 1)), first_month)


def closes_on(quarter: Quarter) -> date:
    """The day a quarter closes by itself: REPORTING_CLOSE_DAYS after its last day."""
    return quarter.ends_on + timedelta(days=current_app.config["REPORTING_CLOSE_DAYS"])


def _latest_state(quarter: Quarter) -> QuarterState | None:
    return db.session.execute(
        db.select(QuarterState)
        .where(QuarterState.starts_on == quarter.starts_on)
        .order_by(QuarterState.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def closed_since(quarter: Quarter) -> date | None:
    """The day the quarter closed, or None while it is open (not yet closed, or reopened)."""
    today = clock.today()
    if quarter.ends_on >= today:
        return None  # a quarter still running is open: it cannot be closed early
    state = _latest_state(quarter)
    if state is None:
        return closes_on(quarter) if today >= closes_on(quarter) else None
    if state.state == REOPENED:
        return None
    return clock.local_date(state.changed_at)


def require_open(moment: datetime, what: str = "distribution") -> None:
    """Refuse a distribution or void dated in a closed quarter, naming the close date."""
    day = clock.local_date(moment)
    quarter = quarter_of(day)
    if quarter.ends_on >= clock.today():
        return  # today's quarter: the common case costs no query
    since = closed_since(quarter)
    if since is None:
        return
    raise Conflict(
        msg(
            "%(quarter)s closed on %(closed)s: its counts may already be with funders, so "
            "nothing dated %(day)s can be changed. An admin can reopen the quarter.",
            quarter=quarter.label,
            closed=since.isoformat(),
            day=day.isoformat(),
        ),
        {"occurred_at": msg("%(quarter)s is closed", quarter=quarter.label)},
    )


def closed_among(days) -> list[tuple[Quarter, date]]:
    """The closed quarters that any of these program days fall in, with their close dates."""
    found = {}
    for day in days:
        quarter = quarter_of(day)
        if quarter.starts_on not in found:
            found[quarter.starts_on] = (quarter, closed_since(quarter))
    return [(quarter, since) for quarter, since in found.values() if since is not None]


def _record(actor_id: int | None, quarter: Quarter, state: str) -> None:
    db.session.add(QuarterState(starts_on=quarter.starts_on, state=state, user_id=actor_id))
    audit.record(actor_id, f"quarter.{state}", "quarter", quarter.label, {"quarter": quarter.label})


def close(actor_id: int | None, quarter: Quarter) -> None:
    """Close an ended quarter now, before REPORTING_CLOSE_DAYS have passed (audited)."""
    if quarter.ends_on >= clock.today():
        raise ValidationFailed(
            msg("%(quarter)s has not ended yet.", quarter=quarter.label),
            {"quarter": msg("has not ended yet")},
        )
    since = closed_since(quarter)
    if since is not None:
        # Closing again would move the close date that refusals name: nothing to do.
        raise ValidationFailed(
            msg(
                "%(quarter)s is already closed, since %(closed)s.",
                quarter=quarter.label,
                closed=since.isoformat(),
            ),
            {"quarter": msg("is already closed")},
        )
    _record(actor_id, quarter, CLOSED)


def reopen(actor_id: int | None, quarter: Quarter) -> None:
    """Reopen a closed quarter so history can be entered; later workbooks name it (audited).

    A quarter that is open (still running, or not yet closed by the calendar) is refused:
    a reopened row would keep it from ever closing by itself.
    """
    if closed_since(quarter) is None:
        raise ValidationFailed(
            msg("%(quarter)s is open: there is nothing to reopen.", quarter=quarter.label),
            {"quarter": msg("is open")},
        )
    _record(actor_id, quarter, REOPENED)


def reopened() -> list[Quarter]:
    """Quarters an admin reopened at some time (the About sheet names them)."""
    starts = db.session.execute(
        db.select(QuarterState.starts_on)
        .where(QuarterState.state == REOPENED)
        .distinct()
        .order_by(QuarterState.starts_on)
    ).scalars()
    return [quarter_of(day) for day in starts]
