"""Small-cell suppression of person-derived counts, with complementary suppression.

Person-derived counts are published per closed quarter over the whole program (DESIGN.md,
"Privacy of published counts"), so every workbook shows the same cell the same way and
differencing two workbooks gives nothing. Within a quarter each breakdown adds up to the
quarter's encounters: a count of 1 to N-1 (N = SUPPRESS_BELOW) shows "<N", and further
cells are hidden as "suppressed" (complementary cells, which may be large) until nobody
can narrow a "<N" cell below 1..N-1 by subtracting rows from their total.

The reasoning protected against: a "<N" cell lies in 1..N-1; a "suppressed" one is 0 or N
and up, never 1..N-1 (that would have shown "<N"); the others are exact. With the
quarter's total known (some breakdown fully shown), the hidden cells of a breakdown add up
to a known S, and complements are added until every "<N" cell could still be any of 1 to
N-1 under that reasoning (`protected`). Where a breakdown cannot meet that, no breakdown
of the quarter is left fully shown (each hides at least one cell), so the total itself is
not shown. What the rest of the workbook tells of it still bounds it (units from above,
a supply's exact encounters from below): where those bounds leave a "<N" cell less than
all of 1..N-1 (`protected_within`), every cell of the quarter's breakdowns is hidden.
"""

from collections import Counter

from sqlalchemy import func

from supplies.extensions import db
from supplies.models import DistributionEvent
from supplies.services import areas
from supplies.vocab import (
    AGE_BANDS,
    FIRST_TIME,
    LANGUAGES,
    RECIPIENT_TYPES,
    RESUPPLY_REASONS,
    SETTINGS,
)

NOT_RECORDED = "not recorded"
SUPPRESSED = "suppressed"
# Breakdown name -> the values always listed (zero rows included); area lists what occurs.
BREAKDOWNS = {
    "recipient_type": RECIPIENT_TYPES,
    "age_band": AGE_BANDS,
    "first_time": FIRST_TIME,
    "for_others": (True, False),
    "area": (),
    "language": LANGUAGES,
    "setting": SETTINGS,
    "resupply_reason": RESUPPLY_REASONS,
    "trained": (True, False),
}


def small(count: int, below: int) -> bool:
    """A count that is shown as <N."""
    return 0 < count < below


def shown_as(count: int, below: int):
    """A lone count (no total to protect): the number, or <N when 1 to N-1."""
    return f"<{below}" if small(count, below) else count


def suppress_group(counts: list[int], below: int, total_known: bool = True):
    """One breakdown's cells: <N for 1 to N-1, "suppressed" for complements.

    With the total known, complements are added (smallest shown non-zero cells first,
    zeros last) until they protect the small cells; None when nothing can. With the total
    unknown, one complement is hidden in any case, so this breakdown does not give the
    total away.
    """
    if below <= 0:
        return list(counts)
    hidden = {i for i, count in enumerate(counts) if small(count, below)}
    if total_known and not hidden:
        return list(counts)
    candidates = sorted(
        (i for i in range(len(counts)) if i not in hidden),
        key=lambda i: (counts[i] == 0, counts[i]),
    )
    chosen: set[int] = set()
    total = sum(counts[i] for i in hidden)
    for i in candidates:
        if chosen and (not total_known or protected(total, len(hidden), len(chosen), below)):
            break
        chosen.add(i)
        total += counts[i]
    if total_known and not protected(total, len(hidden), len(chosen), below):
        return None
    return [
        f"<{below}" if i in hidden else SUPPRESSED if i in chosen else count
        for i, count in enumerate(counts)
    ]


def reachable(total: int, smalls: int, complements: int, below: int) -> bool:
    """Whether `smalls` cells of 1 to N-1 and `complements` cells of 0 or N and up (what a
    reader knows of "<N" and "suppressed") can add up to total."""
    low, high = smalls, smalls * (below - 1)
    return low <= total <= high or (complements > 0 and total >= low + below)


def protected(hidden_sum: int, smalls: int, complements: int, below: int) -> bool:
    """Whether each of `smalls` "<N" cells could be any of 1 to N-1, when they and
    `complements` "suppressed" cells are known to add up to hidden_sum.

    A reader who fixes one "<N" cell at a value must find the rest of the sum a possible
    total of the other "<N" cells (each 1 to N-1) and the complements (each 0, or N and up).
    """
    if complements == 0:
        return False
    return all(reachable(hidden_sum - v, smalls - 1, complements, below) for v in range(1, below))


