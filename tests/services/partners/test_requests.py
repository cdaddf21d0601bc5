"""A partner's supply request from submission to fulfilment, called on the services."""

from datetime import date, timedelta

import pytest

from supplies.extensions import db
from supplies.models import AuditEntry, Movement, SupplyRequest
from supplies.services.common.errors import (
    Conflict,
    Forbidden,
    InsufficientStock,
    NotFound,
    ValidationFailed,
)
from supplies.services.partners import reports, requests
from supplies.services.stock import on_hand
from tests.conftest import new_id
from tests.services.partners.conftest import op


def _ask(partner, items, site="CLINIC", needed_by=None, operation_id=None):
    body = {"site": site, "items": items}
    if needed_by is not None:
        body["needed_by"] = needed_by
    return requests.submit(partner, op(body, operation_id), body)


def _held(user, site) -> dict:
    found: dict = {}
    for row in on_hand.stock_rows(user):
        if row["site"] == site:
            key = (row["supply"], row["lot_number"])
            found[key] = found.get(key, 0) + row["quantity"]
    return found


def test_a_partner_asks_once_even_when_the_form_is_sent_twice(make, partners):
    clinic = partners["users"]["clinic"]
    items = [{"supply": "NARCAN4", "quantity": 24}, {"supply": "FTS", "quantity": 100}]
    needed = (date.today() + timedelta(days=7)).isoformat()
    request_id = new_id()
    first = _ask(clinic, items, needed_by=needed, operation_id=request_id)
    again = _ask(clinic, items, needed_by=needed, operation_id=request_id)
    assert first.created and not again.created
    assert again.result == first.result
    assert first.result["status"] == "submitted" and first.result["id"] == request_id
    assert [(i["supply"], i["requested"]) for i in first.result["items"]] == [
        ("NARCAN4", 24),
        ("FTS", 100),
    ]
    assert db.session.execute(db.select(db.func.count(SupplyRequest.id))).scalar_one() == 1
    audit = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "supply_request.submit")
    ).scalar_one()
    assert audit.actor_id == clinic.id and audit.object_id == request_id


def test_a_partner_asks_only_for_its_own_agency(make, partners):
    clinic = partners["users"]["clinic"]
    with pytest.raises(Forbidden):
        _ask(clinic, [{"supply": "FTS", "quantity": 5}], site="SHELTER")
    with pytest.raises(Forbidden):
        _ask(clinic, [{"supply": "FTS", "quantity": 5}], site="HUB")


def test_only_partners_submit_requests(make, partners):
    with pytest.raises(Forbidden):
        _ask(partners["coordinator"], [{"supply": "FTS", "quantity": 5}])
    with pytest.raises(Forbidden):
        _ask(partners["staff"], [{"supply": "FTS", "quantity": 5}])


def test_a_request_names_each_bad_line_and_a_past_needed_by_date(make, partners):
    clinic = partners["users"]["clinic"]
    items = [
        {"supply": "FTS", "quantity": 0},
        {"supply": "NOPE", "quantity": 3},
        {"supply": "NARCAN4", "quantity": 2},
        {"supply": "NARCAN4", "quantity": 1},
    ]
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    with pytest.raises(ValidationFailed) as refused:
        _ask(clinic, items, needed_by=yesterday)
    assert set(refused.value.fields) == {
        "items[0].quantity",
        "items[1].supply",
        "items[3].supply",
        "needed_by",
    }
    assert db.session.execute(db.select(db.func.count(SupplyRequest.id))).scalar_one() == 0


