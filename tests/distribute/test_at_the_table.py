"""The screen a busy table needs (issue 19), without JavaScript: bundles offered, supplies
folded, today briefly, paper tallies dated, answers not invented, the last site kept."""

import re
from datetime import datetime, timedelta

import pytest

from supplies.extensions import db
from supplies.models import DistributionEvent, User
from supplies.services.common import clock
from supplies.services.common.errors import Conflict
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import bundles, events, quarters
from tests.conftest import csrf_token_from, new_id, text

SCREEN = "/distribute/sites/HUB"
NARCAN, STRIPS = "Narcan 4 mg nasal spray", "Fentanyl test strip"


@pytest.fixture
def table(make, program):
    """HUB holds Narcan and strips (received a week and a half ago) and six more supplies."""
    make.receive("HUB", "NARCAN4", 10, days_ago=10)
    make.receive("HUB", "FTS", 100, days_ago=10)
    for number in range(6):
        make.supply(f"KIT{number}", name=f"Kit {number}")
        make.receive("HUB", f"KIT{number}", 5)
    make.receive("VAN", "NARCAN4", 5)
    return program


def _bundle(make, code, items, site=None, name=None):
    body = {"code": code, "name": name or code, "site": site, "items": items}
    return bundles.create_bundle(make.admin, OperationRequest.new(None, body), body)


def _field(html: str, label: str) -> str:
    match = re.search(r'<label for="([^"]+)"[^>]*>' + re.escape(label) + "</label>", html)
    assert match, f"no label {label!r}"
    return match.group(1)


def _form(html: str, **quantities) -> dict:
    """What a browser sends for a fresh form left as it is (questions not asked)."""
    data = {
        "csrf_token": csrf_token_from(html),
        "event_id": re.search(r'name="event_id" value="([^"]+)"', html).group(1),
        "reversals_reported": "0",
        "setting": "fixed_site",
        "when_date": re.search(r'id="when_date" name="when_date" value="([^"]*)"', html).group(1),
        "when_time": re.search(r'id="when_time" name="when_time" value="([^"]*)"', html).group(1),
    }
    for label, value in quantities.items():
        data[_field(html, label)] = value
    return data


def _events() -> list[DistributionEvent]:
    query = db.select(DistributionEvent).order_by(DistributionEvent.recorded_at)
    return list(db.session.execute(query).scalars())


def _page(client) -> str:
    response = client.get(SCREEN)
    assert response.status_code == 200
    return text(response)


def test_bundles_offered_here_come_first_and_the_rest_of_the_supplies_fold(
    client, auth, make, table
):
    two_and_five = [{"supply": "NARCAN4", "quantity": 2}, {"supply": "FTS", "quantity": 5}]
    _bundle(make, "usual", two_and_five, name="Narcan + 5 strips")
    _bundle(make, "hub-kit", [{"supply": "KIT5", "quantity": 1}], site="HUB", name="Hub kit")
    _bundle(make, "van-kit", [{"supply": "FTS", "quantity": 1}], site="VAN", name="Van kit")
    make.supply("GONE", name="Not stocked here")
    _bundle(make, "elsewhere", [{"supply": "GONE", "quantity": 1}], name="Elsewhere kit")
    retired = _bundle(make, "old", [{"supply": "FTS", "quantity": 9}], name="Old kit")
    bundles.set_bundle_active(make.admin, OperationRequest.new(None, {"x": 1}), "old", False)
    assert retired.result["active"] is True
    auth.login("staff@example.org")
    html = _page(client)
    offered = re.findall(r'<span class="bundle-name">([^<]+)</span>', html)
    assert offered == ["Hub kit", "Narcan + 5 strips", "Same as last"]
    lines = '[{"quantity": 2, "supply": "NARCAN4"}, {"quantity": 5, "supply": "FTS"}]'
    assert f"data-lines='{lines}'" in html
    # Five supplies open (most given first, then by name) and the bundles' (Narcan, Kit 5):
    # the one left folds away.
    folded = html.split('id="more-supplies"')[1]
    assert "<summary>1 more supply</summary>" in folded
    assert ">Kit 4</label>" in folded
    assert ">Kit 5</label>" not in folded and f">{NARCAN}</label>" not in folded


