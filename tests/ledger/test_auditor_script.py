"""The auditor's script of docs/reliability.md ("Tamper evidence"), run as it is printed there
against a real database, gives the application's heads: the documentation defines the chain
exactly enough to recompute it without ejournal's code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ledger.conftest import Ledgered

pytestmark = pytest.mark.storage

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def _script() -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"```python\n(# ledger_head\.py.*?)```", text, re.DOTALL)
    assert found, "the auditor's script is not in docs/reliability.md"
    return found.group(1)


def _run(tmp_path: Path, database: str, *args: str) -> str:
    script = tmp_path / "ledger_head.py"
    script.write_text(_script(), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), database, *args], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_documented_script_recomputes_the_applications_heads(
    ledgered: Ledgered, tmp_path: Path,
) -> None:
    assert len(_script().strip().splitlines()) <= 24
    settings = ledgered.database.settings
    if settings.database_url.startswith("sqlite"):
        database = settings.database_url.split(":///", 1)[1]
    else:
        database = (settings.database_url.replace("postgresql+psycopg://", "postgresql://")
                    + f"?options=-csearch_path%3D{settings.database_schema}")
    ledgered.follower.catch_up()
    head = ledgered.chain.head()
    assert _run(tmp_path, database) == f"{head.position} {head.sha256}"
    for position in (0, 1, head.position // 2):
        assert _run(tmp_path, database, str(position)) == (
            f"{position} {ledgered.chain.head_at(position).sha256}")
