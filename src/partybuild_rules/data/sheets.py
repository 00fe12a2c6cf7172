"""The ledger layout (台账格式): which sheets and columns a workbook has, derived from the model.

Sheets and columns are not listed by hand: they are read off :class:`~partybuild_rules.domain.model.Dataset`
— one sheet per list of records, one per event type of the ``events`` union, one per nested list
(a member's roles, a meeting's agreed items, an inspection's findings, with the parent's id in the
first column) — so a field added to the model appears in the template, the reader and the writer
at once. Only the Chinese words (sheet names, headers, enumeration labels) are tables here.

A pack may declare attributes of records and event types of its own; they arrive as an
:class:`ExtraSchema` and get their columns and sheets the same way.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from types import UnionType
from typing import Any, Literal, Mapping, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..domain.model import Dataset
from ..domain.money import Money

__all__ = ["Column", "ExtraSchema", "FieldType", "Sheet", "ledger_sheets", "DATASET_SHEET", "NOTES_SHEET"]

FieldType = Literal["id", "key", "text", "date", "month", "decimal", "money", "integer", "boolean", "enum", "list"]
"""How a cell is read: ``key`` is constrained text (a reference, a tier) that must not start or end
with a space; ``list`` is several ids in one cell."""

DATASET_SHEET = "数据集"
NOTES_SHEET = "填表说明"

_SHEET_NAMES = {
    "communities": "社区",
    "grids": "网格",
    "units": "驻区单位",
    "members": "党员",
    "members.roles": "党员任职",
    "inspection_groups": "巡回督查组",
    "ratings": "历年档次",
    "unit_report": "单位报到",
    "member_report_in": "党员报到",
    "activity": "联学共建活动",
    "joint_meeting": "联席会议",
    "joint_meeting.items": "议定事项",
    "two_way_review": "双向评议",
    "inspection": "巡回督查",
    "inspection.findings": "督查问题",
    "rectification": "整改销号",
    "assessment": "考核评分",
}

# Headers as offices write them. A key ``sheet.field`` wins over the plain field name.
_HEADERS = {
    "id": "编号",
    "name": "名称",
    "date": "日期",
    "community": "社区",
    "unit": "驻区单位",
    "member": "党员",
    "units": "参加单位",
    "participants": "参加党员",
    "subject_kind": "对象类别",
    "subject": "对象编号",
    "year": "年度",
    "title": "名称",
    "start": "开始日期",
    "end": "结束日期",
    "covers.start": "记录开始日期",
    "covers.end": "记录结束日期",
    "communities.liaison": "联系包保市委常委",
    "communities.area_m2": "活动阵地面积（平方米）",
    "communities.neighbours": "相邻社区",
    "grids.community": "所属社区",
    "units.community": "所在社区",
    "units.kind": "单位类别",
    "units.leader": "主要领导",
    "members.name": "姓名",
    "members.residence_community": "居住地社区",
    "members.unit": "工作单位",
    "members.grid": "所在网格",
    "members.in_service": "在职党员",
    "members.five_star": "五星级党员",
    "members.reported_in": "报到日期",
    "members.roles.member": "党员编号",
    "members.roles.role": "职务",
    "members.roles.community": "任职社区",
    "ratings.tier": "档次",
    "unit_report.community": "报告社区",
    "member_report_in.community": "报到社区",
    "activity.kind": "活动类别",
    "activity.co_building": "联学共建",
    "activity.title": "活动主题",
    "joint_meeting.units": "参会单位",
    "joint_meeting.items.meeting": "联席会议编号",
    "joint_meeting.items.title": "议定事项",
    "joint_meeting.items.due": "办结时限",
    "joint_meeting.items.closed": "办结日期",
    "two_way_review.score_of_unit": "社区对单位评分",
    "two_way_review.score_of_community": "单位对社区评分",
    "inspection.group": "督查组",
    "inspection.findings.inspection": "督查编号",
    "inspection.findings.description": "问题描述",
    "inspection.findings.deadline": "整改时限",
    "rectification.finding": "督查问题编号",
    "assessment.part": "评分类别",
    "assessment.score": "得分",
}

# Chinese labels of enumeration values; a cell may hold either the label or the English value.
_LABELS = {
    "party_government": "党政机关",
    "public_institution": "事业单位",
    "enterprise": "国有企业",
    "new_economic_social": "“两新”组织",
    "other": "其他",
    "grid_leader": "网格长",
    "committee_member": "居委会委员",
    "community_worker": "社区工作者",
    "party_secretary": "党组织书记",
    "collective": "集中活动",
    "party_lesson": "党课",
    "theme_day": "主题党日",
    "volunteer": "志愿服务",
    "member": "党员",
    "unit": "驻区单位",
    "community": "社区",
    "daily": "日常纪实考评",
    "year_end": "年末综合考核",
}

# The parent column of a nested list: its field name, named after the parent record.
_PARENT_FIELD = {"members": "member", "joint_meeting": "meeting", "inspection": "inspection"}

_TYPE_NOTES = {
    "id": "编号：字母、数字及 _ . : -，不含空格，同表内唯一",
    "key": "编号或档次：须与所指记录完全一致，前后不得有空格",
    "text": "文本，按原样保存",
    "date": "日期：Excel 日期格式，或文本 YYYY-MM-DD",
    "month": "月份：文本 YYYY-MM（或当月 1 日的日期）",
    "decimal": "数值（精确小数）",
    "money": "金额（元），精确到分",
    "integer": "整数",
    "boolean": "是 / 否",
    "enum": "从下拉列表中选择",
    "list": "多个编号写在一个单元格内，用“、”或逗号分隔",
}


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the model's field name, its Chinese header, how its cells read."""

    field: str
    header: str
    type: FieldType
    required: bool
    choices: tuple[str, ...] = ()
    """Enumeration values (English), in the model's order."""
    default: Any = None
    note: str = ""
    attribute: bool = False
    """An attribute a pack declares: read into and written from the record's ``attributes``."""
    personal: bool = False
    """Personal data (an income): a bad value is reported without showing it."""

    def label(self, value: str) -> str:
        """The Chinese label of an enumeration value (the value itself when it has none)."""
        return _LABELS.get(value, value)

    def value_of(self, text: str) -> str | None:
        """The enumeration value a cell's text names (label or value), or None."""
        for choice in self.choices:
            if text in (choice, _LABELS.get(choice)):
                return choice
        return None

    @property
    def description(self) -> str:
        parts = [_TYPE_NOTES[self.type]]
        if self.choices:
            parts.append("可选：" + "、".join(self.label(c) for c in self.choices))
        parts.append("必填" if self.required else "选填")
        if self.note:
            parts.append(self.note)
        return "；".join(parts)


