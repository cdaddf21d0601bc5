"""Small-cell suppression of person-derived counts, with complementary suppression.

A count of 1 to N-1 (N = SUPPRESS_BELOW) is shown as "<N". Every breakdown adds up to the
total number of encounters, which the workbook shows elsewhere, so a breakdown with exactly
one hidden cell would give it away by subtraction: the next smallest cell is hidden too.
"""

from collections import Counter

from sqlalchemy import func

from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.vocab import AGE_BANDS, FIRST_TIME, LANGUAGES, RECIPIENT_TYPES, SETTINGS

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
    """Encounters per value of each breakdown, suppressed.

    Two passes over the period's events instead of one per breakdown: the breakdowns
    with few values are counted together (at most a few thousand combinations) and
    added up per breakdown here; area, with as many values as there are places, alone.
    """
    found = {name: Counter() for name in BREAKDOWNS}
    together = [name for name in BREAKDOWNS if name != "area"]
    columns = [getattr(DistributionEvent, name) for name in together]
    combinations = db.session.execute(
        db.select(*columns, func.count()).where(*event_conditions).group_by(*columns)
    )
    for *values, count in combinations:
        for name, value in zip(together, values, strict=True):
            found[name][value] += count
    area = DistributionEvent.area
    found["area"].update(
        dict(
            db.session.execute(
                db.select(area, func.count()).where(*event_conditions).group_by(area)
            ).all()
        )
    )
    rows = []
    for name, allowed in BREAKDOWNS.items():
        counts_by_value = found[name]
        values = list(allowed) + sorted(
            (value for value in counts_by_value if value is not None and value not in allowed),
            key=str,
        )
        values.append(None)
        counts = [int(counts_by_value.get(value, 0)) for value in values]
        for value, shown in zip(values, suppress(counts, below), strict=True):
            rows.append({"breakdown": name, "value": _label(value), "encounters": shown})
    return rows