def test_a_paper_tally_is_dated_and_the_date_stays_until_cleared(client, auth, table):
    auth.login("staff@example.org")
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    data = _form(_page(client), **{NARCAN: "2"})
    data.update(when_date=yesterday, when_time="14:00", trained="no")
    assert client.post(SCREEN, data=data).status_code == 302
    html = _page(client)
    assert f"Paper tally: dated {yesterday} 14:00" in html
    assert f'name="when_date" value="{yesterday}"' in html  # kept for the next line
    next_line = _form(html, **{STRIPS: "3"})
    assert client.post(SCREEN, data=next_line).status_code == 302
    cleared = _form(_page(client), **{STRIPS: "1"})
    cleared.update(when_date="", when_time="")
    assert client.post(SCREEN, data=cleared).status_code == 302
    assert 'name="when_date" value=""' in _page(client)
    first, second, third = _events()
    expected = datetime.fromisoformat(f"{yesterday}T14:00").replace(tzinfo=clock.program_timezone())
    assert first.occurred_at == expected and second.occurred_at == expected
    assert clock.now() - third.occurred_at < timedelta(minutes=1)
    assert [e.trained for e in (first, second, third)] == [False, None, None]


@pytest.mark.parametrize(
    ("when_date", "when_time", "summary"),
    [
        (8, "10:00", "When: Date: must be within the last 7 days, not in the future"),
        (-1, "10:00", "When: Date: must be within the last 7 days, not in the future"),
        (0, "23:59", "When: Time: must not be in the future"),
        (1, "", "When: Time: give the time as well as the day"),
        ("", "10:00", "When: Date: give the day as well as the time"),
        ("yesterday", "10:00", "When: Date: must be a date like 2026-12-03"),
    ],
)
def test_a_paper_tally_date_out_of_reach_is_refused_by_name(
    client, auth, table, when_date, when_time, summary
):
    if when_date == 0 and clock.local_time(clock.now()).strftime("%H:%M") >= "23:58":
        pytest.skip("no future minute is left today")
    auth.login("staff@example.org")
    data = _form(_page(client), **{NARCAN: "1"})
    if isinstance(when_date, int):
        when_date = (clock.today() - timedelta(days=when_date)).isoformat()
    data.update(when_date=when_date, when_time=when_time)
    response = client.post(SCREEN, data=data)
    assert response.status_code == 422
    assert '<a href="#when_' in text(response)
    assert summary in text(response)
    assert _events() == []


def test_a_closed_quarter_is_named_beside_the_date(client, auth, table, monkeypatch):
    def closed(moment, what="distribution"):
        raise Conflict("2026-Q3 closed on 2026-10-15.", {"occurred_at": "2026-Q3 is closed"})

    monkeypatch.setattr(quarters, "require_open", closed)
    auth.login("staff@example.org")
    data = _form(_page(client), **{NARCAN: "1"})
    data.update(when_date=(clock.today() - timedelta(days=2)).isoformat(), when_time="09:00")
    response = client.post(SCREEN, data=data)
    assert response.status_code == 409
    assert "When: Date: 2026-Q3 is closed" in text(response)
    assert 'id="when_date-error">2026-Q3 is closed' in text(response)


def test_errors_name_the_field_never_its_program_name(client, auth, table):
    auth.login("staff@example.org")
    too_much = client.post(SCREEN, data=_form(_page(client), **{NARCAN: "11"}))
    assert too_much.status_code == 409
    assert f'<li><a href="#{_field(text(too_much), NARCAN)}">{NARCAN}: only 10 available' in (
        text(too_much)
    )
    nothing = client.post(SCREEN, data=_form(_page(client)))
    assert nothing.status_code == 422
    assert "What was given: enter how many of at least one supply" in text(nothing)
    assert "items:" not in text(nothing) and "qty_" not in text(nothing).split("<form")[0]