@dataclass(frozen=True)
class Sheet:
    """One sheet: the records of one list of the dataset (``section``), or of one event type."""

    name: str
    key: str
    """``communities`` … for a list of records, the event type for events, ``parent.field`` for a
    nested list."""
    section: str
    """The dataset field the records go to (``events`` for every event type)."""
    columns: tuple[Column, ...]
    event_type: str | None = None
    parent: str | None = None
    """For a nested list: the key of the parent sheet."""
    child_field: str | None = None
    """For a nested list: the parent record's field holding the list."""
    extra: bool = False
    """Declared by a pack rather than by the model."""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


@dataclass(frozen=True)
class ExtraField:
    """A typed field a pack declares, e.g. ``monthly_income: money``."""

    type: FieldType
    title: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    personal: bool = False


@dataclass(frozen=True)
class ExtraSchema:
    """What the packs in use add to the model: attributes of records (``members`` →
    ``monthly_income``) and event types of their own (``dues_payment`` → ``month``, ``amount``)."""

    attributes: Mapping[str, Mapping[str, ExtraField]] = field(default_factory=dict)
    events: Mapping[str, Mapping[str, ExtraField]] = field(default_factory=dict)
    event_titles: Mapping[str, str] = field(default_factory=dict)


def ledger_sheets(extra: ExtraSchema | None = None) -> tuple[Sheet, ...]:
    """Every sheet of the ledger layout in workbook order: the dataset sheet, the records, the
    events; each nested list right after its parent."""
    extra = extra or ExtraSchema()
    sheets = [Sheet(DATASET_SHEET, "dataset", "dataset", _dataset_columns())]
    for name, info in Dataset.model_fields.items():
        item = _item_model(info.annotation)
        if item is None or name == "events":
            continue
        sheets += _model_sheets(name, name, item, None, extra.attributes.get(name, {}))
    for model in _event_models():
        event_type = model.model_fields["type"].default
        sheets += _model_sheets(event_type, "events", model, event_type, {})
    for event_type, fields in extra.events.items():
        columns = (
            Column("id", _HEADERS["id"], "id", True),
            Column("date", _HEADERS["date"], "date", True),
            *(_extra_column(name, spec, attribute=False) for name, spec in fields.items()),
        )
        title = extra.event_titles.get(event_type) or event_type
        sheets.append(Sheet(title, event_type, "events", columns, event_type=event_type, extra=True))
    return tuple(sheets)


def _dataset_columns() -> tuple[Column, ...]:
    return (
        Column("name", "数据集名称", "text", False, default=""),
        Column("covers.start", _HEADERS["covers.start"], "date", True),
        Column("covers.end", _HEADERS["covers.end"], "date", True),
        Column("declared_by", "声明所用政策包", "list", False,
               note="数据中扩展字段和扩展事件所依据的政策包名称，如 party-dues"),
    )


def event_models() -> list[type[BaseModel]]:
    """The core event models of the ``events`` union (each with a ``Literal`` type); a pack's
    own event types are the union's open member, given by an :class:`ExtraSchema`."""
    union = typing.get_args(Dataset.model_fields["events"].annotation)[0]
    inner = typing.get_args(union)[0]  # Annotated[Union[...], discriminator]
    models = []
    for member in typing.get_args(inner):
        model = typing.get_args(member)[0] if typing.get_origin(member) is typing.Annotated else member
        if typing.get_origin(model.model_fields["type"].annotation) is Literal:
            models.append(model)
    return models


_event_models = event_models


