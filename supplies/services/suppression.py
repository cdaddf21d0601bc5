"""Small-cell suppression of person-derived counts, with complementary suppression.

A count of 1 to N-1 (N = SUPPRESS_BELOW) is shown as "<N". Every breakdown adds up to the
total number of encounters, which the workbook shows elsewhere, so a breakdown with exactly
one hidden cell would give it away by subtraction: the next smallest cell is hidden too.
"""

from sqlalchemy import func

from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.services.distribution import (
    AGE_BANDS,
    FIRST_TIME,
    LANGUAGES,
    RECIPIENT_TYPES,
    SETTINGS,
)

NOT_RECORDED = "not recorded"
# Breakdown name -> the values always listed (zero rows included); area lists what occurs.
BREAKDOWNS = {
    "recipient_type": RECIPIENT_TYPES,
    "age_band": AGE_BANDS,
    "first_time": FIRST_TIME,
    "for_others": (True, False),
    "area": (),
    "language": LANGUAGES,
    "setting": SETTINGS,
}


def suppress(counts: list[int], below: int) -> list[int | str]:
    """Hide counts of 1 to below-1, and one more cell when only one would be hidden."""
    if below <= 0:
        return list(counts)
    hidden = {i for i, count in enumerate(counts) if 0 < count < below}
    if len(hidden) == 1:
        # Prefer the smallest shown non-zero cell; a zero only when nothing else is left.
        others = sorted((count == 0, count, i) for i, count in enumerate(counts) if i not in hidden)
        if others:
            hidden.add(others[0][2])
    return [f"<{below}" if i in hidden else count for i, count in enumerate(counts)]


def _label(value) -> str:
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def recipient_breakdowns(event_conditions: list, below: int) -> list[dict]:
    """Encounters per value of each breakdown (one GROUP BY each), suppressed."""
    rows = []
    for name, allowed in BREAKDOWNS.items():
        column = getattr(DistributionEvent, name)
        found = dict(
            db.session.execute(
                db.select(column, func.count()).where(*event_conditions).group_by(column)
            ).all()
        )
        values = list(allowed) + sorted(
            (value for value in found if value is not None and value not in allowed), key=str
        )
        values.append(None)
        counts = [int(found.get(value, 0)) for value in values]
        for value, shown in zip(values, suppress(counts, below), strict=True):
            rows.append({"breakdown": name, "value": _label(value), "encounters": shown})
    return rows
