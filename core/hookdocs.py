"""Render the hook reference (docs/hooks.md) from the hookspec docstrings.

``python -m core.hookdocs > docs/hooks.md``; a test fails when the file is stale.
"""

from __future__ import annotations

import inspect

from hooks.specs import SPEC_MODULES

HEADER = """# Hook reference

Generated from the hookspecs in `hooks/specs/` by `python -m core.hookdocs > docs/hooks.md`;
do not edit by hand. Implement a hook with `@hookimpl` from `hooks`; an implementation may
accept fewer arguments than the spec lists.
"""


def hookspecs():
    """(module, [functions]) for every spec module, in declaration order."""
    for module in SPEC_MODULES:
        functions = [
            obj
            for _name, obj in inspect.getmembers(module, inspect.isfunction)
            if obj.__module__ == module.__name__
        ]
        functions.sort(key=lambda f: f.__code__.co_firstlineno)
        yield module, functions


def render() -> str:
    parts = [HEADER]
    for module, functions in hookspecs():
        title = module.__name__.rsplit(".", 1)[-1]
        parts.append(f"\n## {title}\n\n{inspect.getdoc(module)}\n")
        for function in functions:
            signature = str(inspect.signature(function)).replace("'", "")
            parts.append(f"\n### `{function.__name__}{signature}`\n\n{inspect.getdoc(function)}\n")
    return "".join(parts)


if __name__ == "__main__":
    print(render(), end="")
