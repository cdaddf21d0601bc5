"""Forms of the admin screens; the rules themselves live in services.accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from supplies.i18n import lazy_option_label
from supplies.vocab import ROLES
from supplies.web.forms import plausible_date

ROLE_CHOICES = [SelectChoice(role, lazy_option_label(role)) for role in ROLES]
ACCESS_CHOICES = [
    SelectChoice("temporary", _l("A temporary password I hand over (changed at first sign-in)")),
    SelectChoice("link", _l("A one-time link to set a password")),
]


class SiteCheckboxes(SelectMultipleField):
    """Sites as checkboxes (choices are the site codes, set by the view)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    """Name, role and sites of an account."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[DataRequired()])
    sites = SiteCheckboxes(
        _l("Sites (staff work only at these; a partner at its agency)"), choices=[]
    )
    submit = SubmitField(_l("Save"))


class NewUserForm(UserForm):
    """A new account: its email and how the person gets in the first time."""

    # Staff by default: the role that can do least harm if nobody changes it.
    role = SelectField(
        _l("Role"), choices=ROLE_CHOICES, default="staff", validators=[DataRequired()]
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    access = RadioField(
        _l("First sign-in"),
        choices=ACCESS_CHOICES,
        default="temporary",
        validators=[DataRequired()],
    )


class ResetForm(FlaskForm):
    """Reset someone's password: a temporary password or a one-time link."""

    access = RadioField(
        _l("Reset with"), choices=ACCESS_CHOICES, default="temporary", validators=[DataRequired()]
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class TokenForm(FlaskForm):
    """A new API token for an account."""

    user = SelectField(_l("Account"), coerce=int, choices=[], validators=[DataRequired()])
    name = StringField(_l("What it is for"), validators=[DataRequired(), Length(max=80)])


class AuditFilterForm(FlaskForm):
    """Filters of the audit log (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    user = SelectField(_l("Person"), coerce=str, choices=[], validators=[Optional()])
    action = SelectField(_l("Action"), choices=[], validators=[Optional()])
    start = DateField(_l("From"), validators=[Optional(), plausible_date])
    end = DateField(_l("To"), validators=[Optional(), plausible_date])
    page = IntegerField(_l("Page"), default=1, validators=[Optional(), NumberRange(1, 100000)])

    def person_id(self) -> int | None:
        """The chosen person's id, or None for anyone.

        Optional() lets a blank or whitespace-only choice through without the
        choice check, so whitespace means "anyone" here rather than an error.
        """
        chosen = (self.user.data or "").strip()
        return int(chosen) if chosen.isdigit() else None
