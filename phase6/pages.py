"""The HTML pages' templates (phase6/templates/*.j2): Jinja2 with autoescaping, so every value is escaped."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


def template(name: str) -> jinja2.Template:
    return environment().get_template(name)
