"""Sending a file kept in the database (services/db/files.py) as a download, a chunk at a time."""

from flask import Response, current_app

from supplies.extensions import db
from supplies.services.db import files


def send_stored(stored, download_name: str, media_type: str | None = None) -> Response:
    """An attachment response streaming the stored file from the database.

    The chunks are read after the view has returned, each under an app context of its own
    (its own short database session), so the response holds no request state while the
    server sends it.
    """
    app, file_id = current_app._get_current_object(), stored.id

    def body():
        number = 0
        while True:
            with app.app_context():
                try:
                    data = files.chunk(file_id, number)
                finally:
                    db.session.remove()
            if data is None:
                return
            yield data
            number += 1

    response = Response(body(), mimetype=media_type or stored.media_type)
    response.headers["Content-Length"] = str(stored.size)
    response.headers.set("Content-Disposition", "attachment", filename=download_name)
    return response
