"""Helpers for the stock screens: sign in a role, post a form with its CSRF token and id."""

import re

import pytest
from flask import g, has_app_context

from tests.conftest import csrf_token_from


def _fresh_request_globals() -> None:
    # The tests' app context is shared by the client's requests, and Flask-WTF and
    # Flask-Login cache the CSRF token and the user in g: forget them, as a new request would.
    if has_app_context():
        g.pop("csrf_token", None)
        g.pop("_login_user", None)


class Screens:
    """Drives the HTML forms of the stock screens like a browser would."""

    def __init__(self, client, auth):
        self.client = client
        self.auth = auth

    def login(self, email: str):
        """Sign in through the real form."""
        _fresh_request_globals()
        response = self.auth.login(email)
        assert response.status_code == 302
        return response

    def sign_out(self):
        """Sign out with the header's form."""
        _fresh_request_globals()
        response = self.auth.logout()
        _fresh_request_globals()
        return response

    def get(self, url: str, **params):
        """GET a page."""
        _fresh_request_globals()
        return self.client.get(url, query_string=params or None)

    def post(self, url: str, data: dict, page_url: str | None = None, **kwargs):
        """POST a form with the CSRF token and operation id of the page it comes from."""
        _fresh_request_globals()
        page = self.client.get(page_url or url).get_data(as_text=True)
        body = {"csrf_token": csrf_token_from(page)}
        op = re.search(r'name="op" type="hidden" value="([^"]*)"', page) or re.search(
            r'name="op" value="([^"]*)"', page
        )
        if op:
            body["op"] = op.group(1)
        body.update(data)
        return self.client.post(url, data=body, **kwargs)


@pytest.fixture
def screens(client, auth):
    """The screen driver for the test client."""
    return Screens(client, auth)


def text(response) -> str:
    """A response's HTML as text."""
    return response.get_data(as_text=True)
