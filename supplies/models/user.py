"""People who use the program (staff, not participants) and their API tokens."""

from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from supplies.extensions import db
from supplies.models.types import UTCDateTime, utcnow

user_sites = Table(
    "user_sites",
    db.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("site_id", ForeignKey("sites.id"), primary_key=True),
)


class User(UserMixin, db.Model):
    """An account with one role and, for staff, the sites they work at."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    session_version: Mapped[int] = mapped_column(default=1)
    # "en" or "es"; None follows the browser (or the language switch's cookie).
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The distribution site used last: a person with several sites lands there.
    last_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))

    # Loaded on first use: only staff checks need it, and every request loads the user.
    sites = relationship("Site", secondary=user_sites, lazy="select", order_by="Site.code")

    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot sign in or keep a session."""
        return self.active

    def get_id(self) -> str:
        """Tie the session to the password generation, so a reset ends old sessions."""
        return f"{self.id}.{self.session_version}"

    def set_password(self, password: str) -> None:
        """Hash and store a new password."""
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def site_ids(self) -> set[int]:
        """Ids of the sites this user is assigned to."""
        return {site.id for site in self.sites}


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80), default="API token")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined")
