"""The attack of DESIGN.md's "Privacy of published counts", tried as a funder would.

A year of anonymous events at three sites with small groups (breakdown values with 1 to
10 events) and two funding sources. Every funder workbook the API gives for that year is
computed (every month, every quarter, a few custom ranges; every site subset up to two
sites; every funding filter): its person-derived cells through the same service function
the workbook is written from, and a handful through the real API as .xlsx files to tie the
two. Each published cell counts a known set of events; the attacker differences every pair
of cells that nest and then once more (triples), and sets each row of a breakdown against
its total. The test fails if any cell shown `<N` is recovered exactly or narrowed below
its interval 1..N-1.
"""

import itertools
import random
import time
import uuid
from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from supplies.extensions import db
from supplies.models import (
    Batch,
    DistributionEvent,
    DistributionLine,
    FundingSource,
    Movement,
    Site,
    Supply,
)
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from supplies.services.reporting import report as reporting
from supplies.services.reporting.workbook.layout import SHEETS

YEAR = 2025
SITES = (("HUB", "fixed_site"), ("VAN", "mobile_van"), ("MAIL", "mail"))
FUNDING = ("SOR", "STATE")
BELOW = 11
INF = float("inf")
NOT_RECORDED = "not recorded"


def _weighted(rng, choices):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def _build_year(make):
    """Stock at three sites, then about 70 events a quarter with rare values in them."""
    for code, kind in SITES:
        make.site(code, kind)
    make.supply("NARCAN4")
    make.supply("FTS", category="fentanyl_test_strip")
    make.supply("KIT", category="wound_care")
    for code in FUNDING:
        make.funding(code)
    make.area("Alder County", "NY")
    make.area(zip3="123")
    before = (date.today() - date(YEAR - 1, 12, 1)).days
    sor_expiry = (date(YEAR + 1, 2, 1) - date.today()).days
    for code, _ in SITES:
        # SOR's naloxone runs out during the year (first expiry, first out), then STATE's.
        make.receive(code, "NARCAN4", 45, "S1", sor_expiry, "SOR", days_ago=before)
        make.receive(code, "NARCAN4", 2000, "T1", 900, "STATE", days_ago=before)
        make.receive(code, "FTS", 5000, days_ago=before)
        make.receive(code, "KIT", 2000, funding="STATE", days_ago=before)
    rng = random.Random(17)
    day, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    while day <= end:
        for _ in range(rng.choice((0, 0, 1, 1, 1))):
            items = [
                {"supply": s, "quantity": rng.randint(1, 3)}
                for s, p in (("NARCAN4", 0.7), ("FTS", 0.5), ("KIT", 0.15))
                if rng.random() < p
            ] or [{"supply": "FTS", "quantity": 1}]
            site = _weighted(rng, (("HUB", 6), ("VAN", 3), ("MAIL", 1)))
            body = {
                "id": str(uuid.uuid4()),
                "site": site,
                "occurred_at": f"{day.isoformat()}T{rng.randint(9, 20):02d}:15:00",
                "items": items,
                "recipient_type": _weighted(
                    rng,
                    (
                        ("person_who_uses_drugs", 70),
                        ("friend_or_family", 14),
                        ("community_member", 8),
                        ("service_provider", 4),
                        ("organization", 2),
                        (None, 2),
                    ),
                ),
                "age_band": _weighted(
                    rng,
                    (("under_18", 2), ("18_24", 10), ("25_34", 35), ("35_44", 30)),
                ),
                "first_time": _weighted(rng, (("yes", 20), ("no", 75), ("unknown", 5))),
                "for_others": _weighted(rng, ((True, 2), (False, 93), (None, 5))),
                "language": _weighted(rng, (("en", 88), ("es", 10), ("other", 2))),
                "resupply_reason": _weighted(
                    rng, (("none", 85), ("used_on_overdose", 8), ("lost_or_stolen", 4))
                ),
                "trained": _weighted(rng, ((True, 30), (False, 70))),
                "reversals_reported": _weighted(rng, ((0, 90), (1, 8), (2, 2))),
                "area": _weighted(rng, (("Alder County", 80), ("123", 6), ("456", 2), (None, 12))),
            }
            events.distribute(make.admin, OperationRequest.new(body["id"], body), body)
        day += timedelta(days=1)