def test_coordinator_approves_in_part_and_fulfils_with_one_transfer_first_expiry_first(
    make, partners
):
    make.receive("HUB", "NARCAN4", 10, lot="LATE", expires_in_days=300)
    make.receive("HUB", "NARCAN4", 10, lot="SOON", expires_in_days=60)
    make.receive("HUB", "FTS", 500)
    clinic, coordinator = partners["users"]["clinic"], partners["coordinator"]
    items = [{"supply": "NARCAN4", "quantity": 24}, {"supply": "FTS", "quantity": 100}]
    request_id = _ask(clinic, items).result["id"]
    approved = requests.approve(
        coordinator, op({}), request_id, {"items": [{"supply": "NARCAN4", "quantity": 12}]}
    )
    assert approved.result["status"] == "approved"
    assert [(i["supply"], i["approved"]) for i in approved.result["items"]] == [
        ("NARCAN4", 12),
        ("FTS", 0),
    ]
    # The partner sees the change at once.
    assert requests.get_request(clinic, request_id).status == "approved"
    done = requests.fulfil(coordinator, op({}), request_id, {"from_site": "HUB"})
    assert done.created and done.result["status"] == "fulfilled"
    slip = done.result["packing_slip"]
    assert [(x["lot_number"], x["quantity"]) for x in slip["items"][0]["lots"]] == [
        ("SOON", 10),
        ("LATE", 2),
    ]
    assert _held(coordinator, "CLINIC") == {("NARCAN4", "SOON"): 10, ("NARCAN4", "LATE"): 2}
    assert _held(coordinator, "HUB")[("FTS", None)] == 500
    # One transfer: every movement belongs to the request's one transfer operation.
    ids = set(
        db.session.execute(
            db.select(Movement.operation_id).where(Movement.site_id == make_site_id("CLINIC"))
        ).scalars()
    )
    assert ids == {done.result["transfer"]}
    # The partner can print the slip of its own request.
    printed = requests.packing_slip(clinic, request_id)
    assert printed.to_site.code == "CLINIC" and printed.units == 12


def make_site_id(code):
    from supplies.services import catalog

    return catalog.site_by_code(code).id


def test_fulfilling_twice_moves_stock_once(make, partners):
    make.receive("HUB", "FTS", 500)
    clinic, coordinator = partners["users"]["clinic"], partners["coordinator"]
    request_id = _ask(clinic, [{"supply": "FTS", "quantity": 100}]).result["id"]
    first = requests.fulfil(coordinator, op({}), request_id, {"from_site": "HUB"})
    again = requests.fulfil(coordinator, op({}), request_id, {"from_site": "HUB"})
    assert first.created and not again.created
    assert again.result["transfer"] == first.result["transfer"]
    assert _held(coordinator, "HUB") == {("FTS", None): 400}
    assert _held(coordinator, "CLINIC") == {("FTS", None): 100}
    # From another site, it is refused: it was already sent.
    with pytest.raises(Conflict):
        requests.fulfil(coordinator, op({}), request_id, {"from_site": "VAN"})


def test_fulfilment_is_all_or_none(make, partners):
    make.receive("HUB", "FTS", 500)
    make.receive("HUB", "NARCAN4", 5)
    clinic, coordinator = partners["users"]["clinic"], partners["coordinator"]
    items = [{"supply": "FTS", "quantity": 100}, {"supply": "NARCAN4", "quantity": 6}]
    request_id = _ask(clinic, items).result["id"]
    requests.approve(coordinator, op({}), request_id, {})
    with pytest.raises(InsufficientStock):
        requests.fulfil(coordinator, op({}), request_id, {"from_site": "HUB"})
    assert _held(coordinator, "HUB") == {("FTS", None): 500, ("NARCAN4", "LOT1"): 5}
    assert _held(coordinator, "CLINIC") == {}
    assert requests.get_request(coordinator, request_id).status == "approved"
    # Sent in part instead, the same request goes through.
    part = {"from_site": "HUB", "items": [{"supply": "FTS", "quantity": 100}]}
    done = requests.fulfil(coordinator, op({}), request_id, part)
    assert done.result["status"] == "fulfilled"


