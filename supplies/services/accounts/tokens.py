"""API tokens: issued once, stored as a hash, looked up on every call, revoked at once."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import bindparam, select

from supplies.extensions import db
from supplies.models import ApiToken, User, user_sites
from supplies.services.common import clock, permissions
from supplies.services.common import validation as v
from supplies.services.common.errors import NotFound
from supplies.services.common.messages import msg
from supplies.services.db import audit
from supplies.services.db.unit_of_work import transaction

# Refreshing last_used_at on every call would turn each read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


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


def revoke_all_tokens(user_id: int) -> None:
    """Revoke every live token of an account (its password changed or was reset)."""
    db.session.execute(
        db.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def live_count(user_id: int) -> int:
    """How many tokens of an account still work (a screen says when a reset revokes them)."""
    query = db.select(db.func.count(ApiToken.id)).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)
    )
    return db.session.execute(query).scalar_one()