class Truth:
    """What each event is, as bit masks: one bit per event (not voided)."""

    def __init__(self):
        rows = db.session.execute(
            db.select(DistributionEvent, Site.code)
            .join(Site, Site.id == DistributionEvent.site_id)
            .where(DistributionEvent.voided_at.is_(None))
            .order_by(DistributionEvent.occurred_at)
        ).all()
        self.count = len(rows)
        self.all = (1 << self.count) - 1
        self.days, self.reversals = [], []
        self.site, self.value = {}, {}
        index = {}
        for bit, (event, site) in enumerate(rows):
            index[event.id] = bit
            self.days.append(event.occurred_at.date())
            self.reversals.append(event.reversals_reported or 0)
            self.site[site] = self.site.get(site, 0) | 1 << bit
            for name in reporting_breakdowns():
                key = (name, _label(getattr(event, name)))
                self.value[key] = self.value.get(key, 0) | 1 << bit
        self.supply, self.funded, self.funded_supply = {}, {}, {}
        for event_id, code in db.session.execute(
            db.select(DistributionLine.event_id, Supply.code).join(
                Supply, Supply.id == DistributionLine.supply_id
            )
        ):
            if event_id in index:
                self.supply[code] = self.supply.get(code, 0) | 1 << index[event_id]
        for event_id, supply, funding in db.session.execute(
            db.select(Movement.operation_id, Supply.code, FundingSource.code)
            .join(Batch, Batch.id == Movement.batch_id)
            .join(FundingSource, FundingSource.id == Batch.funding_source_id)
            .join(Supply, Supply.id == Movement.supply_id)
            .where(Movement.kind == "distribute")
        ):
            if event_id in index:
                bit = 1 << index[event_id]
                self.funded[funding] = self.funded.get(funding, 0) | bit
                key = (funding, supply)
                self.funded_supply[key] = self.funded_supply.get(key, 0) | bit

    def between(self, start: date, end: date) -> int:
        mask = 0
        for bit, day in enumerate(self.days):
            if start <= day <= end:
                mask |= 1 << bit
        return mask

    def scope(self, filters, start=None, end=None, supply=None) -> int:
        """The events a workbook with these filters counts (in a part of its period)."""
        mask = self.between(
            max(start or filters.start, filters.start), min(end or filters.end, filters.end)
        )
        if filters.site_codes:
            mask &= sum(self.site.get(code, 0) for code in filters.site_codes)
        if filters.funding_code:
            if supply is None:
                mask &= self.funded.get(filters.funding_code, 0)
            else:
                mask &= self.funded_supply.get((filters.funding_code, supply), 0)
        return mask

    def true_value(self, weight: str, mask: int) -> int:
        if weight == "count":
            return mask.bit_count()
        return sum(n for bit, n in enumerate(self.reversals) if mask >> bit & 1)


def reporting_breakdowns():
    return (
        "recipient_type",
        "age_band",
        "first_time",
        "for_others",
        "area",
        "language",
        "setting",
        "resupply_reason",
        "trained",
    )


