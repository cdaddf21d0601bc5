"""The report form: a period preset or custom dates, sites, a funding source and the kind."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Length, Optional

from supplies.services.exports import KINDS
from supplies.services.periods import PRESETS


class ReportForm(FlaskForm):
    """What to put in a workbook; dates are checked by the reporting service."""

    preset = RadioField("Period", choices=list(PRESETS.items()), default="last_quarter")
    start = StringField("First day", validators=[Optional(), Length(max=10)])
    end = StringField("Last day", validators=[Optional(), Length(max=10)])
    sites = SelectMultipleField("Sites", choices=[], validate_choice=True)
    funding = SelectField("Funding source", choices=[], validate_choice=True)
    kind = RadioField("Workbook", choices=list(KINDS.items()), default="funder")
    submit = SubmitField("Download workbook")

    def set_choices(self, sites, funding_sources, may_export_events: bool) -> None:
        """Fill the choices the user may pick from."""
        self.sites.choices = [(site.code, f"{site.name} ({site.code})") for site in sites]
        self.funding.choices = [("", "All funding sources")] + [
            (source.code, f"{source.name} ({source.code})") for source in funding_sources
        ]
        if not may_export_events:
            self.kind.choices = [("funder", KINDS["funder"])]
