"""Services behind the stock screens: overview, stock card, counts, write-off, catalog, par."""

import uuid
from datetime import timedelta

import pytest

from supplies.extensions import db
from supplies.models import Movement, ParLevel
from supplies.services import catalog
from supplies.services.common import clock
from supplies.services.common.errors import Conflict, Forbidden, ValidationFailed
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from supplies.services.stock import card as stock_card
from supplies.services.stock import charts, counting, overview, par_levels, work, write_off
from supplies.services.stock.counting import CountEntry
from supplies.services.stock.par_levels import ParEntry
from supplies.services.stock.work import ReceiptLine


def req(body=None):
    return OperationRequest.new(str(uuid.uuid4()), body or {})


def test_overview_cells_match_the_api_stock(make, program, api):
    make.receive("HUB", "NARCAN4", 12, lot="A")
    make.receive("HUB", "NARCAN4", 3, lot="X", expires_in_days=-2)
    coordinator = program["users"]["coordinator"]
    view = overview.stock_overview(coordinator)
    hub = catalog.site_by_code("HUB")
    narcan = next(s for s in view.supplies if s.code == "NARCAN4")
    cell = view.cell(hub, narcan)
    rows = api.get("/stock", program["tokens"]["coordinator"], site="HUB").get_json()
    assert cell.on_hand == sum(r["quantity"] for r in rows if r["supply"] == "NARCAN4") == 15
    assert cell.usable == 12 and cell.unusable == 3
    assert [r.lot_number for r in view.expired] == ["X"]


def test_suggestions_take_from_the_site_with_most_surplus(make, program):
    make.site("NORTH")
    make.receive("HUB", "FTS", 100)
    make.receive("NORTH", "FTS", 300)
    hub, van, north = (catalog.site_by_code(c) for c in ("HUB", "VAN", "NORTH"))
    fts = catalog.supply_by_code("FTS")
    for site, minimum, target in ((hub, 50, 80), (van, 20, 60), (north, 50, 100)):
        db.session.add(ParLevel(site_id=site.id, supply_id=fts.id, minimum=minimum, target=target))
    db.session.commit()
    view = overview.stock_overview(program["users"]["coordinator"])
    (suggestion,) = view.suggestions
    assert suggestion.site.code == "VAN" and suggestion.need == 60
    assert suggestion.from_site.code == "NORTH" and suggestion.quantity == 60


def test_expiring_lots_fall_in_30_60_90_day_windows(make, program):
    for lot, days in (("D10", 10), ("D45", 45), ("D80", 80), ("D200", 200)):
        make.receive("HUB", "NARCAN4", 1, lot=lot, expires_in_days=days)
    view = overview.stock_overview(program["users"]["coordinator"])
    assert {w: [r.lot_number for r in rows] for w, rows in view.expiring.items()} == {
        30: ["D10"],
        60: ["D45"],
        90: ["D80"],
    }


def test_weekly_distribution_groups_by_week_and_category(make, program):
    make.receive("HUB", "NARCAN4", 50, days_ago=60)
    make.receive("HUB", "FTS", 50, days_ago=60)
    staff = program["users"]["staff"]
    now = clock.now()
    for days_ago, items in ((0, [("NARCAN4", 2), ("FTS", 5)]), (14, [("NARCAN4", 1)])):
        body = {
            "id": str(uuid.uuid4()),
            "site": "HUB",
            "occurred_at": (now - timedelta(days=days_ago)).isoformat(),
            "items": [{"supply": s, "quantity": q} for s, q in items],
        }
        events.distribute(staff, OperationRequest.new(body["id"], body), body)
    weekly = overview.weekly_distribution(program["users"]["coordinator"])
    assert len(weekly.weeks) == 12 and weekly.weeks[-1] <= clock.today()
    assert weekly.units[(11, "naloxone_nasal")] == 2
    assert weekly.units[(11, "fentanyl_test_strip")] == 5
    assert sum(n for (i, c), n in weekly.units.items() if i < 11) == 1
    chart = charts.weekly_chart(weekly)
    assert len(chart.bars) == 3 and chart.totals[-1].label == "7"
    assert all(bar.width > 0 for bar in chart.bars)


def test_stock_card_running_balance_and_as_of(make, program):
    coordinator = program["users"]["coordinator"]
    past = clock.today() - timedelta(days=20)
    work.receive(
        coordinator, req({"a": 1}), "HUB", [ReceiptLine("FTS", 40)], received_on=past.isoformat()
    )
    make.receive("HUB", "FTS", 10)
    body = {"from_site": "HUB", "to_site": "VAN", "supply": "FTS", "quantity": 15}
    work.transfer(coordinator, req(body), body)
    card = stock_card.stock_card(coordinator, "HUB", "FTS")
    assert [r.balance for r in card.rows] == [35, 50, 40]  # newest first
    assert card.closing == card.on_hand_now == 35
    as_of = stock_card.stock_card(
        coordinator, "HUB", "FTS", end=(past + timedelta(days=1)).isoformat()
    )
    assert as_of.closing == 40 and [r.quantity for r in as_of.rows] == [40]
    recent = stock_card.stock_card(coordinator, "HUB", "FTS", start=clock.today().isoformat())
    assert recent.opening == 40 and [r.balance for r in recent.rows] == [35, 50]
    with pytest.raises(ValidationFailed) as error:
        stock_card.stock_card(coordinator, "HUB", "FTS", start="2026-02-01", end="2026-01-01")
    assert "end" in error.value.fields
    with pytest.raises(Forbidden):
        stock_card.stock_card(program["users"]["staff"], "VAN", "FTS")


