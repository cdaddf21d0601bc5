"""A distribution's rules at their edges: the items, what is recorded, the void's window."""

from datetime import datetime, timedelta, timezone

from supplies.extensions import db
from supplies.models import AuditEntry, DistributionEvent, Movement, Operation
from supplies.services.accounts import users as accounts
from supplies.services.common import clock
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events
from tests.conftest import new_id


def _body(items, **overrides):
    body = {"id": new_id(), "site": "HUB", "items": items}
    body.update(overrides)
    return body


def _post(api, token, items, **overrides):
    return api.post("/distributions", token, _body(items, **overrides))


def _fields(response):
    assert response.status_code == 422, response.get_json()
    return response.get_json()["error"]["fields"]


def _distribute(user, body):
    return events.distribute(user, OperationRequest.new(body["id"], body), body)


def _void(user, event_id, reason="entered_in_error", void_id=None):
    body = {"reason": reason}
    return events.void(user, OperationRequest.new(void_id, body), event_id, body)


def test_every_item_without_a_supply_code_is_named_as_required(make, program, api):
    items = [
        {"quantity": 1},
        {"supply": "", "quantity": 1},
        {"supply": 5, "quantity": 1},
    ]
    fields = _fields(_post(api, program["tokens"]["staff"], items))
    assert fields == {
        "items[0].supply": "is required",
        "items[1].supply": "is required",
        "items[2].supply": "is required",
    }


def test_every_repeat_of_a_supply_is_named_as_listed_twice(make, program, api):
    make.receive("HUB", "FTS", 100)
    items = [{"supply": "FTS", "quantity": 1}] * 3
    fields = _fields(_post(api, program["tokens"]["staff"], items))
    assert fields == {"items[1].supply": "is listed twice", "items[2].supply": "is listed twice"}


def test_an_unknown_supply_is_named_with_its_code(make, program, api):
    items = [{"supply": "FTS", "quantity": 1}, {"supply": "NOPE", "quantity": 1}]
    fields = _fields(_post(api, program["tokens"]["staff"], items))
    assert fields == {"items[1].supply": "no supply has the code NOPE"}


def test_a_bad_quantity_is_named_on_its_own_line(make, program, api):
    items = [{"supply": "FTS", "quantity": 1}, {"supply": "NARCAN4", "quantity": 0}]
    fields = _fields(_post(api, program["tokens"]["staff"], items))
    assert list(fields) == ["items[1].quantity"]


def test_the_result_names_each_supply_its_doses_and_lots_in_code_order(make, program, api):
    make.receive("HUB", "NARCAN4", 10, lot="N1")
    make.receive("HUB", "FTS", 100)
    items = [{"supply": "NARCAN4", "quantity": 3}, {"supply": "FTS", "quantity": 5}]
    body = _body(items)
    response = api.post("/distributions", program["tokens"]["staff"], body)
    assert response.status_code == 201
    result = response.get_json()
    assert result["id"] == body["id"]
    assert result["site"] == "HUB"
    assert result["voided"] is False
    assert result["items"] == [
        {
            "supply": "FTS",
            "name": "Fentanyl test strip",
            "quantity": 5,
            "doses": 0,
            "lots": [{"lot_number": None, "quantity": 5}],
        },
        {
            "supply": "NARCAN4",
            "name": "Narcan 4 mg nasal spray",
            "quantity": 3,
            "doses": 6,
            "lots": [{"lot_number": "N1", "quantity": 3}],
        },
    ]


def test_the_setting_comes_from_the_sites_kind_unless_given(make, program, api):
    make.receive("VAN", "FTS", 100)
    make.site("POST", kind="mail")
    make.receive("POST", "FTS", 100)
    van = program["tokens"]["staff_van"]
    coordinator = program["tokens"]["coordinator"]
    items = [{"supply": "FTS", "quantity": 1}]
    assert _post(api, van, items, site="VAN").get_json()["setting"] == "mobile_van"
    assert _post(api, coordinator, items, site="POST").get_json()["setting"] == "mail"
    given = _post(api, van, items, site="VAN", setting="outreach")
    assert given.get_json()["setting"] == "outreach"


