"""What the funder workbook holds: its sheets, tables, columns, formats and the About text.

The sheet titles, table display names and first headers are DESIGN.md's contract; further
columns follow them.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from supplies.services.reporting import FunderReport

INTEGER = "#,##0"
DATE = "yyyy-mm-dd"
MONTH = "mmm yyyy"
DATETIME = "yyyy-mm-dd hh:mm"
CATEGORY_LABELS = {
    "naloxone_nasal": "Naloxone (nasal)",
    "naloxone_injectable": "Naloxone (injectable)",
    "nalmefene": "Nalmefene",
    "fentanyl_test_strip": "Fentanyl test strips",
    "xylazine_test_strip": "Xylazine test strips",
    "syringe": "Syringes",
    "smoking_supply": "Smoking supplies",
    "wound_care": "Wound care",
    "condom": "Condoms",
    "hygiene": "Hygiene",
    "other": "Other",
}


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, the row key it shows and its number format."""

    header: str
    key: str
    number_format: str | None = None


def _c(header, key, fmt=None) -> Column:
    return Column(header, key, fmt)


# sheet title, table display name, columns (the contract's headers first, in order)
SHEETS = [
    (
        "Summary",
        "Summary",
        [
            _c("Supply", "supply"),
            _c("Category", "category"),
            _c("Unit", "unit"),
            _c("Units distributed", "units", INTEGER),
            _c("Doses distributed", "doses", INTEGER),
            _c("Encounters", "encounters", INTEGER),
            _c("Supply name", "supply_name"),
            _c("Doses per unit", "doses_per_unit", INTEGER),
        ],
    ),
    (
        "By Month",
        "ByMonth",
        [
            _c("Month", "month", MONTH),
            _c("Supply", "supply"),
            _c("Units distributed", "units", INTEGER),
            _c("Doses distributed", "doses", INTEGER),
            _c("Supply name", "supply_name"),
            _c("Category", "category"),
        ],
    ),
    (
        "By Site",
        "BySite",
        [
            _c("Site", "site"),
            _c("Supply", "supply"),
            _c("Units distributed", "units", INTEGER),
            _c("Doses distributed", "doses", INTEGER),
            _c("Site name", "site_name"),
            _c("County", "county"),
            _c("Supply name", "supply_name"),
        ],
    ),
    (
        "Recipients",
        "Recipients",
        [
            _c("Breakdown", "breakdown"),
            _c("Value", "value"),
            _c("Encounters", "encounters", INTEGER),
        ],
    ),
    (
        "Reversals",
        "Reversals",
        [
            _c("Month", "month", MONTH),
            _c("Site", "site"),
            _c("Reversals reported", "reversals", INTEGER),
            _c("Encounters with training", "trained", INTEGER),
            _c("Encounters", "encounters", INTEGER),
            _c("Site name", "site_name"),
            _c("County", "county"),
        ],
    ),
    (
        "Inventory",
        "Inventory",
        [
            _c("Site", "site"),
            _c("Supply", "supply"),
            _c("Opening", "opening", INTEGER),
            _c("Received", "received", INTEGER),
            _c("Transferred in", "transferred_in", INTEGER),
            _c("Transferred out", "transferred_out", INTEGER),
            _c("Distributed", "distributed", INTEGER),
            _c("Adjusted", "adjusted", INTEGER),
            _c("Closing", "closing", INTEGER),
            _c("Site name", "site_name"),
            _c("Supply name", "supply_name"),
        ],
    ),
    (
        "Expiring Lots",
        "ExpiringLots",
        [
            _c("Site", "site"),
            _c("Supply", "supply"),
            _c("Lot", "lot"),
            _c("Expires on", "expires_on", DATE),
            _c("Quantity", "quantity", INTEGER),
            _c("Funding", "funding"),
            _c("Status", "status"),
            _c("Supply name", "supply_name"),
        ],
    ),
]
ROWS_FOR_TABLE = {
    "Summary": "summary",
    "ByMonth": "by_month",
    "BySite": "by_site",
    "Recipients": "recipients",
    "Reversals": "reversals",
    "Inventory": "inventory",
    "ExpiringLots": "expiring",
}


def _local(moment: datetime, tz_name: str) -> datetime:
    """An aware instant as the program's naive local time (Excel has no time zones)."""
    return moment.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None, microsecond=0)


def _filters_text(report: FunderReport) -> tuple[str, str]:
    filters = report.filters
    sites = ", ".join(filters.site_codes) if filters.site_codes else "All sites"
    funding = (
        f"{filters.funding_code} ({filters.funding_name})"
        if filters.funding_code
        else "All funding sources"
    )
    return sites, funding


def about_rows(report: FunderReport) -> list[tuple[str, object]]:
    """The About sheet: what the workbook covers and what its words mean."""
    sites, funding = _filters_text(report)
    below = report.suppress_below
    suppression = (
        f"Counts of people-derived breakdowns (the Recipients sheet) from 1 to {below - 1} are "
        f"shown as <{below}. When only one count in a breakdown would be hidden, the next "
        "smallest count is hidden too, so no hidden count can be worked out from the total. "
        "Supply counts are never hidden."
        if below > 0
        else "Small-cell suppression is turned off (SUPPRESS_BELOW = 0)."
    )
    return [
        ("Program", report.program),
        ("Report", "Funder report: supplies distributed, recipients, reversals and inventory"),
        ("Period start", report.filters.start),
        ("Period end", report.filters.end),
        ("Time zone", f"{report.timezone} (days and months are counted in this time zone)"),
        ("Sites", sites),
        ("Funding", funding),
        ("Generated at", _local(report.generated_at, report.timezone)),
        (None, None),
        ("Definitions", None),
        (
            "Unit",
            "One item as stocked and handed out (a box, kit, strip or each); "
            "a box of two Narcan sprays is one unit.",
        ),
        (
            "Dose",
            "Units multiplied by the supply's doses per unit (a box of two sprays is "
            "two doses); supplies that are not medications have no doses.",
        ),
        (
            "Encounter",
            "One distribution event: supplies handed out at one time and place. "
            "Voided events are left out. No person is identified or counted twice on purpose.",
        ),
        (
            "Reversal reported",
            "Overdoses a participant says they reversed since their last "
            "visit, as told at an encounter.",
        ),
        ("Encounters with training", "Encounters at which overdose response training was given."),
        (
            "Inventory",
            "Opening + Received + Transferred in - Transferred out - Distributed + "
            "Adjusted = Closing, for every site and supply. Adjusted includes write-offs "
            "(expired, damaged, lost) and shelf count corrections.",
        ),
        (
            "Funding filter",
            "With a funding source, only units from batches paid for by it are "
            "counted, and only encounters that handed out such units.",
        ),
        (
            "Expiring Lots",
            "Lots held at the end of the period that expire within 180 days of "
            "it or have already expired.",
        ),
        ("Suppression", suppression),
        ("Privacy", "No names, birth dates, addresses, staff names or record ids appear here."),
    ]
