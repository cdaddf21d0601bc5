"""Sites: the places where a program holds and hands out supplies."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from supplies.extensions import db


class Site(db.Model):
    """A fixed site, outreach team, van, partner agency, vending machine or mail channel."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    county: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Site {self.code}>"