def test_supplies_leave_from_a_program_site_not_another_partner(make, partners):
    clinic, coordinator = partners["users"]["clinic"], partners["coordinator"]
    request_id = _ask(clinic, [{"supply": "FTS", "quantity": 1}]).result["id"]
    with pytest.raises(ValidationFailed) as refused:
        requests.fulfil(coordinator, op({}), request_id, {"from_site": "SHELTER"})
    assert "from_site" in refused.value.fields


def test_approval_cannot_exceed_what_was_asked(make, partners):
    clinic, coordinator = partners["users"]["clinic"], partners["coordinator"]
    request_id = _ask(clinic, [{"supply": "FTS", "quantity": 10}]).result["id"]
    with pytest.raises(ValidationFailed) as refused:
        requests.approve(
            coordinator, op({}), request_id, {"items": [{"supply": "FTS", "quantity": 11}]}
        )
    assert "items[0].quantity" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        requests.approve(
            coordinator, op({}), request_id, {"items": [{"supply": "NARCAN4", "quantity": 1}]}
        )
    assert "items[0].supply" in refused.value.fields


def test_decline_takes_a_reason_code_and_nothing_else(make, partners):
    clinic, coordinator = partners["users"]["clinic"], partners["coordinator"]
    request_id = _ask(clinic, [{"supply": "FTS", "quantity": 10}]).result["id"]
    with pytest.raises(ValidationFailed) as refused:
        requests.decline(coordinator, op({}), request_id, {"reason": "they were rude to Ann"})
    assert "reason" in refused.value.fields
    first = requests.decline(coordinator, op({}), request_id, {"reason": "out_of_stock"})
    again = requests.decline(coordinator, op({}), request_id, {"reason": "out_of_stock"})
    assert first.created and not again.created
    assert requests.get_request(clinic, request_id).decline_reason == "out_of_stock"
    # A declined request cannot be approved or cancelled any more.
    with pytest.raises(Conflict):
        requests.approve(coordinator, op({}), request_id, {})
    with pytest.raises(Conflict):
        requests.cancel(clinic, op({}), request_id)


def test_the_partner_cancels_until_it_is_sent(make, partners):
    make.receive("HUB", "FTS", 50)
    clinic, coordinator = partners["users"]["clinic"], partners["coordinator"]
    request_id = _ask(clinic, [{"supply": "FTS", "quantity": 10}]).result["id"]
    requests.approve(coordinator, op({}), request_id, {})
    cancelled = requests.cancel(clinic, op({}), request_id)
    assert cancelled.result["status"] == "cancelled"
    assert not requests.cancel(clinic, op({}), request_id).created
    with pytest.raises(Conflict):
        requests.fulfil(coordinator, op({}), request_id, {"from_site": "HUB"})
    sent = _ask(clinic, [{"supply": "FTS", "quantity": 10}]).result["id"]
    requests.fulfil(coordinator, op({}), sent, {"from_site": "HUB"})
    with pytest.raises(Conflict):
        requests.cancel(clinic, op({}), sent)


def test_staff_and_funders_cannot_decide_requests(make, partners):
    clinic = partners["users"]["clinic"]
    request_id = _ask(clinic, [{"supply": "FTS", "quantity": 10}]).result["id"]
    for role in ("staff", "funder"):
        with pytest.raises(Forbidden):
            requests.approve(partners[role], op({}), request_id, {})
        with pytest.raises(Forbidden):
            requests.decline(partners[role], op({}), request_id, {"reason": "other"})
        with pytest.raises(Forbidden):
            requests.fulfil(partners[role], op({}), request_id, {"from_site": "HUB"})
        with pytest.raises(Forbidden):
            requests.queue(partners[role])
    # A partner cannot approve its own request either.
    with pytest.raises(Forbidden):
        requests.approve(clinic, op({}), request_id, {})


