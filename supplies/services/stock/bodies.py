"""The request bodies of stock work, declared once: `work` reads them, OpenAPI shows them."""

from supplies.services import catalog
from supplies.services.common import schema as s
from supplies.vocab import ADJUSTMENT_REASONS, BATCH_STATUSES, RECEIPT_SOURCES

LOT_RULE = "Required where the supply tracks lots."
WHICH_LOT = (
    "Where the supply tracks lots and the site holds more than one of its lots, "
    "name the lot (units found or counted up need one)."
)


def _site(description: str) -> s.Field:
    return s.ref(catalog.site_by_code, description + " An active site's code.")


SUPPLY = s.ref(catalog.supply_by_code, "An active supply's code.")

RECEIPT = s.Body(
    "Receipt",
    "One shipment line received at a site: a new batch. Where the supply tracks lots, "
    "lot_number and expires_on are required; a lot already known keeps its expiry.",
    operation_id="optional",
    site=_site("The receiving site."),
    supply=SUPPLY,
    quantity=s.whole(description="Units received."),
    lot_number=s.text(64, required=False, description=LOT_RULE),
    expires_on=s.day(LOT_RULE + " A known lot keeps the expiry it was received with."),
    funding=s.ref(catalog.funding_by_code, "The funding source's code.", required=False),
    received_on=s.day("The day it arrived (default today); not in the future."),
    source=s.choice(RECEIPT_SOURCES, description="Default purchase."),
    for_disposal=s.boolean(
        False,
        "Received only to be returned or destroyed: an expired lot is accepted so, "
        "and the lot is quarantined. Otherwise a lot that expired before the receipt "
        "date is refused.",
        nullable=False,
    ),
)
TRANSFER_ITEM = s.Body(
    "TransferItem",
    "One line of a transfer: a supply, units, and optionally the one lot to take them from.",
    supply=SUPPLY,
    quantity=s.whole(description="Units moved."),
    lot_number=s.text(
        64,
        required=False,
        description="Take from this lot only (blank: first expiry first out). A supply may "
        "be listed twice with different lots.",
    ),
)
MAX_TRANSFER_LINES = 40
_ONE_SUPPLY = "The one-supply form (instead of items), as earlier clients send it: "
TRANSFER = s.Body(
    "Transfer",
    "Stock moved between two sites in one unit of work: every line moves or none does. "
    "Lines naming a lot take from it; the others go first expiry first out from what is "
    "left; batches (lot, expiry, funding) travel along. Give items, or the one-supply "
    "form (supply, quantity, lot_number), not both.",
    operation_id="optional",
    from_site=_site("Where the units leave."),
    to_site=_site("Where they arrive; not from_site."),
    items=s.Field(
        {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_TRANSFER_LINES,
            "items": TRANSFER_ITEM.json_schema(),
        },
        nullable=True,
        description="The lines (required unless the one-supply form is used).",
    ),
    supply=s.Field(s.CODE_SCHEMA, nullable=True, description=_ONE_SUPPLY + "the supply."),
    quantity=s.Field(
        TRANSFER_ITEM.fields["quantity"].schema,
        nullable=True,
        description=_ONE_SUPPLY + "units moved.",
    ),
    lot_number=s.Field(
        TRANSFER_ITEM.fields["lot_number"].schema,
        nullable=True,
        description=_ONE_SUPPLY + "take from this lot only.",
    ),
    occurred_at=s.instant(
        "Default now; at most 5 minutes ahead. A past moment must fit the stock then and "
        "at every later moment. No offset: APP_TIMEZONE."
    ),
)
ADJUSTMENT = s.Body(
    "Adjustment",
    "Stock written off (negative) or back on (positive) with a reason code.",
    operation_id="optional",
    site=_site("The site."),
    supply=SUPPLY,
    quantity=s.signed("Signed units: negative writes off, positive adds back."),
    reason=s.choice(ADJUSTMENT_REASONS, required=True),
    lot_number=s.text(64, required=False, description=WHICH_LOT),
    note=s.note(200, "Required when reason is other. About the stock, never a person."),
    occurred_at=s.instant(
        "Default now; at most 5 minutes ahead. A past moment must fit the stock then and "
        "at every later moment. No offset: APP_TIMEZONE."
    ),
)
COUNT = s.Body(
    "Count",
    "A shelf count; the difference from the books becomes a count movement.",
    operation_id="optional",
    site=_site("The counted site."),
    supply=SUPPLY,
    counted=s.whole(0, description="Units on the shelf."),
    lot_number=s.text(64, required=False, description=WHICH_LOT),
)
LOT_STATUS = s.Body(
    "LotStatus",
    "Quarantine, recall or release a lot at every site at once.",
    operation_id="optional",
    supply=SUPPLY,
    lot_number=s.text(64, description="A lot already received."),
    status=s.choice(BATCH_STATUSES, required=True),
    note=s.note(200, "The notice or reason. About the stock, never a person."),
    occurred_at=s.instant(
        "From when the status holds (default now); a back-dated recall also stops "
        "back-dated distributions from that moment. No offset: APP_TIMEZONE."
    ),
)
