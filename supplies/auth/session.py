"""How Flask-Login finds the signed-in user: by id and password generation, active only."""

from flask_babel import gettext
from flask_login import LoginManager

from supplies.extensions import db
from supplies.models import User
from supplies.services.common.messages import msg


def load_user(user_id: str) -> User | None:
    """The active user whose session id matches; a reset or deactivation ends the session."""
    ident, _, version = user_id.partition(".")
    if not (ident.isascii() and ident.isdigit() and version.isascii() and version.isdigit()):
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def configure_login(login_manager: LoginManager) -> None:
    """Register the loader and where anonymous visitors are sent."""
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = msg("Please sign in to continue.")
    # Flask-Login flashes the message through this, in the visitor's language.
    login_manager.localize_callback = gettext
    login_manager.session_protection = "basic"
