"""The stock blueprint itself; views, counts and records add their routes to it."""

from flask import Blueprint

bp = Blueprint("inventory", __name__, url_prefix="/inventory")
