"""How Flask-Login finds the signed-in user: by id and password generation, active only."""

from flask import session
from flask_babel import gettext
from flask_login import LoginManager

from supplies.models import User
from supplies.services.accounts import sessions
from supplies.services.common.messages import msg

# Where the cookie keeps the server-side session's id (services.accounts.sessions).
SESSION_ID_KEY = "sid"


def load_user(user_id: str) -> User | None:
    """The active user of a live server-side session whose password generation matches.

    Signing out, the absolute limit, a reset or deactivation end the session: one indexed
    read (the user joined to the session row) per request, no write.
    """
    ident, _, version = user_id.partition(".")
    if not (ident.isascii() and ident.isdigit() and version.isascii() and version.isdigit()):
        return None
    if len(ident) > 18:
        return None  # no account has such an id (and the database's integers stop there)
    user = sessions.user_for(int(ident), session.get(SESSION_ID_KEY))
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
