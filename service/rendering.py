"""The Jinja2 environment of the German web pages (``service/templates/``, autoescape on).

One environment for the pages (``service.web``) and the error pages
(``service.errors_web``); ``service.web`` adds its link helpers as globals and filters when
it is imported, which the app always does before serving. Corpus text is untrusted:
autoescape stays on.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi.templating import Jinja2Templates

TEMPLATE_DIR = Path(__file__).parent / "templates"

env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                         trim_blocks=True, lstrip_blocks=True)
env.filters["de_int"] = lambda n: f"{int(n):,}".replace(",", ".")
templates = Jinja2Templates(env=env)
