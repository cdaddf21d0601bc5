"""Two partner agencies with a partner account each, stock at HUB, and screen helpers."""

import re
import uuid

import pytest

from supplies.services.db.operations import OperationRequest
from supplies.services.partners import requests


@pytest.fixture
def agencies(make, program):
    """CLINIC and SHELTER (partner agencies), one partner each; naloxone and strips at HUB."""
    make.site("CLINIC", "partner_agency", name="Eastside Clinic", county="Alder County")
    make.site("SHELTER", "partner_agency", name="Harbor Shelter", county="Birch County")
    make.receive("HUB", "NARCAN4", 60, lot="LATE", expires_in_days=400)
    make.receive("HUB", "NARCAN4", 20, lot="EARLY", expires_in_days=90)
    make.receive("HUB", "FTS", 500)
    return {
        "clinic": make.user("clinic@example.org", "partner", sites=("CLINIC",)),
        "shelter": make.user("shelter@example.org", "partner", sites=("SHELTER",)),
        **program["users"],
    }


def op(body: dict) -> OperationRequest:
    """A fresh operation request for a service call."""
    return OperationRequest.new(str(uuid.uuid4()), body)


def submitted(user, site: str = "CLINIC", narcan: int = 10, strips: int = 100) -> str:
    """A request submitted through the service; its id."""
    items = [{"supply": "NARCAN4", "quantity": narcan}, {"supply": "FTS", "quantity": strips}]
    body = {"site": site, "items": items}
    return requests.submit(user, op(body), body).result["id"]


def fulfilled(partner, coordinator, site: str = "CLINIC", narcan: int = 10, strips: int = 100):
    """A request submitted and sent from HUB in full; its id."""
    request_id = submitted(partner, site, narcan, strips)
    requests.fulfil(coordinator, op({"f": request_id}), request_id, {"from_site": "HUB"})
    return request_id


def line_fields(page: str, prefix: str = "lines") -> dict[str, str]:
    """The supply code of each quantity line of a form: {supply code: quantity field name}."""
    found = re.findall(rf'name="({prefix}-\d+)-supply" type="hidden" value="([^"]*)"', page)
    return {code: f"{name}-quantity" for name, code in found}


def form_for(page: str, supplies: dict[str, str]) -> dict[str, str]:
    """Form data sending the given units per supply code (other lines blank), lines kept."""
    fields = line_fields(page)
    data = {}
    for code, name in fields.items():
        data[name.replace("-quantity", "-supply")] = code
        data[name] = supplies.get(code, "")
    return data