def protected_within(shown: dict[str, list], below: int, low: int, high: int) -> bool:
    """With the quarter's total kept unknown but known to lie in low..high (units published
    in full bound it from above, exact counts by supply from below), whether every "<N"
    cell could still be any of 1 to N-1: some total in that range fits every breakdown
    with the cell at that value."""
    groups = [
        (
            sum(cell for cell in cells if isinstance(cell, int)),
            sum(1 for cell in cells if cell == f"<{below}"),
            sum(1 for cell in cells if cell == SUPPRESSED),
        )
        for cells in shown.values()
    ]
    upper = high
    for known, smalls, complements in groups:
        if complements == 0:
            upper = min(upper, known + smalls * (below - 1))
    # Past this total every breakdown with a complement fits any value of any "<N" cell.
    free_from = max(known for known, _, _ in groups) + max(s for _, s, _ in groups) + 2 * below
    if upper >= max(low, free_from) and all(c > 0 for _, _, c in groups):
        return True
    # Else upper is below free_from, or some breakdown of "<N" cells alone bounds it: the
    # totals up to it are few, and one above free_from may be the one such cells need.
    totals = [
        total
        for total in range(max(low, 0), upper + 1)
        if all(reachable(total - known, s, c, below) for known, s, c in groups)
    ]
    return all(
        any(reachable(total - known - v, smalls - 1, complements, below) for total in totals)
        for known, smalls, complements in groups
        for v in (range(1, below) if smalls else ())
    )


def suppress_quarter(breakdowns: dict[str, list[int]], below: int, total_bounds=None):
    """Every breakdown of one quarter, suppressed together; and whether its total is kept
    unknowable (then every breakdown hides at least one cell).

    total_bounds, (low, high), is what other published numbers tell of the total. Where
    they narrow it too far for the hidden total to protect the "<N" cells, every cell of
    the quarter's breakdowns is "suppressed", small ones too: nothing of it is shown.
    """
    if below <= 0:
        return {name: list(counts) for name, counts in breakdowns.items()}, False
    shown = {name: suppress_group(counts, below) for name, counts in breakdowns.items()}
    if all(values is not None for values in shown.values()):
        return shown, False
    shown = {
        name: suppress_group(counts, below, total_known=False)
        for name, counts in breakdowns.items()
    }
    if total_bounds is not None and not protected_within(shown, below, *total_bounds):
        shown = {name: [SUPPRESSED] * len(counts) for name, counts in breakdowns.items()}
    return shown, True


def suppress_units(counts: list[int], below: int) -> list:
    """One supply's units of a quarter split by area, whose sum By Quarter publishes.

    Units bound encounters from above (each hands out at least one), so a cell of 1 to
    N-1 shows <N and complements protect it against the known total, as for a breakdown of
    people. Where no complement can (the quarter's total is itself small), every cell is
    hidden, zeros too: the table then says no more than By Quarter's total already does.
    """
    shown = suppress_group(counts, below)
    if shown is not None:
        return shown
    return [f"<{below}" if small(count, below) else SUPPRESSED for count in counts]


def _label(value) -> str:
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# The breakdowns with few values, counted together (at most a few thousand combinations).
COUNTED_TOGETHER = tuple(name for name in BREAKDOWNS if name != "area")


def encounter_tallies(event_conditions: list) -> tuple[dict[str, list], int]:
    """Encounters per stored value of each breakdown (area as typed), and reversals reported.

    Two passes over the events instead of one per breakdown: the breakdowns with few
    values are counted together and added up per breakdown here; area alone.
    """
    columns = [getattr(DistributionEvent, name) for name in COUNTED_TOGETHER]
    reversals = func.coalesce(func.sum(DistributionEvent.reversals_reported), 0)
    combinations = db.session.execute(
        db.select(*columns, func.count(), reversals).where(*event_conditions).group_by(*columns)
    )
    tallies = {name: Counter() for name in COUNTED_TOGETHER}
    reported = 0
    for *values, count, reversed_ in combinations:
        for name, value in zip(COUNTED_TOGETHER, values, strict=True):
            tallies[name][value] += count
        reported += int(reversed_)
    area = DistributionEvent.area
    area_counts = db.session.execute(
        db.select(area, func.count()).where(*event_conditions).group_by(area)
    )
    counted = {name: [[value, n] for value, n in tally.items()] for name, tally in tallies.items()}
    counted["area"] = [[value, n] for value, n in area_counts]
    return counted, reported


def counted_breakdowns(tallies: dict[str, list]) -> dict[str, list[tuple[str, int]]]:
    """Encounters per value of each breakdown, every allowed value listed, from
    encounter_tallies' counts; an area not on the program's list becomes "other area"."""
    found = {name: Counter() for name in BREAKDOWNS}
    listed = areas.listed_names()
    for name, counts in tallies.items():
        for value, count in counts:
            shown = areas.exported(value, listed) if name == "area" else value
            found[name][shown] += count
    result = {}
    for name, allowed in BREAKDOWNS.items():
        counts_by_value = found[name]
        values = list(allowed) + sorted(
            (value for value in counts_by_value if value is not None and value not in allowed),
            key=str,
        )
        values.append(None)
        result[name] = [(_label(value), int(counts_by_value.get(value, 0))) for value in values]
    return result
