"""What the stock and catalog screens share: signed-in only, refusals as pages, operation ids."""

import uuid

from flask import Blueprint, render_template
from flask_login import login_required

from supplies.i18n import translate
from supplies.services.common.errors import DomainError

# A refusal naming one of these fields came from the address (/inventory/sites/XYZ): 404.
ADDRESS_FIELDS = {"site", "supply", "code"}


def refusal_page(error: DomainError):
    """A refusal outside a form (an unknown site in the address, a forbidden site): a page."""
    status = {"forbidden": 403, "not_found": 404}.get(error.code, 400)
    if error.code == "invalid" and set(error.fields) & ADDRESS_FIELDS:
        status = 404
    return render_template("error.html", error=None, message=translate(error.message)), status


def new_op_ids() -> dict:
    """new_op_id() for forms written by hand: each form gets its own operation id."""
    return {"new_op_id": lambda: str(uuid.uuid4())}


@login_required
def _signed_in():
    return None


def serve_signed_in_screens(blueprint: Blueprint) -> None:
    """Every screen of the blueprint needs a signed-in user (each view checks role and site);
    a service's refusal outside a form is a page; hand-written forms get new_op_id()."""
    blueprint.before_request(_signed_in)
    blueprint.context_processor(new_op_ids)
    blueprint.errorhandler(DomainError)(refusal_page)
