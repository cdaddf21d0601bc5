"""Void reasons are codes (DESIGN.md): no text that could name someone, anywhere."""

import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from supplies.distribute import forms
from supplies.extensions import db
from supplies.models import DistributionEvent, Movement
from supplies.vocab import VOID_REASONS
from tests.conftest import make_app, new_id


def _event(api, token):
    body = {"id": new_id(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
    assert api.post("/distributions", token, body).status_code == 201
    return body["id"]


def test_the_vocabulary_is_designs():
    assert list(VOID_REASONS) == [
        "entered_in_error",
        "wrong_quantity",
        "wrong_supply",
        "duplicate",
        "participant_declined",
        "other",
    ]
    assert [choice.value for choice in forms.VoidForm.reason.kwargs["choices"]] == list(
        VOID_REASONS
    )


@pytest.mark.parametrize("text", ["John Smith came back", "entered twice", "", None, 3])
def test_the_api_refuses_text_as_a_reason(make, program, api, text):
    make.receive("HUB", "FTS", 10)
    token = program["tokens"]["admin"]
    event_id = _event(api, token)
    response = api.post(f"/distributions/{event_id}/void", token, {"reason": text})
    assert response.status_code == 422
    assert "reason" in response.get_json()["error"]["fields"]
    assert db.session.get(DistributionEvent, event_id).voided_at is None


def test_a_void_keeps_the_code_on_the_event_and_the_movements(make, program, api):
    make.receive("HUB", "FTS", 10)
    token = program["tokens"]["admin"]
    event_id = _event(api, token)
    answer = api.post(f"/distributions/{event_id}/void", token, {"reason": "participant_declined"})
    assert answer.status_code == 201 and answer.get_json()["reason"] == "participant_declined"
    assert db.session.get(DistributionEvent, event_id).void_reason == "participant_declined"
    notes = db.session.execute(db.select(Movement.note).where(Movement.kind == "void")).scalars()
    assert set(notes) == {"participant_declined"}
    listed = api.get("/distributions", token).get_json()["items"]
    assert [e["void_reason"] for e in listed] == ["participant_declined"]


def test_the_migration_turns_old_reasons_into_codes(database):
    app = make_app(database, create_schema=False)
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0011_user_sessions")
        old = {
            "Logged twice": "duplicate",
            "Entered by mistake": "entered_in_error",
            "Wrong supply or quantity": "wrong_quantity",
            "Participant did not take it": "participant_declined",
            "Jane Doe asked to return it": "other",
            "wrong_quantity": "wrong_quantity",
        }
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO sites (id, code, name, kind, active) "
                    "VALUES (1, 'HUB', 'Hub', 'fixed_site', true)"
                )
            )
            for reason in [*old, None]:
                connection.execute(
                    sa.text(
                        "INSERT INTO distribution_events (id, site_id, occurred_at, recorded_at, "
                        "setting, trained, reversals_reported, void_reason) VALUES (:id, 1, "
                        "'2026-01-05 10:00:00', '2026-01-05 10:00:00', 'fixed_site', false, 0, "
                        ":reason)"
                    ),
                    {"id": str(uuid.uuid4()), "reason": reason},
                )
        upgrade(directory=directory)
        with db.engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT void_reason FROM distribution_events"))
            codes = sorted(str(row[0]) for row in stored)
        assert codes == sorted([*map(str, old.values()), "None"])
        db.engine.dispose()
