"""The panel's own static files and its theme, served by the app: no page asks another host.

Flask-Admin's Bootswatch themes start by importing their web font from a font service; the
theme is served here without that import, and the font (Lato) from ``static/fonts``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from flask import Blueprint, Response, abort

blueprint = Blueprint("consentdesk_admin", __name__, template_folder="templates",
                      static_folder="static", static_url_path="/admin-assets")
IMPORT = re.compile(rb"@import\s+url\([^)]*\);?")


@lru_cache(maxsize=8)
def _theme(swatch: str) -> bytes:
    path = "bootstrap/bootstrap4/css/bootstrap.min.css" if swatch == "default" else \
        f"bootstrap/bootstrap4/swatch/{swatch}/bootstrap.min.css"
    css = resources.files("flask_admin").joinpath("static", *path.split("/")).read_bytes()
    return IMPORT.sub(b"", css)


@blueprint.get("/admin-assets/theme/<swatch>.css")
def theme_css(swatch: str) -> Response:
    if not re.fullmatch(r"[a-z]+", swatch):
        abort(404)
    try:
        css = _theme(swatch)
    except FileNotFoundError:
        abort(404)
    response = Response(css, mimetype="text/css")
    response.cache_control.max_age = 86400
    response.cache_control.public = True
    return response
