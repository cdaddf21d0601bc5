"""Accounts: creation, administration, password resets and language (tokens: tokens.py)."""

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from supplies.extensions import db
from supplies.models import Site, User
from supplies.services.accounts import passwords, sessions, sign_in, tokens
from supplies.services.common import permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict, NotFound, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db import audit
from supplies.services.db.unit_of_work import transaction
from supplies.vocab import PARTNER_KIND, ROLES

MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH


def check_password_rules(password) -> None:
    """Refuse passwords that are short or common."""
    passwords.check(password)


def create_user(
    email, role, password, site_codes=(), name=None, actor_id=None, must_change=False
) -> User:
    """Create an account with a role and, for staff, the sites they work at."""
    fields = v.Fields()
    email = fields.check("email", v.text, email, 254)
    if email and "@" not in email:
        fields.fail("email", msg("must be an email address"))
    role = fields.check("role", v.choice, role, ROLES, required=True)
    try:
        check_password_rules(password)
    except ValidationFailed as error:
        fields.errors.update(error.fields)
    sites = sites_for(fields, role, site_codes)
    fields.raise_if_any()
    email = email.lower()
    if db.session.execute(db.select(User.id).where(User.email == email)).first():
        raise Conflict(
            msg("%(email)s already has an account.", email=email),
            {"email": msg("already has an account")},
        )
    with transaction():
        user = User(email=email, name=name or email.split("@")[0], role=role)
        user.set_password(password)
        user.must_change_password = must_change
        user.sites = sites
        db.session.add(user)
        db.session.flush()
        audit.record(
            actor_id,
            "user.create",
            "user",
            user.id,
            {"email": email, "role": role, "sites": sorted(site_codes)},
        )
    return user


def sites_for(fields: v.Fields, role, site_codes) -> list[Site]:
    """The sites named by code, recording a field error for unknown ones or staff with none."""
    sites = []
    for code in site_codes:
        site = db.session.execute(db.select(Site).where(Site.code == code)).scalar_one_or_none()
        if site is None:
            fields.fail("sites", msg("no site has the code %(code)s", code=code))
        else:
            sites.append(site)
    if role == "staff" and not site_codes:
        fields.fail("sites", msg("staff need at least one site"))
    if role == "staff":
        # Staff log and count at the program's own sites; a partner agency reports instead.
        for site in sites:
            if site.kind == PARTNER_KIND:
                fields.fail(
                    "sites",
                    msg("%(code)s is a partner agency, not a program site", code=site.code),
                )
    if role == "partner":
        # A partner account sees one agency's requests, receipts and reports: exactly one.
        if len(site_codes) != 1:
            fields.fail("sites", msg("a partner account needs exactly one partner agency"))
        elif sites and sites[0].kind != PARTNER_KIND:
            fields.fail("sites", msg("%(code)s is not a partner agency", code=sites[0].code))
    return sites


