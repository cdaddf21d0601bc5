"""The upload and confirmation forms of an import."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, SubmitField
from wtforms.validators import AnyOf, DataRequired, ValidationError

from supplies.services.imports_columns import DISTRIBUTIONS, KINDS, STOCK

ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt")


def _spreadsheet(form, field) -> None:
    filename = (getattr(field.data, "filename", "") or "").lower()
    if not filename.endswith(ALLOWED_SUFFIXES):
        raise ValidationError("Choose an .xlsx or .csv file.")


class UploadForm(FlaskForm):
    """A spreadsheet, what it holds, and whether to import a file already imported."""

    file = FileField("Spreadsheet (.xlsx or .csv)", validators=[FileRequired(), _spreadsheet])
    kind = SelectField(
        "It holds",
        choices=[
            SelectChoice(STOCK, "Starting stock"),
            SelectChoice(DISTRIBUTIONS, "Past distributions"),
        ],
        validators=[DataRequired()],
    )
    force = BooleanField("Import it even if this exact file was imported before")
    submit = SubmitField("Upload and preview")


class ConfirmForm(FlaskForm):
    """Confirms a previewed import; carries its kind and the force choice."""

    kind = HiddenField(validators=[AnyOf(KINDS)])
    force = HiddenField(validators=[AnyOf(("", "1"))])
    submit = SubmitField("Import these rows")
