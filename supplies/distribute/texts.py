"""What the distribution screen's scripts say, in the reader's language.

The page writes these as JSON in a data- attribute that static/distribute/*.js read, so no text a
person reads is written in the scripts. `{n}` and `{given}` are filled in by the script.
"""

from flask_babel import gettext as _
from flask_babel import ngettext

from supplies.services.common.validation import MAX_QUANTITY
from supplies.services.distribution.site_day import BACK_DATING_DAYS

# A place-holder the script replaces with a number or a list of supplies.
COUNT, GIVEN = "{n}", "{given}"
DAY, TIME, UNIT, QUEUED = "{day}", "{time}", "{unit}", "{queued}"


def _both(form) -> dict[str, str]:
    """The forms for one and for several, for the script to choose by its count."""
    return {"one": form(1), "other": form(2)}


def screen_texts() -> dict:
    """Every sentence the screen's scripts may show, translated for this request."""
    return {
        "check_fields": _("Please check the fields marked below."),
        "quantity_invalid": _(
            "must be a whole number from %(minimum)s to %(maximum)s",
            minimum=0,
            maximum=MAX_QUANTITY,
        ),
        "reversals_invalid": _(
            "must be a whole number from %(minimum)s to %(maximum)s", minimum=0, maximum=1000
        ),
        "nothing_given": _("enter how many of at least one supply"),
        "items_count": _both(
            lambda n: ngettext("%(count)s item", "%(count)s items", n, count=COUNT)
        ),
        "when": _("When"),
        "when_set": _("Paper tally: dated %(day)s %(time)s", day=DAY, time=TIME),
        "when_day_missing": _("give the day as well as the time"),
        "when_time_missing": _("give the time as well as the day"),
        "when_range": _(
            "must be within the last %(days)s days, not in the future", days=BACK_DATING_DAYS
        ),
        "on_hand_queued": _(
            "%(num)s %(unit)s on hand, less %(queued)s saved on this phone",
            num=COUNT,
            unit=UNIT,
            queued=QUEUED,
        ),
        "server_answered": _("The server answered %(status)s.", status=COUNT),
        "offline": _("Offline."),
        "waiting": _("Saved on this phone, waiting to sync (%(num)s).", num=COUNT),
        "sign_in_as_author": _("Sign in as the person who logged them"),
        "sign_in_again": _("Sign in again to send them"),
        "need_attention": _both(
            lambda n: ngettext(
                "%(count)s distribution needs your attention below.",
                "%(count)s distributions need your attention below.",
                n,
                count=COUNT,
            )
        ),
        "all_synced": _("All distributions are synced."),
        "fix_and_send": _("Fix and send again"),
        "discard": _("Discard"),
        "discard_question": _(
            "Discard this distribution (%(given)s)? It was never recorded.", given=GIVEN
        ),
        "saved_offline": _(
            "Saved on this phone: %(given)s. It will be sent when the connection is back.",
            given=GIVEN,
        ),
        "sign_out_question": _both(
            lambda n: ngettext(
                "%(count)s distribution has not been sent yet. Signing out deletes it from "
                "this phone. Sign out anyway?",
                "%(count)s distributions have not been sent yet. Signing out deletes them "
                "from this phone. Sign out anyway?",
                n,
                count=COUNT,
            )
        ),
    }
