"""The modules of ``ejournal`` import one another without a cycle (import-linter's contract
in pyproject.toml), so that each can be read, and imported, before the ones that use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

# In a process of its own: import-linter's command configures logging with
# ``disable_existing_loggers``, which would silence ejournal's loggers for the tests after it.
LINT = ("from importlinter.cli import lint_imports; "
        "raise SystemExit(lint_imports(config_filename=sys.argv[1], no_cache=True, "
        "no_logo=True))")


def test_no_module_of_ejournal_imports_itself_back() -> None:
    done = subprocess.run([sys.executable, "-c", f"import sys; {LINT}", str(PYPROJECT)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
