"""The domain: communities, grids, resident units, members, ratings and events (pydantic v2, frozen).

Records are keyed by internal ids (``U001``, ``M00042``), never by a national ID number or a name;
names are stored verbatim, as the source spelled them. A :class:`Dataset` checks that every
reference resolves and reports every problem at once, each with the path of the record at fault.
"""

from __future__ import annotations

import re
from datetime import date
from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    StrictBool,
    Tag,
    ValidationInfo,
    model_serializer,
    model_validator,
)

from .money import Decimal_

__all__ = [
    "ActivityKind",
    "Activity",
    "AgreedItem",
    "Assessment",
    "Community",
    "Coverage",
    "Dataset",
    "Event",
    "Finding",
    "Grid",
    "Inspection",
    "InspectionGroup",
    "JointMeeting",
    "Member",
    "MemberReportIn",
    "Rating",
    "Rectification",
    "ResidentUnit",
    "Role",
    "RoleHolding",
    "SubjectKind",
    "TwoWayReview",
    "UnitKind",
    "UnitReport",
    "IntegrityProblems",
    "PackEvent",
    "CORE_EVENT_TYPES",
]

def _strict_date(value: Any) -> Any:
    """A date is written as text (``2024-01-08``); a number such as ``1704672000`` is refused,
    not read as seconds since 1970."""
    if type(value) is str and len(value) == 10 and _ISO_DATE.match(value):
        return value
    if not isinstance(value, date):
        raise ValueError("expected a date written YYYY-MM-DD")
    return value


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
Date = Annotated[date, BeforeValidator(_strict_date)]
"""A calendar date written ``YYYY-MM-DD``."""

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
"""A record's internal id; one shaped like a national ID number is refused (integrity checks)."""
Ref = Annotated[str, Field(min_length=1)]
"""A reference to a record's id; the dataset checks that it resolves (so its spelling too)."""
Score = Annotated[Decimal_, Field(ge=0, le=100)]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class SubjectKind(str, Enum):
    """Who a rule is about."""

    MEMBER = "member"
    UNIT = "unit"
    COMMUNITY = "community"

    @property
    def label(self) -> str:
        return {"member": "党员", "unit": "驻区单位", "community": "社区"}[self.value]


class UnitKind(str, Enum):
    """The kind of a resident unit (驻区单位)."""

    PARTY_GOVERNMENT = "party_government"  # 党政机关
    PUBLIC_INSTITUTION = "public_institution"  # 事业单位
    ENTERPRISE = "enterprise"  # 国有企业
    NEW_ECONOMIC_SOCIAL = "new_economic_social"  # “两新”组织
    OTHER = "other"


class Role(str, Enum):
    """A paid or named post held by a member for a span of dates."""

    GRID_LEADER = "grid_leader"  # 网格长
    COMMITTEE_MEMBER = "committee_member"  # 居委会委员
    COMMUNITY_WORKER = "community_worker"  # 社区工作者
    PARTY_SECRETARY = "party_secretary"  # 党组织书记（“一肩挑”）


class ActivityKind(str, Enum):
    """What an activity was; ``collective`` is the quarterly 集中活动 that C3 counts."""

    COLLECTIVE = "collective"  # 集中活动
    PARTY_LESSON = "party_lesson"  # 党课
    THEME_DAY = "theme_day"  # 主题党日
    VOLUNTEER = "volunteer"  # 志愿服务
    OTHER = "other"


class Coverage(_Record):
    """The dates a dataset's events cover, inclusive; outside them nothing is known."""

    start: Date
    end: Date

    @model_validator(mode="after")
    def _ordered(self) -> Coverage:
        if self.end < self.start:
            raise ValueError(f"coverage ends ({self.end}) before it starts ({self.start})")
        return self


class Community(_Record):
    """社区 with its Party general branch (社区党总支)."""

    id: Id
    name: str
    liaison: str | None = None  # 联系包保的市委常委, by name
    area_m2: Decimal_ | None = None
    neighbours: tuple[Ref, ...] = ()
    """相邻社区: the communities near this one, by id. Nearness is symmetric: a community listed
    by either of two communities makes them neighbours (B1 balancing moves units only between
    neighbours)."""
    attributes: dict[str, Any] = Field(default_factory=dict, json_schema_extra={"default": {}})
    """Values of attributes that packs declare (checked against the packs in use)."""


