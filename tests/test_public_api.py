"""The public surface is exactly what README.md documents (as httpx tests its own exports)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"server": "mock_server", "client": "client", "contracts": "contracts"}
FOLDERS |= {"scenarios": "scenarios", "": "nemo_mock"}
OLD_TOP_LEVEL = ("mock_server", "client", "contracts", "scenarios")
# real folders under nemo_mock/
SUBPACKAGES = ("nemo_mock.contract_suite", "nemo_mock.proxy", "nemo_mock.report")


def documented() -> dict[str, list[str]]:
    """README's "Python API" list: `- `module`: `name`, ...` items, continued on indented lines."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Python API", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"^- `([\w.]+)`: (.*?)(?=^- |\Z)", section, flags=re.M | re.S)
    return {module: re.findall(r"`(\w+)`", names) for module, names in items}


def test_the_readme_documents_every_package() -> None:
    """Each installed package has its public names listed in README.md."""
    expected = {"nemo_mock", *(f"nemo_mock.{p}" for p in FOLDERS if p), *SUBPACKAGES}
    assert set(documented()) == expected


# imported while pytest collects, before any test starts a thread: pytest rewrites the asserts
# of the plugin's distribution (nemo_mock) on import with ast.parse, which CPython 3.11.7 cannot
# run beside another thread doing the same (see _parse_imports)
MODULES = {name: importlib.import_module(name) for name in documented()}


@pytest.mark.parametrize("module", sorted(documented()))
def test_all_is_exactly_what_the_readme_documents(module: str) -> None:
    """`__all__` is sorted, every name exists, and it equals the README's list."""
    mod = MODULES[module]
    assert mod.__all__ == sorted(mod.__all__)
    assert all(hasattr(mod, name) for name in mod.__all__)
    assert sorted(mod.__all__) == sorted(documented()[module])


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) of every absolute import in a file (parsed at collection)."""
    return _IMPORTS[path] if path in _IMPORTS else _parse_imports(path)


def _parse_imports(path: Path) -> list[tuple[int, str]]:
    # CPython 3.11.7's ast.parse is not thread-safe (gh-106905: "AST constructor recursion
    # depth mismatch" when another thread compiles at the same moment, e.g. a live server of an
    # earlier test importing lazily): the files are parsed once, while pytest collects
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


SHIPPED = sorted(p for folder in FOLDERS.values() for p in (ROOT / folder).rglob("*.py"))
_IMPORTS = {p: _parse_imports(p) for p in SHIPPED}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_code_imports_only_the_installed_names(path: Path) -> None:
    """No shipped module imports `client`, `contracts`, ... as top-level packages."""
    bad = [(n, m) for n, m in _imports(path) if m.split(".")[0] in OLD_TOP_LEVEL]
    assert not bad


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_reaches_into_another_packages_private_names(path: Path) -> None:
    """A private module or name (`_x`) is only imported from inside its own package."""
    folder = path.relative_to(ROOT).parts[0]
    own = next(f"nemo_mock.{k}" if k else "nemo_mock" for k, v in FOLDERS.items() if v == folder)
    bad = []
    for line, name in _imports(path):
        parts = name.split(".")
        if parts[0] != "nemo_mock" or name.startswith(own + "."):
            continue
        if any(p.startswith("_") and not p.startswith("__") for p in parts):
            bad.append((line, name))
    assert not bad
