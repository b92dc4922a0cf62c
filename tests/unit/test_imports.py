"""The modules of ``ejournal`` import one another without a cycle (import-linter's contract
in pyproject.toml), so that each can be read, and imported, before the ones that use it."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_no_module_of_ejournal_imports_itself_back() -> None:
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0
