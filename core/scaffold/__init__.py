"""``consentdesk new-plugin provider NAME``: a working provider distribution to adapt."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent / "provider"
# template file -> path in the new distribution ($name is the plugin's name)
LAYOUT = {
    "setup.cfg.tmpl": "setup.cfg",
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "__init__.py.tmpl": "consentdesk_$name/__init__.py",
    "test_provider.py.tmpl": "tests/test_$name.py",
}
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


def new_provider(name: str, parent: Path) -> Path:
    """Write ``parent/<name>``; refuse a bad name or an existing folder."""
    if not NAME.match(name):
        raise ValueError("NAME must be 2-31 lowercase letters, digits or _, starting with a letter")
    target = parent / name
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    values = {"name": name, "upper": name.upper(), "title": name.replace("_", " ").title(),
              "classname": "".join(part.title() for part in name.split("_"))}
    for template, relative in LAYOUT.items():
        path = target / Template(relative).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template((TEMPLATES / template).read_text()).substitute(values))
    return target
