"""A stock note refuses what can only be a person's details, and keeps notes about stock."""

import pytest

from supplies.services.common import validation
from supplies.services.common.errors import ValidationFailed

A_PERSON = [
    "Maria Lopez DOB 3/4/1990 took it",
    "her phone 555-123-4567",
    "call (555) 123-4567",
    "555.123.4567",
    "1 555 123 4567",
    "tel 5551234567",
    "55 1234 5678",
    "+52 1 55 1234 5678",
    "+44 20 7946 0958",
    "maria@example.org",
    "maria@gmail",
    "SSN 123-45-6789",
    "123 45 6789",
    "3/4/1990",
    "3/4/90",
    "01/02/2010",
    "1990-03-04",
    "Jan 5 1985",
    "January 5th, 1985",
    "5 de enero de 1985",
    "DOB85",
    "D.O.B. 1/1/80",
    "born 1988",
    "her birthday",
    "fecha de nacimiento 04/03/1990",
    "nació en 1990",
]
ABOUT_STOCK = [
    "left in the van overnight",
    "box 12 of 24 wet, expired 11/30/2026",
    "expired 11/30/26",
    "expired Jan 5 2026",
    "shipment 2026-12-01 short 5",
    "recall per FDA notice NDC 69547-353-02",
    "NDC 6954735302",
    "returns 1-800-438-1985",
    "(800) 555-0199",
    "Recall: manufacturer phone 1-800-555-1234",
    "exp 12/31/30 lot AB123",
    "+1 800 438 1985",
    "PO 1234567890",
    "order #5551234567",
    "LOT5551234567",
    "1Z999AA10123456784",
    "12 boxes@$45.50",
    "kits@2.5/ea",
    "1,000 strips, 3 boxes of 10",
    "Birth Center donation",
    "airborne dust",
]


@pytest.mark.parametrize("note", A_PERSON)
def test_a_persons_details_are_refused(note):
    with pytest.raises(ValidationFailed):
        validation.stock_note(note, 200)


@pytest.mark.parametrize("note", ABOUT_STOCK)
def test_a_note_about_stock_is_kept(note):
    assert validation.stock_note(f"  {note} ", 200) == note


def test_no_note_is_none_and_a_long_one_is_refused():
    assert validation.stock_note("", 200) is None and validation.stock_note(None, 200) is None
    with pytest.raises(ValidationFailed):
        validation.stock_note("x" * 201, 200)
