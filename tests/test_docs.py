"""The reference docs live in the repository: every `*.md` that code, templates, scripts, tests,
solutions or the README name exists, so that a person who clones the repo can follow it."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["wizard", "templates", "static", "tests", "solutions", "migrations", "docs", ".ci"]
NAMED_MD = re.compile(r"(?<![\w/.-])((?:\.\./)*[\w./-]*\w\.md)\b")


def _texts():
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / ".importlinter"]
    for folder in SOURCES:
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in
                  (".py", ".html", ".js", ".css", ".md", ".yaml", ".graphql", ".ini", "") and "__pycache__" not in p.parts]
    return [(p, p.read_text(encoding="utf-8", errors="replace")) for p in files if p.exists()]


def test_every_named_markdown_file_is_in_the_repository():
    missing = []
    for path, text in _texts():
        for name in NAMED_MD.findall(text):
            candidates = [path.parent / name, ROOT / name, ROOT / "docs" / Path(name).name if "/" not in name else None]
            if not any(c is not None and c.resolve().is_file() and c.resolve().is_relative_to(ROOT)
                       for c in candidates):
                missing.append(f"{path.relative_to(ROOT)}: {name}")
    assert not missing, missing


def test_the_reference_docs_exist_and_the_readme_points_there():
    readme = (ROOT / "README.md").read_text()
    for name in ("api.md", "events.md", "solution-format.md", "services.md", "architecture.md"):
        assert (ROOT / "docs" / name).is_file()
        assert f"docs/{name}" in readme
