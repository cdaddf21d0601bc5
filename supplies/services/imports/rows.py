"""Checking every row of an import against the catalogue and the stock, before any write.

The checks read the database once (codes, names, known lots, stock on hand) and then run
in memory, so a preview of 200,000 rows takes seconds and holds no lock.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from supplies.extensions import db
from supplies.models import Batch, FundingSource, Site, Supply
from supplies.services import areas, catalog
from supplies.services.common import clock
from supplies.services.common import validation as v
from supplies.services.common.errors import ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.distribution import quarters
from supplies.services.imports import values as cell
from supplies.services.imports.columns import Column
from supplies.services.imports.reading import FORMULA
from supplies.services.imports.stock_check import simulate_stock
from supplies.services.stock.work import ReceiptLine
from supplies.vocab import (
    AGE_BANDS,
    FIRST_TIME,
    LANGUAGES,
    PARTNER_KIND,
    RECEIPT_SOURCES,
    RECIPIENT_TYPES,
    RESUPPLY_REASONS,
    SETTINGS,
)

# Rows received at one site on one day become receipts of at most this many lines.
RECEIPT_LINES = 100
_LANGUAGE_NAMES = {"english": "en", "spanish": "es", "español": "es", "espanol": "es"}


@dataclass(frozen=True)
class RowError:
    """A refusal, named as the spreadsheet numbers it: row (header = 1), column, reason."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        """The refusal as one line of text."""
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return (", ".join(where) + ": " if where else "") + self.message


# What a lookup says when a cell names nothing, or more than one thing, or a retired one.
_LOOKUP_TEXT = {
    "site": (
        lambda typed: msg("%(value)s names more than one site; use the code", value=typed),
        lambda typed: msg("no site has the code or name %(value)s", value=typed),
        lambda code: msg("site %(code)s is inactive", code=code),
    ),
    "supply": (
        lambda typed: msg("%(value)s names more than one supply; use the code", value=typed),
        lambda typed: msg("no supply has the code or name %(value)s", value=typed),
        lambda code: msg("supply %(code)s is inactive", code=code),
    ),
    "funding source": (
        lambda typed: msg(
            "%(value)s names more than one funding source; use the code", value=typed
        ),
        lambda typed: msg("no funding source has the code or name %(value)s", value=typed),
        lambda code: msg("funding source %(code)s is inactive", code=code),
    ),
}


class Lookup:
    """Sites, supplies or funding sources by code, or by exact name ignoring case."""

    def __init__(self, noun: str, things: list, inactive_ok: bool = False):
        self.noun, self.inactive_ok = noun, inactive_ok
        self.by_code = {thing.code: thing for thing in things}
        self.by_folded: dict[str, list] = {}
        for thing in things:
            for key in {thing.code.casefold(), " ".join(thing.name.split()).casefold()}:
                self.by_folded.setdefault(key, []).append(thing)

    def find(self, value):
        """The one thing this cell names, or a CellError saying why not."""
        typed = cell.text(value, 120)
        if typed is None:
            return None
        found = self.by_code.get(typed)
        several, none, inactive = _LOOKUP_TEXT[self.noun]
        if found is None:
            matches = self.by_folded.get(typed.casefold(), [])
            if len(matches) > 1:
                raise cell.CellError(several(repr(typed)))
            if not matches:
                raise cell.CellError(none(repr(typed)))
            found = matches[0]
        if not found.active and not self.inactive_ok:
            raise cell.CellError(inactive(found.code))
        return found


def lookups() -> dict[str, Lookup]:
    """Every site, supply and funding source, read once for the whole file."""
    sites = db.session.execute(
        db.select(Site.id, Site.code, Site.name, Site.active, Site.kind)
    ).all()
    supplies = db.session.execute(
        db.select(Supply.id, Supply.code, Supply.name, Supply.active, Supply.tracks_lots)
    ).all()
    funding = db.session.execute(
        db.select(FundingSource.id, FundingSource.code, FundingSource.name, FundingSource.active)
    ).all()
    return {
        "site": Lookup("site", sites),
        "supply": Lookup("supply", supplies),
        # A grant that has ended still paid for the stock it bought.
        "funding": Lookup("funding source", funding, inactive_ok=True),
    }


class RowChecker:
    """Reads named cells of a row, collecting every error instead of stopping at the first."""

    def __init__(self, columns: dict[str, Column]):
        self.columns = columns
        self.errors: list[RowError] = []

    def fail(self, row: int, name: str | None, message: str) -> None:
        """Record a refusal of a row's cell (or of the whole row when name is None)."""
        column = self.columns[name].label if name in self.columns else None
        self.errors.append(RowError(row, column, message))

    def read(self, row: int, cells: list, name: str, parse, *args, required: bool = False):
        """Parse the named cell; on failure record why and return None."""
        column = self.columns.get(name)
        raw = cells[column.index] if column and column.index < len(cells) else None
        if raw is FORMULA:
            self.fail(row, name, msg("is a formula without a saved value; save the file in Excel"))
            return None
        try:
            value = parse(raw, *args)
        except cell.CellError as error:
            self.fail(row, name, error.args[0])  # the message itself, translatable where shown
            return None
        except ValidationFailed as error:
            self.fail(row, name, error.fields.get("value", error.message))
            return None
        if value is None and required:
            self.fail(row, name, msg("is required"))
        return value


