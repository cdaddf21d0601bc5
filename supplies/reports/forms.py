"""The report form: a period preset or custom dates, sites, a funding source and the kind."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from supplies.services.exports import KINDS
from supplies.services.periods import PRESETS


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class ReportForm(FlaskForm):
    """What to put in a workbook; dates are checked by the reporting service."""

    preset = RadioField("Period", choices=_choices(PRESETS), default="last_quarter")
    start = StringField("First day", validators=[Optional(), Length(max=10)])
    end = StringField("Last day", validators=[Optional(), Length(max=10)])
    sites = SelectMultipleField("Sites", choices=[], validate_choice=True)
    funding = SelectField("Funding source", choices=[], default="", validate_choice=True)
    kind = RadioField("Workbook", choices=_choices(KINDS), default="funder")
    submit = SubmitField("Download workbook")

    def set_choices(self, sites, funding_sources, may_export_events: bool) -> None:
        """Fill the choices the user may pick from."""
        self.sites.choices = [SelectChoice(s.code, f"{s.name} ({s.code})") for s in sites]
        self.funding.choices = [SelectChoice("", "All funding sources")] + [
            SelectChoice(f.code, f"{f.name} ({f.code})") for f in funding_sources
        ]
        if not may_export_events:
            self.kind.choices = [SelectChoice("funder", KINDS["funder"])]
