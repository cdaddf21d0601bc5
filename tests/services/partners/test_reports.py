"""A partner's monthly report: what it says it handed out, within what it received."""

from datetime import date, datetime, timedelta

import pytest

from supplies.extensions import db
from supplies.models import AuditEntry, PartnerReport
from supplies.services import catalog
from supplies.services.common.errors import Conflict, Forbidden, ValidationFailed
from supplies.services.partners import reports
from supplies.services.stock import forecast, transfers
from tests.services.partners.conftest import op


def _month(back: int) -> date:
    """The first day of the month `back` months before this one."""
    today = date.today()
    index = today.year * 12 + today.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _label(month: date) -> str:
    return month.strftime("%Y-%m")


def _send(coordinator, site: str, supply: str, quantity: int, on: date) -> None:
    """Units moved from HUB to an agency on a day (back-dated where it is past)."""
    moment = datetime.combine(on, datetime.min.time()) + timedelta(hours=10)
    body = {
        "from_site": "HUB",
        "to_site": site,
        "items": [{"supply": supply, "quantity": quantity}],
        "occurred_at": moment.isoformat() if on < date.today() else None,
    }
    transfers.transfer(coordinator, op(body), body)


def _report(partner, month: date, items, site="CLINIC", **counts):
    body = {"site": site, "month": _label(month), "items": items, **counts}
    return reports.submit(partner, op(body), body)


@pytest.fixture
def open_quarters(app):
    """Quarters stay open for a year after they end, so past months can be reported."""
    app.config["REPORTING_CLOSE_DAYS"] = 400
    yield
    app.config["REPORTING_CLOSE_DAYS"] = 15


@pytest.fixture
def stocked(make, partners, open_quarters):
    """HUB received test strips long ago; CLINIC got 100 of them two months back."""
    make.receive("HUB", "FTS", 1000, days_ago=200)
    _send(partners["coordinator"], "CLINIC", "FTS", 100, _month(2) + timedelta(days=2))
    return partners


def test_a_partner_reports_what_it_handed_out_and_can_correct_it(stocked):
    clinic = stocked["users"]["clinic"]
    first = _report(clinic, _month(2), [{"supply": "FTS", "quantity": 60}], encounters=25)
    assert first.created and first.result["corrected"] is False
    assert first.result["items"] == [{"supply": "FTS", "quantity": 60}]
    assert (first.result["encounters"], first.result["reversals_reported"]) == (25, None)
    fixed = _report(clinic, _month(2), [{"supply": "FTS", "quantity": 55}], reversals_reported=2)
    assert fixed.result["corrected"] is True and fixed.result["id"] == first.result["id"]
    saved = db.session.execute(db.select(PartnerReport)).scalar_one()
    assert [(line.supply.code, line.quantity) for line in saved.lines] == [("FTS", 55)]
    assert (saved.encounters, saved.reversals_reported) == (None, 2)
    actions = db.session.execute(
        db.select(AuditEntry.action).where(AuditEntry.object_type == "partner_report")
    ).scalars()
    assert list(actions) == ["partner_report.submit", "partner_report.correct"]


def test_the_same_report_sent_twice_is_recorded_once(stocked):
    clinic = stocked["users"]["clinic"]
    body = {
        "site": "CLINIC",
        "month": _label(_month(2)),
        "items": [{"supply": "FTS", "quantity": 9}],
    }
    request = op(body)
    first = reports.submit(clinic, request, body)
    again = reports.submit(clinic, request, body)
    assert first.created and not again.created and again.result == first.result
    assert (
        len(
            db.session.execute(
                db.select(AuditEntry.id).where(AuditEntry.object_type == "partner_report")
            ).all()
        )
        == 1
    )


def test_units_handed_out_never_exceed_what_was_received_less_what_was_reported(stocked):
    clinic = stocked["users"]["clinic"]
    _report(clinic, _month(2), [{"supply": "FTS", "quantity": 60}])
    with pytest.raises(ValidationFailed) as refused:
        _report(clinic, _month(1), [{"supply": "FTS", "quantity": 41}])
    assert (
        "Fentanyl test strip: 41 handed out" in refused.value.message
        and "(at most 40)" in refused.value.message
    )
    assert "items[0].quantity" in refused.value.fields
    _report(clinic, _month(1), [{"supply": "FTS", "quantity": 40}])
    # Correcting the first month up would spend units the second already reported.
    with pytest.raises(ValidationFailed):
        _report(clinic, _month(2), [{"supply": "FTS", "quantity": 61}])
    # A supply the agency never received cannot be reported handed out.
    with pytest.raises(ValidationFailed) as refused:
        _report(clinic, _month(1), [{"supply": "NARCAN4", "quantity": 1}])
    assert refused.value.message.startswith("Narcan 4 mg nasal spray: 1 handed out")