def _label(value) -> str:
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _quarter_span(label: str) -> tuple[date, date]:
    year, number = label.split("-Q")
    start = date(int(year), 3 * int(number) - 2, 1)
    nxt = date(start.year + (start.month + 3 > 12), (start.month + 2) % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


def _month_span(month: date) -> tuple[date, date]:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return month, nxt - timedelta(days=1)


class Published:
    """Every person-derived cell the workbooks show, as (weight, event mask) -> display."""

    def __init__(self, truth: Truth):
        self.truth = truth
        self.cells: dict[tuple, set] = {}
        self.tags: dict[tuple, str] = {}
        self.groups: set[tuple] = set()
        # (tag, (weight, mask)) -> an upper bound the supply tables give (the least of them).
        self.bounds: dict[tuple, int] = {}

    def add(self, tag: str, weight: str, mask: int, shown) -> None:
        if shown is None:
            return  # an empty cell publishes nothing
        self.cells.setdefault((tag, weight, mask), set()).add(shown)
        self.tags.setdefault((weight, mask), tag)

    def bound(self, tag: str, mask: int, units: int) -> None:
        """Supply units bound a count of encounters from above: every encounter they
        count handed out at least one of those units."""
        key = ("count", mask)
        self.bounds[(tag, key)] = min(self.bounds.get((tag, key), INF), units)
        self.tags.setdefault(key, tag)

    def unit_tables(self, report) -> None:
        """The bounds Summary's Units for others and By Area give, as an attacker reads
        them: a hidden cell of a supply is at most its interval's top, and at most the
        supply's units over all areas (By Quarter's, exact) less the least of the others."""
        truth, scope = self.truth, self.truth.scope(report.filters)
        totals: dict[str, int] = {}
        for row in report.by_quarter:
            totals[row["supply"]] = totals.get(row["supply"], 0) + row["units"]
        others = [(row["supply"], row["for_others"]) for row in report.summary]
        if all(cell is not None for _, cell in others):
            units = sum(min(_interval(cell)[1], totals[supply]) for supply, cell in others)
            mask = scope & truth.value.get(("for_others", "true"), 0)
            self.bound("recipients:for_others=true", mask, units)
        columns: dict[str, list] = {}
        for row in report.by_area:
            if row["units"] is not None:
                columns.setdefault(row["supply"], []).append((row["area"], row["units"]))
        by_area: dict[str, float] = {}
        for supply, cells in columns.items():
            least = sum(_interval(cell)[0] for _, cell in cells)
            for area, cell in cells:
                low, high = _interval(cell)
                top = min(high, totals[supply] - (least - low))
                by_area[area] = by_area.get(area, 0) + top
        for area, units in by_area.items():
            events = truth.value.get(("area", area), 0)
            if events:
                self.bound(f"recipients:area={area}", scope & events, units)

    def workbook(self, report) -> None:
        filters, truth = report.filters, self.truth
        groups: dict[tuple, list] = {}
        for row in report.recipients:
            if "quarter" in row:
                scope = truth.between(*_quarter_span(row["quarter"]))
            else:
                scope = truth.scope(filters)
            part = scope & truth.value.get((row["breakdown"], row["value"]), 0)
            self.add(
                f"recipients:{row['breakdown']}={row['value']}", "count", part, row["encounters"]
            )
            groups.setdefault((scope, row["breakdown"]), []).append(part)
        for (scope, _), parts in groups.items():
            self.groups.add((scope, tuple(parts)))
        for row in report.reversals:
            if "quarter" in row:
                scope = truth.between(*_quarter_span(row["quarter"]))
            else:
                scope = truth.scope(filters, *_month_span(row["month"])) & truth.site[row["site"]]
            self.add("reversals", "reversals", scope, row["reversals"])
            trained = scope & truth.value[("trained", "true")]
            self.add("recipients:trained=true", "count", trained, row["trained"])
            if "encounters" in row:
                self.add("encounters", "count", scope, row["encounters"])
                self.groups.add((scope, (trained, scope & ~trained)))
        for row in report.summary:
            scope = truth.scope(filters, supply=row["supply"]) & truth.supply.get(row["supply"], 0)
            self.add(f"summary:{row['supply']}", "count", scope, row["encounters"])
        self.unit_tables(report)


def _interval(shown) -> tuple[float, float]:
    if isinstance(shown, int):
        return shown, shown
    if shown == f"<{BELOW}":
        return 1, BELOW - 1
    assert shown == "suppressed", shown
    return 0, INF


class Attack:
    """Interval reasoning over every published cell: differencing and rows against totals."""

    def __init__(self, published: Published, unit_bounds: bool = False):
        self.published = published
        self.facts: dict[tuple, tuple[float, float]] = {}
        self.tags: dict[tuple, str] = dict(published.tags)
        self.hidden = {}
        # Cells shown "suppressed": never 1..N-1 (those read <N), so 0 or N and up.
        self.suppressed = set()
        self.problems = []
        for (tag, *key), shown in published.cells.items():
            key = tuple(key)
            # The same cell must say the same in every workbook, and say the truth.
            if len(shown) != 1:
                self.problems.append(
                    f"{tag} shows {sorted(map(str, shown))} in different workbooks"
                )
            truth = published.truth.true_value(*key)
            for value in shown:
                lo, hi = _interval(value)
                if not lo <= truth <= hi:
                    self.problems.append(f"{tag} shows {value} for {truth}")
                    continue
                old_lo, old_hi = self.facts.get(key, (0, INF))
                self.facts[key] = (max(lo, old_lo), min(hi, old_hi))
                if value == f"<{BELOW}":
                    self.hidden[key] = tag
                elif value == "suppressed":
                    self.suppressed.add(key)
        for (tag, key), units in published.bounds.items() if unit_bounds else ():
            # Only where the attacker knows which cell the units bound: the same breakdown
            # value over the same events, not another cell that happens to count them.
            if self.tags.get(key) == tag:
                self.tighten(key, 0, units, "units of Summary's Units for others or By Area")

    def tighten(self, key, lo, hi, how: str) -> bool:
        old_lo, old_hi = self.facts.get(key, (0, INF))
        new = (max(old_lo, lo), min(old_hi, hi))
        if key in self.suppressed:
            # A reader knows a "suppressed" cell is 0 or N and up: once it cannot be 0 it
            # is N or more, and once it is below N it is 0.
            if new[0] >= 1:
                new = (max(new[0], BELOW), new[1])
            if new[1] < BELOW:
                new = (new[0], 0)
        if new == (old_lo, old_hi):
            return False
        self.facts[key] = new
        truth = self.published.truth.true_value(*key)
        assert new[0] <= truth <= new[1], ("the attack is unsound", how, truth, new)
        if key in self.hidden and (new[0] > 1 or new[1] < BELOW - 1):
            raise Recovered(self.hidden[key], truth, new, how)
        return True

    def rows_against_totals(self) -> bool:
        changed = False
        for scope, parts in self.published.groups:
            bounds = [self.facts.get(("count", part), (0, INF)) for part in parts]
            lo, hi = sum(b[0] for b in bounds), sum(b[1] for b in bounds)
            changed |= self.tighten(("count", scope), lo, hi, "a breakdown's sum")
            total_lo, total_hi = self.facts[("count", scope)]
            for part, (part_lo, part_hi) in zip(parts, bounds, strict=True):
                changed |= self.tighten(
                    ("count", part),
                    total_lo - (hi - part_hi),
                    total_hi - (lo - part_lo),
                    "a row against its total",
                )
        return changed

    def differences(self) -> bool:
        """A - B for every pair of facts of the same kind where B is inside A."""
        changed = False
        by_tag: dict[str, list] = {}
        for key in list(self.facts):
            by_tag.setdefault(self.tags.get(key, "derived"), []).append(key)
        for keys in by_tag.values():
            for a, b in itertools.permutations(keys, 2):
                if a[0] != b[0] or a[1] == b[1] or b[1] & ~a[1]:
                    continue
                (a_lo, a_hi), (b_lo, b_hi) = self.facts[a], self.facts[b]
                if a_hi == INF and b_hi == INF:
                    continue
                rest = (a[0], a[1] & ~b[1])
                self.tags.setdefault(rest, self.tags.get(a, "derived"))
                changed |= self.tighten(
                    rest, a_lo - b_hi, a_hi - b_lo, "one workbook minus another"
                )
        return changed

    def run(self) -> None:
        for _ in range(6):
            if not self.rows_against_totals():
                break
        for _ in range(2):  # pairs, then triples
            self.differences()
            for _ in range(6):
                if not self.rows_against_totals():
                    break


class Recovered(AssertionError):
    def __init__(self, cell, truth, interval, how):
        super().__init__(f"{cell}: true value {truth} narrowed to {interval} by {how}")


def _periods():
    months = [date(YEAR, m, 1) for m in range(1, 13)]
    spans = [_month_span(m) for m in months]
    spans += [_quarter_span(f"{YEAR}-Q{q}") for q in range(1, 5)]
    spans += [
        (date(YEAR, 1, 1), date(YEAR, 12, 31)),
        (date(YEAR, 1, 1), date(YEAR, 6, 30)),
        (date(YEAR, 2, 15), date(YEAR, 5, 10)),
        (date(YEAR, 6, 1), date(YEAR, 11, 30)),
    ]
    return spans


def _site_subsets():
    codes = [code for code, _ in SITES]
    return [(), *((c,) for c in codes), *itertools.combinations(codes, 2)]


@pytest.fixture
def year(app, make):
    _build_year(make)
    # Quarters closed: 2025's quarters ended long before today.
    app.config["REPORTING_CLOSE_DAYS"] = 15
    app.config["SUPPRESS_BELOW"] = BELOW
    return Truth()


def test_no_hidden_count_is_recovered_from_any_workbooks(year, api, make):
    started = time.monotonic()
    truth = year
    published = Published(truth)
    reports = {}
    for start, end in _periods():
        for sites in _site_subsets():
            for funding in (None, *FUNDING):
                filters = reporting.make_filters(start.isoformat(), end.isoformat(), sites, funding)
                report = reporting.funder_report(filters)
                reports[(start, end, sites, funding)] = report
                published.workbook(report)
    assert len(reports) == 20 * 7 * 3
    hidden = [key for key, shown in published.cells.items() if f"<{BELOW}" in shown]
    assert hidden, "the data should have small groups"
    # A handful through the real API: the .xlsx shows what the service computed.
    token = make.token(make.user("funder@example.org", "funder"))
    for key in [
        (date(YEAR, 1, 1), date(YEAR, 3, 31), (), None),
        (date(YEAR, 2, 1), date(YEAR, 2, 28), ("HUB",), None),
        (date(YEAR, 1, 1), date(YEAR, 12, 31), ("VAN", "MAIL"), "SOR"),
        (date(YEAR, 2, 15), date(YEAR, 5, 10), ("MAIL",), "STATE"),
    ]:
        start, end, sites, funding = key
        params = {"start": start.isoformat(), "end": end.isoformat()}
        if sites:
            params["site"] = ",".join(sites)
        if funding:
            params["funding"] = funding
        response = api.get("/reports/funder.xlsx", token, **params)
        assert response.status_code == 200
        _same_as_service(load_workbook(BytesIO(response.data)), reports[key])
    attack = Attack(published)
    attack.run()
    assert not attack.problems, attack.problems[:10]
    assert time.monotonic() - started < 60


def _same_as_service(wb, report) -> None:
    """The person-derived tables of a real workbook hold the service's rows."""
    for title, table, columns in SHEETS:
        if table not in ("Summary", "Recipients", "Reversals"):
            continue
        ws = wb[title]
        cells = list(ws[ws.tables[table].ref])
        rows = getattr(report, {"Summary": "summary"}.get(table, table.lower()))
        keys = [column.key for column in columns]
        assert len(cells) - 1 == max(len(rows), 1)
        for row, line in zip(rows, cells[1:], strict=False):
            for key, cell in zip(keys, line, strict=True):
                value = row.get(key)
                if isinstance(value, date) and not isinstance(value, datetime):
                    value = datetime(value.year, value.month, value.day)
                assert cell.value == value, (table, key)


def test_supply_units_by_area_bound_no_small_count_of_recipients(year):
    """By Area and Summary's Units for others split units by answers about the person, and
    an encounter hands out at least one unit: their units bound the Recipients cells of that
    area, or of for_others, from above. Over every workbook a funder can request, those
    bounds (with By Quarter's exact totals against each supply's hidden cells) recover
    nothing, alone or with the differencing and row-against-total attack."""
    started = time.monotonic()
    truth = year
    published = Published(truth)
    filled = 0
    for start, end in _periods():
        for sites in _site_subsets():
            for funding in (None, *FUNDING):
                filters = reporting.make_filters(start.isoformat(), end.isoformat(), sites, funding)
                report = reporting.funder_report(filters)
                published.workbook(report)
                cells = [row["units"] for row in report.by_area]
                if report.people.by_area is None:
                    # Filtered or not whole quarters: left empty, like Encounters.
                    assert set(cells) <= {None}
                    assert {row["for_others"] for row in report.summary} <= {None}
                else:
                    filled += 1
                    # A quarter's small cells show <N; over quarters their totals are hidden.
                    small = f"<{BELOW}" if len(report.people.published) == 1 else "suppressed"
                    assert small in cells, "the data should have small areas"
    # The whole program for each quarter, the first half and the year.
    assert filled == 4 + 1 + 1
    assert published.bounds, "the unit tables should bound some cells"
    attack = Attack(published, unit_bounds=True)
    attack.run()
    assert not attack.problems, attack.problems[:10]
    assert time.monotonic() - started < 60
