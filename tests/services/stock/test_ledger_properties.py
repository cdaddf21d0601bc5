"""Random sequences of stock work keep the ledger true and agree with a model written here."""

import uuid
from collections import defaultdict
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplies.extensions import db
from supplies.models import Balance, Batch
from supplies.services import catalog
from supplies.services.common.errors import Conflict, ValidationFailed
from supplies.services.db.operations import OperationRequest
from supplies.services.distribution import events as distribution
from supplies.services.stock import on_hand
from supplies.services.stock import work as inventory
from supplies.services.stock.work import ReceiptLine

SITES = ("A", "B")
TODAY = date.today()
# Lots of the naloxone supply and their expiry; OLD is already expired.
LOTS = {
    "OLD": TODAY - timedelta(days=5),
    "SOON": TODAY + timedelta(days=30),
    "LATE": TODAY + timedelta(days=400),
}
NAL, FTS = "NAL", "FTS"

site = st.sampled_from(SITES)
qty = st.integers(min_value=1, max_value=12)
steps = st.one_of(
    st.tuples(
        st.just("receive"), site, st.sampled_from([NAL, FTS]), qty, st.sampled_from(list(LOTS))
    ),
    st.tuples(st.just("transfer"), site, st.sampled_from([NAL, FTS]), qty),
    st.tuples(
        st.just("adjust"), site, st.sampled_from([NAL, FTS]), st.integers(-8, 8).filter(bool)
    ),
    st.tuples(st.just("count"), site, st.sampled_from([NAL, FTS]), st.integers(0, 15)),
    st.tuples(st.just("distribute"), site, st.integers(0, 4), st.integers(0, 6)),
    st.tuples(st.just("void"), st.integers(0, 50)),
    st.tuples(st.just("status"), st.sampled_from(["available", "quarantined"])),
)


class Model:
    """Stock per (site, supply, lot) and what each event took, computed independently."""

    def __init__(self):
        self.stock = defaultdict(int)
        self.known_lots = set()
        self.soon_status = "available"
        self.events = []  # (event id, {(site, supply, lot): quantity}, voided)

    def lots_in_fefo_order(self, supply):
        if supply == FTS:
            return [None]
        return sorted(LOTS, key=LOTS.get)

    def usable(self, site_code, supply, lot):
        if supply == FTS:
            return True
        if lot == "SOON" and self.soon_status != "available":
            return False
        return LOTS[lot] >= TODAY

    def take(self, site_code, supply, quantity, usable_only):
        """Units to take per lot, or None when there are not enough."""
        plan, remaining = {}, quantity
        for lot in self.lots_in_fefo_order(supply):
            if usable_only and not self.usable(site_code, supply, lot):
                continue
            portion = min(remaining, self.stock[(site_code, supply, lot)])
            if portion:
                plan[(site_code, supply, lot)] = portion
                remaining -= portion
        return plan if remaining == 0 else None


def _request():
    return OperationRequest.new(str(uuid.uuid4()), {"n": str(uuid.uuid4())})


def _reset(make):
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    make._admin = None
    make.site("A")
    make.site("B", kind="outreach")
    make.supply(NAL, category="naloxone_nasal")
    make.supply(FTS, category="fentanyl_test_strip")
    return make.admin


def _balances():
    rows = db.session.execute(
        db.select(
            Balance.site_id, Balance.supply_id, Batch.lot_number, db.func.sum(Balance.quantity)
        )
        .join(Batch, Batch.id == Balance.batch_id)
        .group_by(Balance.site_id, Balance.supply_id, Batch.lot_number)
    ).all()
    sites = {s.id: s.code for s in catalog.list_sites(make_admin_view())}
    supplies = {s.id: s.code for s in catalog.list_supplies()}
    return {(sites[a], supplies[b], lot): int(total) for a, b, lot, total in rows if total}


class _AdminView:
    role = "admin"
    active = True


def make_admin_view():
    """A stand-in user who sees every site."""
    return _AdminView()