def test_a_distribution_records_its_event_lines_movements_and_audit(ctx, make, program):
    make.receive("HUB", "NARCAN4", 10)
    staff = program["users"]["staff"]
    body = _body([{"supply": "NARCAN4", "quantity": 2}], trained=True, age_band="25_34")
    outcome = _distribute(staff, body)
    assert outcome.created is True
    stored = db.session.get(DistributionEvent, body["id"])
    assert stored.user_id == staff.id
    assert stored.site.code == "HUB"
    assert stored.trained is True and stored.age_band == "25_34"
    assert stored.setting == "fixed_site"
    assert abs(stored.recorded_at - clock.now()) < timedelta(minutes=1)
    assert [(line.supply.code, line.quantity) for line in stored.lines] == [("NARCAN4", 2)]
    moved = db.session.execute(
        db.select(Movement).where(Movement.operation_id == body["id"])
    ).scalars()
    assert [(m.kind, m.site_id, m.quantity, m.user_id) for m in moved] == [
        ("distribute", stored.site_id, -2, staff.id)
    ]
    entries = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "distribution.create")
    ).scalars()
    assert [(e.actor_id, e.object_type, e.object_id) for e in entries] == [
        (staff.id, "distribution", body["id"])
    ]


def test_a_distributions_id_is_kept_as_a_distribution_asked_for_by_its_recorder(ctx, make, program):
    # The operation row is what a retry is answered from and what says who asked.
    make.receive("HUB", "FTS", 10)
    staff = program["users"]["staff"]
    body = _body([{"supply": "FTS", "quantity": 2}])
    _distribute(staff, body)
    stored = db.session.get(Operation, body["id"])
    assert (stored.kind, stored.user_id) == ("distribution", staff.id)


def test_too_little_stock_says_how_much_of_which_supply_the_site_has(make, program, api):
    make.receive("HUB", "NARCAN4", 1)
    make.receive("HUB", "FTS", 100)
    items = [{"supply": "FTS", "quantity": 1}, {"supply": "NARCAN4", "quantity": 2}]
    response = _post(api, program["tokens"]["staff"], items)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["message"] == "Only 1 Narcan 4 mg nasal spray available at Site HUB."
    assert error["fields"] == {"items[1].quantity": "only 1 available"}
    assert error["available"] == {"NARCAN4": 1}


def test_a_back_dated_distribution_is_dated_then_and_checked_against_then(make, program, api):
    make.receive("HUB", "FTS", 5, days_ago=10)
    make.receive("HUB", "FTS", 50)
    staff = program["tokens"]["staff"]
    then = (datetime.now(timezone.utc) - timedelta(days=5)).replace(microsecond=0)
    items = [{"supply": "FTS", "quantity": 6}]
    refused = _post(api, staff, items, occurred_at=then.isoformat())
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["fields"] == {"items[0].quantity": "only 5 available then"}
    day = clock.local_date(then).isoformat()
    assert error["message"] == (
        f"On {day} Site HUB could give 5 Fentanyl test strip without leaving a later "
        "balance below zero; 6 requested."
    )
    items = [{"supply": "FTS", "quantity": 5}]
    taken = _post(api, staff, items, occurred_at=then.isoformat())
    assert taken.status_code == 201
    assert datetime.fromisoformat(taken.get_json()["occurred_at"]) == then
    moved = db.session.execute(
        db.select(Movement.occurred_at).where(Movement.operation_id == taken.get_json()["id"])
    ).scalars()
    assert [clock.local_time(m) for m in moved] == [clock.local_time(then)]


