"""The framework floor: a minimal Flask + Flask-SQLAlchemy endpoint that inserts one row.

Served the same way as the app (gunicorn, 2 workers, SQLite in WAL mode with the same
durability settings), it is the baseline the distribution endpoint is measured against.
"""

import os
import uuid
from datetime import datetime, timezone

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the floor app."""


db = SQLAlchemy(model_class=Base)


class Row(db.Model):
    """One inserted row per request."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


def create_app() -> Flask:
    """The floor app; FLOOR_DATABASE_URL names its database."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["FLOOR_DATABASE_URL"]
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA busy_timeout = 30000")
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.close()

    @app.post("/insert")
    def insert():
        body = request.get_json()
        row = Row(
            id=body.get("id") or str(uuid.uuid4()),
            site=body.get("site", "S001"),
            created_at=datetime.now(timezone.utc),
        )
        db.session.add(row)
        db.session.commit()
        return jsonify({"id": row.id}), 201

    return app


def create_schema() -> None:
    """Create the floor's table once, before the workers start (they would race)."""
    app = create_app()
    with app.app_context():
        db.create_all()
        db.engine.dispose()


app = create_app() if os.environ.get("FLOOR_DATABASE_URL") else None