def test_units_cannot_be_reported_before_they_arrived(stocked):
    clinic = stocked["users"]["clinic"]
    with pytest.raises(ValidationFailed) as refused:
        _report(clinic, _month(3), [{"supply": "FTS", "quantity": 1}])
    assert "(at most 0)" in refused.value.message


def test_an_earlier_month_cannot_take_units_a_later_month_already_reported(stocked):
    # 100 arrived two months back; 100 more arrive this month. Last month reported all 100:
    # two months back can then report none, though 100 more are on hand now, for by the end
    # of last month only 100 had arrived in all.
    clinic = stocked["users"]["clinic"]
    _send(stocked["coordinator"], "CLINIC", "FTS", 100, date.today())
    _report(clinic, _month(1), [{"supply": "FTS", "quantity": 100}])
    with pytest.raises(ValidationFailed) as refused:
        _report(clinic, _month(2), [{"supply": "FTS", "quantity": 1}])
    assert "(at most 0)" in refused.value.message
    _report(clinic, _month(0), [{"supply": "FTS", "quantity": 100}])  # this month's are there


def test_a_report_is_corrected_until_its_quarter_closes(app, stocked):
    clinic = stocked["users"]["clinic"]
    month = _month(4)
    _send(stocked["coordinator"], "CLINIC", "FTS", 10, month + timedelta(days=1))
    _report(clinic, month, [{"supply": "FTS", "quantity": 5}])
    form = reports.report_form(clinic, catalog.site_by_code("CLINIC").id, month)
    assert form.correctable and form.lines[0].current == 5
    app.config["REPORTING_CLOSE_DAYS"] = 15  # four months back: its quarter has closed
    with pytest.raises(Conflict) as refused:
        _report(clinic, month, [{"supply": "FTS", "quantity": 6}])
    assert "closed on" in refused.value.message and "month" in refused.value.fields
    assert not reports.month_correctable(month)


def test_a_month_to_come_or_badly_written_is_refused(stocked):
    clinic = stocked["users"]["clinic"]
    with pytest.raises(ValidationFailed) as refused:
        _report(clinic, _month(-1), [{"supply": "FTS", "quantity": 1}])
    assert "month" in refused.value.fields
    body = {"site": "CLINIC", "month": "2026-13", "items": [{"supply": "FTS", "quantity": 1}]}
    with pytest.raises(ValidationFailed) as refused:
        reports.submit(clinic, op(body), body)
    assert "month" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        _report(clinic, _month(2), [{"supply": "FTS", "quantity": 1}], encounters=-3)
    assert "encounters" in refused.value.fields


def test_only_the_agencys_own_partner_sends_its_report(stocked):
    items = [{"supply": "FTS", "quantity": 1}]
    with pytest.raises(Forbidden):
        _report(stocked["users"]["shelter"], _month(2), items)
    for role in ("admin", "coordinator", "staff", "funder"):
        with pytest.raises(Forbidden):
            _report(stocked[role], _month(2), items)


def test_a_partner_sees_only_its_agencys_reports(stocked):
    clinic, shelter = stocked["users"]["clinic"], stocked["users"]["shelter"]
    _report(clinic, _month(2), [{"supply": "FTS", "quantity": 3}])
    assert reports.list_reports(shelter) == []
    assert len(reports.list_reports(clinic)) == 1
    assert len(reports.list_reports(stocked["coordinator"])) == 1
    clinic_id = catalog.site_by_code("CLINIC").id
    with pytest.raises(Forbidden):
        reports.list_reports(shelter, site_id=clinic_id)
    with pytest.raises(Forbidden):
        reports.get_report(shelter, clinic_id, _month(2))
    with pytest.raises(Forbidden):
        reports.report_form(shelter, clinic_id, _month(2))
    with pytest.raises(Forbidden):
        reports.partner_holdings(shelter, clinic_id)
    with pytest.raises(Forbidden):
        reports.list_reports(stocked["staff"])


