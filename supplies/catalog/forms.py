"""Forms of the catalog screens. Services validate the values; forms carry CSRF and keep input."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField

from supplies.vocab import SITE_KINDS, SUPPLY_CATEGORIES, SUPPLY_UNITS
from supplies.web.forms import OperationForm, select_field


class SiteForm(OperationForm):
    """Create or edit a site."""

    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    kind = select_field(_l("Kind"), SITE_KINDS, blank=_l("Choose a kind"))
    county = StringField(_l("County"))


class AreaForm(OperationForm):
    """Add a county (name and state) or a 3-digit ZIP prefix to the program's areas."""

    name = StringField(_l("County name"))
    state = StringField(_l("State (two letters)"))
    zip3 = StringField(_l("Or a ZIP prefix (3 digits)"))


class SupplyForm(OperationForm):
    """Create or edit a supply."""

    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    category = select_field(_l("Category"), SUPPLY_CATEGORIES, blank=_l("Choose a category"))
    unit = select_field(_l("Unit"), SUPPLY_UNITS, blank=_l("Choose a unit"))
    doses_per_unit = StringField(_l("Doses per unit (reversal medications)"))
    tracks_lots = BooleanField(_l("Tracks lots and expiry"))
    # Checked on a new supply: partner agencies may ask for it unless unticked.
    offered_to_partners = BooleanField(_l("Offered to partner agencies"), default=True)


class FundingForm(OperationForm):
    """Create or edit a funding source."""

    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    funder = StringField(_l("Funder"))
    starts_on = StringField(_l("Starts on"))
    ends_on = StringField(_l("Ends on"))


class BundleForm(OperationForm):
    """Create or edit a bundle; its lines are read from the rows of the page (line-N-...)."""

    code = StringField(_l("Code"))
    name = StringField(_l("Name on the button"))
    site = SelectField(_l("Offered at"), choices=[], validate_choice=False)