def test_a_partner_sees_no_other_agencys_requests(make, partners):
    clinic, shelter = partners["users"]["clinic"], partners["users"]["shelter"]
    theirs = _ask(shelter, [{"supply": "FTS", "quantity": 10}], site="SHELTER").result["id"]
    ours = _ask(clinic, [{"supply": "FTS", "quantity": 5}]).result["id"]
    assert [r.id for r in requests.list_requests(clinic)] == [ours]
    with pytest.raises(NotFound):
        requests.get_request(clinic, theirs)
    with pytest.raises(NotFound):
        requests.cancel(clinic, op({}), theirs)
    with pytest.raises(NotFound):
        requests.packing_slip(clinic, theirs)
    with pytest.raises(Forbidden):
        requests.list_requests(clinic, site_id=make_site_id("SHELTER"))
    coordinator = partners["coordinator"]
    assert {r.id for r in requests.list_requests(coordinator)} == {ours, theirs}


def test_the_queue_lists_open_requests_oldest_first_with_use_and_stock(make, partners):
    make.receive("HUB", "FTS", 300)
    make.receive("VAN", "FTS", 40)
    make.receive("HUB", "NARCAN4", 7, lot="OLD", expires_in_days=-5)  # expired: not usable
    clinic, shelter = partners["users"]["clinic"], partners["users"]["shelter"]
    coordinator = partners["coordinator"]
    first = _ask(shelter, [{"supply": "FTS", "quantity": 10}], site="SHELTER").result["id"]
    second = _ask(clinic, [{"supply": "FTS", "quantity": 20}, {"supply": "NARCAN4", "quantity": 2}])
    declined = _ask(clinic, [{"supply": "FTS", "quantity": 1}]).result["id"]
    requests.decline(coordinator, op({}), declined, {"reason": "duplicate_request"})
    entries = requests.queue(coordinator)
    assert [e.request.id for e in entries] == [first, second.result["id"]]
    fts, narcan = entries[1].lines
    assert (fts.requested, fts.program_usable) == (20, 340)
    assert [(site.code, units) for site, units in fts.by_site] == [("HUB", 300), ("VAN", 40)]
    assert narcan.program_usable == 0
    assert fts.with_partner == 0 and fts.reported_per_month is None


def test_every_step_is_audited(make, partners):
    make.receive("HUB", "FTS", 50)
    clinic, coordinator = partners["users"]["clinic"], partners["coordinator"]
    request_id = _ask(clinic, [{"supply": "FTS", "quantity": 10}]).result["id"]
    requests.approve(coordinator, op({}), request_id, {})
    requests.fulfil(coordinator, op({}), request_id, {"from_site": "HUB"})
    actions = db.session.execute(
        db.select(AuditEntry.action, AuditEntry.actor_id)
        .where(AuditEntry.object_id == request_id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == [
        ("supply_request.submit", clinic.id),
        ("supply_request.approve", coordinator.id),
        ("supply_request.fulfil", coordinator.id),
    ]


def test_what_a_partner_received_names_lot_and_expiry_so_a_recall_reaches_it(make, partners):
    make.receive("HUB", "NARCAN4", 10, lot="R7", expires_in_days=200)
    clinic, coordinator = partners["users"]["clinic"], partners["coordinator"]
    request_id = _ask(clinic, [{"supply": "NARCAN4", "quantity": 4}]).result["id"]
    requests.fulfil(coordinator, op({}), request_id, {"from_site": "HUB"})
    from supplies.services.stock import work

    work.set_lot_status(
        coordinator, op({}), {"supply": "NARCAN4", "lot_number": "R7", "status": "recalled"}
    )
    (lot,) = reports.received(clinic, make_site_id("CLINIC"))
    assert (lot.supply.code, lot.lot_number, lot.quantity, lot.status) == (
        "NARCAN4",
        "R7",
        4,
        "recalled",
    )
    assert lot.expires_on == date.today() + timedelta(days=200)
    assert lot.received_on == date.today() and lot.request_id == request_id
    with pytest.raises(Forbidden):
        reports.received(partners["users"]["shelter"], make_site_id("CLINIC"))
