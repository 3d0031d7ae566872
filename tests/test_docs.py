"""The repository stands on its own and its documents stay true to the code: every relative
link in README.md and docs/*.md resolves to a file (and heading) inside the repository, and
every CLI command and option that the parsers define is described in docs/cli.md."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from benchmarks.__main__ import build_parser as benchmark_parser
from dashboard.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def relative_links(path: Path) -> list[str]:
    """Markdown link targets that are neither web addresses nor in-page anchors; code spans and
    fenced blocks are left out (they show syntax, not links)."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [t for t in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", t)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(m) for m in re.findall(r"^#+\s+(.+)$", path.read_text(encoding="utf-8"), flags=re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(doc):
    broken = []
    for target in relative_links(doc):
        file_part, _, anchor = target.partition("#")
        resolved = (doc.parent / file_part).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.is_file():
            broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(target)
    assert broken == []


def test_the_docs_index_links_every_document():
    index = set(relative_links(ROOT / "docs" / "README.md"))
    assert {p.name for p in DOCS if p.parent.name == "docs" and p.name != "README.md"} <= index


def test_the_readme_points_at_the_docs():
    assert {"docs/cli.md", "docs/ledgers.md", "docs/metrics.md", "docs/warnings.md"} <= set(
        relative_links(ROOT / "README.md"))


def test_no_user_facing_text_refers_to_documents_outside_the_repository():
    outside = re.compile(r"DESIGN\.md|LEDGERS\.md|\.\./shared")
    files = [*DOCS, *ROOT.glob("dashboard/*.py"), *ROOT.glob("queries/*.py"), *ROOT.glob("config/*.toml"),
             *ROOT.glob("scripts/*.sh")]
    assert [str(f.relative_to(ROOT)) for f in files if outside.search(f.read_text(encoding="utf-8"))] == []


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_cli_command_has_its_section_in_the_cli_doc(command):
    assert re.search(rf"^## {re.escape(command)}$", CLI_DOC, flags=re.M)


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_option_of_a_command_is_in_its_section_of_the_cli_doc(command):
    section = re.search(rf"^## {re.escape(command)}\n(.*?)(?=^## |\Z)", CLI_DOC, flags=re.M | re.S).group(1)
    shared = CLI_DOC.split("\n## ")[1]  # "Every command": --db is described once for all
    missing = [opt for a in _commands()[command]._actions if a.option_strings and a.dest != "help"
               for opt in a.option_strings[-1:] if opt not in section and opt not in shared]
    positional = [a.metavar for a in _commands()[command]._actions if not a.option_strings
                  and a.metavar not in section]
    assert missing + positional == []


def test_every_benchmark_option_is_in_the_cli_doc():
    section = CLI_DOC.split("## python -m benchmarks", 1)[1]
    options = [a.option_strings[-1] for a in benchmark_parser()._actions if a.option_strings and a.dest != "help"]
    assert [o for o in options if o not in section] == []