def test_a_void_gives_back_what_was_taken_under_the_voids_own_id(ctx, make, program):
    make.receive("HUB", "NARCAN4", 10, days_ago=1)
    staff = program["users"]["staff"]
    then = (clock.now() - timedelta(hours=3)).replace(microsecond=0)
    body = _body([{"supply": "NARCAN4", "quantity": 2}], occurred_at=then.isoformat())
    _distribute(staff, body)
    void_id = new_id()
    outcome = _void(staff, body["id"], "duplicate", void_id)
    assert outcome.created is True
    assert outcome.result["id"] == body["id"]
    assert outcome.result["voided"] is True
    assert outcome.result["reason"] == "duplicate"
    voided_at = datetime.fromisoformat(outcome.result["voided_at"])
    assert abs(voided_at - clock.now()) < timedelta(minutes=1)
    given_back = db.session.execute(
        db.select(Movement).where(Movement.operation_id == void_id)
    ).scalars()
    rows = [(m.kind, m.quantity, m.user_id, m.reason, m.note) for m in given_back]
    assert rows == [("void", 2, staff.id, "void", "duplicate")]
    stored = db.session.get(DistributionEvent, body["id"])
    assert stored.voided_by_id == staff.id and stored.void_reason == "duplicate"
    operation = db.session.get(Operation, void_id)
    assert (operation.kind, operation.user_id) == ("void", staff.id)


def test_a_void_is_dated_when_the_distribution_happened(ctx, make, program):
    make.receive("HUB", "NARCAN4", 10, days_ago=5)
    staff = program["users"]["staff"]
    then = (clock.now() - timedelta(days=2)).replace(microsecond=0)
    body = _body([{"supply": "NARCAN4", "quantity": 2}], occurred_at=then.isoformat())
    _distribute(staff, body)
    void_id = new_id()
    _void(staff, body["id"], void_id=void_id)
    dates = db.session.execute(
        db.select(Movement.occurred_at).where(Movement.operation_id == void_id)
    ).scalars()
    assert [clock.local_time(d) for d in dates] == [clock.local_time(then)]


def test_the_same_void_again_answers_the_first_result(make, program, api):
    make.receive("HUB", "FTS", 20)
    staff = program["tokens"]["staff"]
    event = _body([{"supply": "FTS", "quantity": 2}])
    api.post("/distributions", staff, event)
    void = {"id": new_id(), "reason": "duplicate"}
    first = api.post(f"/distributions/{event['id']}/void", staff, void)
    again = api.post(f"/distributions/{event['id']}/void", staff, void)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()


def test_staff_may_void_their_own_distribution_until_24_hours_after_recording(ctx, make, program):
    make.receive("HUB", "FTS", 20)
    staff = program["users"]["staff"]
    body = _body([{"supply": "FTS", "quantity": 2}])
    _distribute(staff, body)
    recorded = db.session.get(DistributionEvent, body["id"]).recorded_at
    with clock.replaying(recorded + timedelta(hours=24)):
        assert _void(staff, body["id"]).created is True


def test_staff_past_24_hours_are_told_why_they_may_not_void(ctx, make, program):
    make.receive("HUB", "FTS", 20)
    staff = program["users"]["staff"]
    body = _body([{"supply": "FTS", "quantity": 2}])
    _distribute(staff, body)
    recorded = db.session.get(DistributionEvent, body["id"]).recorded_at
    with clock.replaying(recorded + timedelta(hours=24, seconds=1)):
        try:
            _void(staff, body["id"])
        except events.Forbidden as refusal:
            assert str(refusal) == "Staff can void only distributions from the last 24 hours."
        else:
            raise AssertionError("a void past 24 hours was allowed")
    assert db.session.get(DistributionEvent, body["id"]).voided_at is None


def test_a_void_by_staff_who_lost_the_site_is_refused_naming_the_site(make, program, api):
    make.receive("HUB", "FTS", 20)
    staff = program["tokens"]["staff"]
    event = _body([{"supply": "FTS", "quantity": 2}])
    api.post("/distributions", staff, event)
    admin = program["users"]["admin"]
    accounts.update_user(admin, program["users"]["staff"].id, "Moved", "staff", ["VAN"])
    response = api.post(f"/distributions/{event['id']}/void", staff, {"reason": "other"})
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "You are not assigned to this site."