def test_coordinators_see_which_partners_have_not_reported(stocked):
    _report(stocked["users"]["clinic"], _month(1), [{"supply": "FTS", "quantity": 3}])
    coordinator = stocked["coordinator"]
    assert [s.code for s in reports.not_reported(coordinator, _month(1))] == ["SHELTER"]
    assert [s.code for s in reports.not_reported(coordinator, _month(2))] == [
        "CLINIC",
        "SHELTER",
    ]
    with pytest.raises(Forbidden):
        reports.not_reported(stocked["users"]["clinic"], _month(1))


def test_units_with_partners_are_received_less_reported(stocked):
    coordinator = stocked["coordinator"]
    _send(coordinator, "SHELTER", "FTS", 30, date.today())
    _report(stocked["users"]["clinic"], _month(2), [{"supply": "FTS", "quantity": 60}])
    fts = catalog.supply_by_code("FTS").id
    assert reports.with_partners(coordinator) == {fts: 40 + 30}
    rows = [
        (r.site.code, r.received, r.reported, r.with_partner) for r in reports.holdings(coordinator)
    ]
    assert rows == [("CLINIC", 100, 60, 40), ("SHELTER", 30, 0, 30)]
    with pytest.raises(Forbidden):
        reports.with_partners(stocked["users"]["clinic"])


def test_a_partners_run_out_forecast_follows_its_reports(
    make, partners, open_quarters, client, auth
):
    make.receive("HUB", "FTS", 1000, days_ago=200)
    coordinator, clinic = partners["coordinator"], partners["users"]["clinic"]
    _send(coordinator, "CLINIC", "FTS", 400, _month(3) + timedelta(days=1))
    for back, units in ((3, 30), (2, 90), (1, 60)):
        _report(clinic, _month(back), [{"supply": "FTS", "quantity": units}])
    # Units sent back to HUB are not the agency's use.
    body = {"from_site": "CLINIC", "to_site": "HUB", "items": [{"supply": "FTS", "quantity": 50}]}
    transfers.transfer(coordinator, op(body), body)
    clinic_id, fts = catalog.site_by_code("CLINIC").id, catalog.supply_by_code("FTS").id
    rate = forecast.rates([clinic_id])[(clinic_id, fts)]
    assert rate.weekly == (30, 90, 60)
    assert rate.per_day == pytest.approx(60 / (365.25 / 12))
    assert rate.basis == "reports"
    (holding,) = reports.partner_holdings(clinic, clinic_id)
    assert (holding.received, holding.reported, holding.with_partner) == (350, 180, 170)
    assert holding.per_month == 60 and holding.months_left == pytest.approx(170 / 60)
    # The stock card says where the rate comes from: the agency's reports, not weeks of use.
    auth.login("coord@example.org")
    card = client.get("/inventory/stock-card?site=CLINIC&supply=FTS").get_data(as_text=True)
    assert "from the median of its last monthly reports" in card
    assert "the median week of the last four" not in card


def test_the_programs_stock_overview_leaves_partners_out_and_recalls_still_reach_them(
    make, partners
):
    from supplies.services.stock import overview, work

    make.receive("HUB", "NARCAN4", 10, lot="R9")
    coordinator = partners["coordinator"]
    _send(coordinator, "CLINIC", "NARCAN4", 4, date.today())
    view = overview.stock_overview(coordinator, overview.SiteFilter(show="all"))
    assert [site.code for site in view.sites] == ["HUB", "VAN"]
    assert all(s.from_site is None or s.from_site.code != "CLINIC" for s in view.suggestions)
    assert reports.blocked_lots(coordinator) == []
    work.set_lot_status(
        coordinator, op({}), {"supply": "NARCAN4", "lot_number": "R9", "status": "recalled"}
    )
    (lot,) = reports.blocked_lots(coordinator)
    assert (lot.site.code, lot.lot_number, lot.status, lot.quantity) == (
        "CLINIC",
        "R9",
        "recalled",
        4,
    )
    with pytest.raises(Forbidden):
        reports.blocked_lots(partners["users"]["clinic"])
