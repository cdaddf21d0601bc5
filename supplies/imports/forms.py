"""The upload and confirmation forms of an import."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, SubmitField
from wtforms.validators import AnyOf, DataRequired, ValidationError

from supplies.services.imports.columns import DISTRIBUTIONS, KINDS, STOCK

ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt")


def _spreadsheet(form, field) -> None:
    filename = (getattr(field.data, "filename", "") or "").lower()
    if not filename.endswith(ALLOWED_SUFFIXES):
        raise ValidationError(_("Choose an .xlsx or .csv file."))


class UploadForm(FlaskForm):
    """A spreadsheet, what it holds, and whether to import a file already imported."""

    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[FileRequired(), _spreadsheet])
    kind = SelectField(
        _l("It holds"),
        choices=[
            SelectChoice(STOCK, _l("Starting stock")),
            SelectChoice(DISTRIBUTIONS, _l("Past distributions")),
        ],
        validators=[DataRequired()],
    )
    force = BooleanField(_l("Import it even if this exact file was imported before"))
    submit = SubmitField(_l("Upload and preview"))


class ConfirmForm(FlaskForm):
    """Confirms a previewed import; carries its kind and the force choice."""

    kind = HiddenField(validators=[AnyOf(KINDS)])
    force = HiddenField(validators=[AnyOf(("", "1"))])
    submit = SubmitField(_l("Import these rows"))
