"""Password rules: long enough and not on the list of common passwords."""

import secrets
from functools import lru_cache
from pathlib import Path

from supplies.services.common.errors import ValidationFailed
from supplies.services.common.messages import msg

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[2] / "data" / "common_passwords.txt"
# Digits and symbols people tack on to a common word to pass a length rule.
_DECORATION = "0123456789!@#$%^&*()-_=+.,?~ "


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower case."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def is_common(password: str) -> bool:
    """True for a listed password, a listed word with digits or symbols around it, or a repeat."""
    lowered = password.strip().lower()
    common = common_passwords()
    candidates = {lowered, lowered.rstrip(_DECORATION), lowered.strip(_DECORATION)}
    if candidates & common:
        return True
    # "aaaaaaaaaaaa", "121212121212": long but guessed at once.
    return len(set(lowered)) <= 3


def check(password) -> None:
    """Refuse passwords that are short, overlong or common, naming the password field."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            msg("Password too short."),
            {
                "password": msg(
                    "must be at least %(length)s characters",
                    length=MIN_PASSWORD_LENGTH,
                )
            },
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            msg("Password too long."),
            {
                "password": msg(
                    "must be at most %(length)s characters",
                    length=MAX_PASSWORD_LENGTH,
                )
            },
        )
    if is_common(password):
        raise ValidationFailed(
            msg("Password too common."),
            {"password": msg("is too common; choose a longer phrase of unrelated words")},
        )


def temporary() -> str:
    """A random temporary password an admin hands over once; it must be changed at sign-in."""
    return secrets.token_urlsafe(12)
