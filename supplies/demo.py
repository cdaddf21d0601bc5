"""Demo data: a small program with six sites, a dozen supplies and six months of events."""

import random
import uuid
from datetime import timedelta

from supplies.extensions import db
from supplies.models import ParLevel
from supplies.services import catalog
from supplies.services.accounts import users as accounts
from supplies.services.common import clock
from supplies.services.common.errors import InsufficientStock
from supplies.services.db.operations import OperationRequest
from supplies.services.db.unit_of_work import transaction
from supplies.services.distribution import events as distribution
from supplies.services.stock import work
from supplies.services.stock.work import ReceiptLine

DEMO_USERS = [
    ("admin@example.org", "demo-admin-pass-2026", "admin"),
    ("coordinator@example.org", "demo-coord-pass-2026", "coordinator"),
    ("staff@example.org", "demo-staff-pass-2026", "staff"),
    ("funder@example.org", "demo-funder-pass-2026", "funder"),
]

SITES = [
    ("HUB", "Downtown Drop-in Center", "fixed_site", "Alder County"),
    ("NORTH", "North Street Outreach", "outreach", "Alder County"),
    ("VAN", "Mobile Health Van", "mobile_van", "Birch County"),
    ("CLINIC", "Eastside Recovery Clinic", "partner_agency", "Birch County"),
    ("VEND1", "Library Vending Machine", "vending", "Alder County"),
    ("MAIL", "Mail-based Distribution", "mail", "Cedar County"),
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


def _request(body) -> OperationRequest:
    return OperationRequest.new(str(uuid.uuid4()), body)


def _pick(rng: random.Random, weighted: dict):
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _receive_stock(admin, rng: random.Random, today) -> None:
    """Two shipments per site and supply; some lots expire soon and one has expired."""
    start = today - timedelta(days=EVENT_DAYS + 5)
    midway = today - timedelta(days=EVENT_DAYS // 2)
    lot_serial = 1000
    for site_code, *_ in SITES:
        for code, _name, category, _unit, _doses, tracks_lots in SUPPLIES:
            naloxone = category.startswith("naloxone") or category == "nalmefene"
            base = 420 if naloxone else 1600
            if site_code in ("VEND1", "MAIL"):
                base //= 2
            for received_on, years in ((start, 2), (midway, 3), (today - timedelta(days=30), 3)):
                lot_serial += 1
                expires = received_on + timedelta(days=365 * years)
                lines = [
                    ReceiptLine(
                        code,
                        base,
                        f"L{lot_serial}" if tracks_lots else None,
                        expires.isoformat() if tracks_lots else None,
                        rng.choice(["SOR", "STATE-NDP", "FOUND"]) if naloxone else "FOUND",
                    )
                ]
                body = {"site": site_code, "supply": code, "received_on": received_on.isoformat()}
                work.receive(
                    admin, _request(body), site_code, lines, received_on.isoformat(), "purchase"
                )
    # A lot expiring within 60 days, and one that expired ten days ago with units left.
    for lot, expires, received, quantity in (
        ("NX-SOON-45", today + timedelta(days=45), today - timedelta(days=20), 40),
        ("NX-EXPIRED-10", today - timedelta(days=10), today - timedelta(days=12), 30),
    ):
        work.receive(
            admin,
            _request({"lot": lot}),
            "CLINIC",
            [ReceiptLine("NALOX4", quantity, lot, expires.isoformat(), "STATE-NDP")],
            received.isoformat(),
            "state_program",
        )


def _event_body(rng: random.Random, site_code: str, occurred_at) -> dict:
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
        "occurred_at": occurred_at.isoformat(),
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
            if role == "staff":
                continue
            users[role] = accounts.create_user(email, role, password, sites, name=role.title())
        admin = users["admin"]
        for code, name, kind, county in SITES:
            body = {"code": code, "name": name, "kind": kind, "county": county}
            catalog.create_site(admin, _request(body), body)
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
        _receive_stock(admin, rng, today)
        _set_par_levels(admin)
        site_weights = {"HUB": 35, "NORTH": 25, "VAN": 20, "CLINIC": 10, "VEND1": 6, "MAIL": 4}
        start = clock.now() - timedelta(days=EVENT_DAYS)
        moments = sorted(
            start + timedelta(seconds=rng.randrange(EVENT_DAYS * 86400 - 3600))
            for _ in range(event_count)
        )
        recorded = 0
        for moment in moments:
            site_code = _pick(rng, site_weights)
            actor = users["staff"] if site_code in ("HUB", "NORTH") else users["coordinator"]
            body = _event_body(rng, site_code, moment)
            try:
                distribution.distribute(actor, OperationRequest.new(body["id"], body), body)
                recorded += 1
            except InsufficientStock:
                continue
        _stock_work(admin, today)
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


def _stock_work(admin, today) -> None:
    """A transfer, a write-off and a count, so the ledger shows every kind of movement."""
    body = {"from_site": "HUB", "to_site": "VEND1", "supply": "NARCAN4", "quantity": 20}
    work.transfer(admin, _request(body), body)
    body = {"site": "VAN", "supply": "WOUND", "quantity": -3, "reason": "damaged"}
    work.adjust(admin, _request(body), body)
    body = {"site": "NORTH", "supply": "FTS", "counted": 250}
    work.count(admin, _request(body), body)
