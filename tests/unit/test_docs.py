"""The project's documents stand alone: every rule id the code cites is defined in
docs/requirements.md, every link between documents leads to a file of the repository, and no
text points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULE_ID = re.compile(r"\bR-\d+\.\d+[a-z]?\b")
# A markdown link to a file of the repository: [text](path) or [text](path#anchor).
LINK = re.compile(r"\]\((?!https?://|#)([^)#\s]+)(?:#[^)]*)?\)")
# Spelled in two parts so that this file does not match itself.
OUTSIDE = ("../" + "shared", "/" + "work/")
SKIPPED_DIRS = {".venv", "__pycache__", ".git", ".mypy_cache", ".ruff_cache", ".pytest_cache",
                ".hypothesis", "results", "fixtures"}


def texts(*tops: str) -> list[Path]:
    files: list[Path] = []
    for top in tops:
        path = ROOT / top
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        files += [f for f in candidates if f.is_file()
                  and not SKIPPED_DIRS.intersection(f.relative_to(ROOT).parts)
                  and not any(part.endswith(".egg-info") for part in f.parts)
                  and f.suffix in {".md", ".py", ".txt", ".toml", ""}]
    return files


def defined_rule_ids() -> set[str]:
    requirements = (ROOT / "docs" / "requirements.md").read_text(encoding="utf-8")
    rows = [line for line in requirements.splitlines() if line.startswith("| R-")]
    return {rule for row in rows for rule in RULE_ID.findall(row.split("|")[1])}


def test_every_rule_id_in_the_code_and_the_docs_is_a_requirement_of_docs_requirements_md() -> None:
    defined = defined_rule_ids()
    assert {"R-4.6", "R-6.1a", "R-6.2"} <= defined
    cited = {(rule, str(f.relative_to(ROOT)))
             for f in texts("src", "docs", "README.md")
             for rule in RULE_ID.findall(f.read_text(encoding="utf-8"))}
    assert sorted((rule, where) for rule, where in cited if rule not in defined) == []


def test_every_link_in_the_readme_and_the_docs_leads_to_a_file_of_the_repository() -> None:
    broken = []
    for f in texts("README.md", "docs", "bench/README.md"):
        if f.suffix != ".md":
            continue
        text = f.read_text(encoding="utf-8")
        targets = LINK.findall(text) + re.findall(r"`(docs/[\w./-]+\.(?:md|txt))`", text)
        for target in targets:
            base = ROOT if target.startswith("docs/") else f.parent
            if not (base / target).resolve().is_file():
                broken.append((str(f.relative_to(ROOT)), target))
    assert broken == []


def test_nothing_in_the_repository_points_outside_it() -> None:
    hits = [(str(f.relative_to(ROOT)), number, marker)
            for f in texts("README.md", "pyproject.toml", "docs", "src", "tests", "bench", ".ci")
            for number, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
            for marker in OUTSIDE if marker in line]
    assert hits == []
