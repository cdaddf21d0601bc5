"""The request bodies of partner requests and reports, declared once: the services read
them, the OpenAPI document describes them."""

import re
from datetime import date

from supplies.services import catalog
from supplies.services.common import schema as s
from supplies.services.common import validation as v
from supplies.services.common.errors import ValidationFailed
from supplies.services.common.messages import msg
from supplies.vocab import DECLINE_REASONS

MAX_LINES = 40
MONTH_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"
SUPPLY = s.ref(catalog.supply_by_code, "An active supply's code.")
_SITE = "The partner agency's site code (a partner: its own)."

REQUEST_ITEM = s.Body(
    "SupplyRequestItem",
    "One line of a request: a supply and how many units.",
    supply=s.ref(catalog.supply_by_code, "An active supply the program offers partner agencies."),
    quantity=s.whole(description="Units asked for."),
)
APPROVAL_ITEM = s.Body(
    "SupplyRequestApprovalItem",
    "How many units of a requested supply to send: 0 to the quantity requested.",
    supply=SUPPLY,
    quantity=s.whole(0, description="Units approved (0: none of this supply)."),
)


def _items(item: s.Body, description: str, required: bool) -> s.Field:
    schema = {"type": "array", "minItems": 1, "maxItems": MAX_LINES, "items": item.json_schema()}
    return s.Field(schema, required=required, nullable=not required, description=description)


REQUEST = s.Body(
    "SupplyRequest",
    "A partner agency asks the program for supplies (a partner account, for its own agency).",
    operation_id="optional",
    site=s.ref(catalog.site_by_code, _SITE),
    items=_items(REQUEST_ITEM, "The supplies and units asked for; each supply once.", True),
    needed_by=s.day("The day the agency needs them by (today or later), or null."),
)
_OVERRIDE = (
    "Per supply of the request, the units to send (0 to the quantity requested); supplies "
    "left out get none. Absent: every line in full (or as already approved)."
)
APPROVAL = s.Body(
    "SupplyRequestApproval",
    "Approve a submitted request in full (no items) or in part (items).",
    operation_id="optional",
    items=_items(APPROVAL_ITEM, _OVERRIDE, False),
)
FULFILMENT = s.Body(
    "SupplyRequestFulfilment",
    "Send the approved units as one transfer from a program site to the agency, first "
    "expiry first out: every line or none. A submitted request is approved at once.",
    operation_id="optional",
    from_site=s.ref(catalog.site_by_code, "The program site the units leave (not a partner)."),
    items=_items(APPROVAL_ITEM, _OVERRIDE, False),
)
DECLINE = s.Body(
    "SupplyRequestDecline",
    "Decline a submitted or approved request with a reason code (no text).",
    operation_id="optional",
    reason=s.choice(DECLINE_REASONS, required=True),
)
CANCEL = s.Body(
    "SupplyRequestCancel",
    "The partner withdraws its request while it is submitted or approved.",
    operation_id="optional",
)


def month_of(value) -> date:
    """A month written YYYY-MM (2000 to 2100), as the date of its first day."""
    if isinstance(value, date):
        return value.replace(day=1)
    if not isinstance(value, str) or not re.fullmatch(MONTH_PATTERN, value.strip()):
        why = msg("must be a month written YYYY-MM")
        raise ValidationFailed(why, {"value": why})
    year, month = value.strip().split("-")
    return date(int(year), int(month), 1)


REPORT_ITEM = s.Body(
    "PartnerReportItem",
    "Units of one supply the agency handed out in the month.",
    supply=SUPPLY,
    quantity=s.whole(0, description="Units handed out (0 to 100000)."),
)
REPORT = s.Body(
    "PartnerReport",
    "A partner agency's monthly report: units handed out per supply (at most what it "
    "received less what it reported before), and optionally encounters and reversals "
    "reported. The same agency and month again corrects the report, until the month's "
    "quarter closes. Supplies left out count as 0.",
    operation_id="optional",
    site=s.ref(catalog.site_by_code, _SITE),
    month=s.Field(
        {"type": "string", "pattern": MONTH_PATTERN},
        month_of,
        required=True,
        description="The month reported, YYYY-MM; not after the current month.",
    ),
    items=_items(REPORT_ITEM, "Units handed out per supply; each supply once.", True),
    encounters=s.Field(
        {"type": "integer", "minimum": 0, "maximum": v.MAX_QUANTITY},
        lambda value: None if value is None else v.quantity(value, 0),
        nullable=True,
        description="People served in the month, if counted.",
    ),
    reversals_reported=s.Field(
        {"type": "integer", "minimum": 0, "maximum": v.MAX_QUANTITY},
        lambda value: None if value is None else v.quantity(value, 0),
        nullable=True,
        description="Overdose reversals people reported to the agency, if asked.",
    ),
)


def next_month(month: date) -> date:
    """The first day of the month after."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def read_lines(raw, fields: v.Fields, item: s.Body) -> list[tuple[str, object, int]]:
    """(field prefix, supply, quantity) of an items list; a supply listed twice is refused."""
    lines, seen = [], set()
    for name, entry in v.listed_items(raw, fields, item.names, MAX_LINES):
        own = v.Fields()
        values = item.read(entry, own)
        for key, why in own.errors.items():
            fields.fail(f"{name}.{key}", why)
        supply, quantity = values["supply"], values["quantity"]
        if supply is None or quantity is None:
            continue
        if supply.id in seen:
            fields.fail(f"{name}.supply", msg("is listed twice"))
            continue
        seen.add(supply.id)
        lines.append((name, supply, quantity))
    return lines
