"""What the stock overview shows of partner agencies: their holdings, apart from the
program's own stock (the overview is drawn by the home page and the stock blueprint)."""

from dataclasses import dataclass

from supplies.services.common import permissions
from supplies.services.partners import reports


@dataclass(frozen=True)
class SupplyWithPartners:
    """One supply over every partner agency: received, reported handed out, still held."""

    supply: object
    received: int
    reported: int
    with_partners: int


def with_partners(user) -> dict:
    """The overview's "With partner agencies": per agency and supply, per supply, and the
    recalled or quarantined lots agencies received."""
    if not permissions.can(user, "decide_requests"):
        return {"partner_rows": [], "partner_totals": [], "partner_blocked": []}
    rows = reports.holdings(user)
    totals: dict[int, list] = {}
    for row in rows:
        entry = totals.setdefault(row.supply.id, [row.supply, 0, 0, 0])
        entry[1] += row.received
        entry[2] += row.reported
        entry[3] += row.with_partner
    ordered = sorted(totals.values(), key=lambda entry: (entry[0].name, entry[0].code))
    return {
        "partner_rows": rows,
        "partner_totals": [SupplyWithPartners(*entry) for entry in ordered],
        # Recalled or quarantined lots that reached an agency: a recall must reach it too.
        "partner_blocked": reports.blocked_lots(user),
    }
