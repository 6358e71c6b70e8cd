"""Comments cite only the project's own documents, and only sections that exist.

Citations look like `docs/architecture.md §4` or `docs/upstream.md §2.2-2.10, §4.9` (further
sections after one citation belong to the same document). A reference to a document outside the
repository (the old "design §N" or "upstream doc §N" style) or a bare `§N` fails the test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SKIPPED_DIRS = {".git", ".venv", ".venv-sam", ".aws-sam", "node_modules", "__pycache__"}
SKIPPED_DIRS |= {".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist"}
TEXT_SUFFIXES = {".py", ".md", ".sh", ".yaml", ".yml", ".toml", ".cfg", ".txt", ".in"}
TEXT_NAMES = {"Makefile", "run"}

FOREIGN = re.compile(
    r"\bdesign §|\bupstream( doc)? §|design\.md|upstream-tencent|style\.md|/work/shared",
    re.IGNORECASE,
)
CITED_DOC = re.compile(r"(?:docs/)?\b(architecture|upstream|decisions)\.md\b")
SECTION = re.compile(r"§(\d+(?:\.\d+)*)(?:-(\d+(?:\.\d+)*))?")


def _text_files() -> Iterator[Path]:
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info")]
        for name in files:
            path = Path(folder, name)
            # this file spells out the forbidden forms on purpose
            if (path.suffix in TEXT_SUFFIXES or name in TEXT_NAMES) and path != Path(__file__):
                yield path


def sections_of(doc: str) -> set[str]:
    """Section numbers a document defines: headings `## §3 ...` and table rows `| §4.1 |`."""
    text = (DOCS / f"{doc}.md").read_text(encoding="utf-8")
    return set(re.findall(r"^(?:#+ |\| )§(\d+(?:\.\d+)*)\b", text, re.MULTILINE))


def citations(line: str) -> Iterator[tuple[str | None, str]]:
    """(document, section) for every § on the line; None when no document precedes it."""
    doc: str | None = None
    matches = [*CITED_DOC.finditer(line), *SECTION.finditer(line)]
    for match in sorted(matches, key=lambda m: m.start()):
        if match.re is CITED_DOC:
            doc = match.group(1)
            continue
        for number in filter(None, match.groups()):  # "§2.2-2.10" cites §2.2 and §2.10
            yield doc, number


def problems_in(path: Path) -> Iterator[str]:
    relative = path.relative_to(ROOT)
    in_docs = relative.parts[0] == "docs"
    own_doc = path.stem if in_docs else None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{relative}:{number}"
        if FOREIGN.search(line):
            yield f"{where}: cites a document outside the repository: {line.strip()}"
        if in_docs and re.match(r"^(#+ |\| )§", line):
            continue  # a section's own heading
        for doc, section in citations(line):
            doc = doc or own_doc
            if doc is None:
                yield f"{where}: § without a document: {line.strip()}"
            elif section not in sections_of(doc):
                yield f"{where}: docs/{doc}.md has no §{section}"


@pytest.mark.parametrize("doc", ["architecture", "upstream", "decisions"])
def test_docs_exist_with_numbered_sections(doc: str) -> None:
    assert len(sections_of(doc)) >= 10


def test_every_citation_is_in_the_repository_and_resolves() -> None:
    found = [problem for path in sorted(_text_files()) for problem in problems_in(path)]
    assert found == []


def test_readme_links_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"docs/{doc}.md" in readme for doc in ("architecture", "upstream", "decisions"))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "see docs/upstream.md §2.2-2.10, §4.9",
            [("upstream", "2.2"), ("upstream", "2.10"), ("upstream", "4.9")],
        ),
        (
            "docs/architecture.md §5 and docs/decisions.md §4",
            [("architecture", "5"), ("decisions", "4")],
        ),
        ("a bare (§4)", [(None, "4")]),
    ],
)
def test_citation_parser(line: str, expected: list[tuple[str | None, str]]) -> None:
    assert list(citations(line)) == expected
