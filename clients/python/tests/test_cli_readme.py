"""The README's CLI walkthrough and the documented command forms parse as written."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tim_push.cli.parser import build_parser

_HERE = Path(__file__).resolve()
# The repository's README, when these tests run inside the repository.
README = _HERE.parents[3] / "README.md" if len(_HERE.parents) > 3 else None
DOCUMENTED = [
    "send --all --text hi",
    "send --tag a b --text hi --title T --body B --ttl 60 --send-at 2026-12-01T09:00:00Z "
    "--dry-run --key k --sender s",
    "send --all-tags a b --text hi",
    "send --attr k=v k2=v2 --text hi",
    "send --all-attrs k=v --text hi",
    "send --account alice bob --title T --body B",
    "quota",
    "quota --date 2026-12-01",
    "get ID",
    "list --since 2026-11-29T00:00:00Z --status submitted --caller arn --limit 5",
    "cancel ID",
    "recall ID --title T --body B",
    "report ID",
    "approve ID",
    "reject ID",
    "tags add ACCOUNT T1 T2",
    "tags remove ACCOUNT T1",
    "tags clear A1 A2",
    "tags get A1 A2",
    "attrs set ACCOUNT k=v k2=v2",
    "attrs remove ACCOUNT k",
    "attrs get A1 A2",
    "attrs names",
    "attrs names n1 n2",
]


def _walkthrough_commands() -> list[str]:
    if README is None or not README.exists():
        pytest.skip("not inside the repository")
    text = README.read_text(encoding="utf-8")
    block = text.split("### CLI walkthrough against `make run`", 1)[1].split("```bash\n", 1)[1]
    commands = []
    for line in block.split("```", 1)[0].splitlines():
        command = line.split("  #", 1)[0].split(";", 1)[0].strip()
        words = shlex.split(command)
        while words and "=" in words[0]:  # VAR=value tim-push ...
            words.pop(0)
        if words and words[0] == "tim-push":
            commands.append(shlex.join(words[1:]))
    return commands


@pytest.mark.parametrize("command", DOCUMENTED)
def test_documented_forms_parse(command: str) -> None:
    build_parser().parse_args(shlex.split(command))


def test_the_readme_walkthrough_parses() -> None:
    commands = _walkthrough_commands()
    assert len(commands) >= 10
    for command in commands:
        build_parser().parse_args(shlex.split(command))