def test_today_lists_ten_the_users_own_first_and_more_behind(client, auth, make, table):
    others = make.user("other@example.org", "staff", sites=("HUB",))
    staff = db.session.execute(
        db.select(User).where(User.email == "staff@example.org")
    ).scalar_one()
    for number in range(12):
        actor = staff if number in (0, 1) else others
        body = {"id": new_id(), "site": "HUB", "items": [{"supply": "FTS", "quantity": 1}]}
        events.distribute(actor, OperationRequest.new(body["id"], body), body)
    auth.login("staff@example.org")
    html = _page(client)
    first, more = html.split('id="today"')[1].split('class="today-more"')
    shown = first.split('<li class="event"')[1:]
    assert len(shown) == 10
    # The other two are on the day's own page (issue 26: a busy day is not on the screen).
    assert more.count('<li class="event"') == 0
    assert '<a href="/distribute/sites/HUB/today">2 more</a>' in more
    # The user's own two lead (only they can be voided by this staff member), newest first.
    assert ["Void…" in item for item in shown] == [True, True] + [False] * 8
    day = client.get(f"{SCREEN}/today").get_data(as_text=True)
    assert day.count('<li class="event"') == 12
    assert day.count("Void…") == 2


def test_the_last_site_is_where_staff_with_two_sites_land(client, auth, make, table):
    make.user("both@example.org", "staff", sites=("HUB", "VAN"))
    auth.login("both@example.org")
    assert client.get("/distribute/").status_code == 200  # none used yet: the picker
    assert client.get("/distribute/sites/VAN").status_code == 200
    landed = client.get("/home", follow_redirects=True)
    assert landed.request.path == "/distribute/sites/VAN"
    assert "Change site" in text(landed)
    picker = client.get("/distribute/?choose=1")
    assert picker.status_code == 200 and 'href="/distribute/sites/HUB"' in text(picker)
    user = db.session.execute(db.select(User).where(User.email == "both@example.org")).scalar_one()
    assert user.last_site_id == table["users"]["staff_van"].sites[0].id


def test_coordinators_keep_bundles_on_their_screen(client, auth, table):
    auth.login("coord@example.org")
    page = client.get("/inventory/bundles/new")
    html = text(page)
    data = {
        "csrf_token": csrf_token_from(html),
        "op": re.search(r'name="op" type="hidden" value="([^"]*)"', html).group(1),
        "code": "usual",
        "name": "Narcan + strips",
        "site": "",
        "line-0-supply": "NARCAN4",
        "line-0-quantity": "2",
        "line-2-supply": "FTS",
        "line-2-quantity": "zero",
    }
    refused = client.post("/inventory/bundles/new", data=data)
    assert refused.status_code == 422
    assert 'id="line-2-quantity-error">must be a whole number' in text(refused)
    data["line-2-quantity"] = "5"
    assert client.post("/inventory/bundles/new", data=data).status_code == 302
    listed = text(client.get("/inventory/bundles"))
    assert "2 × Narcan 4 mg nasal spray, 5 × Fentanyl test strip" in listed
    edit = text(client.get("/inventory/bundles/usual/edit"))
    changed = {
        "csrf_token": csrf_token_from(edit),
        "op": re.search(r'name="op" type="hidden" value="([^"]*)"', edit).group(1),
        "name": "Van strips",
        "site": "VAN",
        "line-0-supply": "FTS",
        "line-0-quantity": "3",
    }
    assert client.post("/inventory/bundles/usual/edit", data=changed).status_code == 302
    bundle = bundles.bundle_by_code("usual")
    assert (bundle.name, bundle.site.code, bundles.supply_names(bundle)) == (
        "Van strips",
        "VAN",
        "3 × Fentanyl test strip",
    )
