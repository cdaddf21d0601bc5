"""Forms of the stock screens. Services validate the values; forms carry CSRF and keep input."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from supplies.models.site import SITE_KINDS
from supplies.models.stock import BATCH_STATUSES, RECEIPT_SOURCES
from supplies.models.supply import SUPPLY_CATEGORIES, SUPPLY_UNITS
from supplies.services.inventory import ADJUSTMENT_REASONS


def _choices(values, blank: str | None = None) -> list[SelectChoice]:
    options = [SelectChoice(value, value.replace("_", " ")) for value in values]
    return [SelectChoice("", blank), *options] if blank is not None else options


def _select(label: str, choices=(), blank: str | None = None) -> SelectField:
    # The service checks the value and names the field; the form only keeps what was picked.
    return SelectField(
        label, choices=_choices(choices, blank), validate_choice=False, validators=[Optional()]
    )


class OperationForm(FlaskForm):
    """CSRF plus the operation id that makes a double submit record once."""

    op = HiddenField()


class ReceiptLineForm(Form):
    """One line of a shipment."""

    supply = _select("Supply", blank="Choose a supply")
    quantity = StringField("Quantity")
    lot_number = StringField("Lot number")
    expires_on = StringField("Expires on")
    funding = _select("Funding source", blank="None")


class ReceiveForm(OperationForm):
    """A shipment: site, date, source and several lines."""

    site = _select("Site", blank="Choose a site")
    received_on = StringField("Received on")
    source = _select("Source", RECEIPT_SOURCES)
    lines = FieldList(FormField(ReceiptLineForm), min_entries=4, max_entries=40)


class TransferForm(OperationForm):
    """Move units of one supply from one site to another."""

    from_site = _select("From site", blank="Choose a site")
    to_site = _select("To site", blank="Choose a site")
    supply = _select("Supply", blank="Choose a supply")
    quantity = StringField("Quantity")
    lot_number = StringField("Lot number (blank: first expiry first)")


class AdjustForm(OperationForm):
    """Write units off (negative) or back on (positive) with a reason."""

    site = _select("Site", blank="Choose a site")
    supply = _select("Supply", blank="Choose a supply")
    quantity = StringField("Quantity (negative to write off)")
    reason = _select("Reason", ADJUSTMENT_REASONS, blank="Choose a reason")
    lot_number = StringField("Lot number")
    note = StringField("Note (required for other; no names or personal details)")


class LotStatusForm(OperationForm):
    """Quarantine, recall or release a lot everywhere."""

    supply = HiddenField()
    lot_number = HiddenField()
    status = _select("Status", BATCH_STATUSES)
    note = StringField("Note")


class CountForm(OperationForm):
    """A count sheet; its lines are read from the posted line-N-* fields."""

    blind = BooleanField("Blind count (hide expected quantities)")


class SiteForm(OperationForm):
    """Create or edit a site."""

    code = StringField("Code")
    name = StringField("Name")
    kind = _select("Kind", SITE_KINDS, blank="Choose a kind")
    county = StringField("County")


class SupplyForm(OperationForm):
    """Create or edit a supply."""

    code = StringField("Code")
    name = StringField("Name")
    category = _select("Category", SUPPLY_CATEGORIES, blank="Choose a category")
    unit = _select("Unit", SUPPLY_UNITS, blank="Choose a unit")
    doses_per_unit = StringField("Doses per unit (reversal medications)")
    tracks_lots = BooleanField("Tracks lots and expiry")


class FundingForm(OperationForm):
    """Create or edit a funding source."""

    code = StringField("Code")
    name = StringField("Name")
    funder = StringField("Funder")
    starts_on = StringField("Starts on")
    ends_on = StringField("Ends on")