# --- starting stock ------------------------------------------------------------------


@dataclass
class Receipt:
    """Rows received at one site on one day, written as one receipt through the service."""

    site: str
    received_on: date | None
    source: str | None
    lines: list[tuple[int, ReceiptLine]] = field(default_factory=list)


def check_stock(rows, columns, found: dict[str, Lookup], progress=None):
    """Every stock row checked; returns (receipts, errors, counts by site and supply)."""
    check = RowChecker(columns)
    today = clock.today()
    known = _known_lots()
    in_file: dict[tuple[int, str], tuple[date | None, int]] = {}
    open_receipts: dict[tuple, Receipt] = {}
    plan: list[Receipt] = []
    counts: dict[tuple[str, str], dict] = {}
    for done, (row, cells) in enumerate(rows, start=1):
        before = len(check.errors)
        site = check.read(row, cells, "site", found["site"].find, required=True)
        supply = check.read(row, cells, "supply", found["supply"].find, required=True)
        quantity = check.read(
            row, cells, "quantity", cell.whole_number, 1, v.MAX_QUANTITY, required=True
        )
        lot = check.read(row, cells, "lot_number", cell.text, 64)
        expires_on = check.read(row, cells, "expires_on", cell.day)
        funding = check.read(row, cells, "funding", found["funding"].find)
        received_on = check.read(row, cells, "received_on", cell.day)
        source = check.read(row, cells, "source", cell.choice, RECEIPT_SOURCES)
        if received_on and received_on > today:
            check.fail(row, "received_on", msg("cannot be in the future"))
        if expires_on and expires_on < (received_on or today):
            # As the receipt service refuses it: the import writes without calling it.
            check.fail(
                row,
                "expires_on",
                msg(
                    "expired on %(day)s, before it was received: receive it for disposal or "
                    "return instead",
                    day=expires_on.isoformat(),
                ),
            )
        if supply and supply.tracks_lots:
            if not lot:
                check.fail(
                    row,
                    "lot_number",
                    msg("%(supply)s tracks lots: enter the lot number", supply=supply.code),
                )
            if not expires_on and not _has_error(check, row, "expires_on", before):
                check.fail(
                    row,
                    "expires_on",
                    msg("%(supply)s tracks lots: enter the expiry", supply=supply.code),
                )
        if supply and lot and expires_on:
            first = in_file.setdefault((supply.id, lot), (expires_on, row))
            others = [d for d in known.get((supply.id, lot), ()) if d and d != expires_on]
            if first[0] != expires_on:
                check.fail(
                    row,
                    "expires_on",
                    msg(
                        "lot %(lot)s has two expiry dates: %(first)s in row %(row)s "
                        "and %(here)s here",
                        lot=lot,
                        first=first[0].isoformat(),
                        row=first[1],
                        here=expires_on.isoformat(),
                    ),
                )
            elif others:
                already = msg(
                    "lot %(lot_number)s is already known with expiry %(value)s",
                    lot_number=lot,
                    value=others[0],
                )
                check.fail(row, "expires_on", already)
        if progress and done % 1000 == 0:
            progress(1000)
        if len(check.errors) > before:
            continue
        key = (site.code, received_on, source)
        receipt = open_receipts.get(key)
        if receipt is None or len(receipt.lines) >= RECEIPT_LINES:
            receipt = open_receipts[key] = Receipt(site.code, received_on, source)
            plan.append(receipt)
        line = ReceiptLine(
            supply.code, quantity, lot, expires_on.isoformat() if expires_on else None,
            funding.code if funding else None,
        )  # fmt: skip
        receipt.lines.append((row, line))
        tally = counts.setdefault((site.code, supply.code), {"rows": 0, "units": 0})
        tally["rows"] += 1
        tally["units"] += quantity
    return plan, check.errors, counts


def _has_error(check: RowChecker, row: int, name: str, since: int) -> bool:
    if name not in check.columns:
        # No such column in the file: no error of the row is about its cell (others with no
        # column, such as a missing lot number, must not hide this one).
        return False
    label = check.columns[name].label
    return any(e.row == row and e.column == label for e in check.errors[since:])


def _known_lots() -> dict[tuple[int, str], set]:
    known: dict[tuple[int, str], set] = {}
    for supply_id, lot, expires_on in db.session.execute(
        db.select(Batch.supply_id, Batch.lot_number, Batch.expires_on)
        .where(Batch.lot_number.is_not(None))
        .distinct()
    ):
        known.setdefault((supply_id, lot), set()).add(expires_on)
    return known


# --- past distributions ----------------------------------------------------------------


