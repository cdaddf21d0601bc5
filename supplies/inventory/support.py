"""What only the stock screens need; what blueprints share is in supplies.web."""


def line_is_used(line) -> bool:
    """A receipt line counts once anything but its funding source is filled in."""
    return any((line.supply.data, line.quantity.data, line.lot_number.data, line.expires_on.data))
