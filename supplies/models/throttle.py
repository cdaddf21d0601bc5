"""Failed sign-in counters, kept in the database so every app server sees the same ones."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db
from supplies.models.types import UTCDateTime


class SignInThrottle(db.Model):
    """Recent failed sign-ins for one account or one client address."""

    __tablename__ = "sign_in_throttles"

    # "account:<sha256 of email>" or "address:<sha256 of address>": no raw emails or IPs.
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