@dataclass
class Event:
    """Rows that form one distribution event, checked together and written by applying.py."""

    site: object
    occurred_at: datetime
    first_row: int
    fields: dict = field(default_factory=dict)
    field_rows: dict = field(default_factory=dict)
    items: list[tuple[int, object, int]] = field(default_factory=list)
    bad: bool = False


def _event_readers() -> dict:
    def first_time(value):
        if isinstance(value, bool):
            return "yes" if value else "no"
        return cell.choice(value, FIRST_TIME)

    def language(value):
        if isinstance(value, str) and value.strip().casefold() in _LANGUAGE_NAMES:
            return _LANGUAGE_NAMES[value.strip().casefold()]
        return cell.choice(value, LANGUAGES)

    area_of = areas.matcher()
    return {
        "setting": lambda x: cell.choice(x, SETTINGS),
        "recipient_type": lambda x: cell.choice(x, RECIPIENT_TYPES),
        "for_others": cell.yes_no,
        "first_time": first_time,
        "age_band": lambda x: cell.choice(x, AGE_BANDS),
        # One of the program's areas or a ZIP (the list read once per import).
        "area": lambda x: area_of(cell.area(x)),
        "trained": cell.yes_no,
        "reversals_reported": lambda x: cell.whole_number(x, 0, 1000),
        "resupply_reason": lambda x: cell.choice(x, RESUPPLY_REASONS),
        "language": language,
    }


def _instant(moment, zone: ZoneInfo, now: datetime) -> datetime:
    if isinstance(moment, datetime):
        instant = moment if moment.tzinfo else moment.replace(tzinfo=zone)
        instant = instant.astimezone(timezone.utc)
    else:
        instant = clock.start_of_day(moment)
    if instant > now + timedelta(minutes=5):
        raise cell.CellError(msg("is in the future"))
    if instant.year < 2000:
        raise cell.CellError(msg("is before 2000"))
    return instant


def check_distributions(rows, columns, found: dict[str, Lookup], progress=None):
    """Every distribution row checked and grouped into events; stock is simulated in order."""
    check = RowChecker(columns)
    zone, now = clock.program_timezone(), clock.now()
    readers = _event_readers()
    events: dict[tuple, Event] = {}
    for done, (row, cells) in enumerate(rows, start=1):
        before = len(check.errors)
        moment = check.read(row, cells, "date", cell.moment, required=True)
        instant = None
        if moment is not None:
            try:
                instant = _instant(moment, zone, now)
            except cell.CellError as error:
                check.fail(row, "date", error.args[0])
        site = check.read(row, cells, "site", found["site"].find, required=True)
        if site is not None and site.kind == PARTNER_KIND:
            # As on the screen and the API: a partner agency reports what it hands out.
            check.fail(row, "site", catalog.partner_reports_instead())
            site = None
        supply = check.read(row, cells, "supply", found["supply"].find, required=True)
        quantity = check.read(
            row, cells, "quantity", cell.whole_number, 1, v.MAX_QUANTITY, required=True
        )
        label = check.read(row, cells, "event", cell.text, 64)
        values = {name: check.read(row, cells, name, read) for name, read in readers.items()}
        if progress and done % 1000 == 0:
            progress(1000)
        if instant is None or site is None:
            continue
        key = (site.id, instant, label if label is not None else ("row", row))
        event = events.get(key)
        if event is None:
            event = events[key] = Event(site, instant, row)
        for name, value in values.items():
            if value is None:
                continue
            if event.fields.setdefault(name, value) != value:
                check.fail(
                    row,
                    name,
                    msg(
                        "differs from row %(row)s of the same event (%(value)s)",
                        row=event.field_rows[name],
                        value=repr(event.fields[name]),
                    ),
                )
            event.field_rows.setdefault(name, row)
        if supply and any(s.id == supply.id for _, s, _ in event.items):
            twice = msg("%(supply)s is listed twice in the same event", supply=supply.code)
            check.fail(row, "supply", twice)
        elif supply and quantity:
            event.items.append((row, supply, quantity))
        if len(check.errors) > before:
            event.bad = True
    _refuse_closed_quarters(events.values(), check)
    plan = [event for event in events.values() if not event.bad]
    plan.sort(key=lambda event: (event.occurred_at, event.first_row))
    counts = simulate_stock(plan, check)
    return plan, check.errors, counts


def _refuse_closed_quarters(events, check: RowChecker) -> None:
    """Name, before anything is written, every row dated in a closed reporting quarter."""
    dated = [(event, clock.local_date(event.occurred_at)) for event in events]
    closed = {
        quarter.starts_on: (quarter, since)
        for quarter, since in quarters.closed_among(day for _, day in dated)
    }
    for event, day in dated:
        found = closed.get(quarters.quarter_of(day).starts_on)
        if found is None:
            continue
        quarter, since = found
        for row in sorted({event.first_row, *(row for row, _, _ in event.items)}):
            check.fail(
                row,
                "date",
                msg(
                    "is in %(quarter)s, closed on %(closed)s: an admin must reopen the quarter "
                    "before history is entered there",
                    quarter=quarter.label,
                    closed=since.isoformat(),
                ),
            )
        event.bad = True
