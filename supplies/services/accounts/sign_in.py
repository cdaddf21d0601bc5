"""Signing in: password check, throttling of repeated failures, and the audit of both.

Throttle state lives in the database (not in memory) so that several app servers behind
one load balancer count the same failures. Keys are hashes: no raw email or address is
stored by the throttle.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from supplies.extensions import db
from supplies.models import SignInThrottle, User
from supplies.services.common import clock
from supplies.services.db import audit
from supplies.services.db.unit_of_work import transaction


@dataclass(frozen=True)
class SignInOutcome:
    """The signed-in user, or None with how long the caller must wait (0: just wrong)."""

    user: User | None
    wait_seconds: int = 0


def _setting(name: str) -> int:
    return int(current_app.config[name])


def throttle_keys(email: str, address: str | None) -> list[str]:
    """The account key and the client address key a sign-in attempt counts against."""
    keys = ["account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()]
    if address:
        keys.append("address:" + hashlib.sha256(address.encode()).hexdigest())
    return keys


def delay_after(failures: int, key: str = "account:") -> timedelta:
    """How long to wait after this many failures: none for the first few, then doubling."""
    setting = (
        "SIGN_IN_ADDRESS_FREE_ATTEMPTS" if key.startswith("address:") else "SIGN_IN_FREE_ATTEMPTS"
    )
    free = _setting(setting)
    if failures < free:
        return timedelta(0)
    seconds = _setting("SIGN_IN_DELAY_SECONDS") * 2 ** min(failures - free, 20)
    return timedelta(seconds=min(seconds, _setting("SIGN_IN_MAX_DELAY_SECONDS")))


def _forget_before(now: datetime) -> datetime:
    return now - timedelta(seconds=_setting("SIGN_IN_FORGET_SECONDS"))


def wait_seconds(keys: list[str], now: datetime | None = None) -> int:
    """Seconds until another attempt is allowed for these keys (0: allowed now)."""
    now = now or clock.now()
    rows = db.session.execute(
        db.select(SignInThrottle).where(
            SignInThrottle.key.in_(keys), SignInThrottle.last_failed_at >= _forget_before(now)
        )
    ).scalars()
    wait = 0.0
    for row in rows:
        remaining = (row.last_failed_at + delay_after(row.failures, row.key) - now).total_seconds()
        wait = max(wait, remaining)
    return int(wait) + 1 if wait > 0 else 0


def _count_failure(key: str, now: datetime) -> None:
    """Add one failure to a key atomically; a stale counter starts again at one."""
    table = SignInThrottle.__table__
    update = (
        db.update(table)
        .where(table.c.key == key)
        .values(
            failures=db.case(
                (table.c.last_failed_at < _forget_before(now), 1), else_=table.c.failures + 1
            ),
            last_failed_at=now,
        )
    )
    if db.session.execute(update).rowcount:
        return
    try:
        with transaction():
            db.session.execute(db.insert(table).values(key=key, failures=1, last_failed_at=now))
    except IntegrityError:
        # Another server inserted the same key a moment ago: count on its row.
        db.session.execute(update)


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not a real password, only for even timing", method=method)


def authenticate(email: str, password: str, address: str | None) -> SignInOutcome:
    """Check a sign-in; failures are counted and audited, and answer alike for any email."""
    email = (email or "").strip().lower()
    keys = throttle_keys(email, address)
    user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
    actor_id = user.id if user else None
    wait = wait_seconds(keys)
    if wait:
        with transaction():
            audit.record(actor_id, "auth.sign_in_throttled", "user", actor_id)
        return SignInOutcome(None, wait)
    if user is None:
        # Spend the time a real check takes, so a missing account cannot be told by timing.
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        check_password_hash(_dummy_hash(method), password or "")
        ok = False
    else:
        ok = user.check_password(password or "") and user.active
    now = clock.now()
    with transaction():
        if ok:
            db.session.execute(db.delete(SignInThrottle).where(SignInThrottle.key == keys[0]))
            audit.record(user.id, "auth.sign_in", "user", user.id)
        else:
            for key in keys:
                _count_failure(key, now)
            audit.record(actor_id, "auth.sign_in_failed", "user", actor_id)
    return SignInOutcome(user if ok else None)
