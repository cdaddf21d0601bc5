"""The words a workbook's reader reads, in the workbook's own language.

A workbook is English unless a language is chosen for it, whatever the screens show: the
export runs these under flask_babel.force_locale(filters.language). Sheet titles, table
display names, the contract's headers and stored codes are never translated (DESIGN.md):
funders' tools read them.
"""

from datetime import date, datetime

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from supplies.services.common import clock
from supplies.services.reporting.breakdowns import REVERSAL_TOTAL
from supplies.services.reporting.quarterly import FILTERED, OPEN, PARTIAL, PersonDerived
from supplies.services.reporting.report import FunderReport, ReportFilters
from supplies.services.reporting.suppression import NOT_RECORDED, SUPPRESSED
from supplies.vocab import CATEGORY_HEADINGS, INTERFACE_LANGUAGES

# Each language in its own words, as the form and the About sheet name it.
LANGUAGE_NAMES = INTERFACE_LANGUAGES.labels
CHART_TITLE = _l("Units distributed by month and category")
CHART_MONTH = _l("Month")
CHART_UNITS = _l("Units")


def category_label(category: str) -> str:
    """A category code in the workbook's words (an unknown code stays as it is)."""
    label = CATEGORY_HEADINGS.get(category)
    return str(label) if label is not None else category


def category_name(category: str) -> str:
    """By Category's name of a row: a category's heading, or the reversal medications'."""
    if category == REVERSAL_TOTAL:
        return _("All reversal medications (naloxone and nalmefene)")
    return category_label(category)


def localized_rows(table_name: str, rows: list[dict]) -> list[dict]:
    """A table's rows with the value words that are ours (not stored codes) translated."""
    if table_name == "ByCategory":
        return [{**row, "category_name": category_name(row["category"])} for row in rows]
    # The columns where our own "not recorded" stands for a missing value.
    column = {"Recipients": "value", "ByArea": "area"}.get(table_name)
    if column is None:
        return rows
    not_recorded = _("not recorded")
    if not_recorded == NOT_RECORDED:
        return rows
    return [
        {**row, column: not_recorded} if row.get(column) == NOT_RECORDED else row for row in rows
    ]


def _language_line(language: str) -> str:
    name = LANGUAGE_NAMES.get(language, language)
    if language == "en":
        return name
    return _(
        "%(language)s. Sheet, table and column names stay in English so that funders' "
        "tools can read them.",
        language=name,
    )


def filter_rows(filters: ReportFilters, timezone: str, generated: datetime) -> list:
    """The About lines every workbook has: period, time zone, filters, language, when."""
    sites = ", ".join(filters.site_codes) if filters.site_codes else _("All sites")
    if filters.funding_code and filters.funding_name:
        funding = f"{filters.funding_code} ({filters.funding_name})"
    else:
        funding = filters.funding_code or _("All funding sources")
    zone = _("%(zone)s (days and months are counted in this time zone)", zone=timezone)
    return [
        (_("Period start"), filters.start),
        (_("Period end"), filters.end),
        (_("Time zone"), zone),
        (_("Sites"), sites),
        (_("Funding"), funding),
        (_("Workbook language"), _language_line(filters.language)),
        (_("Generated at"), clock.sheet_time(generated)),
    ]


def _quarters_line(people: PersonDerived) -> str:
    published = ", ".join(people.published) if people.published else _("none")
    line = _("Counts of people given for: %(quarters)s.", quarters=published)
    if people.open:
        still_open = ", ".join(
            _("%(quarter)s (closes on %(day)s)", quarter=label, day=day.isoformat())
            for label, day in people.open
        )
        line += " " + _(
            "Not yet closed, so left out (their counts still change): %(quarters)s.",
            quarters=still_open,
        )
    return line


def _empty_reason(people: PersonDerived) -> str | None:
    """Why the person-derived columns are empty in this workbook, if they are."""
    reasons = {
        FILTERED: _(
            "Left empty: this workbook is limited to some sites or a funding source, and "
            "counts of people are only given for the whole program."
        ),
        PARTIAL: _(
            "Left empty: the period is not made of whole quarters, and counts of people "
            "are only given for whole quarters."
        ),
        OPEN: _("Left empty: a quarter of the period has not closed yet."),
    }
    return reasons.get(people.encounters_reason)


def _encounters_line(people: PersonDerived) -> str:
    return _empty_reason(people) or _(
        "Encounters at which each supply was handed out, over the whole quarters above."
    )


def _units_line(people: PersonDerived) -> str:
    return _empty_reason(people) or _(
        "Units over the whole quarters above, for the whole program: an encounter hands out "
        "at least one unit, so units split by area or by collecting for others tell about "
        "people."
    )


def _quarter_kind() -> str:
    first = current_app.config["FISCAL_YEAR_START"]
    if first == 1:
        return _("calendar quarters")
    return _("the program's fiscal year, which starts in %(month)s", month=_month_name(first))


def _month_name(month: int) -> str:
    return format_date(date(2000, month, 1), "MMMM")


def people_rows(report: FunderReport) -> list[tuple[str, object]]:
    """The About lines on counts of people: the quarter rule, in a funder's words."""
    people = report.people
    rows = [
        (
            _("Counts of people"),
            _(
                "To protect participants, counts of people and encounters (the Recipients and "
                "Reversals sheets, and Encounters on Summary) and units split by answers "
                "about the person (By Area, and Units for others on Summary) are given only "
                "for whole quarters once they have closed, and always for the whole program: "
                "all sites and all funding sources, whatever sites, funding source or dates "
                "this workbook was asked for. Every workbook shows the same numbers for the "
                "same quarter. Other supply counts cover exactly what was asked."
            ),
        ),
        (_("Quarters"), _quarters_line(people)),
        ("Summary: Encounters", _encounters_line(people)),
        # Contract names, so English like "Summary: Encounters".
        ("By Area, Summary: Units for others", _units_line(people)),
    ]
    if people.reopened:
        rows.append(
            (
                _("Reopened quarters"),
                _(
                    "An admin reopened %(quarters)s to enter history: their counts may "
                    "differ from workbooks made before.",
                    quarters=", ".join(people.reopened),
                ),
            )
        )
    return rows


