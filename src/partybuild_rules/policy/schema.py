"""JSON Schemas (draft 2020-12) of the policy files and the dataset format, for editors.

An editor with a YAML language server reads the schema named on a file's first line
(``# yaml-language-server: $schema=../../docs/schema/policy.schema.json``) and then completes field
names, shows each field's meaning on hover, and underlines a misspelt field or a wrong enumeration
value while the officer types. The schemas are generated from the library's own pydantic models,
so they cannot drift from what :func:`~partybuild_rules.load_pack` and
:func:`~partybuild_rules.load_dataset` accept; ``docs/schema/*.json`` are this module's output.

The library's YAML reader keeps every unquoted scalar other than ``null``, ``true``/``false`` and
plain integers as text, while an editor's YAML 1.2 reader makes ``87.5`` a number. So wherever the
library accepts a decimal written as text, the schema accepts both a number and decimal text, and a
date is text in the form ``YYYY-MM-DD``. A schema only helps: the library's checks are the
authority (references between records, tier names, parameter ranges are checked by the library
alone).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Literal

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from pydantic_core import core_schema

from ..domain import money
from ..domain.model import Dataset
from .cases import CaseFile
from .doc_base import number_or_parameter
from .documents import Manifest, RuleFile
from .schema_docs import BOUND_DOCS, DATASET_DOCS, ENUM_LABELS, POLICY_DOCS

__all__ = ["dataset_schema", "policy_schema", "write_schema"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"

_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_DECIMAL_TEXT = r"^[-+]?\d+(\.\d+)?$"
_MONEY_TEXT = r"^[-+]?\d+(\.\d{1,2})?$"
_PARAM = r"^\$[A-Za-z_][A-Za-z0-9_]*$"


def _decimal(pattern: str, what: str) -> dict[str, Any]:
    return {"anyOf": [{"type": "number"}, {"type": "string", "pattern": pattern}], "description": what}


class _Generator(GenerateJsonSchema):
    """pydantic's generator, with the library's exact-decimal types described as an editor sees them."""

    def date_schema(self, schema: core_schema.DateSchema) -> dict[str, Any]:
        return dict(_DATE)

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> dict[str, Any]:
        return _decimal(_DECIMAL_TEXT, "精确小数 exact decimal, e.g. \"87.5\"")

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> dict[str, Any]:
        function = schema["function"]["function"]
        special: dict[Callable[..., Any], dict[str, Any]] = {
            number_or_parameter: {
                "anyOf": [
                    {"type": "number"},
                    {"type": "string", "pattern": _PARAM},
                    {"type": "string", "pattern": _DECIMAL_TEXT},
                ],
                "description": "数值或参数引用 a number or a `$parameter`, e.g. 6, \"0.4\", $absence_months",
            },
            money.to_decimal: _decimal(_DECIMAL_TEXT, "精确小数 exact decimal, e.g. \"87.5\""),
            money._to_money: _decimal(_MONEY_TEXT, "金额（元，精确到分）money in yuan, to the fen, e.g. \"1270.00\""),
        }
        if function in special:
            return dict(special[function])
        return super().function_before_schema(schema)


_RULE_SHAPES = {
    "evaluation": ["score", "tiers"],
    "reprimand": ["when", "then"],
    "commendation": ["when", "then"],
    "compliance": ["when", "finding"],
    "allowance": ["per"],
    "charge": ["per"],
    "allocation": ["balance"],
}


# ---------------------------------------------------------------------------------------------
# the schemas


def dataset_schema() -> dict[str, Any]:
    """The JSON Schema of a dataset file (``partybuild_rules.domain.model.Dataset``)."""
    body = Dataset.model_json_schema(schema_generator=_Generator)
    defs = body.pop("$defs")
    defs["Dataset"] = body
    _finish(defs, DATASET_DOCS)
    _pack_events(defs)
    return {
        "$schema": DRAFT,
        "title": "partybuild-rules 数据集 dataset",
        "description": "一个城市的社区、驻区单位、党员及其事件记录；格式见 docs/data-format.md。"
        " One city's records and the events of the dates it covers (docs/data-format.md).",
        "$ref": "#/$defs/Dataset",
        "$defs": dict(sorted(defs.items())),
    }


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file: a pack manifest (``pack.yaml``, which has ``pack:``), a
    policy test file (which has ``cases:``) or else a rule file (``rules:``)."""
    models: list[type[BaseModel]] = [Manifest, RuleFile, CaseFile]
    refs, top = models_json_schema([(m, "validation") for m in models], schema_generator=_Generator)
    defs = top["$defs"]
    _finish(defs, {**POLICY_DOCS, **DATASET_DOCS})
    _pack_events(defs)
    _policy_constraints(defs)
    return {
        "$schema": DRAFT,
        "title": "partybuild-rules 政策文件 policy file",
        "description": "政策包清单 pack.yaml、规则文件（rules:）或政策测试文件（cases:）；见 docs/policy-language.md。"
        " A pack manifest, a rule file or a policy test file (docs/policy-language.md).",
        **_by_key(
            [("pack", refs[(Manifest, "validation")]), ("cases", refs[(CaseFile, "validation")])],
            refs[(RuleFile, "validation")],
        ),
        "$defs": dict(sorted(defs.items())),
    }


