"""An ended session never looks like a recorded distribution to the screen's script (issue
26): /distribute/log answers JSON 401/403, not a redirect that fetch would follow to a 200."""

import uuid

from supplies.extensions import db
from supplies.models import DistributionEvent


def _body():
    return {"id": str(uuid.uuid4()), "site": "HUB", "items": [{"supply": "NARCAN4", "quantity": 1}]}


def _csrf(client) -> str:
    return client.get("/distribute/session").get_json()["csrf_token"]


def _events() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(DistributionEvent))


def test_a_log_after_the_session_went_idle_is_a_json_401_and_records_nothing(
    app, client, auth, make
):
    make.site("HUB")
    make.supply("NARCAN4")
    make.receive("HUB", "NARCAN4", 10)
    make.user("staff@example.org", "staff", sites=("HUB",))
    auth.login("staff@example.org")
    token = _csrf(client)
    with client.session_transaction() as session:
        session["seen"] = 0  # idle since 1970
    answer = client.post("/distribute/log", json=_body(), headers={"X-CSRFToken": token})
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"
    assert _events() == 0
    assert client.get("/distribute/session").status_code == 401


def test_a_log_by_someone_who_must_change_a_password_is_a_json_403(app, client, auth, make):
    make.site("HUB")
    make.supply("NARCAN4")
    make.receive("HUB", "NARCAN4", 10)
    user = make.user("staff@example.org", "staff", sites=("HUB",))
    auth.login("staff@example.org")
    token = _csrf(client)
    user.must_change_password = True
    db.session.commit()
    answer = client.post("/distribute/log", json=_body(), headers={"X-CSRFToken": token})
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "password_change_required"
    assert _events() == 0
