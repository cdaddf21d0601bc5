"""The distribution form: one quantity per supply of the site, and the event's fields."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from supplies.services.common.validation import MAX_QUANTITY
from supplies.vocab import (
    AGE_BANDS,
    FIRST_TIME,
    LANGUAGES,
    RECIPIENT_TYPES,
    RESUPPLY_REASONS,
    SETTINGS,
    VOID_REASONS,
    YES_NO,
)
from supplies.web.forms import add_error

NOT_ASKED = ("", _l("Not asked"))
YES_NO_NOT_ASKED = [NOT_ASKED, *YES_NO.choices()]
UUID_PATTERN = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
ITEM_FIELD = re.compile(r"^items\[(\d+)\]")

# The allowed values and their words come from supplies.vocab.
SETTING_CHOICES = SETTINGS.choices()
RECIPIENT_CHOICES = [NOT_ASKED, *RECIPIENT_TYPES.choices()]
FIRST_TIME_CHOICES = [NOT_ASKED, *FIRST_TIME.choices()]
AGE_CHOICES = [NOT_ASKED, *AGE_BANDS.choices()]
# "used_on_overdose" is the one-tap toggle above, so it is not repeated here.
RESUPPLY_CHOICES = [
    NOT_ASKED,
    *(c for c in RESUPPLY_REASONS.choices() if c[0] != "used_on_overdose"),
]
LANGUAGE_CHOICES = [NOT_ASKED, *LANGUAGES.choices()]
QUICK_FIELDS = ("recipient_type", "first_time", "trained")
MORE_FIELDS = ("setting", "for_others", "age_band", "area", "language", "resupply_reason")


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _whole_number(maximum: int) -> str:
    return _("must be a whole number from %(minimum)s to %(maximum)s", minimum=0, maximum=maximum)


class QuantityField(IntegerField):
    """A whole number of units; the error says so in the program's words."""

    def process_formdata(self, valuelist):
        """Blank is no units; anything else must be a whole number."""
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(_whole_number(MAX_QUANTITY)) from None


class DistributionForm(FlaskForm):
    """One distribution event; quantity fields are added per site by distribution_form()."""

    event_id = HiddenField(validators=[DataRequired(), Regexp(UUID_PATTERN)])
    recipient_type = RadioField(
        _l("Who is it for?"), choices=_choices(RECIPIENT_CHOICES), default=""
    )
    first_time = RadioField(
        _l("First time here?"), choices=_choices(FIRST_TIME_CHOICES), default=""
    )
    # Every question starts at "not asked": skipping it records nothing (DESIGN.md).
    trained = RadioField(
        _l("Overdose response training given?"),
        choices=_choices(YES_NO_NOT_ASKED),
        default="",
    )
    used_on_overdose = BooleanField(_l("Naloxone was used on an overdose"))
    reversals_reported = QuantityField(
        _l("How many overdoses reversed?"),
        default=0,
        validators=[
            Optional(),
            NumberRange(
                0,
                1000,
                _l(
                    "must be a whole number from %(minimum)s to %(maximum)s",
                    minimum=0,
                    maximum=1000,
                ),
            ),
        ],
    )
    setting = RadioField(_l("Setting"), choices=_choices(SETTING_CHOICES))
    for_others = RadioField(
        _l("Collecting for others too?"), choices=_choices(YES_NO_NOT_ASKED), default=""
    )
    age_band = RadioField(_l("Age"), choices=_choices(AGE_CHOICES), default="")
    # A picker of the program's areas (the template lists them); the service checks it.
    area = StringField(_l("Area"), validators=[Optional(), Length(max=40)])
    language = RadioField(_l("Language"), choices=_choices(LANGUAGE_CHOICES), default="")
    resupply_reason = RadioField(
        _l("Resupply reason"), choices=_choices(RESUPPLY_CHOICES), default=""
    )
    # A paper tally typed in later: when it happened (blank: now). Checked by check_when().
    when_date = StringField(_l("Date"), validators=[Optional(), Length(max=10)])
    when_time = StringField(_l("Time"), validators=[Optional(), Length(max=5)])

    def quantity_fields(self):
        """(supply, field) pairs in the order the supplies were given."""
        return [(supply, self[quantity_name(supply)]) for supply in self.site_supplies]


