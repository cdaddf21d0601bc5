"""A closed quarter's sums over its events, read from the events once and then kept.

The workbook's person-derived tables come from whole closed quarters over the whole program
(quarterly.py), and nothing dated in a closed quarter can be distributed or voided: the
sums over its events stay what they were, and reading them again from a year of events is
most of what a workbook's queries cost. They are kept in quarter_counts with a stamp of
what they were read from: how many events the quarter holds, and how many distribute and
void movements and the newest of them. Every event and every void writes such movements,
dated as the event, however it gets there (a quarter reopened, an import undone), so any
change to the quarter's events changes the stamp, and sums whose stamp no longer matches
are read again: a kept number is never given for events that changed.

Only sums over events are kept, and areas only as exports show them (an area typed outside
the program's list as "other area"). What the workbook makes of them (the sites' counties,
partner agencies' reports, suppression) is worked out each time.
"""

import hashlib
import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from supplies.extensions import db
from supplies.models import DistributionEvent, Movement, QuarterCounts
from supplies.services import areas
from supplies.services.common import clock
from supplies.services.db.unit_of_work import snapshot, transaction
from supplies.services.distribution import quarters
from supplies.services.reporting import breakdowns, suppression
from supplies.services.reporting import queries as q

log = logging.getLogger(__name__)
REPLACED = ("stamp", "counts", "counted_at")  # what a quarter's sums kept again replace
# How far back housekeeping looks for closed quarters with no sums kept.
RECENT_QUARTERS = 4
# Part of the stamp, with the names of the breakdowns summed: raise it whenever what is
# summed changes (QuarterSums' fields, which events count, a data migration rewriting
# the events' columns), so sums kept before are read again rather than misread.
SHAPE = 1


@dataclass
class QuarterSums:
    """The sums over one quarter's events (not voided) that its person-derived cells need.

    Lists of lists, as JSON keeps them (suppression.encounter_tallies and
    breakdowns.line_totals say what each holds).
    """

    tallies: dict  # breakdown name -> [stored value, encounters]
    reversals: int  # reversals reported at the quarter's encounters
    encounters: list  # [supply id, encounters that handed it out]
    event_units: int  # units the encounters handed out, by their own lines
    area_units: list  # [event area, supply id, units]
    site_units: list  # [site id, supply id, units] of events without an area
    for_others: list  # [supply id, units handed on for others]
    ledger_units: int  # units distributed by the ledger (voids netted by their own date)


@dataclass(frozen=True)
class FreshSums:
    """Sums read from the events, to be kept once the report's snapshot has ended."""

    starts_on: date
    stamp: str
    sums: QuarterSums


def quarter_bounds(quarter) -> tuple[list, datetime, datetime]:
    """A quarter's events over the whole program: conditions, first instant, instant after."""
    lower = clock.start_of_day(quarter.starts_on)
    upper = clock.start_of_day(quarter.ends_on + timedelta(days=1))
    return q.event_conditions(q.WholeProgram(), lower, upper), lower, upper


def quarter_sums(quarter) -> tuple[QuarterSums, FreshSums | None]:
    """The quarter's sums over the whole program, kept or read now, and what to keep."""
    conditions, lower, upper = quarter_bounds(quarter)
    listed = areas.listed_names()
    stamp = _stamp(lower, upper, listed)
    kept = db.session.execute(
        db.select(QuarterCounts).where(QuarterCounts.starts_on == quarter.starts_on)
    ).scalar_one_or_none()
    if kept is not None and kept.stamp == stamp:
        return QuarterSums(**kept.counts), None
    tallies, reversals = suppression.encounter_tallies(conditions)
    lines = breakdowns.line_totals(conditions)
    # Areas as exports show them: an area typed outside the program's list (it could be a
    # name) is kept as "other area", never copied; the list is in the stamp.
    tallies["area"] = [[areas.exported(area, listed), n] for area, n in tallies["area"]]
    lines["area_units"] = [
        [areas.exported(area, listed), supply_id, units]
        for area, supply_id, units in lines["area_units"]
    ]
    sums = QuarterSums(
        tallies=tallies,
        reversals=reversals,
        **lines,
        ledger_units=q.distributed_units(q.WholeProgram(), lower, upper),
    )
    return sums, FreshSums(quarter.starts_on, stamp, sums)


def _stamp(lower: datetime, upper: datetime, listed: set[str]) -> str:
    """What a quarter's sums are read from: its bounds, events, distribute and void
    movements, and the areas listed when they were read."""
    events = db.session.execute(
        db.select(func.count()).where(
            DistributionEvent.occurred_at >= lower, DistributionEvent.occurred_at < upper
        )
    ).scalar_one()
    movements, newest = db.session.execute(
        db.select(func.count(), func.max(Movement.id)).where(
            Movement.occurred_at >= lower,
            Movement.occurred_at < upper,
            q._unindexed(Movement.kind).in_(q.DISTRIBUTED_KINDS),
        )
    ).one()
    # The instants too: a change of time zone moves a quarter's bounds, and with them
    # which events it holds, whatever the counts.
    span = f"{lower.isoformat()}/{upper.isoformat()}"
    counted = f"events={events};movements={movements};newest={newest or 0}"
    return f"{_shape(listed)};{span};{counted}"


def _shape(listed: set[str]) -> str:
    """SHAPE, the breakdowns summed (one added later is read, never taken as 0) and the
    areas listed (one listed later shows as itself, not as "other area")."""
    names = "|".join([",".join(suppression.COUNTED_TOGETHER), *sorted(listed)]).encode()
    return f"v{SHAPE}.{hashlib.sha256(names).hexdigest()[:12]}"


def keep(counted: list[FreshSums]) -> None:
    """Keep sums read during a report, each in place of what its quarter had kept before.

    They only spare later workbooks the reading: where the database cannot take them now
    (its write lock held too long, a connection lost), the workbook goes on without.
    """
    if not counted:
        return
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    try:
        with transaction():
            for quarter in counted:
                values = {
                    "starts_on": quarter.starts_on,
                    "stamp": quarter.stamp,
                    "counts": asdict(quarter.sums),
                    "counted_at": clock.now(),
                }
                # Two workbooks may read the same quarter at once: the later one's sums
                # win, and both are right for the stamp they carry.
                statement = dialect.insert(QuarterCounts).values(**values)
                replaced = {key: statement.excluded[key] for key in REPLACED}
                db.session.execute(
                    statement.on_conflict_do_update(
                        index_elements=[QuarterCounts.starts_on], set_=replaced
                    )
                )
    except OperationalError:
        log.warning("quarter sums not kept (read again next time)", exc_info=True)


def count_recently_closed(today: date) -> int:
    """Read and keep the sums of the last RECENT_QUARTERS quarters that are closed and have
    none kept, so the first workbook of a quarter does not wait for them; how many."""
    kept = set(db.session.execute(db.select(QuarterCounts.starts_on)).scalars())
    counted = []
    quarter = quarters.quarter_of(today)
    with snapshot():
        for _ in range(RECENT_QUARTERS):
            quarter = quarters.quarter_of(quarter.starts_on - timedelta(days=1))
            if quarter.starts_on in kept or quarters.closed_since(quarter) is None:
                continue
            fresh = quarter_sums(quarter)[1]
            if fresh is not None:
                counted.append(fresh)
    keep(counted)
    return len(counted)
