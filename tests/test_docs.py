"""The README stays true: its commands exist, its scripts exist, its first lines are the two."""

from __future__ import annotations

import re

from click.testing import CliRunner
from conftest import REPO

from archive.cli import cli

README = (REPO / "README.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block is not None
    lines = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    assert lines[:2] == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    for script in ("scripts/demo.sh", "scripts/test.sh", "scripts/setup.sh", ".ci/run"):
        assert (REPO / script).is_file(), script
    assert "scripts/test.sh" in (REPO / ".ci/run").read_text()


def test_every_cli_command_is_documented() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    commands = re.findall(r"^  (\w+)\s", result.output.split("Commands:")[1], re.M)
    assert commands
    for command in commands:
        assert f"archive {command}" in README, f"`archive {command}` is not in the README"


def test_the_module_map_matches_the_layout() -> None:
    block = re.search(r"### Module map.*?```\n(.*?)```", README, re.S)
    assert block is not None
    described = block.group(1)
    archive = REPO / "archive"
    for path in sorted(archive.glob("*.py")):
        if path.name not in ("__init__.py", "__main__.py"):
            assert path.name in described, f"archive/{path.name} is not in the module map"
    for folder in sorted(p for p in archive.iterdir() if (p / "__init__.py").is_file()):
        assert f"{folder.name}/" in described, f"archive/{folder.name}/ is not in the map"
        if folder.name == "foia":  # described by what its detectors find
            continue
        for path in folder.glob("*.py"):
            if path.name != "__init__.py":
                assert path.name in described, f"{path.relative_to(REPO)} is not in the map"
    for named in re.findall(r"\b([a-z_]+\.py)\b", described):
        assert list(archive.rglob(named)), f"the module map names {named}, which is gone"
