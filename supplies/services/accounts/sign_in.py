"""Signing in: password check, throttling of repeated failures, and the audit of both.

The throttle keeps guessing slow without a lockout that strangers control:

- A *known device* (one that signed in to the account before: it holds a signed device
  token for it) is slowed only by its own failures. No one elsewhere can lock it out.
- Any other client is slowed per account *and address* pair, and per address: after the
  free attempts, waits double from SIGN_IN_DELAY_SECONDS up to SIGN_IN_MAX_DELAY_SECONDS.
  Only whoever is at that address waits.
- After SIGN_IN_ACCOUNT_FREE_ATTEMPTS failures on one account from anywhere (a guesser with
  many addresses), every attempt on it from a device it does not know must first wait its
  own turn (up to SIGN_IN_ACCOUNT_MAX_DELAY_SECONDS): the client gets a ticket that is
  good once, after the wait. Others' failures do not lengthen a ticket's wait, so the right
  password gets in after that short delay whatever strangers do; each guess costs the wait.
- Changing one's password checks the current one under the same doubling waits, per
  signed-in session.

Counters live in the database (not in memory) so that every app server counts the same
failures. Keys are HMAC-SHA256 with SECRET_KEY: no email or address can be read back
from them, nor checked against a list of guesses without the key.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from supplies.extensions import db
from supplies.models import SignInThrottle, User
from supplies.services.common import clock
from supplies.services.common import validation as v
from supplies.services.db import audit
from supplies.services.db.unit_of_work import transaction

# A ticket is good once, from the end of its wait until this much later.
TICKET_WINDOW = timedelta(minutes=10)
# A device remembers at most this many accounts (a phone shared by a few staff).
DEVICE_ACCOUNTS = 8


@dataclass(frozen=True)
class SignInOutcome:
    """The signed-in user, or None with how long the caller must wait (0: just wrong).

    ticket: the client's turn to try again once the account-wide wait is over (the caller
    keeps it and sends it back). device: the device token to keep after a success.
    """

    user: User | None
    wait_seconds: int = 0
    ticket: str | None = None
    device: str | None = None


def _setting(name: str) -> int:
    return int(current_app.config[name])


def keyed(kind: str, *parts: str) -> str:
    """A throttle key: the kind, then an HMAC of the parts with the secret key."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    material = "\x1f".join((kind, *parts)).encode()
    return f"{kind}:{hmac.new(secret, material, hashlib.sha256).hexdigest()}"


def _email(email) -> str:
    return (email or "").strip().lower() if isinstance(email, str) else ""


def throttle_keys(email: str, address: str | None) -> dict[str, str]:
    """The keys an attempt from an unknown device counts against, by kind."""
    email = _email(email)
    keys = {"account": keyed("account", email)}
    if address:
        keys["pair"] = keyed("pair", email, address)
        keys["address"] = keyed("address", address)
    return keys


def _free_attempts(key: str) -> int:
    kind = key.partition(":")[0]
    setting = {
        "address": "SIGN_IN_ADDRESS_FREE_ATTEMPTS",
        "account": "SIGN_IN_ACCOUNT_FREE_ATTEMPTS",
    }.get(kind, "SIGN_IN_FREE_ATTEMPTS")
    return _setting(setting)


def delay_after(failures: int, key: str = "pair:") -> timedelta:
    """How long to wait after this many failures: none for the first few, then doubling."""
    free = _free_attempts(key)
    if failures < free:
        return timedelta(0)
    cap = _setting(
        "SIGN_IN_ACCOUNT_MAX_DELAY_SECONDS"
        if key.startswith("account:")
        else "SIGN_IN_MAX_DELAY_SECONDS"
    )
    seconds = _setting("SIGN_IN_DELAY_SECONDS") * 2 ** min(failures - free, 20)
    return timedelta(seconds=min(seconds, cap))


def _forget_before(now: datetime) -> datetime:
    return now - timedelta(seconds=_setting("SIGN_IN_FORGET_SECONDS"))


def _rows(keys, now: datetime) -> list[SignInThrottle]:
    return list(
        db.session.execute(
            db.select(SignInThrottle).where(
                SignInThrottle.key.in_(list(keys)),
                SignInThrottle.last_failed_at >= _forget_before(now),
            )
        ).scalars()
    )


def wait_seconds(keys, now: datetime | None = None) -> int:
    """Seconds until another attempt is allowed for these keys (0: allowed now)."""
    now = now or clock.now()
    wait = 0.0
    for row in _rows(keys, now):
        remaining = (row.last_failed_at + delay_after(row.failures, row.key) - now).total_seconds()
        wait = max(wait, remaining)
    return _whole_seconds(wait)


def _whole_seconds(seconds: float) -> int:
    return int(seconds) + 1 if seconds > 0 else 0


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


def _forget(keys) -> None:
    db.session.execute(db.delete(SignInThrottle).where(SignInThrottle.key.in_(list(keys))))


# --- known devices -------------------------------------------------------------------------


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="sign-in-device")


def _read_device(token) -> tuple[str | None, list[str]]:
    """The device id and the accounts it signed in to (as keys), from its signed token."""
    if not isinstance(token, str) or not token or len(token) > 4096:
        return None, []
    try:
        value = _device_serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None, []
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        return None, []
    accounts = [a for a in value.get("accounts", []) if isinstance(a, str)]
    return value["id"], accounts


