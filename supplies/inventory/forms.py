"""Forms of the stock screens. Services validate the values; forms carry CSRF and keep input."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, StringField

from supplies.vocab import ADJUSTMENT_REASONS, BATCH_STATUSES, RECEIPT_SOURCES
from supplies.web.forms import OperationForm, select_field


class ReceiptLineForm(Form):
    """One line of a shipment."""

    supply = select_field(_l("Supply"), blank=_l("Choose a supply"))
    quantity = StringField(_l("Quantity"))
    lot_number = StringField(_l("Lot number"))
    expires_on = StringField(_l("Expires on"))
    funding = select_field(_l("Funding source"), blank=_l("None"))


class ReceiveForm(OperationForm):
    """A shipment: site, date, source and several lines."""

    site = select_field(_l("Site"), blank=_l("Choose a site"))
    received_on = StringField(_l("Received on"))
    source = select_field(_l("Source"), RECEIPT_SOURCES)
    for_disposal = BooleanField(_l("For disposal or return (accepts expired lots, quarantined)"))
    lines = FieldList(FormField(ReceiptLineForm), min_entries=4, max_entries=40)


class TransferLineForm(Form):
    """One line of a transfer: a supply the sending site holds, units, a lot or none."""

    supply = select_field(_l("Supply"), blank=_l("Choose a supply"))
    quantity = StringField(_l("Quantity"))
    lot_number = select_field(_l("Lot"), blank=_l("First expiry first"))


class TransferForm(OperationForm):
    """Move several supplies from one site to another at once: one packing slip."""

    from_site = select_field(_l("From site"), blank=_l("Choose a site"))
    to_site = select_field(_l("To site"), blank=_l("Choose a site"))
    lines = FieldList(FormField(TransferLineForm), min_entries=3, max_entries=40)


class AdjustForm(OperationForm):
    """Write units off (negative) or back on (positive) with a reason."""

    site = select_field(_l("Site"), blank=_l("Choose a site"))
    supply = select_field(_l("Supply"), blank=_l("Choose a supply"))
    quantity = StringField(_l("Quantity (negative to write off)"))
    reason = select_field(_l("Reason"), ADJUSTMENT_REASONS, blank=_l("Choose a reason"))
    lot_number = StringField(_l("Lot number"))
    note = StringField(_l("Note (required for other; no names or personal details)"))


class LotStatusForm(OperationForm):
    """Quarantine, recall or release a lot everywhere."""

    supply = HiddenField()
    lot_number = HiddenField()
    status = select_field(_l("Status"), BATCH_STATUSES)
    note = StringField(_l("Note (the notice or reason; no names or personal details)"))


class CountForm(OperationForm):
    """A count sheet; its lines are read from the posted line-N-* fields."""

    blind = BooleanField(_l("Blind count (hide expected quantities)"))