def _by_key(choices: list[tuple[str, dict[str, Any]]], otherwise: dict[str, Any]) -> dict[str, Any]:
    """``if`` the file has the first key ``then`` its schema, else the next: each kind of file is
    checked against its own schema, so a mistake is reported where it is, not as "matches none"."""
    if not choices:
        return otherwise
    (key, schema), rest = choices[0], choices[1:]
    return {"if": {"type": "object", "required": [key]}, "then": schema, "else": _by_key(rest, otherwise)}


def write_schema(kind: Literal["policy", "dataset"]) -> str:
    """The schema of ``kind`` as JSON text (UTF-8, Chinese kept as is), ending in a newline."""
    schema = {"policy": policy_schema, "dataset": dataset_schema}[kind]()
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------
# finishing touches on pydantic's output


def _finish(defs: dict[str, Any], docs: dict[str, dict[str, tuple[str, str]]]) -> None:
    for name, definition in defs.items():
        _walk(definition, _widen_integers)
        _walk(definition, _score_bounds)
        _walk(definition, _dispatch_on_tag)
        properties = definition.get("properties", {})
        for field, (title, description) in docs.get(name, {}).items():
            if field in properties:
                properties[field]["title"] = title
                properties[field]["description"] = description
        if "const" in properties.get("type", {}):
            # an event's `type` selects its fields: the library requires it
            definition["required"] = ["type", *[r for r in definition.get("required", []) if r != "type"]]
        if name in ENUM_LABELS and "enum" in definition:
            labels = ENUM_LABELS[name]
            definition["enumDescriptions"] = [labels.get(value, "") for value in definition["enum"]]
            shown = (f"{value} {labels.get(value, '')}".strip() for value in definition["enum"])
            definition["description"] = " · ".join(shown)
    member = defs.get("Member")
    if member is not None:
        member["if"] = {"required": ["in_service"], "properties": {"in_service": {"const": False}}}
        member["else"] = {"required": ["unit"], "properties": {"unit": {"type": "string"}}}


def _policy_constraints(defs: dict[str, Any]) -> None:
    """What the models check in validators, as far as a schema can say it."""
    defs["Condition"].update(minProperties=1, maxProperties=1)
    defs["Tier"]["not"] = {"required": ["below", "max"]}
    for bounded in ("Count", "Sum", "Bounds"):  # at most one bound
        defs[bounded]["not"] = {"anyOf": [{"required": [a, b]} for i, a in enumerate(BOUND_DOCS)
                                          for b in list(BOUND_DOCS)[i + 1:]]}
    # In a pack that `extends` another, a `parameters` entry without `type:` overrides the base's
    # value: a plain value, or `default` and/or `dated`.
    override = {
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "properties": {"default": {"type": ["integer", "number", "string"]},
                       "dated": {"type": "array", "items": {"$ref": "#/$defs/DatedValue"}}},
    }
    parameters = defs["Manifest"]["properties"]["parameters"]
    parameters["additionalProperties"] = {"anyOf": [
        parameters["additionalProperties"], override, {"type": ["integer", "number", "string"]},
    ]}
    defs["Manifest"]["if"] = {"not": {"required": ["extends"]}}
    defs["Manifest"]["then"] = {"required": ["rule_files"]}
    defs["Rule"]["allOf"] = [
        {"if": {"required": ["kind"], "properties": {"kind": {"const": kind}}}, "then": {"required": need}}
        for kind, need in _RULE_SHAPES.items()
    ] + [{
        "if": {"required": ["kind"], "properties": {"kind": {"const": "allowance"}}},
        "then": {"oneOf": [{"required": ["amount"]}, {"required": ["amount_by_tier"]}]},
    }]
    defs["Case"]["anyOf"] = [{"required": ["expect"]}, {"required": ["expect_none"]}]
    defs["ExpectNone"]["minProperties"] = 1
    defs["Expect"]["minProperties"] = 1


