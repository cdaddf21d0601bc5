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
        # The month the program's fiscal year starts (1: calendar quarters, 10: federal).
        "FISCAL_YEAR_START": int(env.get("FISCAL_YEAR_START", "1")),
        # A reporting quarter closes this many days after it ends (an admin may reopen it).
        "REPORTING_CLOSE_DAYS": int(env.get("REPORTING_CLOSE_DAYS", "15")),
        # A site forecast to run out of a supply within this many days (the time a restock
        # takes to arrive) is flagged; see docs/forecast.md.
        "RESTOCK_LEAD_DAYS": int(env.get("RESTOCK_LEAD_DAYS", "14")),
        "PROGRAM_NAME": env.get("PROGRAM_NAME", "Harm Reduction Program"),
        "SQLITE_BUSY_TIMEOUT_MS": int(env.get("SQLITE_BUSY_TIMEOUT_MS", "30000")),
        # Background jobs: unset, they run in the app process; set, on this Redis queue
        # (see supplies/jobs/ and docs/deploy.md).
        "REDIS_URL": env.get("REDIS_URL") or None,
        "JOBS_QUEUE": env.get("JOBS_QUEUE", "supplies"),
        # Without REDIS_URL, imports run in a process of their own (1), or in a thread of
        # the app process (0: the tests' default, where starting processes would be slow).
        "JOB_PROCESSES": env.get("JOB_PROCESSES", "0" if testing else "1") == "1",
        # A running job writes a heartbeat this often; one silent for JOB_STALE_SECONDS
        # (its process gone) is tried once more, then marked failed.
        "JOB_HEARTBEAT_SECONDS": float(env.get("JOB_HEARTBEAT_SECONDS", "2")),
        "JOB_STALE_SECONDS": int(env.get("JOB_STALE_SECONDS", "60")),
        "JOB_TIMEOUT_SECONDS": int(env.get("JOB_TIMEOUT_SECONDS", "3600")),
        # Purging old files and finished jobs, and recovering stale ones, this often.
        "JOB_MAINTENANCE_SECONDS": int(env.get("JOB_MAINTENANCE_SECONDS", "300")),
        # Archived workbooks are kept this many days (0: for ever); finished jobs and the
        # files only they hold (lists of refused rows), JOB_KEEP_DAYS.
        "EXPORT_KEEP_DAYS": int(env.get("EXPORT_KEEP_DAYS", "90")),
        "JOB_KEEP_DAYS": int(env.get("JOB_KEEP_DAYS", "7")),
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Signed-in sessions end after this long without a request (default 12 hours).
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "720")),
        # ...and this long after sign-in, however busy (default 12 hours; kept server-side).
        "SESSION_MAX_HOURS": float(env.get("SESSION_MAX_HOURS", "12")),
        # Sign-in throttle (services/accounts/sign_in.py): free tries per account and address
        # pair (and per known device), then doubling waits.
        "SIGN_IN_FREE_ATTEMPTS": int(env.get("SIGN_IN_FREE_ATTEMPTS", "5")),
        # Per client address, whatever the account. Raise where many staff share one
        # address (an office behind NAT); devices that signed in before are exempt.
        "SIGN_IN_ADDRESS_FREE_ATTEMPTS": int(env.get("SIGN_IN_ADDRESS_FREE_ATTEMPTS", "5")),
        # Per account from anywhere: after these, a device the account does not know waits
        # its own turn (a ticket), at most SIGN_IN_ACCOUNT_MAX_DELAY_SECONDS.
        "SIGN_IN_ACCOUNT_FREE_ATTEMPTS": int(env.get("SIGN_IN_ACCOUNT_FREE_ATTEMPTS", "20")),
        "SIGN_IN_ACCOUNT_MAX_DELAY_SECONDS": int(
            env.get("SIGN_IN_ACCOUNT_MAX_DELAY_SECONDS", "120")
        ),
        "SIGN_IN_DELAY_SECONDS": int(env.get("SIGN_IN_DELAY_SECONDS", "30")),
        "SIGN_IN_MAX_DELAY_SECONDS": int(env.get("SIGN_IN_MAX_DELAY_SECONDS", "900")),
        "SIGN_IN_FORGET_SECONDS": int(env.get("SIGN_IN_FORGET_SECONDS", "86400")),
        "PASSWORD_RESET_HOURS": int(env.get("PASSWORD_RESET_HOURS", "24")),
        # How many reverse proxies set X-Forwarded-For/-Proto in front of the app (0: none).
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        # Responses compressed by the app itself (Flask-Compress): pages, JSON, scripts and
        # styles of 500 bytes or more, never downloads (workbooks and CSV are not listed).
        # Behind a proxy that compresses (docs/deploy.md), COMPRESS_RESPONSES=0 turns it off.
        "COMPRESS_REGISTER": env.get("COMPRESS_RESPONSES", "1") == "1",
        "COMPRESS_MIMETYPES": [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "application/manifest+json",
            "image/svg+xml",
        ],
        "COMPRESS_MIN_SIZE": 500,
        # Static files whose address carries no current hash (see supplies/web/assets.py):
        # kept this many seconds; fingerprinted ones, a year.
        "STATIC_MAX_AGE": int(env.get("STATIC_MAX_AGE", "300")),
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
