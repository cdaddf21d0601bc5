"""Signed-in sessions, held server-side: started at sign-in, ended at sign-out, 12 h at most.

The session cookie (signed with SECRET_KEY) carries a random session id; the database keeps
only its SHA-256, with the account and the moment the session ends whatever happens
(SESSION_MAX_HOURS after sign-in). Each request reads the user and the session row in one
indexed statement and writes nothing; the idle limit (SESSION_IDLE_MINUTES) stays in the
cookie, refreshed at most once a minute.
"""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, select

from supplies.extensions import db
from supplies.models import User, UserSession
from supplies.services.common import clock
from supplies.services.db.unit_of_work import transaction

# The cookie's session id: 256 random bits, URL-safe (43 characters).
SESSION_ID_LENGTH = 43


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(user: User) -> str:
    """Open a session for the account; the returned id goes in the cookie and nowhere else."""
    session_id = secrets.token_urlsafe(32)
    now = clock.now()
    hours = float(current_app.config["SESSION_MAX_HOURS"])
    with transaction():
        # Sign-in is a write anyway: sweep the sessions whose absolute limit has passed.
        db.session.execute(db.delete(UserSession).where(UserSession.expires_at <= now))
        db.session.add(
            UserSession(
                id=_hash(session_id),
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
    return session_id


def end(session_id) -> None:
    """End one session (signing out): a copy of its cookie stops working at once."""
    if not _well_formed(session_id):
        return
    with transaction():
        db.session.execute(db.delete(UserSession).where(UserSession.id == _hash(session_id)))


def end_all(user_id: int) -> None:
    """End every session of an account (inside the caller's transaction)."""
    db.session.execute(db.delete(UserSession).where(UserSession.user_id == user_id))


@cache
def _user_statement():
    return (
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.id == bindparam("session_hash"),
            User.id == bindparam("user_id"),
            UserSession.expires_at > bindparam("now"),
        )
    )


def _well_formed(session_id) -> bool:
    return (
        isinstance(session_id, str)
        and len(session_id) == SESSION_ID_LENGTH
        and session_id.isascii()
    )


def user_for(user_id: int, session_id) -> User | None:
    """The account of a live session (one indexed read), or None when ended or expired."""
    if not _well_formed(session_id):
        return None
    parameters = {"session_hash": _hash(session_id), "user_id": user_id, "now": clock.now()}
    return db.session.execute(_user_statement(), parameters).scalar_one_or_none()
