"""Every allowed value the program stores, with its label, defined once.

A vocabulary is a tuple of codes in the order screens list them (so `code in SETTINGS`,
iteration and `", ".join(SETTINGS)` work as with any tuple) that also carries each
code's label in `labels`. A label is a lazy_gettext string, translated when shown; its
English msgid stays readable as `label.english` (the OpenAPI document and the English a
record keeps use it). Services validate against these tuples, forms build their choices
from them, `supplies.i18n.label()` shows stored codes with VALUE_LABELS, and the OpenAPI
document lists them as enums.

This module sits at the base beside the models: it imports only flask_babel.
"""

from flask_babel import gettext
from flask_babel.speaklater import LazyString


class Label(LazyString):
    """A lazy_gettext string that also keeps its English text (the catalog's msgid)."""

    def __init__(self, english: str):
        super().__init__(gettext, english)
        self.english = english


# The marker the catalog extraction looks for (babel.cfg: -k _l); same msgids as before.
_l = Label


class Vocabulary(tuple):
    """Allowed codes in order (a tuple), each with its label in `labels`."""

    labels: dict

    def __new__(cls, labels: dict):
        """A vocabulary from {code: label}, in the dict's order."""
        vocabulary = super().__new__(cls, labels)
        vocabulary.labels = dict(labels)
        return vocabulary

    def choices(self) -> list[tuple[str, object]]:
        """(code, label) pairs, for a form's choices."""
        return list(self.labels.items())

    def english(self, code: str) -> str:
        """A code's label in English (a label that is no message is its own English)."""
        label = self.labels[code]
        return getattr(label, "english", str(label))


# --- the distribution event (DESIGN.md: "Allowed values of the distribution event") ------

SETTINGS = Vocabulary(
    {
        "fixed_site": _l("Fixed site"),
        "outreach": _l("Outreach"),
        "mobile_van": _l("Mobile van"),
        "mail": _l("Mail"),
        "vending": _l("Vending"),
        "partner": _l("Partner"),
        "event": _l("Event"),
    }
)
RECIPIENT_TYPES = Vocabulary(
    {
        "person_who_uses_drugs": _l("Person who uses drugs"),
        "friend_or_family": _l("Friend or family"),
        "community_member": _l("Community member"),
        "service_provider": _l("Service provider"),
        "organization": _l("Organization"),
        "unknown": _l("Unknown"),
    }
)
FIRST_TIME = Vocabulary({"yes": _l("Yes"), "no": _l("No"), "unknown": _l("Don't know")})
AGE_BANDS = Vocabulary(
    {
        "under_18": _l("Under 18"),
        "18_24": "18–24",
        "25_34": "25–34",
        "35_44": "35–44",
        "45_54": "45–54",
        "55_64": "55–64",
        "65_plus": "65+",
        "unknown": _l("Unknown"),
    }
)
RESUPPLY_REASONS = Vocabulary(
    {
        "none": _l("Not a resupply"),
        "used_on_overdose": _l("Naloxone was used on an overdose"),
        "lost_or_stolen": _l("Lost or stolen"),
        "confiscated": _l("Confiscated"),
        "expired": _l("Expired"),
        "gave_away": _l("Gave it away"),
        "other": _l("Other"),
    }
)
# The language the participant was served in.
LANGUAGES = Vocabulary({"en": _l("English"), "es": _l("Spanish"), "other": _l("Other")})
# How a form asks for a yes-or-no answer (for_others, trained; imports' cells).
YES_NO = Vocabulary({"yes": _l("Yes"), "no": _l("No")})
# Why a distribution is voided (DESIGN.md): codes only, no text that could name someone.
# The event keeps the code; screens show its label.
VOID_REASONS = Vocabulary(
    {
        "entered_in_error": _l("Entered in error"),
        "wrong_quantity": _l("Wrong quantity"),
        "wrong_supply": _l("Wrong supply"),
        "duplicate": _l("Logged twice"),
        "participant_declined": _l("Participant did not take it"),
        "other": _l("Other"),
    }
)

# What an area of the program's list is (supplies.services.areas).
AREA_KINDS = Vocabulary({"county": _l("County"), "zip3": _l("ZIP prefix")})

# --- sites, supplies, stock --------------------------------------------------------------