class VoidForm(FlaskForm):
    """Void one distribution, choosing a reason (no free text: it could name someone)."""

    operation_id = HiddenField(validators=[DataRequired(), Regexp(UUID_PATTERN)])
    reason = RadioField(
        _l("Why void it?"),
        choices=_choices(VOID_REASONS.choices()),
        validators=[DataRequired(_l("choose a reason"))],
    )


def quantity_name(supply) -> str:
    """The form field of a supply's quantity (ids, since codes may hold '.' and '-')."""
    return f"qty_{supply.id}"


def distribution_form(site_supplies, setting: str, **kwargs) -> DistributionForm:
    """A DistributionForm with one quantity field per supply, labelled with its name."""

    class SiteDistributionForm(DistributionForm):
        pass

    for supply in site_supplies:
        field = QuantityField(
            supply.name,
            validators=[
                Optional(),
                NumberRange(0, MAX_QUANTITY, _whole_number(MAX_QUANTITY)),
            ],
        )
        setattr(SiteDistributionForm, quantity_name(supply), field)
    form = SiteDistributionForm(setting=setting, **kwargs)
    form.site_supplies = list(site_supplies)
    return form


def _choice(value: str | None) -> str | None:
    return value or None


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def event_body(form: DistributionForm, site_code: str) -> tuple[dict, list[str]]:
    """The request body the JSON API would take, and the form field of each item."""
    items, item_fields = [], []
    for supply, field in form.quantity_fields():
        if field.data:
            items.append({"supply": supply.code, "quantity": field.data})
            item_fields.append(field.name)
    resupply = form.resupply_reason.data
    if form.used_on_overdose.data:
        resupply = "used_on_overdose"
    body = {
        "id": form.event_id.data.lower(),
        "site": site_code,
        "items": items,
        "setting": form.setting.data,
        "recipient_type": _choice(form.recipient_type.data),
        "for_others": _yes_no(form.for_others.data),
        "first_time": _choice(form.first_time.data),
        "age_band": _choice(form.age_band.data),
        "area": form.area.data or None,
        "trained": _yes_no(form.trained.data),
        "reversals_reported": form.reversals_reported.data or 0,
        "resupply_reason": _choice(resupply),
        "language": _choice(form.language.data),
    }
    return body, item_fields


def check_resupply(form: DistributionForm) -> bool:
    """The overdose toggle and another resupply reason cannot both be chosen."""
    if form.used_on_overdose.data and form.resupply_reason.data:
        add_error(
            form.resupply_reason,
            _("choose either this or “Naloxone was used on an overdose”, not both"),
        )
        return False
    return True


def field_aliases(form: DistributionForm, item_fields: list[str]):
    """The form field that shows each of the service's fields (None: no field shows it).

    items[i] is the quantity field of the i-th supply given; resupply_reason is the overdose
    toggle when that was chosen.
    """

    def form_name(name: str) -> str | None:
        match = ITEM_FIELD.match(name)
        if match and int(match.group(1)) < len(item_fields):
            return item_fields[int(match.group(1))]
        if name == "resupply_reason" and form.used_on_overdose.data:
            return "used_on_overdose"
        if name == "occurred_at":
            return "when_date"  # the screen's "when" (a closed quarter, say)
        return None if name == "event_id" else name

    return form_name


def error_summary(form: DistributionForm, unplaced: dict) -> list[tuple[str, str, str]]:
    """(field id, label, why) for each field in error, in the form's order, so the summary
    names the field as the person reads it ("Narcan: only 10 available"), never its
    program name."""
    labels = {field.name: supply.name for supply, field in form.quantity_fields()}
    found = []
    if unplaced.get("items"):
        # The words shown beside the quantities, not the API's.
        found.append(("items", _("What was given"), _("enter how many of at least one supply")))
    quantities = [field for _supply, field in form.quantity_fields()]
    others = [field for field in form if field.name not in labels]
    for field in quantities + others:
        if field.errors and field.name != "csrf_token" and field.type != "HiddenField":
            label = labels.get(field.name) or str(field.label.text)
            if field.name in ("when_date", "when_time"):
                label = f"{_('When')}: {label}"
            found.append((field.name, label, field.errors[0]))
    return found