_CORE_EVENTS = {"unit_report": "UnitReport", "member_report_in": "MemberReportIn", "activity": "Activity",
                "joint_meeting": "JointMeeting", "two_way_review": "TwoWayReview", "inspection": "Inspection",
                "rectification": "Rectification", "assessment": "Assessment"}


def _pack_events(defs: dict[str, Any]) -> None:
    """Events by ``type``: a core type's own schema, any other type a pack event whose fields
    stand beside ``id``, ``date`` and ``type`` (checked against the packs in use on load)."""
    pack_event = defs.get("PackEvent")
    if pack_event is not None:
        pack_event["properties"].pop("fields", None)
        pack_event["additionalProperties"] = True
        pack_event["properties"]["type"]["not"] = {"enum": list(_CORE_EVENTS)}
    dataset = defs.get("Dataset")
    if dataset is None:
        return
    events = dataset["properties"]["events"]
    dispatch = {
        "type": "object",
        "required": ["type"],
        "allOf": [
            {"if": {"required": ["type"], "properties": {"type": {"const": value}}},
             "then": {"$ref": f"#/$defs/{name}"}}
            for value, name in _CORE_EVENTS.items()
        ] + [{"if": {"required": ["type"], "properties": {"type": {"not": {"enum": list(_CORE_EVENTS)}}}},
              "then": {"$ref": "#/$defs/PackEvent"}}],
    }
    events["items"] = dispatch


def _walk(node: Any, change: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        change(node)
        for value in node.values():
            _walk(value, change)
    elif isinstance(node, list):
        for value in node:
            _walk(value, change)


def _widen_integers(node: dict[str, Any]) -> None:
    """Where plain text is accepted beside an integer (parameter defaults, ``applies_if``
    values), the library reads an unquoted ``2.5`` as the text "2.5": an editor reads a number."""
    choices = node.get("anyOf")
    if not isinstance(choices, list):
        return
    if {"type": "string"} in choices:
        for choice in choices:
            if choice == {"type": "integer"}:
                choice["type"] = "number"


def _dispatch_on_tag(node: dict[str, Any]) -> None:
    """A tagged union (events by `type`) as ``if type is X then X's schema``: a misspelt field of
    an activity is then reported as that, not as "matches none of eight event kinds"."""
    tag = node.pop("discriminator", None)
    if tag is None:
        return
    name, mapping = tag["propertyName"], tag["mapping"]
    node.pop("oneOf", None)
    node.update(_dispatch(name, mapping))


def _dispatch(name: str, mapping: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [name],
        "properties": {name: {"enum": list(mapping)}},
        "allOf": [
            {"if": {"required": [name], "properties": {name: {"const": value}}}, "then": {"$ref": ref}}
            for value, ref in mapping.items()
        ],
    }


def _score_bounds(node: dict[str, Any]) -> None:
    """pydantic leaves ``ge``/``le`` of a constrained exact decimal as unknown keywords."""
    if "ge" not in node and "le" not in node:
        return
    lower, upper = node.pop("ge", None), node.pop("le", None)
    for choice in node.get("anyOf", []):
        if choice.get("type") == "number":
            if lower is not None:
                choice["minimum"] = lower
            if upper is not None:
                choice["maximum"] = upper
    node["description"] = f"{node.get('description', '')}; {lower}–{upper}".strip("; ")