def user_by_email(email: str) -> User | None:
    """The account with this email, if any."""
    return db.session.execute(
        db.select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


# --- administration: every function below checks that the actor is an admin ---------------


def _user(user_id) -> User:
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound(msg("No such account."))
    return user


def _active_admins() -> int:
    return db.session.execute(
        db.select(db.func.count(User.id)).where(User.role == "admin", User.active.is_(True))
    ).scalar_one()


def list_users(actor) -> list[User]:
    """Every account, active first, by email."""
    permissions.require(actor, "administer")
    query = db.select(User).order_by(User.active.desc(), User.email)
    return list(db.session.execute(query).scalars())


def get_user(actor, user_id) -> User:
    """One account, for an admin."""
    permissions.require(actor, "administer")
    return _user(user_id)


def update_user(actor, user_id, name, role, site_codes) -> User:
    """Change an account's name, role and sites; the change applies on its next request."""
    permissions.require(actor, "administer")
    user = _user(user_id)
    fields = v.Fields()
    name = fields.check("name", v.text, name, 120)
    role = fields.check("role", v.choice, role, ROLES, required=True)
    sites = sites_for(fields, role, site_codes)
    if user.role == "admin" and role != "admin" and user.active and _active_admins() <= 1:
        fields.fail("role", msg("the last active admin must stay an admin"))
    fields.raise_if_any()
    before = {"name": user.name, "role": user.role, "sites": sorted(s.code for s in user.sites)}
    after = {"name": name, "role": role, "sites": sorted(s.code for s in sites)}
    with transaction():
        user.name, user.role, user.sites = name, role, sites
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        audit.record(actor.id, "user.update", "user", user.id, changes)
    return user


def set_active(actor, user_id, active: bool) -> User:
    """Deactivate (ending its sessions and revoking its tokens at once) or reactivate."""
    permissions.require(actor, "administer")
    user = _user(user_id)
    if not active and user.id == actor.id:
        raise Conflict(msg("You cannot deactivate your own account."), {"user": msg("is you")})
    if not active and user.role == "admin" and user.active and _active_admins() <= 1:
        raise Conflict(
            msg("The last active admin cannot be deactivated."), {"user": msg("last admin")}
        )
    if user.active == active:
        return user
    with transaction():
        user.active = active
        if not active:
            _end_access(user)
        audit.record(actor.id, "user.activate" if active else "user.deactivate", "user", user.id)
    return user


def issue_temporary_password(actor, user_id) -> str:
    """Set a random password to hand over once; it must be changed at the next sign-in."""
    permissions.require(actor, "administer")
    user = _user(user_id)
    temporary = passwords.temporary()
    with transaction():
        user.set_password(temporary)
        user.must_change_password = True
        _end_access(user)
        audit.record(actor.id, "user.temporary_password", "user", user.id)
    return temporary


def issue_reset_token(actor, user_id) -> str:
    """Disable the current password and return a one-time token for a reset link."""
    permissions.require(actor, "administer")
    user = _user(user_id)
    with transaction():
        # The old password stops working now; only the link (or another reset) gets back in.
        user.set_password(secrets.token_urlsafe(32))
        _end_access(user)
        audit.record(actor.id, "user.reset_link", "user", user.id)
    return _reset_serializer().dumps([user.id, _reset_fingerprint(user)])


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _reset_fingerprint(user: User) -> str:
    # Changes whenever the password does, so a used (or superseded) link stops working.
    material = f"{user.password_hash}:{user.session_version}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def user_for_reset_token(token: str) -> User | None:
    """The active account a reset link is for, if the link is genuine, fresh and unused."""
    max_age = int(current_app.config["PASSWORD_RESET_HOURS"]) * 3600
    try:
        user_id, fingerprint = _reset_serializer().loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(str(fingerprint), _reset_fingerprint(user)):
        return None
    return user


def reset_password_with_token(token: str, new_password) -> User:
    """Set a new password through a one-time link; the link works once."""
    user = user_for_reset_token(token)
    if user is None:
        raise NotFound(msg("This reset link is not valid, already used or expired."))
    passwords.check(new_password)
    _store_new_password(user, new_password, "user.password_reset")
    return user


def change_password(user: User, current, new, session_id=None) -> User:
    """Change one's own password, checking the current one; other sessions end.

    Wrong current passwords are throttled per signed-in session (session_id), as sign-ins
    are: someone holding a stolen session cannot guess their way to the password.
    """
    fields = v.Fields()
    wait = sign_in.password_check_wait(user.id, session_id)
    if wait:
        fields.fail(
            "current_password",
            msg("too many wrong tries; wait %(seconds)s seconds and try again", seconds=wait),
        )
        fields.raise_if_any(msg("The password was not changed."))
    right = isinstance(current, str) and user.check_password(current)
    sign_in.password_checked(user.id, session_id, right)
    if not right:
        fields.fail("current_password", msg("is not your current password"))
    try:
        passwords.check(new)
    except ValidationFailed as error:
        fields.fail("new_password", error.fields["password"])
    if not fields.errors and new == current:
        fields.fail("new_password", msg("must differ from the current password"))
    fields.raise_if_any(msg("The password was not changed."))
    _store_new_password(user, new, "user.password_change")
    return user


def _store_new_password(user: User, password: str, action: str) -> None:
    with transaction():
        user.set_password(password)
        user.must_change_password = False
        _end_access(user)
        audit.record(user.id, action, "user", user.id)


def _end_access(user: User) -> None:
    """A new password, a reset or deactivation: every session and API token stops at once.

    Inside the caller's transaction. The session version in each cookie no longer matches,
    the server-side sessions are gone, and the tokens are revoked (a token is a password).
    """
    user.session_version += 1
    sessions.end_all(user.id)
    tokens.revoke_all_tokens(user.id)


# --- Language ------------------------------------------------------------------------------


def set_language(user: User, language: str | None, languages) -> None:
    """Remember the language a person chose for the screens (None: follow the browser)."""
    if language is not None and language not in languages:
        raise ValidationFailed(msg("Unknown language."), {"lang": msg("unknown language")})
    if user.language == language:
        return
    with transaction():
        user.language = language
        audit.record(user.id, "user.language", "user", user.id, {"language": language})
