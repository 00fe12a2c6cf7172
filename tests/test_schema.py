"""The editor schemas: generated from the models, committed under docs/schema, accepting every
bundled file as both the library and a generic YAML reader see it, and refusing common mistakes."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from partybuild_rules.policy.loader import parse_yaml_text
from partybuild_rules.policy.schema import dataset_schema, policy_schema, write_schema

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "docs" / "schema"
PACK = ROOT / "policies" / "tongjiang"
SMALL = ROOT / "examples" / "small" / "dataset.yaml"


def _test_files() -> list[Path]:
    manifest = yaml.safe_load((PACK / "pack.yaml").read_text(encoding="utf-8"))
    return [PACK / name for name in manifest.get("tests", [])]


POLICY_FILES = sorted(PACK.glob("*.yaml")) + _test_files()
BUNDLED = [(path, "policy") for path in POLICY_FILES] + [(SMALL, "dataset")]
IDS = [str(path.relative_to(ROOT)) for path, _ in BUNDLED]


@pytest.fixture(scope="module")
def validators() -> dict[str, Any]:
    check = jsonschema.Draft202012Validator
    return {
        kind: check(schema, format_checker=check.FORMAT_CHECKER)
        for kind, schema in (("policy", policy_schema()), ("dataset", dataset_schema()))
    }


def library_view(text: str, file: str = "<test>") -> Any:
    """The data exactly as the library reads it (unquoted decimals and dates stay text)."""
    document, problems = parse_yaml_text(text, file)
    assert document is not None and not problems, problems
    return document.data


def generic_view(text: str) -> Any:
    """The data as a generic YAML reader sees it: decimals become numbers; dates (which JSON has
    no type for, and a YAML 1.2 editor reads as text) are written back as ISO text."""

    def iso(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): iso(v) for k, v in value.items()}
        if isinstance(value, list):
            return [iso(v) for v in value]
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value

    return iso(yaml.safe_load(text))


def errors(validator: Any, data: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]


def test_schemas_are_valid_draft_2020_12() -> None:
    """Both schemas are themselves valid JSON Schemas of draft 2020-12."""
    for schema in (policy_schema(), dataset_schema()):
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("kind", ["policy", "dataset"])
def test_committed_schema_is_the_generated_one(kind: str) -> None:
    """docs/schema/<kind>.schema.json is byte for byte what write_schema() produces, so it cannot
    go stale when a model changes."""
    committed = (SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert committed == write_schema(kind), (  # type: ignore[arg-type]
        f"docs/schema/{kind}.schema.json is stale: regenerate it with "
        f"`partybuild-rules schema --{kind} > docs/schema/{kind}.schema.json`"
    )


def test_write_schema_is_the_schema_as_json() -> None:
    """write_schema returns the schema as JSON text, Chinese kept readable."""
    text = write_schema("policy")
    assert json.loads(text) == policy_schema()
    assert "问责" in text and text.endswith("}\n")
    assert json.loads(write_schema("dataset")) == dataset_schema()


@pytest.mark.parametrize(("path", "kind"), BUNDLED, ids=IDS)
def test_bundled_file_names_its_schema_on_the_first_line(path: Path, kind: str) -> None:
    """Every bundled YAML file's first line points an editor at its schema, relative to the file."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), first
    target = (path.parent / first[len(prefix):]).resolve()
    assert target == (SCHEMAS / f"{kind}.schema.json").resolve()


@pytest.mark.parametrize(("path", "kind"), BUNDLED, ids=IDS)
def test_bundled_file_validates_as_the_library_reads_it(
    path: Path, kind: str, validators: dict[str, Any]
) -> None:
    """Every bundled file, read by the library's loader, satisfies its schema."""
    text = path.read_text(encoding="utf-8")
    assert errors(validators[kind], library_view(text, str(path))) == []


@pytest.mark.parametrize(("path", "kind"), BUNDLED, ids=IDS)
def test_bundled_file_validates_as_an_editor_reads_it(
    path: Path, kind: str, validators: dict[str, Any]
) -> None:
    """Every bundled file, read by a generic YAML reader (``min: 90``, ``weight: 1``, ``0.4`` as
    numbers), satisfies its schema too: the schema never rejects what the library accepts."""
    text = path.read_text(encoding="utf-8")
    assert errors(validators[kind], generic_view(text)) == []


def test_unquoted_decimals_and_dates_are_accepted(validators: dict[str, Any]) -> None:
    """Unquoted tier bounds, scores, money and dates are fine for the library, so for the schema."""
    rule = """
rules:
  - id: E9.test
    title: 测试
    kind: evaluation
    subject: unit
    source: 测试
    score:
      - {title: 测试, events: {type: assessment}, field: score, weight: 0.5}
    tiers:
      - {tier: 好, min: 89.5, max: 100}
      - {tier: 差, min: 0, below: 89.5}
"""
    data = """
covers: {start: 2024-01-01, end: 2024-12-31}
communities: [{id: C1, name: 东江社区, area_m2: 1120.5}]
units: [{id: U1, name: 单位, community: C1}]
events:
  - {id: E1, date: 2024-12-20, type: assessment, subject_kind: unit, subject: U1, part: daily, score: 87.5}
"""
    for text, kind in ((rule, "policy"), (data, "dataset")):
        assert errors(validators[kind], library_view(text)) == []
        assert errors(validators[kind], generic_view(text)) == []