def _model_sheets(
    key: str, section: str, model: type[BaseModel], event_type: str | None,
    extra: Mapping[str, ExtraField],
) -> list[Sheet]:
    columns: list[Column] = []
    children: list[Sheet] = []
    for name, info in model.model_fields.items():
        if name == "type" and event_type is not None:
            continue
        if name == "attributes":
            continue  # the attributes packs declare come as columns of their own (``extra``)
        item = _item_model(info.annotation)
        if item is not None:
            children.append(_child_sheet(key, section, name, item))
            continue
        columns.append(_column(key, name, info))
    columns += [_extra_column(name, spec) for name, spec in extra.items()]
    sheet = Sheet(_SHEET_NAMES.get(key, key), key, section, tuple(columns), event_type=event_type,
                  extra=key not in _SHEET_NAMES)
    return [sheet, *children]


def _child_sheet(parent: str, section: str, name: str, model: type[BaseModel]) -> Sheet:
    key = f"{parent}.{name}"
    parent_field = _PARENT_FIELD.get(parent, "parent")
    first = Column(parent_field, _HEADERS.get(f"{key}.{parent_field}", parent_field), "key", True)
    columns = (first, *(_column(key, n, info) for n, info in model.model_fields.items()))
    return Sheet(_SHEET_NAMES.get(key, key), key, section, columns, parent=parent, child_field=name)


def _column(key: str, name: str, info: FieldInfo) -> Column:
    kind, choices = _classify(info)
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    if isinstance(default, Enum):
        default = default.value
    header = _HEADERS.get(f"{key}.{name}") or _HEADERS.get(name) or name
    return Column(name, header, kind, info.is_required(), choices, default)


def _extra_column(name: str, spec: ExtraField, attribute: bool = True) -> Column:
    return Column(name, spec.title or name, spec.type, spec.required, spec.choices,
                  attribute=attribute, personal=spec.personal)


def ledger_schema(declarations: Any) -> ExtraSchema:
    """The columns and sheets for what packs declare (a
    :class:`~partybuild_rules.policy.declarations.Declarations`)."""
    from ..policy.declarations import OneOf, RefTo

    def field_of(spec: Any) -> ExtraField:
        kind = spec.type
        if isinstance(kind, OneOf):
            return ExtraField("enum", spec.title, spec.required, tuple(kind.one_of), spec.personal)
        if isinstance(kind, RefTo):
            return ExtraField("list" if kind.many else "key", spec.title, spec.required, (), spec.personal)
        mapped: dict[str, FieldType] = {"money": "money", "decimal": "decimal", "integer": "integer",
                                        "text": "text", "date": "date", "month": "month", "boolean": "boolean"}
        return ExtraField(mapped[kind], spec.title, spec.required, (), spec.personal)

    sections = {"member": "members", "unit": "units", "community": "communities"}
    attributes = {
        sections[kind.value]: {name: field_of(spec) for name, spec in specs.items()}
        for kind, specs in declarations.attributes.items() if specs
    }
    events = {name: {f: field_of(spec) for f, spec in event.fields.items()} for name, event in declarations.events.items()}
    titles = {name: event.title for name, event in declarations.events.items()}
    return ExtraSchema(attributes, events, titles)


def _classify(info: FieldInfo) -> tuple[FieldType, tuple[str, ...]]:
    annotation = _without_none(info.annotation)
    metadata = list(info.metadata)
    if typing.get_origin(annotation) is typing.Annotated:  # ``Decimal_ | None`` keeps its metadata inside
        annotation, *inner = typing.get_args(annotation)
        metadata = inner + metadata
    # ``Field(...)`` inside an ``Annotated`` stays a FieldInfo holding its own constraints.
    metadata = [m for item in metadata for m in (item.metadata if isinstance(item, FieldInfo) else [item])]
    origin = typing.get_origin(annotation)
    if origin is tuple:
        return "list", ()
    if origin is Literal:
        return "enum", tuple(_plain(v) for v in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "enum", tuple(str(m.value) for m in annotation)
    if annotation is bool:
        return "boolean", ()
    if annotation is date:
        return "date", ()
    if annotation is int:
        return "integer", ()
    if annotation is Decimal:
        money = typing.get_args(Money)[1:]
        return ("money" if list(money) == metadata[: len(money)] else "decimal"), ()
    if annotation is str:
        constrained = any(getattr(m, "min_length", None) or getattr(m, "pattern", None) for m in metadata)
        if any(getattr(m, "pattern", None) for m in metadata):
            return "id", ()
        return ("key" if constrained else "text"), ()
    raise TypeError(f"no ledger column type for {annotation!r}")  # a model field of a new kind


def _without_none(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (Union, UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _plain(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value)


def _item_model(annotation: Any) -> type[BaseModel] | None:
    """The record model of a ``tuple[Model, ...]`` field, or None."""
    if typing.get_origin(annotation) is not tuple:
        return None
    item = typing.get_args(annotation)[0]
    if isinstance(item, type) and issubclass(item, BaseModel):
        return item
    if typing.get_origin(item) is typing.Annotated and typing.get_origin(typing.get_args(item)[0]) is Union:
        return BaseModel  # the events union
    return None
