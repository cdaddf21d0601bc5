"""Forms of the stock screens. Services validate the values; forms carry CSRF and keep input."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from supplies.i18n import lazy_label
from supplies.models.site import SITE_KINDS
from supplies.models.stock import BATCH_STATUSES, RECEIPT_SOURCES
from supplies.models.supply import SUPPLY_CATEGORIES, SUPPLY_UNITS
from supplies.services.stock.work import ADJUSTMENT_REASONS


def _choices(values, blank=None) -> list[SelectChoice]:
    options = [SelectChoice(value, lazy_label(value)) for value in values]
    return [SelectChoice("", blank), *options] if blank is not None else options


def _select(label, choices=(), blank=None) -> SelectField:
    # The service checks the value and names the field; the form only keeps what was picked.
    return SelectField(
        label, choices=_choices(choices, blank), validate_choice=False, validators=[Optional()]
    )


class OperationForm(FlaskForm):
    """CSRF plus the operation id that makes a double submit record once."""

    op = HiddenField()


class ReceiptLineForm(Form):
    """One line of a shipment."""

    supply = _select(_l("Supply"), blank=_l("Choose a supply"))
    quantity = StringField(_l("Quantity"))
    lot_number = StringField(_l("Lot number"))
    expires_on = StringField(_l("Expires on"))
    funding = _select(_l("Funding source"), blank=_l("None"))


class ReceiveForm(OperationForm):
    """A shipment: site, date, source and several lines."""

    site = _select(_l("Site"), blank=_l("Choose a site"))
    received_on = StringField(_l("Received on"))
    source = _select(_l("Source"), RECEIPT_SOURCES)
    lines = FieldList(FormField(ReceiptLineForm), min_entries=4, max_entries=40)


class TransferForm(OperationForm):
    """Move units of one supply from one site to another."""

    from_site = _select(_l("From site"), blank=_l("Choose a site"))
    to_site = _select(_l("To site"), blank=_l("Choose a site"))
    supply = _select(_l("Supply"), blank=_l("Choose a supply"))
    quantity = StringField(_l("Quantity"))
    lot_number = StringField(_l("Lot number (blank: first expiry first)"))


class AdjustForm(OperationForm):
    """Write units off (negative) or back on (positive) with a reason."""

    site = _select(_l("Site"), blank=_l("Choose a site"))
    supply = _select(_l("Supply"), blank=_l("Choose a supply"))
    quantity = StringField(_l("Quantity (negative to write off)"))
    reason = _select(_l("Reason"), ADJUSTMENT_REASONS, blank=_l("Choose a reason"))
    lot_number = StringField(_l("Lot number"))
    note = StringField(_l("Note (required for other; no names or personal details)"))


class LotStatusForm(OperationForm):
    """Quarantine, recall or release a lot everywhere."""

    supply = HiddenField()
    lot_number = HiddenField()
    status = _select(_l("Status"), BATCH_STATUSES)
    note = StringField(_l("Note"))


class CountForm(OperationForm):
    """A count sheet; its lines are read from the posted line-N-* fields."""

    blind = BooleanField(_l("Blind count (hide expected quantities)"))


class SiteForm(OperationForm):
    """Create or edit a site."""

    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    kind = _select(_l("Kind"), SITE_KINDS, blank=_l("Choose a kind"))
    county = StringField(_l("County"))


class SupplyForm(OperationForm):
    """Create or edit a supply."""

    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    category = _select(_l("Category"), SUPPLY_CATEGORIES, blank=_l("Choose a category"))
    unit = _select(_l("Unit"), SUPPLY_UNITS, blank=_l("Choose a unit"))
    doses_per_unit = StringField(_l("Doses per unit (reversal medications)"))
    tracks_lots = BooleanField(_l("Tracks lots and expiry"))


class FundingForm(OperationForm):
    """Create or edit a funding source."""

    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    funder = StringField(_l("Funder"))
    starts_on = StringField(_l("Starts on"))
    ends_on = StringField(_l("Ends on"))
