"""What portal/settings.py reads from the environment, read from its source, and where the documents list it.

The settings read the environment only through `env.<cast>("NAME", ...)`, `envbool("NAME", ...)` and
`envsecret("NAME")` (which also reads `NAME_FILE`), always with a literal name, so the names can be found without
running the settings in every mode.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "portal" / "settings.py"
README = ROOT / "README.md"
ENV_EXAMPLE = ROOT / ".env.example"
# The helpers themselves read a name they were given; every other read names its variable.
HELPERS = {"envbool", "envsecret"}


def _reads(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    """(how, call) for every read of the environment: how is "envbool", "envsecret" or "env.<cast>"."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in HELPERS:
            found.append((func.id, node))
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env":
            found.append((f"env.{func.attr}", node))
        elif isinstance(func, ast.Name) and func.id == "env":
            found.append(("env", node))
    return found


def _module_level(tree: ast.Module) -> ast.Module:
    """The settings without the bodies of the env helpers (which read whatever name they are passed)."""
    body = [node for node in tree.body if not (isinstance(node, ast.FunctionDef) and node.name in HELPERS)]
    return ast.Module(body=body, type_ignores=[])


def settings_reads() -> dict[str, str]:
    """Each environment variable the settings read -> how ("envbool", "env.str", ...)."""
    tree = _module_level(ast.parse(SETTINGS.read_text()))
    names: dict[str, str] = {}
    for how, call in _reads(tree):
        first = call.args[0] if call.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            raise AssertionError(f"portal/settings.py line {call.lineno}: {how}() with a name that is not a literal")
        names[first.value] = how
        if how == "envsecret":
            names[f"{first.value}_FILE"] = how
    return names


def other_environment_reads() -> list[str]:
    """Reads of the environment that bypass the env helpers (os.environ, os.getenv), outside the Mapping that hides
    empty values from them."""
    tree = ast.parse(SETTINGS.read_text())
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "_SetVariables":
            allowed |= {id(inner) for inner in ast.walk(node)}
    return [
        f"line {node.lineno}: os.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
        and node.attr in {"environ", "getenv", "environb"}
        and id(node) not in allowed
    ]


SETTINGS_READS = settings_reads()
BOOLEANS = {name for name, how in SETTINGS_READS.items() if how == "envbool"}


def readme_names() -> set[str]:
    """The variables named in the first column of the README's configuration table."""
    text = README.read_text()
    table = text.split("<!-- config:start -->", 1)[1].split("<!-- config:end -->", 1)[0]
    names: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def env_example_names() -> list[str]:
    return [
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def env_example_values() -> dict[str, str]:
    return {
        name: value
        for name, _, value in (line.partition("=") for line in ENV_EXAMPLE.read_text().splitlines())
        if name.strip() and not name.startswith("#")
    }
