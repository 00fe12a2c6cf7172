"""Every snippet of docs/policy-guide.md runs: files are written or appended where the guide
says, and every command exits 0 through the CLI's `main`."""

from __future__ import annotations

import io
import re
import shlex
import shutil
from pathlib import Path

import pytest

from partybuild_rules.cli import main

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "policy-guide.md"
BLOCK = re.compile(r"<!-- (?P<action>[^>]+?) -->\n```(?P<lang>\w+)\n(?P<body>.*?)```", re.DOTALL)


def snippets() -> list[tuple[str, str]]:
    return [(m.group("action"), m.group("body")) for m in BLOCK.finditer(GUIDE.read_text(encoding="utf-8"))]


def run_line(line: str, cwd: Path) -> str:
    words = shlex.split(line)
    if words[:2] == ["cp", "-r"]:
        shutil.copytree(cwd / words[2], cwd / words[3])
        return ""
    assert words[0] == "partybuild-rules", f"the guide runs only the CLI and cp: {line}"
    out, err = io.StringIO(), io.StringIO()
    code = main(words[1:], out, err)
    assert code == 0, f"`{line}` exited {code}:\n{err.getvalue()}{out.getvalue()}"
    return out.getvalue()


def test_the_guide_has_every_step() -> None:
    """The walk-through covers a parameter change, a new rule, its test case and its impact."""
    actions = [action for action, _ in snippets()]
    assert "file: local.yaml" in actions
    assert "append: my-pack/compliance.yaml" in actions
    assert "file: my-pack/tests/c5.yaml" in actions
    assert "file: my-branch/pack.yaml" in actions and "file: my-branch/rules.yaml" in actions
    assert actions.count("run") >= 5


def test_every_snippet_of_the_guide_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Following the guide from top to bottom in a fresh folder succeeds, the new rule's case
    passes, and the impact diff shows the new rule's findings and the wage change."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")  # as in a checkout
    monkeypatch.chdir(tmp_path)
    outputs: list[str] = []
    for action, body in snippets():
        if action == "run":
            outputs += [run_line(line, tmp_path) for line in body.splitlines() if line.strip()]
        elif action.startswith("file: "):
            target = tmp_path / action[len("file: "):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        elif action.startswith("append: "):
            target = tmp_path / action[len("append: "):]
            target.write_text(target.read_text(encoding="utf-8").rstrip("\n") + "\n" + body, encoding="utf-8")
        elif action.startswith("insert-after "):
            marker, _, file = action[len("insert-after "):].partition(": ")
            target = tmp_path / file
            text = target.read_text(encoding="utf-8")
            anchor = marker.strip('"') + "\n"
            assert anchor in text, f"`{marker}` not found in {file}"
            target.write_text(text.replace(anchor, anchor + body, 1), encoding="utf-8")
        else:
            pytest.fail(f"unknown snippet action `{action}`")
    joined = "\n".join(outputs)
    assert "1 passed, 0 failed" in joined  # the C5 case alone
    assert "2 passed, 0 failed" in joined  # the new pack written from a regulation
    assert "T1.monthly-theme-day" in joined and "T2.theme-day-absence" in joined
    assert "C5.unit-quarterly-activity" in joined  # listed by the diff
    assert "3250.00" in joined  # the new committee wage in the minimum-income diff
    assert (tmp_path / "2024.csv").read_text(encoding="utf-8").startswith("kind,rule_id")