def _apply(step, admin, model: Model):
    kind = step[0]
    if kind == "receive":
        _, site_code, supply, quantity, lot = step
        lot = lot if supply == NAL else None
        line = ReceiptLine(supply, quantity, lot, LOTS[lot].isoformat() if lot else None)
        result = inventory.receive(admin, _request(), site_code, [line])
        assert result.created
        model.stock[(site_code, supply, lot)] += quantity
        if lot:
            model.known_lots.add(lot)
            if lot == "SOON":
                assert result.result["status"] == model.soon_status
    elif kind == "transfer":
        _, source, supply, quantity = step
        target = "B" if source == "A" else "A"
        plan = model.take(source, supply, quantity, usable_only=True)
        body = {"from_site": source, "to_site": target, "supply": supply, "quantity": quantity}
        try:
            inventory.transfer(admin, _request(), body)
        except Conflict:
            assert plan is None
            return
        assert plan is not None
        for (_, _, lot), portion in plan.items():
            model.stock[(source, supply, lot)] -= portion
            model.stock[(target, supply, lot)] += portion
    elif kind == "adjust":
        _, site_code, supply, quantity = step
        body = {
            "site": site_code,
            "supply": supply,
            "quantity": quantity,
            "reason": "data_correction",
        }
        if supply == NAL and quantity > 0:
            lot = next((lot for lot in ("LATE", "SOON", "OLD") if lot in model.known_lots), None)
            if lot is None:
                return
            body["lot_number"] = lot
        plan = model.take(site_code, supply, -quantity, usable_only=False) if quantity < 0 else {}
        try:
            inventory.adjust(admin, _request(), body)
        except Conflict:
            assert plan is None
            return
        assert plan is not None
        if quantity > 0:
            model.stock[(site_code, supply, body.get("lot_number"))] += quantity
        for key, portion in plan.items():
            model.stock[key] -= portion
    elif kind == "count":
        _, site_code, supply, counted = step
        lot = "LATE" if supply == NAL else None
        if supply == NAL and lot not in model.known_lots:
            return
        body = {"site": site_code, "supply": supply, "counted": counted, "lot_number": lot}
        expected = (
            model.stock[(site_code, supply, lot)] if lot else model.stock[(site_code, FTS, None)]
        )
        result = inventory.count(admin, _request(), body)
        assert result.result["expected"] == expected
        model.stock[(site_code, supply, lot)] = counted
    elif kind == "distribute":
        _, site_code, naloxone, strips = step
        items = [{"supply": s, "quantity": q} for s, q in ((NAL, naloxone), (FTS, strips)) if q]
        if not items:
            return
        plans = [model.take(site_code, i["supply"], i["quantity"], usable_only=True) for i in items]
        event_id = str(uuid.uuid4())
        body = {"id": event_id, "site": site_code, "items": items}
        try:
            result = distribution.distribute(admin, OperationRequest.new(event_id, body), body)
        except Conflict:
            assert any(plan is None for plan in plans)
            return
        assert all(plan is not None for plan in plans)
        taken = {}
        for plan in plans:
            taken.update(plan)
        service_lots = defaultdict(int)  # several batches may share a lot (or have none)
        for item in result.result["items"]:
            for lot in item["lots"]:
                service_lots[(site_code, item["supply"], lot["lot_number"])] += lot["quantity"]
        assert dict(service_lots) == taken, "first-expiry-first-out differs from the model"
        for key, portion in taken.items():
            model.stock[key] -= portion
        model.events.append([event_id, taken, False])
    elif kind == "void":
        open_events = [e for e in model.events if not e[2]]
        if not open_events:
            return
        event = open_events[step[1] % len(open_events)]
        distribution.void(admin, _request(), event[0], {"reason": "test"})
        for key, portion in event[1].items():
            model.stock[key] += portion
        event[2] = True
    elif kind == "status":
        if "SOON" not in model.known_lots:
            return
        body = {"supply": NAL, "lot_number": "SOON", "status": step[1]}
        inventory.set_lot_status(admin, _request(), body)
        model.soon_status = step[1]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(steps, min_size=1, max_size=25))
def test_random_stock_work_keeps_balances_equal_to_movements_and_the_model(make, sequence):
    admin = _reset(make)
    model = Model()
    for step in sequence:
        try:
            _apply(step, admin, model)
        except ValidationFailed as error:
            raise AssertionError(f"{step} refused: {error.fields}") from error
        db.session.commit()
        assert on_hand.check_ledger() == []
        balances = _balances()
        assert all(quantity >= 0 for quantity in balances.values())
        assert balances == {k: v for k, v in model.stock.items() if v}, step
