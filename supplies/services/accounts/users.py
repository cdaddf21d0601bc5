"""Accounts and API tokens: creation, administration, password resets and token look-up."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, select

from supplies.extensions import db
from supplies.models import ApiToken, Site, User, user_sites
from supplies.models.user import ROLES
from supplies.services.accounts import passwords
from supplies.services.common import clock, permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import Conflict, NotFound, ValidationFailed
from supplies.services.common.messages import msg
from supplies.services.db import audit
from supplies.services.db.unit_of_work import transaction

MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH
# Refreshing last_used_at on every call would turn each read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


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
    return sites


def user_by_email(email: str) -> User | None:
    """The account with this email, if any."""
    return db.session.execute(
        db.select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def create_token(user: User, name: str = "API token", actor_id=None) -> str:
    """Make a new API token for a user; return it once, store only its hash."""
    token = secrets.token_urlsafe(32)
    with transaction():
        record = ApiToken(user_id=user.id, token_hash=hash_token(token), name=name)
        db.session.add(record)
        db.session.flush()
        audit.record(actor_id or user.id, "token.create", "api_token", record.id, {"name": name})
    return token


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenUser:
    """The account behind an API token, read in one statement on every call.

    Carries what the services' permission checks need; the sites of a staff member are
    read only when a check asks for them.
    """

    id: int
    email: str
    role: str
    active: bool

    @property
    def site_ids(self) -> set[int]:
        """Ids of the sites this user is assigned to (read when first needed)."""
        cached = self.__dict__.get("_site_ids")
        if cached is None:
            rows = db.session.connection().execute(_sites_statement(), {"user_id": self.id})
            cached = {site_id for (site_id,) in rows}
            object.__setattr__(self, "_site_ids", cached)
        return cached


@cache
def _token_statement():
    tokens, users = ApiToken.__table__, User.__table__
    return (
        select(
            tokens.c.id,
            tokens.c.revoked_at,
            tokens.c.last_used_at,
            users.c.id,
            users.c.email,
            users.c.role,
            users.c.active,
        )
        .join(users, users.c.id == tokens.c.user_id)
        .where(tokens.c.token_hash == bindparam("token_hash"))
    )


@cache
def _sites_statement():
    return select(user_sites.c.site_id).where(user_sites.c.user_id == bindparam("user_id"))


def user_for_token(token: str) -> TokenUser | None:
    """The active user behind a bearer token, or None for a bad, revoked or orphaned one.

    Read on every API call (never cached), so a revoked token or a deactivated user stops
    working at once.
    """
    record = (
        db.session.connection()
        .execute(_token_statement(), {"token_hash": hash_token(token)})
        .first()
    )
    if record is None:
        return None
    token_id, revoked_at, last_used_at, user_id, email, role, active = record
    if revoked_at is not None or not active:
        return None
    now = clock.now()
    if last_used_at is None or now - last_used_at > TOKEN_TOUCH_INTERVAL:
        with transaction():
            db.session.execute(
                db.update(ApiToken)
                .where(ApiToken.id == token_id)
                .values(last_used_at=now)
                .execution_options(synchronize_session=False)
            )
    return TokenUser(user_id, email, role, active)


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
            user.session_version += 1
            _revoke_all_tokens(user.id)
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
        user.session_version += 1
        audit.record(actor.id, "user.temporary_password", "user", user.id)
    return temporary


def issue_reset_token(actor, user_id) -> str:
    """Disable the current password and return a one-time token for a reset link."""
    permissions.require(actor, "administer")
    user = _user(user_id)
    with transaction():
        # The old password stops working now; only the link (or another reset) gets back in.
        user.set_password(secrets.token_urlsafe(32))
        user.session_version += 1
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


def change_password(user: User, current, new) -> User:
    """Change one's own password, checking the current one; other sessions end."""
    fields = v.Fields()
    if not isinstance(current, str) or not user.check_password(current):
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
        user.session_version += 1
        audit.record(user.id, action, "user", user.id)


# --- API tokens ----------------------------------------------------------------------------


def list_tokens(actor) -> list[ApiToken]:
    """Every API token (never the token itself), newest first."""
    permissions.require(actor, "administer")
    query = db.select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
    return list(db.session.execute(query).scalars())


def create_token_for(actor, user_id, name) -> tuple[ApiToken, str]:
    """An admin makes a token for an active account; the token is returned once."""
    permissions.require(actor, "administer")
    fields = v.Fields()
    name = fields.check("name", v.text, name, 80)
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        fields.fail("user", msg("choose an active account"))
    fields.raise_if_any()
    token = create_token(user, name, actor_id=actor.id)
    record = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == hash_token(token))
    ).scalar_one()
    return record, token


def revoke_token(actor, token_id) -> ApiToken:
    """Revoke a token; the next request that uses it is refused."""
    permissions.require(actor, "administer")
    record = db.session.get(ApiToken, token_id) if isinstance(token_id, int) else None
    if record is None:
        raise NotFound(msg("No such token."))
    if record.revoked_at is None:
        with transaction():
            record.revoked_at = clock.now()
            audit.record(actor.id, "token.revoke", "api_token", record.id)
    return record


def _revoke_all_tokens(user_id: int) -> None:
    db.session.execute(
        db.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )


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