def test_count_session_submit_confirm_one_movement_per_difference(make, program):
    make.receive("HUB", "NARCAN4", 10, lot="A")
    make.receive("HUB", "NARCAN4", 6, lot="B", expires_in_days=600)
    make.receive("HUB", "FTS", 20)
    staff, coordinator = program["users"]["staff"], program["users"]["coordinator"]
    _, sheet = counting.count_sheet(staff, "HUB")
    assert {(line.supply, line.lot_number, line.expected) for line in sheet} >= {
        ("NARCAN4", "A", 10),
        ("NARCAN4", "B", 6),
        ("FTS", None, 20),
    }
    entries = [
        CountEntry("NARCAN4", "A", 11),
        CountEntry("NARCAN4", "B", 6),
        CountEntry("FTS", None, 17),
        CountEntry("NARCAN4", None, ""),
    ]
    submitted = counting.submit(staff, req({"c": 1}), "HUB", entries, blind=True)
    session_id = submitted.result["id"]
    assert db.session.execute(db.select(Movement).where(Movement.kind == "count")).first() is None
    with pytest.raises(Forbidden):
        counting.confirm(staff, req(), session_id)
    _, _, lines, counter = counting.review(coordinator, session_id)
    assert [line.difference for line in lines] == [1, 0, -3] and counter
    confirm_request = req({"s": session_id})
    counting.confirm(coordinator, confirm_request, session_id)
    moves = db.session.execute(db.select(Movement).where(Movement.kind == "count")).scalars().all()
    assert sorted(m.quantity for m in moves) == [-3, 1]
    # The same confirmation replayed records nothing; another one is refused.
    assert not counting.confirm(coordinator, confirm_request, session_id).created
    with pytest.raises(Conflict):
        counting.confirm(coordinator, req(), session_id)
    with pytest.raises(Forbidden):
        counting.submit(staff, req(), "VAN", [CountEntry("FTS", None, 1)])


def test_count_submit_names_the_bad_lines(program):
    with pytest.raises(ValidationFailed) as error:
        counting.submit(
            program["users"]["coordinator"],
            req(),
            "HUB",
            [CountEntry("FTS", None, -1), CountEntry("NOPE", None, 3)],
        )
    assert set(error.value.fields) == {"line-0-counted", "line-1-counted"}


def test_write_off_expired_only_takes_expired_units(make, program):
    make.receive("VAN", "NARCAN4", 4, lot="OLD", expires_in_days=-30)
    make.receive("VAN", "NARCAN4", 5, lot="NEW", expires_in_days=30)
    coordinator = program["users"]["coordinator"]
    result = write_off.write_off_expired(coordinator, req({"w": 1}), "VAN").result
    assert result["units"] == 4 and result["lines"][0]["lot_number"] == "OLD"
    with pytest.raises(Conflict):
        write_off.write_off_expired(coordinator, req({"w": 2}), "VAN")
    with pytest.raises(Forbidden):
        write_off.write_off_expired(program["users"]["staff_van"], req(), "VAN")


def test_catalog_edit_and_deactivate(make, program):
    coordinator = program["users"]["coordinator"]
    body = {
        "name": "Narcan",
        "category": "naloxone_nasal",
        "unit": "box",
        "doses_per_unit": 2,
        "tracks_lots": True,
    }
    result = catalog.update_supply(coordinator, req(body), "NARCAN4", body).result
    assert result["name"] == "Narcan" and result["code"] == "NARCAN4"
    make.receive("HUB", "NARCAN4", 1)
    with pytest.raises(Conflict):
        catalog.set_active(coordinator, req(), "supply", "NARCAN4", False)
    assert not catalog.set_active(coordinator, req(), "funding", "SOR", False).result["active"]
    with pytest.raises(Forbidden):
        catalog.set_active(program["users"]["staff"], req(), "funding", "SOR", True)
    with pytest.raises(ValidationFailed):
        catalog.update_site(coordinator, req(), "HUB", {"name": "", "kind": "castle"})


def test_par_levels_replace_and_remove(program):
    coordinator = program["users"]["coordinator"]
    par_levels.set_par_levels(coordinator, req({"p": 1}), "HUB", [ParEntry("FTS", 10, 40)])
    par_levels.set_par_levels(coordinator, req({"p": 2}), "HUB", [ParEntry("FTS", 20, 50)])
    hub = catalog.site_by_code("HUB")
    levels = par_levels.par_levels_of(hub.id)
    assert [(p.minimum, p.target) for p in levels.values()] == [(20, 50)]
    par_levels.set_par_levels(coordinator, req({"p": 3}), "HUB", [ParEntry("FTS", None, None)])
    assert par_levels.par_levels_of(hub.id) == {}
    with pytest.raises(ValidationFailed) as error:
        par_levels.set_par_levels(coordinator, req(), "HUB", [ParEntry("FTS", 9, 3)])
    assert "target-FTS" in error.value.fields
    with pytest.raises(Forbidden):
        par_levels.set_par_levels(program["users"]["staff"], req(), "HUB", [ParEntry("FTS", 1, 2)])


def test_chart_scale_is_whole_numbers_even_when_empty(program):
    weekly = overview.weekly_distribution(program["users"]["coordinator"])
    chart = charts.weekly_chart(weekly)
    assert [t.label for t in chart.x_ticks] == ["0", "1", "2"]
    assert chart.bars == [] and all(t.label == "0" for t in chart.totals)