def test_a_coordinator_may_void_anyones_distribution_at_any_age(make, program, api):
    make.receive("HUB", "FTS", 20)
    event = _body([{"supply": "FTS", "quantity": 2}])
    api.post("/distributions", program["tokens"]["staff"], event)
    db.session.execute(
        db.update(DistributionEvent)
        .where(DistributionEvent.id == event["id"])
        .values(recorded_at=datetime.now(timezone.utc) - timedelta(days=3))
    )
    db.session.commit()
    coordinator = program["tokens"]["coordinator"]
    response = api.post(f"/distributions/{event['id']}/void", coordinator, {"reason": "other"})
    assert response.status_code == 201
    stored = db.session.get(DistributionEvent, event["id"])
    assert stored.voided_by_id == program["users"]["coordinator"].id


def test_the_list_shows_each_distributions_answers_items_and_void_reason(make, program, api):
    make.receive("HUB", "NARCAN4", 10)
    make.receive("HUB", "FTS", 10)
    staff = program["tokens"]["staff"]
    event = _body(
        [{"supply": "FTS", "quantity": 4}, {"supply": "NARCAN4", "quantity": 3}],
        age_band="25_34",
        trained=True,
        language="es",
    )
    recorded = api.post("/distributions", staff, event).get_json()
    api.post(f"/distributions/{event['id']}/void", staff, {"reason": "duplicate"})
    listed = api.get("/distributions", program["tokens"]["coordinator"]).get_json()["items"]
    assert len(listed) == 1
    row = listed[0]
    assert row["id"] == event["id"]
    assert row["site"] == "HUB"
    when = datetime.fromisoformat(recorded["occurred_at"])
    assert datetime.fromisoformat(row["occurred_at"]) == when
    assert (row["age_band"], row["trained"], row["language"]) == ("25_34", True, "es")
    assert row["setting"] == "fixed_site"
    assert row["first_time"] is None
    # In the catalog's order (naloxone was added first), whatever order they were entered.
    assert row["items"] == [
        {"supply": "NARCAN4", "quantity": 3, "doses": 6},
        {"supply": "FTS", "quantity": 4, "doses": 0},
    ]
    assert row["voided"] is True
    assert row["void_reason"] == "duplicate"


def test_a_history_loaded_as_it_happened_is_recorded_at_its_moment(ctx, make, program):
    make.receive("HUB", "FTS", 20, days_ago=3)
    staff = program["users"]["staff"]
    moment = (clock.now() - timedelta(days=1)).replace(microsecond=0)
    body = _body([{"supply": "FTS", "quantity": 2}])
    with clock.replaying(moment):
        _distribute(staff, body)
    stored = db.session.get(DistributionEvent, body["id"])
    assert clock.local_time(stored.recorded_at) == clock.local_time(moment)
    assert clock.local_time(stored.occurred_at) == clock.local_time(moment)


def test_a_supply_the_site_never_held_is_refused_as_none_available(make, program, api):
    response = _post(api, program["tokens"]["staff"], [{"supply": "FTS", "quantity": 1}])
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["message"] == "Only 0 Fentanyl test strip available at Site HUB."
    assert error["available"] == {"FTS": 0}


def test_a_void_gives_back_only_its_own_distributions_units(ctx, make, program):
    make.receive("HUB", "FTS", 20)
    staff = program["users"]["staff"]
    kept, voided = (
        _body([{"supply": "FTS", "quantity": 3}]),
        _body([{"supply": "FTS", "quantity": 2}]),
    )
    _distribute(staff, kept)
    _distribute(staff, voided)
    void_id = new_id()
    _void(staff, voided["id"], void_id=void_id)
    given_back = db.session.execute(
        db.select(Movement.quantity).where(Movement.operation_id == void_id)
    ).scalars()
    assert list(given_back) == [2]
    assert db.session.get(DistributionEvent, kept["id"]).voided_at is None