class Grid(_Record):
    """网格, a sub-unit of a community, with its Party group."""

    id: Id
    name: str
    community: Ref


class ResidentUnit(_Record):
    """驻区单位 with its Party organisation; ``leader`` is the main leader (主要领导), by name."""

    id: Id
    name: str
    community: Ref
    kind: UnitKind = UnitKind.OTHER
    leader: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, json_schema_extra={"default": {}})
    """Values of attributes that packs declare (checked against the packs in use)."""


class RoleHolding(_Record):
    """A role held from ``start`` to ``end`` inclusive; no end means still held."""

    role: Role
    community: Ref
    start: Date
    end: Date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RoleHolding:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"role ends ({self.end}) before it starts ({self.start})")
        return self


class Member(_Record):
    """A Party member. In-service members (在职党员) belong to a unit and report to communities."""

    id: Id
    name: str
    residence_community: Ref
    unit: Ref | None = None
    grid: Ref | None = None
    in_service: StrictBool = True
    five_star: StrictBool = False
    reported_in: Date | None = None
    roles: tuple[RoleHolding, ...] = ()
    attributes: dict[str, Any] = Field(default_factory=dict, json_schema_extra={"default": {}})
    """Values of attributes that packs declare (checked against the packs in use)."""


class Rating(_Record):
    """An annual rating tier (档次) given to a unit or community, e.g. from earlier years."""

    subject_kind: Literal[SubjectKind.UNIT, SubjectKind.COMMUNITY]
    subject: Ref
    year: int = Field(ge=1949, le=2200)
    tier: str = Field(min_length=1)


class InspectionGroup(_Record):
    """巡回督查组."""

    id: Id
    name: str


class _Event(_Record):
    id: Id
    date: Date


class UnitReport(_Event):
    """驻区单位按月到社区报到、报告共建情况; ``community`` defaults to the unit's own."""

    type: Literal["unit_report"] = "unit_report"
    unit: Ref
    community: Ref | None = None


class MemberReportIn(_Event):
    """在职党员到社区报到 (to the residence community or the unit's community)."""

    type: Literal["member_report_in"] = "member_report_in"
    member: Ref
    community: Ref


class Activity(_Event):
    """An activity held by a community; ``co_building`` marks it as 联学共建."""

    type: Literal["activity"] = "activity"
    community: Ref
    kind: ActivityKind
    co_building: StrictBool = True
    title: str = ""
    units: tuple[Ref, ...] = ()
    participants: tuple[Ref, ...] = ()


class AgreedItem(_Record):
    """议定事项 of a joint meeting, tracked to closure."""

    id: Id
    title: str
    due: Date | None = None
    closed: Date | None = None


class JointMeeting(_Event):
    """共建联席会议 of a community with its resident units."""

    type: Literal["joint_meeting"] = "joint_meeting"
    community: Ref
    units: tuple[Ref, ...] = ()
    items: tuple[AgreedItem, ...] = ()


class TwoWayReview(_Event):
    """双向评议 at year end: the community scores the unit and the unit scores the community."""

    type: Literal["two_way_review"] = "two_way_review"
    year: int
    unit: Ref
    community: Ref
    score_of_unit: Score
    score_of_community: Score


class Finding(_Record):
    """A problem an inspection found, to be rectified by ``deadline``."""

    id: Id
    description: str
    deadline: Date


class Inspection(_Event):
    """巡回督查 of a unit or a community branch by an inspection group."""

    type: Literal["inspection"] = "inspection"
    group: Ref
    subject_kind: Literal[SubjectKind.UNIT, SubjectKind.COMMUNITY]
    subject: Ref
    findings: tuple[Finding, ...] = ()


class Rectification(_Event):
    """整改: a finding rectified and closed (销号) on ``date``."""

    type: Literal["rectification"] = "rectification"
    finding: Ref


