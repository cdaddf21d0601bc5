"""The report form: a period preset or custom dates, sites, funding source, kind, language."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from supplies.i18n import lazy_translate
from supplies.services.reporting.exports import KINDS
from supplies.services.reporting.periods import PRESETS
from supplies.services.reporting.workbook.text import LANGUAGE_NAMES
from supplies.web.forms import with_blank


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, lazy_translate(label)) for value, label in labels.items()]


class ReportForm(FlaskForm):
    """What to put in a workbook; dates are checked by the reporting service."""

    preset = RadioField(_l("Period"), choices=_choices(PRESETS), default="last_quarter")
    start = StringField(_l("First day"), validators=[Optional(), Length(max=10)])
    end = StringField(_l("Last day"), validators=[Optional(), Length(max=10)])
    sites = SelectMultipleField(_l("Sites"), choices=[], validate_choice=True)
    funding = SelectField(_l("Funding source"), choices=[], default="", validate_choice=True)
    kind = RadioField(_l("Workbook"), choices=_choices(KINDS), default="funder")
    # English unless chosen here: the screen's language never carries over to the workbook.
    language = SelectField(
        _l("Workbook language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        default="en",
        validate_choice=True,
    )
    submit = SubmitField(_l("Download workbook"))

    def set_choices(self, sites, funding_sources, may_export_events: bool) -> None:
        """Fill the choices the user may pick from (sites and funding sources as code, label)."""
        self.sites.choices = [SelectChoice(code, text) for code, text in sites]
        self.funding.choices = with_blank(funding_sources, _l("All funding sources"))
        if not may_export_events:
            self.kind.choices = [SelectChoice("funder", lazy_translate(KINDS["funder"]))]
