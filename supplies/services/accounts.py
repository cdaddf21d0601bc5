"""Accounts and API tokens: creation, sign-in checks and token look-up."""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from sqlalchemy import bindparam, select

from supplies.extensions import db
from supplies.models import ApiToken, Site, User
from supplies.models.user import ROLES
from supplies.services import audit, clock
from supplies.services import validation as v
from supplies.services.errors import Conflict, ValidationFailed
from supplies.services.unit_of_work import transaction

MIN_PASSWORD_LENGTH = 12
# Refreshing last_used_at on every call would turn each read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def check_password_rules(password) -> None:
    """Refuse passwords that are short or common."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "Password too short.",
            {"password": f"must be at least {MIN_PASSWORD_LENGTH} characters"},
        )


def create_user(
    email, role, password, site_codes=(), name=None, actor_id=None, must_change=False
) -> User:
    """Create an account with a role and, for staff, the sites they work at."""
    fields = v.Fields()
    email = fields.check("email", v.text, email, 254)
    if email and "@" not in email:
        fields.fail("email", "must be an email address")
    role = fields.check("role", v.choice, role, ROLES, required=True)
    try:
        check_password_rules(password)
    except ValidationFailed as error:
        fields.errors.update(error.fields)
    sites = []
    for code in site_codes:
        site = db.session.execute(db.select(Site).where(Site.code == code)).scalar_one_or_none()
        if site is None:
            fields.fail("sites", f"no site has the code {code}")
        else:
            sites.append(site)
    if role == "staff" and not site_codes:
        fields.fail("sites", "staff need at least one site")
    fields.raise_if_any()
    email = email.lower()
    if db.session.execute(db.select(User.id).where(User.email == email)).first():
        raise Conflict(f"{email} already has an account.", {"email": "already has an account"})
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


@cache
def _token_statement():
    tokens = ApiToken.__table__
    return select(tokens.c.id, tokens.c.user_id, tokens.c.revoked_at, tokens.c.last_used_at).where(
        tokens.c.token_hash == bindparam("token_hash")
    )


def user_for_token(token: str) -> User | None:
    """The active user behind a bearer token, or None for a bad, revoked or orphaned one.

    Read on every API call (never cached), so a revoked token or a deactivated user stops
    working at once.
    """
    record = (
        db.session.connection()
        .execute(_token_statement(), {"token_hash": hash_token(token)})
        .first()
    )
    if record is None or record.revoked_at is not None:
        return None
    user = db.session.get(User, record.user_id)
    if user is None or not user.active:
        return None
    now = clock.now()
    if record.last_used_at is None or now - record.last_used_at > TOKEN_TOUCH_INTERVAL:
        with transaction():
            db.session.execute(
                db.update(ApiToken)
                .where(ApiToken.id == record.id)
                .values(last_used_at=now)
                .execution_options(synchronize_session=False)
            )
    return user
