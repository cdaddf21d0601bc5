"""Home pages: each role lands on what it works with."""

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from supplies.inventory.support import overview_filter
from supplies.services import catalog, overview
from supplies.services import stock as stock_service

bp = Blueprint("main", __name__)


@bp.get("/home")
@login_required
def home():
    """A plain home page per role; the full screens come from their own areas."""
    if current_user.role in ("admin", "coordinator"):
        # The coordinator's home is the stock overview (issue 4).
        screen = overview.home_screen(current_user, overview_filter(request.args))
        return render_template("inventory/overview.html", welcome=True, **screen)
    sites = catalog.list_sites(current_user)
    rows = []
    if current_user.role in ("admin", "coordinator", "staff"):
        rows = stock_service.stock_rows(current_user)
    return render_template(f"main/home_{current_user.role}.html", sites=sites, stock_rows=rows)
