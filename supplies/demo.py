"""Demo data: a small program with six sites, a dozen supplies and six months of events.

The six months are loaded as they would have been recorded: in business-time order, each
shipment and distribution written at its own moment on a replayed clock, so every event
takes a lot that had arrived at its site by then and no balance is below zero at any
moment (`flask check-ledger` checks both). Shipments arrive at each site every 30 days,
sized to what the site hands out.
"""

import math
import random
import uuid
from collections import defaultdict
from datetime import datetime, time, timedelta

from supplies.extensions import db
from supplies.models import ParLevel
from supplies.services import areas, catalog
from supplies.services.accounts import users as accounts
from supplies.services.common import clock
from supplies.services.common.errors import InsufficientStock
from supplies.services.db.operations import OperationRequest
from supplies.services.db.unit_of_work import transaction
from supplies.services.distribution import bundles
from supplies.services.distribution import events as distribution
from supplies.services.partners import requests as partner_requests
from supplies.services.stock import work
from supplies.services.stock.work import ReceiptLine
from supplies.vocab import PARTNER_KIND

DEMO_USERS = [
    ("admin@example.org", "demo-admin-pass-2026", "admin"),
    ("coordinator@example.org", "demo-coord-pass-2026", "coordinator"),
    ("staff@example.org", "demo-staff-pass-2026", "staff"),
    ("funder@example.org", "demo-funder-pass-2026", "funder"),
    ("partner@example.org", "demo-partner-pass-2026", "partner"),
]

SITES = [
    ("HUB", "Downtown Drop-in Center", "fixed_site", "Alder County"),
    ("NORTH", "North Street Outreach", "outreach", "Alder County"),
    ("VAN", "Mobile Health Van", "mobile_van", "Birch County"),
    ("CLINIC", "Eastside Recovery Clinic", "partner_agency", "Birch County"),
    ("VEND1", "Library Vending Machine", "vending", "Alder County"),
    ("MAIL", "Mail-based Distribution", "mail", "Cedar County"),
]

# The program's areas: its sites' counties, and the ZIP prefix the events also name.
AREAS = [
    {"name": "Alder County", "state": "OR"},
    {"name": "Birch County", "state": "OR"},
    {"name": "Cedar County", "state": "OR"},
    {"zip3": "972"},
]

# The usual kits, one tap each on the distribution screen (issue 19).
BUNDLES = [
    {
        "code": "naloxone-strips",
        "name": "Narcan + 5 test strips",
        "items": [{"supply": "NARCAN4", "quantity": 1}, {"supply": "FTS", "quantity": 5}],
    },
    {
        "code": "van-safer-use",
        "name": "Safer use pack",
        "site": "VAN",
        "items": [{"supply": "SYR1ML", "quantity": 10}, {"supply": "WOUND", "quantity": 1}],
    },
]
# code, name, category, unit, doses per unit, tracks lots
SUPPLIES = [
    ("NARCAN4", "Narcan 4 mg nasal spray (box of 2)", "naloxone_nasal", "box", 2, True),
    ("NALOX4", "Naloxone 4 mg nasal spray, generic (box of 2)", "naloxone_nasal", "box", 2, True),
    (
        "NALOX-IM",
        "Naloxone 0.4 mg/mL IM kit (2 vials, 2 syringes)",
        "naloxone_injectable",
        "kit",
        2,
        True,
    ),
    ("RIVIVE3", "RiVive 3 mg nasal spray (box of 2)", "naloxone_nasal", "box", 2, True),
    ("OPVEE", "Opvee nalmefene 2.7 mg nasal spray (box of 2)", "nalmefene", "box", 2, True),
    ("FTS", "Fentanyl test strip", "fentanyl_test_strip", "strip", 0, False),
    ("XTS", "Xylazine test strip", "xylazine_test_strip", "strip", 0, False),
    ("SYR1ML", "Syringe 1 mL", "syringe", "each", 0, False),
    ("WOUND", "Wound care kit", "wound_care", "kit", 0, False),
    ("SMOKE", "Safer smoking kit", "smoking_supply", "kit", 0, False),
    ("CONDOM", "Condom", "condom", "each", 0, False),
    ("HYGIENE", "Hygiene kit", "hygiene", "kit", 0, False),
]

