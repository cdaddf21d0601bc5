"""What the funder workbook holds: its sheets, tables, columns and formats.

The sheet titles, table display names and first headers are DESIGN.md's contract and stay
English in every language; the further columns that follow them are marked for translation
(lazy), so a Spanish workbook names them in Spanish. The About text is in workbook_text.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

INTEGER = "#,##0"
DATE = "yyyy-mm-dd"
MONTH = "mmm yyyy"
DATETIME = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, the row key it shows and its number format."""

    header: str  # a lazy string for the columns after the contract's
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
            # Named by DESIGN.md (secondary distribution), so English like the contract's.
            _c("Units for others", "for_others", INTEGER),
            _c(_l("Supply name"), "supply_name"),
            _c(_l("Doses per unit"), "doses_per_unit", INTEGER),
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
            _c(_l("Supply name"), "supply_name"),
            _c(_l("Category"), "category"),
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
            _c(_l("Site name"), "site_name"),
            _c(_l("County"), "county"),
            _c(_l("Supply name"), "supply_name"),
        ],
    ),
    (
        "Recipients",
        "Recipients",
        [
            _c("Quarter", "quarter"),
            _c("Breakdown", "breakdown"),
            _c("Value", "value"),
            _c("Encounters", "encounters", INTEGER),
        ],
    ),
    (
        "Reversals",
        "Reversals",
        [
            _c("Quarter", "quarter"),
            _c("Reversals reported", "reversals", INTEGER),
            _c("Encounters with training", "trained", INTEGER),
            _c(_l("Partner encounters"), "partner_encounters", INTEGER),
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
            _c(_l("Site name"), "site_name"),
            _c(_l("Supply name"), "supply_name"),
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
            _c(_l("Status"), "status"),
            _c(_l("Supply name"), "supply_name"),
        ],
    ),
    (
        "By Quarter",
        "ByQuarter",
        [
            _c("Quarter", "quarter"),
            _c("Supply", "supply"),
            _c("Units distributed", "units", INTEGER),
            _c("Doses distributed", "doses", INTEGER),
            _c(_l("Fiscal year"), "fiscal_year"),
            _c(_l("From"), "from", DATE),
            _c(_l("To"), "to", DATE),
            _c(_l("Supply name"), "supply_name"),
            _c(_l("Category"), "category"),
        ],
    ),
    (
        "By Category",
        "ByCategory",
        [
            _c("Category", "category"),
            _c("Units distributed", "units", INTEGER),
            _c("Doses distributed", "doses", INTEGER),
            _c(_l("Category name"), "category_name"),
        ],
    ),
    (
        "By Area",
        "ByArea",
        [
            _c("Area", "area"),
            _c("Supply", "supply"),
            _c("Units distributed", "units", INTEGER),
            _c("Doses distributed", "doses", INTEGER),
            _c(_l("Supply name"), "supply_name"),
            _c(_l("Category"), "category"),
        ],
    ),
    (
        "Received",
        "Received",
        [
            _c("Site", "site"),
            _c("Supply", "supply"),
            _c("Source", "source"),
            _c("Funding", "funding"),
            _c("Units received", "units", INTEGER),
            _c("Doses received", "doses", INTEGER),
            _c(_l("Funder"), "funder"),
            _c(_l("Site name"), "site_name"),
            _c(_l("Supply name"), "supply_name"),
        ],
    ),
    (
        "Write-offs",
        "WriteOffs",
        [
            _c("Site", "site"),
            _c("Supply", "supply"),
            _c("Reason", "reason"),
            _c("Units", "units", INTEGER),
            _c("Doses", "doses", INTEGER),
            _c(_l("Site name"), "site_name"),
            _c(_l("Supply name"), "supply_name"),
        ],
    ),
    (
        "Sub-recipients",
        "SubRecipients",
        [
            _c("Partner", "partner"),
            _c("County", "county"),
            _c("Supply", "supply"),
            _c("Units received", "received", INTEGER),
            _c("Units reported given out", "reported", INTEGER),
            _c(_l("Partner name"), "partner_name"),
            _c(_l("Supply name"), "supply_name"),
        ],
    ),
]
# The chart's own sheet: its month x category block, which no table covers, and the chart
# beside it (never over it), so no reader of the tables picks the block up.
CHART_SHEET = "Chart"
ROWS_FOR_TABLE = {
    "Summary": "summary",
    "ByMonth": "by_month",
    "BySite": "by_site",
    "Recipients": "recipients",
    "Reversals": "reversals",
    "Inventory": "inventory",
    "ExpiringLots": "expiring",
    "ByQuarter": "by_quarter",
    "ByCategory": "by_category",
    "ByArea": "by_area",
    "Received": "received",
    "WriteOffs": "write_offs",
    "SubRecipients": "sub_recipients",
}