SITE_KINDS = Vocabulary(
    {
        "fixed_site": _l("fixed site"),
        "outreach": _l("outreach"),
        "mobile_van": _l("mobile van"),
        "partner_agency": _l("partner agency"),
        "vending": _l("vending machine"),
        "mail": _l("mail"),
    }
)
# The site kind of a partner agency: its own users, requests and monthly reports.
PARTNER_KIND = "partner_agency"
# A distribution's setting when none is given: from the kind of its site.
SETTING_FOR_SITE_KIND = {
    "fixed_site": "fixed_site",
    "outreach": "outreach",
    "mobile_van": "mobile_van",
    "partner_agency": "partner",
    "vending": "vending",
    "mail": "mail",
}
SUPPLY_CATEGORIES = Vocabulary(
    {
        "naloxone_nasal": _l("naloxone, nasal"),
        "naloxone_injectable": _l("naloxone, injectable"),
        "nalmefene": _l("nalmefene"),
        "fentanyl_test_strip": _l("fentanyl test strips"),
        "xylazine_test_strip": _l("xylazine test strips"),
        "syringe": _l("syringes"),
        "smoking_supply": _l("smoking supplies"),
        "wound_care": _l("wound care"),
        "condom": _l("condoms"),
        "hygiene": _l("hygiene"),
        "other": _l("other"),
    }
)
# Reversal medications: they need doses per unit and lot tracking.
REVERSAL_CATEGORIES = ("naloxone_nasal", "naloxone_injectable", "nalmefene")
# The funder workbook's names of the categories (capitalised, as headings).
CATEGORY_HEADINGS = {
    "naloxone_nasal": _l("Naloxone (nasal)"),
    "naloxone_injectable": _l("Naloxone (injectable)"),
    "nalmefene": _l("Nalmefene"),
    "fentanyl_test_strip": _l("Fentanyl test strips"),
    "xylazine_test_strip": _l("Xylazine test strips"),
    "syringe": _l("Syringes"),
    "smoking_supply": _l("Smoking supplies"),
    "wound_care": _l("Wound care"),
    "condom": _l("Condoms"),
    "hygiene": _l("Hygiene"),
    "other": _l("Other"),
}
SUPPLY_UNITS = Vocabulary(
    {
        "box": _l("box"),
        "kit": _l("kit"),
        "strip": _l("strip"),
        "each": _l("each"),
        "pack": _l("pack"),
        "vial": _l("vial"),
        # One code, one label: the category's word is shown for the unit too.
        "syringe": _l("syringes"),
        "device": _l("device"),
    }
)
# A lot's status (every batch of the lot shares it).
BATCH_STATUSES = Vocabulary(
    {"available": _l("available"), "quarantined": _l("quarantined"), "recalled": _l("recalled")}
)
RECEIPT_SOURCES = Vocabulary(
    {
        "purchase": _l("purchase"),
        "donation": _l("donation"),
        "state_program": _l("state program"),
        "other": _l("other"),
    }
)
MOVEMENT_KINDS = Vocabulary(
    {
        "receive": _l("receive"),
        "transfer_out": _l("transfer out"),
        "transfer_in": _l("transfer in"),
        "distribute": _l("distribute"),
        "adjust": _l("adjust"),
        "count": _l("count"),
        "void": _l("void"),
    }
)
ADJUSTMENT_REASONS = Vocabulary(
    {
        "expired": _l("expired"),
        "damaged": _l("damaged"),
        "lost_or_stolen": _l("lost or stolen"),
        "found": _l("found"),
        "recalled": _l("recalled"),
        "used_in_training": _l("used in training"),
        "data_correction": _l("data correction"),
        "other": _l("other"),
    }
)
COUNT_STATUSES = Vocabulary(
    {"submitted": _l("submitted"), "confirmed": _l("confirmed"), "discarded": _l("discarded")}
)
# A background job's state (supplies/jobs; GET /api/v1/jobs/{id}).
JOB_STATUSES = Vocabulary(
    {"queued": _l("queued"), "running": _l("running"), "done": _l("done"), "failed": _l("failed")}
)

# --- partner agencies (DESIGN.md: Supply request, Partner report) -----------------------

# Where a partner's supply request stands.
REQUEST_STATUSES = Vocabulary(
    {
        "submitted": _l("submitted"),
        "approved": _l("approved"),
        "fulfilled": _l("fulfilled"),
        "declined": _l("declined"),
        "cancelled": _l("cancelled"),
    }
)
# Why a coordinator declines a request: codes only, no text, as for voids.
DECLINE_REASONS = Vocabulary(
    {
        "out_of_stock": _l("out of stock"),
        "not_offered_to_partners": _l("not offered to partners"),
        "duplicate_request": _l("duplicate request"),
        "quantity_too_large": _l("quantity too large"),
        "agency_not_active": _l("agency not active"),
        "other": _l("other"),
    }
)

# --- people ------------------------------------------------------------------------------

ROLES = Vocabulary(
    {
        "admin": _l("admin"),
        "coordinator": _l("coordinator"),
        "staff": _l("staff"),
        "funder": _l("funder"),
        # A partner agency's account: its own agency's requests, receipts and reports only.
        "partner": _l("partner agency"),
    }
)
# The languages of the screens and of a workbook, each named in its own words.
INTERFACE_LANGUAGES = Vocabulary({"en": "English", "es": "Español"})


def _merged(*vocabularies: Vocabulary) -> dict:
    """{code: label} over vocabularies; a code in two of them must have one label."""
    merged = {}
    for vocabulary in vocabularies:
        for code, label in vocabulary.labels.items():
            if code in merged and merged[code].english != label.english:
                raise ValueError(f"{code!r} has two labels: {merged[code]!r}, {label!r}")
            merged.setdefault(code, label)
    return merged


# Stored codes in the reader's words, for `supplies.i18n.label()` (a movement's reason is
# a receipt source, an adjustment reason, "count" or "void").
STORED_VOCABULARIES = (
    ROLES,
    BATCH_STATUSES,
    COUNT_STATUSES,
    SITE_KINDS,
    SUPPLY_CATEGORIES,
    SUPPLY_UNITS,
    MOVEMENT_KINDS,
    ADJUSTMENT_REASONS,
    RECEIPT_SOURCES,
    AREA_KINDS,
    REQUEST_STATUSES,
    DECLINE_REASONS,
)
VALUE_LABELS = _merged(*STORED_VOCABULARIES)