def remember_device(token, email: str) -> str:
    """The device token after a successful sign-in: this account is known to it from now."""
    device_id, accounts = _read_device(token)
    device_id = device_id or secrets.token_urlsafe(16)
    account = keyed("account", _email(email))
    accounts = [account, *(a for a in accounts if a != account)][:DEVICE_ACCOUNTS]
    return _device_serializer().dumps({"id": device_id, "accounts": accounts})


def _known_device_key(token, email: str) -> str | None:
    """The device's own throttle key when it signed in to this account before, else None."""
    device_id, accounts = _read_device(token)
    if device_id is None or keyed("account", email) not in accounts:
        return None
    return keyed("device", device_id, email)


# --- the account-wide wait: tickets -------------------------------------------------------


def _ticket_key(ticket, email: str) -> str | None:
    if not isinstance(ticket, str) or not 10 <= len(ticket) <= 64:
        return None
    return keyed("ticket", ticket, email)


def _take_turn(ticket, email: str, delay: timedelta, now: datetime) -> tuple[bool, int, str]:
    """Whether the client's ticket lets this attempt through now (using it up); if not, how
    long it must wait and the ticket to come back with (an existing one, or a new one)."""
    key = _ticket_key(ticket, email)
    row = db.session.get(SignInThrottle, key) if key else None
    if row is not None:
        ready = row.last_failed_at
        if now < ready:
            return False, _whole_seconds((ready - now).total_seconds()), ticket
        if now <= ready + TICKET_WINDOW:
            with transaction():
                used = db.session.execute(
                    db.delete(SignInThrottle).where(SignInThrottle.key == key)
                ).rowcount
            if used == 1:  # not used a moment ago by another request with the same ticket
                return True, 0, ""
    ticket = secrets.token_urlsafe(24)
    with transaction():
        stale = now - TICKET_WINDOW - timedelta(seconds=_setting("SIGN_IN_MAX_DELAY_SECONDS"))
        db.session.execute(
            db.delete(SignInThrottle).where(
                SignInThrottle.key.like("ticket:%"), SignInThrottle.last_failed_at < stale
            )
        )
        db.session.execute(
            db.insert(SignInThrottle).values(
                key=keyed("ticket", ticket, email), failures=0, last_failed_at=now + delay
            )
        )
    return False, _whole_seconds(delay.total_seconds()), ticket


# --- signing in -----------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not a real password, only for even timing", method=method)


def _spend_hash_time(password) -> None:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    check_password_hash(_dummy_hash(method), password if isinstance(password, str) else "")


def authenticate(email, password, address: str | None, device=None, ticket=None) -> SignInOutcome:
    """Check a sign-in; failures are counted and audited, and answer alike for any email.

    device: the client's device token (remember_device), if it has one; ticket: the turn
    it was given by an earlier answer, if any.
    """
    email = _email(email)
    keys = throttle_keys(email, address)
    # Text no one can type (a NUL byte, say) names no account; it is not looked up at all.
    user = None
    if email and v.is_plain_text(email):
        query = db.select(User).where(User.email == email)
        user = db.session.execute(query).scalar_one_or_none()
    actor_id = user.id if user else None
    now = clock.now()
    device_key = _known_device_key(device, email)
    own = [device_key] if device_key else [k for n, k in keys.items() if n != "account"]
    wait = wait_seconds(own, now)
    if not wait and device_key is None:
        rows = _rows([keys["account"]], now)
        account_delay = delay_after(rows[0].failures, rows[0].key) if rows else timedelta(0)
        if account_delay:
            through, wait, ticket = _take_turn(ticket, email, account_delay, now)
            if not through:
                _audit_throttled(actor_id)
                return SignInOutcome(None, wait, ticket=ticket)
    if wait:
        _audit_throttled(actor_id)
        return SignInOutcome(None, wait)
    if user is None:
        # Spend the time a real check takes, so a missing account cannot be told by timing.
        _spend_hash_time(password)
        ok = False
    else:
        ok = user.check_password(password if isinstance(password, str) else "") and user.active
    with transaction():
        if ok:
            _forget(own)
            audit.record(user.id, "auth.sign_in", "user", user.id)
        else:
            for key in (*own, keys["account"]):
                _count_failure(key, now)
            audit.record(actor_id, "auth.sign_in_failed", "user", actor_id)
    if not ok:
        return SignInOutcome(None)
    return SignInOutcome(user, device=remember_device(device, email))


def _audit_throttled(actor_id) -> None:
    with transaction():
        audit.record(actor_id, "auth.sign_in_throttled", "user", actor_id)


# --- the current password, when changing it -------------------------------------------------


def password_check_wait(user_id: int, session_id) -> int:
    """Seconds before this session may try the account's current password again (0: now)."""
    return wait_seconds([_password_key(user_id, session_id)])


def password_checked(user_id: int, session_id, ok: bool) -> None:
    """Count a wrong current password against the session, or clear it after a right one."""
    key = _password_key(user_id, session_id)
    with transaction():
        if ok:
            _forget([key])
        else:
            _count_failure(key, clock.now())
            audit.record(user_id, "auth.password_check_failed", "user", user_id)


def _password_key(user_id: int, session_id) -> str:
    return keyed("password", str(user_id), str(session_id or ""))
