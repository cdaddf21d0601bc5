"""Forms of the partner screens. The services check every value; forms carry CSRF, the
operation id that makes a double tap record once, and what was typed."""

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, HiddenField, StringField

from supplies.vocab import DECLINE_REASONS
from supplies.web.forms import OperationForm, select_field

# Room for every active supply of a large program; the service allows 40 lines a request.
MAX_SUPPLIES = 200


class QuantityLineForm(Form):
    """One supply (its code, hidden) and the units typed beside it."""

    supply = HiddenField()
    quantity = StringField(_l("Units"))


class RequestForm(OperationForm):
    """A partner's request: units per supply the program offers, and a needed-by date."""

    lines = FieldList(FormField(QuantityLineForm), min_entries=0, max_entries=MAX_SUPPLIES)
    needed_by = StringField(_l("Needed by (optional)"))


class ApproveForm(OperationForm):
    """The units to send of each requested supply: in full, or in part (0: none)."""

    lines = FieldList(FormField(QuantityLineForm), min_entries=0, max_entries=MAX_SUPPLIES)


class FulfilForm(OperationForm):
    """Send the approved units as one transfer from a program site."""

    from_site = select_field(_l("Send from"), blank=_l("Choose a site"))


class DeclineForm(OperationForm):
    """Decline with a reason code: no text."""

    reason = select_field(_l("Reason"), DECLINE_REASONS, blank=_l("Choose a reason"))


class ReportForm(OperationForm):
    """A month's units handed out per supply, and optionally encounters and reversals."""

    month = HiddenField()
    lines = FieldList(FormField(QuantityLineForm), min_entries=0, max_entries=MAX_SUPPLIES)
    encounters = StringField(_l("Encounters (optional)"))
    reversals_reported = StringField(_l("Overdose reversals reported (optional)"))
