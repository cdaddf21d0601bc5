"""The columns of each import, the names people give them, and the ones refused for privacy."""

import unicodedata
from dataclasses import dataclass

from supplies.services.common.messages import msg
from supplies.services.distribution.events import EVENT_FIELDS
from supplies.services.imports.reading import (
    FileRefused,
    IdentifyingColumns,
    column_letter,
    normalize_header,
)

STOCK = "stock"
DISTRIBUTIONS = "distributions"
KINDS = (STOCK, DISTRIBUTIONS)

COLUMNS = {
    STOCK: (
        "site",
        "supply",
        "lot_number",
        "expires_on",
        "funding",
        "quantity",
        "received_on",
        "source",
    ),
    DISTRIBUTIONS: ("date", "site", "supply", "quantity", "event", *EVENT_FIELDS),
}
REQUIRED = {
    STOCK: ("site", "supply", "quantity"),
    DISTRIBUTIONS: ("date", "site", "supply", "quantity"),
}
# Other names people give the same column (compared after normalize_header).
_ALIASES = {
    "sitecode": "site",
    "sitename": "site",
    "location": "site",
    "supplycode": "supply",
    "supplyname": "supply",
    "item": "supply",
    "product": "supply",
    "qty": "quantity",
    "units": "quantity",
    "lot": "lot_number",
    "lotno": "lot_number",
    "lot#": "lot_number",
    "expiry": "expires_on",
    "expires": "expires_on",
    "expiration": "expires_on",
    "expirationdate": "expires_on",
    "expirydate": "expires_on",
    "expdate": "expires_on",
    "fundingsource": "funding",
    "fundingcode": "funding",
    "fundingname": "funding",
    "fundingsourcename": "funding",
    "grant": "funding",
    "received": "received_on",
    "datereceived": "received_on",
    "receiveddate": "received_on",
    "occurredon": "date",
    "occurredat": "date",
    "datetime": "date",
    "datedistributed": "date",
    "distributedon": "date",
    "eventid": "event",
    "encounter": "event",
    "visit": "event",
    "zip": "area",
    "zipcode": "area",
    "postalcode": "area",
    "county": "area",
    "age": "age_band",
    "agegroup": "age_band",
    "agerange": "age_band",
}
# Parts of a header that mark a column as identifying a participant, and whole headers
# (short words only whole: "tel" is in "hotel"), in English and Spanish, accents ignored.
_IDENTIFYING = (
    "name",
    "birth",
    "dob",
    "phone",
    "email",
    "address",
    "street",
    "ssn",
    "socialsecurity",
    "initials",
    "medicaid",
    "client",
    "participant",
    "patient",
    "note",
    "comment",
    "gender",
    "apartment",
    # Spanish
    "nombre",
    "apellido",
    "nacimiento",
    "telefono",
    "celular",
    "correo",
    "direccion",
    "domicilio",
    "calle",
    "cliente",
    "participante",
    "paciente",
    "nota",
    "comentario",
    "genero",
    "apartamento",
)
_IDENTIFYING_EXACT = (
    "cell",
    "mobile",
    "mrn",
    "license",
    "licence",
    "tel",
    "telno",
    "apt",
    "aptno",
    "sex",
    "sexo",
    "depto",
    "fdn",
    "fechanac",
)


@dataclass(frozen=True)
class Column:
    """Where a known column sits in the sheet and what its header says there."""

    index: int
    header: str

    @property
    def label(self) -> str:
        """How an error names the column: its letter and its header, as the sheet shows them."""
        return f"{column_letter(self.index)} ({self.header})"


def canonical(kind: str, header: str) -> str | None:
    """The import's name for a header, or None when the column is not one of the kind's."""
    key = normalize_header(header)
    for name in COLUMNS[kind]:
        if key == normalize_header(name):
            return name
    name = _ALIASES.get(key)
    return name if name in COLUMNS[kind] else None


def looks_identifying(header: str) -> bool:
    """True for a header such as Name, DOB, Phone, Client ID, Notes, Gender or Teléfono."""
    key = unicodedata.normalize("NFKD", normalize_header(header))
    key = "".join(ch for ch in key if ch.isalnum() and not unicodedata.combining(ch))
    return key in _IDENTIFYING_EXACT or any(part in key for part in _IDENTIFYING)


def header_matcher(kind: str):
    """A test for the header row: it names every required column of the kind."""
    required = {normalize_header(name) for name in REQUIRED[kind]}

    def is_header(normalized: list[str]) -> bool:
        names = {normalize_header(canonical(kind, h) or h) for h in normalized}
        return required <= names

    return is_header


def map_columns(kind: str, headers: list[str], header_row: int) -> tuple[dict, list[str]]:
    """Known columns by name, and warnings about columns left out; refuses identifying ones."""
    found: dict[str, Column] = {}
    ignored, identifying = [], []
    for index, header in enumerate(headers):
        if not header:
            continue
        name = canonical(kind, header)
        if name is None:
            (identifying if looks_identifying(header) else ignored).append(header)
        elif name in found:
            raise FileRefused(
                msg(
                    "Two columns mean %(name)s: %(first)s and %(second)s. Keep one.",
                    name=name,
                    first=found[name].label,
                    second=Column(index, header).label,
                )
            )
        else:
            found[name] = Column(index, header)
    if identifying:
        raise IdentifyingColumns(
            msg(
                "This file has columns that could identify participants (%(columns)s). "
                "Nothing that identifies a person is imported or stored: delete those "
                "columns from the file and upload it again.",
                columns=", ".join(identifying),
            )
        )
    missing = [name for name in REQUIRED[kind] if name not in found]
    if missing:
        raise FileRefused(
            msg(
                "Row %(row)s (the header) lacks the column %(columns)s. Headers may differ "
                "in case, spaces and underscores (Lot Number is lot_number).",
                row=header_row,
                columns=", ".join(missing),
            )
            if len(missing) == 1
            else msg(
                "Row %(row)s (the header) lacks the columns %(columns)s. Headers may differ "
                "in case, spaces and underscores (Lot Number is lot_number).",
                row=header_row,
                columns=", ".join(missing),
            )
        )
    warnings = [
        msg("Column %(header)s is not part of this import and is left out.", header=repr(h))
        for h in ignored
    ]
    return found, warnings