FUNDING = [
    ("SOR", "State Opioid Response grant", "SAMHSA", "2025-09-30", "2027-09-29"),
    ("STATE-NDP", "State naloxone distribution program", "State Department of Health", None, None),
    (
        "FOUND",
        "Community Health Foundation",
        "Community Health Foundation",
        "2026-01-01",
        "2026-12-31",
    ),
]

EVENT_DAYS = 182
RESTOCK_DAYS = 30  # a shipment to every site this often, sized to what it hands out


def _request(body) -> OperationRequest:
    return OperationRequest.new(str(uuid.uuid4()), body)


def _pick(rng: random.Random, weighted: dict):
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _pack(code: str) -> int:
    """Units a supply is shipped in multiples of (a case of boxes, a pack of strips)."""
    category = next(row[2] for row in SUPPLIES if row[0] == code)
    if category.startswith("naloxone") or category == "nalmefene":
        return 12
    return 10 if next(row[3] for row in SUPPLIES if row[0] == code) == "kit" else 100


def _shipments(rng: random.Random, planned, start: datetime) -> list[tuple]:
    """Per site, a shipment every RESTOCK_DAYS holding a quarter more than the site hands
    out until the next one (the first one: every supply, before the first event); each
    line a lot of its own. Returns (moment, site code, receipt lines)."""
    demand: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for moment, site_code, body in planned:
        window = int((moment - start).total_seconds() // (RESTOCK_DAYS * 86400))
        for item in body["items"]:
            demand[(site_code, window)][item["supply"]] += item["quantity"]
    windows = math.ceil(EVENT_DAYS / RESTOCK_DAYS)
    zone = clock.program_timezone()
    shipments, lot_serial = [], 1000
    for site_code, _name, kind, _county in SITES:
        if kind == PARTNER_KIND:
            continue  # an agency gets what it asks for, sent from HUB (_partner_work)
        small = site_code in ("VEND1", "MAIL")
        for window in range(windows):
            # 10:00 on the day before the window opens; the first one, five days before.
            day = (start + timedelta(days=RESTOCK_DAYS * window - 1)).astimezone(zone).date()
            if window == 0:
                day -= timedelta(days=4)
            moment = datetime.combine(day, time(10), tzinfo=zone)
            lines = []
            for code, _name, category, _unit, _doses, tracks_lots in SUPPLIES:
                naloxone = category.startswith("naloxone") or category == "nalmefene"
                pack = _pack(code)
                wanted = demand[(site_code, window)].get(code, 0) * 1.25
                if window == 0:
                    wanted = max(wanted, (24 if naloxone else 200) // (2 if small else 1))
                if not wanted:
                    continue
                lot_serial += 1
                expires = day + timedelta(days=365 * rng.choice((2, 3)))
                lines.append(
                    ReceiptLine(
                        code,
                        (math.ceil(wanted / pack) + 1) * pack,
                        f"L{lot_serial}" if tracks_lots else None,
                        expires.isoformat() if tracks_lots else None,
                        rng.choice(["SOR", "STATE-NDP", "FOUND"]) if naloxone else "FOUND",
                    )
                )
            if lines:
                shipments.append((moment, site_code, lines))
    return shipments


def _receive(admin, site_code: str, lines: list, source: str = "purchase") -> None:
    """A shipment received now (on the replayed clock)."""
    body = {"site": site_code, "lines": [line.supply for line in lines]}
    work.receive(admin, _request(body), site_code, lines, None, source)


def _special_lots(today) -> list[tuple]:
    """A lot expiring within 60 days, and one that expired ten days ago with units left."""
    found = []
    for lot, expires, received, quantity in (
        ("NX-SOON-45", today + timedelta(days=45), today - timedelta(days=20), 40),
        ("NX-EXPIRED-10", today - timedelta(days=10), today - timedelta(days=12), 30),
    ):
        moment = datetime.combine(received, time(9), tzinfo=clock.program_timezone())
        line = ReceiptLine("NALOX4", quantity, lot, expires.isoformat(), "STATE-NDP")
        found.append((moment, "NORTH", [line]))
    return found


def _event_body(rng: random.Random, site_code: str) -> dict:
    items = []
    if rng.random() < 0.7:
        naloxone = _pick(rng, {"NARCAN4": 6, "NALOX4": 3, "RIVIVE3": 1, "NALOX-IM": 1})
        items.append({"supply": naloxone, "quantity": _pick(rng, {1: 6, 2: 3, 3: 1})})
    if rng.random() < 0.45:
        items.append({"supply": "FTS", "quantity": rng.choice([5, 10, 10, 20])})
    if rng.random() < 0.3:
        items.append({"supply": "XTS", "quantity": rng.choice([5, 10])})
    if site_code not in ("VEND1", "MAIL"):
        for code, chance, amounts in (
            ("SYR1ML", 0.2, [10, 20, 30]),
            ("WOUND", 0.15, [1, 2]),
            ("SMOKE", 0.1, [1, 2]),
            ("HYGIENE", 0.1, [1]),
        ):
            if rng.random() < chance:
                items.append({"supply": code, "quantity": rng.choice(amounts)})
    if not items:
        items.append({"supply": "FTS", "quantity": 10})
    used = rng.random() < 0.12
    body = {
        "id": str(uuid.uuid4()),
        "site": site_code,
        "items": items,
        "recipient_type": _pick(
            rng,
            {
                "person_who_uses_drugs": 60,
                "friend_or_family": 15,
                "community_member": 10,
                "service_provider": 5,
                "organization": 2,
                "unknown": 8,
            },
        ),
        "for_others": _pick(rng, {True: 20, False: 60, None: 20}),
        "first_time": _pick(rng, {"yes": 25, "no": 60, "unknown": 15}),
        "age_band": _pick(
            rng,
            {
                "18_24": 10,
                "25_34": 28,
                "35_44": 27,
                "45_54": 17,
                "55_64": 9,
                "65_plus": 3,
                "under_18": 1,
                "unknown": 5,
            },
        ),
        "area": _pick(rng, {"Alder County": 50, "Birch County": 25, "972": 10, None: 15}),
        "trained": rng.random() < 0.35,
        "reversals_reported": rng.choice([1, 1, 2]) if used else 0,
        "resupply_reason": "used_on_overdose"
        if used
        else _pick(rng, {"none": 70, "lost_or_stolen": 5, "gave_away": 8, None: 17}),
        "language": _pick(rng, {"en": 75, "es": 20, "other": 2, None: 3}),
    }
    return body


def seed(event_count: int = 2000, seed_value: int = 20261126) -> dict:
    """Load the whole demo in one transaction; returns what was created."""
    rng = random.Random(seed_value)
    today = clock.today()
    with transaction():
        users = {}
        for email, password, role in DEMO_USERS:
            sites = ("HUB", "NORTH") if role == "staff" else ()
            if role in ("staff", "partner"):
                continue  # created once their sites exist
            users[role] = accounts.create_user(email, role, password, sites, name=role.title())
        admin = users["admin"]
        for code, name, kind, county in SITES:
            body = {"code": code, "name": name, "kind": kind, "county": county}
            catalog.create_site(admin, _request(body), body)
        for body in AREAS:
            areas.create_area(admin, _request(body), body)
        email, password, role = DEMO_USERS[2]
        users["staff"] = accounts.create_user(email, role, password, ("HUB", "NORTH"), name="Staff")
        for code, name, category, unit, doses, lots in SUPPLIES:
            body = {
                "code": code,
                "name": name,
                "category": category,
                "unit": unit,
                "doses_per_unit": doses,
                "tracks_lots": lots,
            }
            catalog.create_supply(admin, _request(body), body)
        for code, name, funder, starts, ends in FUNDING:
            body = {
                "code": code,
                "name": name,
                "funder": funder,
                "starts_on": starts,
                "ends_on": ends,
            }
            catalog.create_funding_source(admin, _request(body), body)
        for body in BUNDLES:
            bundles.create_bundle(admin, _request(body), body)
        _set_par_levels(admin)
        # CLINIC is a partner agency: it reports what it hands out, logs no events.
        site_weights = {"HUB": 38, "NORTH": 28, "VAN": 22, "VEND1": 7, "MAIL": 5}
        start = clock.now() - timedelta(days=EVENT_DAYS)
        moments = sorted(
            start + timedelta(seconds=rng.randrange(EVENT_DAYS * 86400 - 3600))
            for _ in range(event_count)
        )
        planned = []
        for moment in moments:
            site_code = _pick(rng, site_weights)
            planned.append((moment, site_code, _event_body(rng, site_code)))
        shipments = _shipments(rng, planned, start) + _special_lots(today)
        # Everything in business-time order, each written at its own moment ("now" then):
        # a shipment before the events of the same instant.
        history = [(moment, 0, site, lines) for moment, site, lines in shipments]
        history += [(moment, 1, site, body) for moment, site, body in planned]
        history.sort(key=lambda entry: (entry[0], entry[1]))
        recorded = 0
        for moment, is_event, site_code, what in history:
            with clock.replaying(moment):
                if not is_event:
                    _receive(admin, site_code, what)
                    continue
                actor = users["staff"] if site_code in ("HUB", "NORTH") else users["coordinator"]
                try:
                    distribution.distribute(actor, OperationRequest.new(what["id"], what), what)
                    recorded += 1
                except InsufficientStock:
                    continue
        _stock_work(admin)
        _partner_work(users)
    return {"sites": len(SITES), "supplies": len(SUPPLIES), "events": recorded}


def _set_par_levels(admin) -> None:
    sites = {s.code: s for s in catalog.list_sites(admin)}
    supplies = {s.code: s for s in catalog.list_supplies()}
    for site_code, site in sites.items():
        for supply in supplies.values():
            small = site_code in ("VEND1", "MAIL")
            minimum, target = (20, 60) if supply.doses_per_unit else (100, 400)
            if small:
                minimum, target = minimum // 2, target // 2
            db.session.add(
                ParLevel(site_id=site.id, supply_id=supply.id, minimum=minimum, target=target)
            )
    db.session.flush()


def _stock_work(admin) -> None:
    """A transfer, a write-off and a count, so the ledger shows every kind of movement."""
    body = {"from_site": "HUB", "to_site": "VEND1", "supply": "NARCAN4", "quantity": 20}
    work.transfer(admin, _request(body), body)
    body = {"site": "VAN", "supply": "WOUND", "quantity": -3, "reason": "damaged"}
    work.adjust(admin, _request(body), body)
    body = {"site": "NORTH", "supply": "FTS", "counted": 250}
    work.count(admin, _request(body), body)


def _partner_work(users: dict) -> None:
    """The clinic's partner account: a request sent in part from HUB (lots on its slip, a
    delivery on its Received page) and one still waiting in the coordinators' queue."""
    email, password, role = DEMO_USERS[4]
    partner = accounts.create_user(email, role, password, ("CLINIC",), name="Eastside Partner")
    coordinator = users["coordinator"]
    asked = {
        "site": "CLINIC",
        "items": [{"supply": "NARCAN4", "quantity": 12}, {"supply": "FTS", "quantity": 100}],
    }
    sent = partner_requests.submit(partner, _request(asked), asked).result["id"]
    part = {"items": [{"supply": "NARCAN4", "quantity": 8}, {"supply": "FTS", "quantity": 100}]}
    partner_requests.approve(coordinator, _request(part), sent, part)
    partner_requests.fulfil(coordinator, _request({"f": sent}), sent, {"from_site": "HUB"})
    needed_by = (clock.today() + timedelta(days=14)).isoformat()
    waiting = {
        "site": "CLINIC",
        "items": [{"supply": "NARCAN4", "quantity": 6}, {"supply": "WOUND", "quantity": 10}],
        "needed_by": needed_by,
    }
    partner_requests.submit(partner, _request(waiting), waiting)
