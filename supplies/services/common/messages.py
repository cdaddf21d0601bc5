"""Messages the services raise: English text that remembers its template and values.

A `Message` is a plain `str` (the English sentence), so logs, the CLI and tests
read it as before; it also keeps the template and the values, so the screen or
the API can look the template up in the translation catalog and fill it in
again in the reader's language (`supplies.i18n.translate`). `msg(...)` is the
marker the catalog extraction looks for (babel.cfg).
"""


class Message(str):
    """English text plus the template and values it was made from."""

    template: str
    values: dict

    def __new__(cls, template: str, **values):
        """Format the English text now; keep the parts for translation later."""
        text = template % values if values else template
        instance = super().__new__(cls, text)
        instance.template = template
        instance.values = values
        return instance


def msg(template: str, **values) -> Message:
    """A translatable message: `msg("No lot %(lot)s.", lot=number)`."""
    return Message(template, **values)


def portable(value):
    """A message as plain data (template and values) for JSON; other values as they are."""
    if isinstance(value, Message):
        return {
            "template": value.template,
            "values": {key: portable(item) for key, item in value.values.items()},
        }
    return value


def restore(value):
    """The message `portable()` wrote, translatable again; other values as they are."""
    if isinstance(value, dict) and set(value) == {"template", "values"}:
        return Message(value["template"], **{k: restore(v) for k, v in value["values"].items()})
    return value
