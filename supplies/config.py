"""Configuration: safe defaults, overridden by environment variables; secrets never in the repo."""

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def _dev_secret_key() -> str:
    """Return a per-machine key kept in instance/ so development sessions survive restarts."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(overrides: dict | None = None) -> dict:
    """Build the app's settings from defaults, the environment and explicit overrides."""
    overrides = overrides or {}
    env = os.environ
    app_env = overrides.get("APP_ENV", env.get("APP_ENV", "production"))
    testing = bool(overrides.get("TESTING", False))
    database_url = env.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'supplies.db'}")
    settings = {
        "APP_ENV": app_env,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "EXPORT_DIR": env.get("EXPORT_DIR", str(PROJECT_ROOT / "exports")),
        "APP_TIMEZONE": env.get("APP_TIMEZONE", "UTC"),
        "SUPPRESS_BELOW": int(env.get("SUPPRESS_BELOW", "11")),
        "PROGRAM_NAME": env.get("PROGRAM_NAME", "Harm Reduction Program"),
        "SQLITE_BUSY_TIMEOUT_MS": int(env.get("SQLITE_BUSY_TIMEOUT_MS", "30000")),
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Signed-in sessions end after this long without a request (default 12 hours).
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "720")),
        # Sign-in throttle, per account and per client address: free tries, then doubling waits.
        "SIGN_IN_FREE_ATTEMPTS": int(env.get("SIGN_IN_FREE_ATTEMPTS", "5")),
        # Raise where many staff share one address (an office behind NAT).
        "SIGN_IN_ADDRESS_FREE_ATTEMPTS": int(env.get("SIGN_IN_ADDRESS_FREE_ATTEMPTS", "5")),
        "SIGN_IN_DELAY_SECONDS": int(env.get("SIGN_IN_DELAY_SECONDS", "30")),
        "SIGN_IN_MAX_DELAY_SECONDS": int(env.get("SIGN_IN_MAX_DELAY_SECONDS", "900")),
        "SIGN_IN_FORGET_SECONDS": int(env.get("SIGN_IN_FORGET_SECONDS", "86400")),
        "PASSWORD_RESET_HOURS": int(env.get("PASSWORD_RESET_HOURS", "24")),
        # How many reverse proxies set X-Forwarded-For/-Proto in front of the app (0: none).
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_SORT_KEYS": False,
    }
    secret_key = env.get("SECRET_KEY")
    if secret_key:
        settings["SECRET_KEY"] = secret_key
    settings.update(overrides)
    # A pooled connection to a server can die with the server (a restart, a failover): test
    # it at checkout. An SQLite file has no server to lose, and the ping would cost a
    # statement per request.
    settings.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        {"pool_pre_ping": not str(settings["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")},
    )
    if not settings.get("SECRET_KEY"):
        if testing or app_env == "testing":
            settings["SECRET_KEY"] = secrets.token_hex(32)
        elif app_env == "development":
            settings["SECRET_KEY"] = _dev_secret_key()
        else:
            raise RuntimeError(
                "SECRET_KEY must be set outside development and tests "
                "(or set APP_ENV=development on a developer's machine)."
            )
    return settings
