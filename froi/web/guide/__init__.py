"""The pages that explain the service: the start page (``/``: what the service does, what
FROI is, and the three ways in) and the glossary (``/glossary``), which every figure's
label on a results page links to (:data:`TERMS`, by anchor)."""

from __future__ import annotations

from flask import Blueprint, render_template

from .glossary import TERMS

bp = Blueprint("guide", __name__)


@bp.get("/")
def start() -> str:
    return render_template("guide/start.html")


@bp.get("/glossary")
def glossary() -> str:
    return render_template("guide/glossary.html", terms=TERMS)


blueprints = (bp,)