def about_rows(report: FunderReport) -> list[tuple[str, object]]:
    """The funder workbook's About sheet: what it covers and what its words mean."""
    below = report.suppress_below
    suppression = (
        _(
            "Counts of people, and units by area or for others, from 1 to %(top)s are "
            'shown as <%(below)s. Some other counts are shown as "%(suppressed)s": they '
            "may be any number, small or large, and are hidden only so that a hidden count "
            "cannot be worked out from a total or other published numbers; in a quarter "
            "with few encounters every count of its breakdowns may be hidden. A total over "
            "several quarters is shown only when "
            'every quarter in it is shown, else as "%(suppressed)s". Other supply counts '
            "are never hidden.",
            top=below - 1,
            below=below,
            suppressed=SUPPRESSED,
        )
        if below > 0
        else _("Small-cell suppression is turned off (SUPPRESS_BELOW = 0).")
    )
    return [
        (_("Program"), report.program),
        (
            _("Report"),
            _(
                "Funder report: supplies distributed, received and written off, recipients, "
                "reversals and inventory"
            ),
        ),
        *filter_rows(report.filters, report.timezone, report.generated_at),
        *people_rows(report),
        (None, None),
        (_("Definitions"), None),
        (
            _("Unit"),
            _(
                "One item as stocked and handed out (a box, kit, strip or each); "
                "a box of two Narcan sprays is one unit."
            ),
        ),
        (
            _("Dose"),
            _(
                "Units multiplied by the supply's doses per unit (a box of two sprays is "
                "two doses); supplies that are not medications have no doses."
            ),
        ),
        (
            _("Encounter"),
            _(
                "One distribution event: supplies handed out at one time and place. Voided "
                "events are left out. No person is identified or counted twice on purpose."
            ),
        ),
        (
            _("Reversal reported"),
            _(
                "Overdoses a participant says they reversed since their last visit, as told "
                "at an encounter."
            ),
        ),
        (
            # A label that is a contract header or a sheet title names it as the file does.
            "Encounters with training",
            _("Encounters at which overdose response training was given."),
        ),
        (
            "Inventory",
            _(
                "Opening + Received + Transferred in - Transferred out - Distributed + "
                "Adjusted = Closing, for every site and supply. Adjusted includes write-offs "
                "(expired, damaged, lost) and shelf count corrections. A partner agency "
                "reports what it hands out each month: those units are in Sub-recipients, not "
                "in Distributed, so its Closing still includes them."
            ),
        ),
        (
            "Write-offs",
            _(
                "Stock written off (adjustments that took units away), by site, supply and "
                "reason. These units are also in Inventory's Adjusted column."
            ),
        ),
        (
            "Received",
            _(
                "Units received by site, supply, source (purchase, donation, state program) "
                "and funding source; each site and supply adds up to Inventory's Received."
            ),
        ),
        (
            "Sub-recipients",
            _(
                "Per partner agency and supply: units it received from the program in the "
                "period, and units it reported handing out in its monthly reports for the "
                "months the period touches. Reports do not say which funding source paid, "
                "so with a funding filter that column is empty."
            ),
        ),
        (
            _("Partner encounters"),
            _(
                "On Reversals: encounters partner agencies reported for the quarter's "
                "months, over all of them; the reversals they reported are in Reversals "
                "reported. Never shown per partner: when a single agency reported "
                "encounters in a quarter, its cell reads suppressed."
            ),
        ),
        (
            "By Quarter",
            _(
                "Units per reporting quarter (%(quarters)s) and supply. A quarter the "
                "period covers only in part gives the days it covers (From, To).",
                quarters=_quarter_kind(),
            ),
        ),
        (
            "By Category",
            _(
                "Units and doses per supply category, and %(total)s: naloxone of every "
                "formulation and nalmefene together.",
                total=REVERSAL_TOTAL,
            ),
        ),
        (
            "By Area",
            _(
                "Units per area: the area recorded at the encounter, else the county of "
                'the site. An area not on the program\'s list shows as "other area".'
            ),
        ),
        (
            "Units for others",
            _(
                "On Summary: units handed out at encounters where the person was "
                "collecting for others too (secondary distribution)."
            ),
        ),
        (
            "Chart",
            _("A chart of units by month and category, beside the numbers it shows."),
        ),
        (
            _("Funding filter"),
            _(
                "With a funding source, only units from batches paid for by it are counted. "
                "Counts of people are for the whole program."
            ),
        ),
        (
            "Expiring Lots",
            _(
                "Lots held at the end of the period that expire within 180 days of it or "
                "have already expired."
            ),
        ),
        (_("Suppression"), suppression),
        (
            _("Privacy"),
            _("No names, birth dates, addresses, staff names or record ids appear here."),
        ),
    ]


def event_about_rows(filters: ReportFilters, program: str, timezone: str, now: datetime):
    """The event-level workbook's About sheet."""
    return [
        (_("Program"), program),
        (
            _("Report"),
            _("Event-level export: one row per supply handed out at an encounter"),
        ),
        *filter_rows(filters, timezone, now),
        (
            _("Privacy"),
            _(
                "For program staff only: not small-cell suppressed. Voided events, staff, "
                "record ids and free text are left out."
            ),
        ),
    ]