class Assessment(_Event):
    """A score from daily-record scoring (日常纪实考评) or the year-end assessment (年末综合考核)."""

    type: Literal["assessment"] = "assessment"
    subject_kind: Literal[SubjectKind.UNIT, SubjectKind.COMMUNITY]
    subject: Ref
    part: Literal["daily", "year_end"]
    score: Score


class PackEvent(_Event):
    """An event of a type a pack declares (``dues_payment``, ``points_award``); its fields are
    checked against the declaration of the packs in use, not here."""

    type: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    fields: dict[str, Any] = Field(default_factory=dict, json_schema_extra={"default": {}})

    @model_validator(mode="before")
    @classmethod
    def _gather(cls, data: Any) -> Any:
        if isinstance(data, dict) and "fields" not in data:
            core = {"id", "date", "type"}
            return {**{k: v for k, v in data.items() if k in core},
                    "fields": {k: v for k, v in data.items() if k not in core}}
        return data

    @model_serializer(mode="wrap")
    def _flatten(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        plain: dict[str, Any] = handler(self)
        return {**{k: v for k, v in plain.items() if k != "fields"}, **plain.get("fields", {})}


CORE_EVENT_TYPES = (
    "unit_report", "member_report_in", "activity", "joint_meeting",
    "two_way_review", "inspection", "rectification", "assessment",
)
"""The event types of the core model; any other ``type`` is a :class:`PackEvent`."""

CORE_EVENT_MODELS: dict[str, type[_Event]] = {
    str(model.model_fields["type"].default): model
    for model in (UnitReport, MemberReportIn, Activity, JointMeeting, TwoWayReview, Inspection, Rectification, Assessment)
}
"""The model of each core event type."""


def _event_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in CORE_EVENT_TYPES else "pack"


Event = Annotated[
    Union[
        Annotated[UnitReport, Tag("unit_report")],
        Annotated[MemberReportIn, Tag("member_report_in")],
        Annotated[Activity, Tag("activity")],
        Annotated[JointMeeting, Tag("joint_meeting")],
        Annotated[TwoWayReview, Tag("two_way_review")],
        Annotated[Inspection, Tag("inspection")],
        Annotated[Rectification, Tag("rectification")],
        Annotated[Assessment, Tag("assessment")],
        Annotated[PackEvent, Tag("pack")],
    ],
    Discriminator(_event_tag),
]


class IntegrityProblems(ValueError):
    """Every broken reference or duplicate id of a dataset, each as ``(path, message)``."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{_dotted(path)}: {message}" for path, message in problems))


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in path)


class _Checked(set[Any]):
    """The checks a dataset has passed: a note beside the dataset, not part of its value (two
    datasets with the same records are equal whatever was checked)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Checked)

    __hash__ = None


class Dataset(_Record):
    """One city's records and the events of the dates it covers."""

    name: str = ""
    covers: Coverage
    declared_by: tuple[str, ...] = ()
    """Packs (by name) whose declarations this dataset's attributes and pack events follow, so
    that it can be evaluated with other packs too (e.g. a city dataset carrying dues records)."""
    communities: tuple[Community, ...] = ()
    grids: tuple[Grid, ...] = ()
    units: tuple[ResidentUnit, ...] = ()
    members: tuple[Member, ...] = ()
    inspection_groups: tuple[InspectionGroup, ...] = ()
    ratings: tuple[Rating, ...] = ()
    events: tuple[Event, ...] = ()

    _declared: _Checked = PrivateAttr(default_factory=lambda: _Checked())
    """Declarations this dataset has been checked against (so evaluating does not check again)."""

    @model_validator(mode="after")
    def _integrity(self, info: ValidationInfo) -> Dataset:
        if info.context is not None and info.context.get(CHECKED_LATER):
            return self  # a reader that adds the events first, then checks the whole (compact.py)
        from .integrity import integrity_problems  # the checks read the models defined here

        problems = integrity_problems(self)
        if problems:
            raise IntegrityProblems(problems)
        return self


CHECKED_LATER = "integrity checked later"
"""A validation context key: the reader checks the references of the dataset once it is whole."""
