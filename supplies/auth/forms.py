"""The sign-in and password forms."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class SignInForm(FlaskForm):
    """Email and password, CSRF-protected."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Sign in")


class NewPasswordForm(FlaskForm):
    """A new password typed twice (the rules are checked by the accounts service)."""

    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", message="must match the new password")],
    )
    submit = SubmitField("Set password")


class ChangePasswordForm(NewPasswordForm):
    """One's current password and a new one."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=200)]
    )