MISTAKES = [
    # (file, text to replace, replacement, the path the schema reports)
    ("policies/tongjiang/reprimand.yaml", "    subject: unit\n", "    subjct: unit\n", ["rules", 0]),
    ("policies/tongjiang/reprimand.yaml", "kind: reprimand", "kind: reprimnd", ["rules", 0, "kind"]),
    ("policies/tongjiang/reprimand.yaml", "target: leader", "target: boss", ["rules", 0, "then", 0, "target"]),
    ("policies/tongjiang/reprimand.yaml", "reaches: $absence_months", "reaches: absence_months",
     ["rules", 1, "when", "absence_streak", "reaches"]),
    ("policies/tongjiang/compliance.yaml", "per: month", "per: monthly", ["rules", 0, "when", "count", "per"]),
    ("policies/tongjiang/evaluation.yaml", "{tier: 好, min: $tier_good_min, max: 100}",
     "{tier: 好, min: $tier_good_min, max: 100, below: 101}", ["rules", 0, "tiers", 0]),
    ("policies/tongjiang/allowance.yaml", "prorate: by_days", "prorate: by_day", ["rules", 0, "prorate"]),
    ("policies/tongjiang/pack.yaml", "version:", "verion:", []),
    ("policies/tongjiang/pack.yaml", "type: integer", "type: int", ["parameters", "absence_months", "type"]),
    ("policies/tongjiang/pack.yaml", 'from: "2024-01-01"', 'from: "2024-13-01"', ["effective", "from"]),
    ("examples/small/dataset.yaml", "kind: party_government", "kind: party_govt", ["units", 0, "kind"]),
    ("examples/small/dataset.yaml", "in_service: true", "in_servce: true", ["members", 0]),
    # any other lowercase type is a pack's event (checked against the packs in use on load)
    ("examples/small/dataset.yaml", "    type: unit_report\n", "    type: Unit-Report\n", ["events", 0, "type"]),
    ("examples/small/dataset.yaml", "    kind: collective\n", "    kind: colective\n", ["events", 2, "kind"]),
    ("examples/small/dataset.yaml", 'score: "78.5"', 'score: "78,5"', ["events", 6, "score"]),
    ("examples/small/dataset.yaml", "    unit: U0001\n    grid: G001\n", "    grid: G001\n", ["members", 0]),
    ("policies/tongjiang/tests/allowance.yaml", "expect_none:", "expect_nothing:", ["cases", 0]),
    ("policies/tongjiang/tests/allowance.yaml", 'amount: "1638.71"', 'amount: "1638.711"',
     ["cases", 1, "expect", 0, "amount"]),
    ("policies/tongjiang/tests/reprimand.yaml", "kind: theme_day", "kind: theme",
     ["cases", 0, "data", "events", 0, "kind"]),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "where"), MISTAKES, ids=[f"{m[0]}:{m[2].strip()}" for m in MISTAKES]
)
def test_a_mistake_is_reported_where_it_is(
    file: str, old: str, new: str, where: list[Any], validators: dict[str, Any]
) -> None:
    """A misspelt field, a wrong enumeration value or a malformed value fails the schema, and the
    error an editor shows is at the mistake (not "matches none of the alternatives" at the top)."""
    text = (ROOT / file).read_text(encoding="utf-8")
    assert old in text
    broken = library_view(text.replace(old, new, 1))
    validator = validators["dataset" if "dataset" in file else "policy"]
    assert errors(validator, broken), "the schema accepted the mistake"
    best = jsonschema.exceptions.best_match(validator.iter_errors(broken))
    assert list(best.absolute_path) == where, best.message


def test_every_field_is_described() -> None:
    """Every field of every record has a description for the editor's hover text."""
    for schema in (policy_schema(), dataset_schema()):
        for name, definition in schema["$defs"].items():
            for field, spec in definition.get("properties", {}).items():
                assert spec.get("description"), f"{name}.{field} has no description"


def test_policy_schema_picks_the_file_kind_by_its_keys(validators: dict[str, Any]) -> None:
    """A file with `pack:` is a manifest, with `cases:` a test file, otherwise a rule file: each is
    checked against its own schema only."""
    policy = validators["policy"]
    assert errors(policy, {"rules": []}) == []
    manifest_error = errors(policy, {"pack": "x", "rules": []})
    assert any("'rules' was unexpected" in e for e in manifest_error)
    empty_cases = jsonschema.exceptions.best_match(policy.iter_errors({"cases": []}))
    assert empty_cases is not None and list(empty_cases.absolute_path) == ["cases"]
