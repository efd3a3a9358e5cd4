"""The documentation stands alone in the repository and says what the code does: every link
resolves inside the repository, the policy example is a policy Baton loads, and every command
of `/mlops` and `baton` is described."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from bot.cli import main
from handlers.commands_spec import USAGE
from models.policy import DEFAULT_POLICY, parse_policy

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
EXPECTED_PAGES = {"README.md", "commands.md", "interactive.md", "policy.md", "api.md"}
EXPECTED_PAGES |= {"operations.md"}
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|<((?:https?|mailto):[^>\s]+)>")
EXTERNAL = ("http://", "https://", "mailto:")


def links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return [a or b for a, b in LINK.findall(text)]


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to dashes."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_the_docs_folder_has_every_page_and_its_index_lists_them():
    pages = {p.name for p in DOCS.glob("*.md")}
    assert pages >= EXPECTED_PAGES
    indexed = {t.partition("#")[0] for t in links(DOCS / "README.md")}
    assert sorted(pages - {"README.md"} - indexed) == []


def link_problems(page: Path, root: Path = ROOT) -> list[str]:
    """Relative links that leave `root`, name no file, or name a heading that is not there."""
    problems = []
    for target in links(page):
        if target.startswith(EXTERNAL):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.is_relative_to(root):
            problems.append(f"{target}: outside the repository")
        elif not resolved.is_file():
            problems.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(resolved):
            problems.append(f"{target}: no such heading")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_relative_link_resolves_inside_the_repository(page):
    assert links(page), f"{page.name} links nowhere"
    assert link_problems(page) == []


def test_the_link_check_finds_links_out_of_the_repository_and_dangling_ones(tmp_path):
    (tmp_path / "repo" / "docs").mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "SPEC.md").write_text("# Spec\n")
    page = tmp_path / "repo" / "README.md"
    page.write_text(
        "[spec](../shared/SPEC.md) [gone](docs/gone.md) [self](#nowhere) [ok](#title) "
        "[web](https://api.slack.com/apps)\n# Title\n"
    )
    assert link_problems(page, tmp_path / "repo") == [
        "../shared/SPEC.md: outside the repository",
        "docs/gone.md: no such file",
        "#nowhere: no such heading",
    ]


def test_the_policy_example_is_the_built_in_policy():
    text = (DOCS / "policy.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert parse_policy(example, "docs/policy.md") == DEFAULT_POLICY


def test_every_slash_command_is_documented():
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    missing = [name for name in USAGE if f"`/mlops {name}" not in text]
    assert missing == []


def cli_commands(group: click.Group, prefix: str = "baton") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += cli_commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_every_baton_command_and_option_is_documented():
    """Each command is named in a docs page (commands.md has them all today), and each of its
    options in that same page."""
    pages = [p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))]
    for command in cli_commands(main):
        named = re.compile(rf"`{re.escape(command)}(?![\w-])")
        where = [text for text in pages if named.search(text)]
        assert where, f"{command} is described in no page of docs/"
        for option in _command(command).params:
            for flag in getattr(option, "opts", []):
                if flag.startswith("--"):
                    assert any(flag in text for text in where), f"{command} {flag} is undocumented"


def _command(path: str) -> click.Command:
    command: click.Command = main
    for part in path.split()[1:]:
        assert isinstance(command, click.Group)
        command = command.commands[part]
    return command
