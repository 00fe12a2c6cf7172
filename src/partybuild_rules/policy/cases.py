"""The documents of a pack's YAML test cases: a small dataset, a year, expected outcomes.

The runner that evaluates them is :mod:`partybuild_rules.analysis.pack_tests`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..domain.model import Dataset
from ..domain.money import Money
from ..domain.outcomes import RuleKind
from ..domain.periods import Period

__all__ = ["MATCH_FIELDS", "Case", "CaseFile", "Expect", "ExpectNone", "plain_value"]

MATCH_FIELDS = ("rule", "subject", "period", "kind", "tier", "amount", "measure", "target", "deadline", "to")
"""The outcome fields an expectation may test, in the order messages show them."""


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExpectNone(_Doc):
    """Outcomes that must be absent: no outcome may match every field given here."""

    rule: str | None = Field(default=None, description="规则 id，如 `R2.member-absence`")
    subject: str | None = Field(default=None, description="对象 id（党员、驻区单位或社区），如 `M1`")
    period: str | None = Field(
        default=None, description="期间：`2024-03`（月）、`2024-Q1`（季度）、`2024-H1`（半年）或 `2024`（年）"
    )
    kind: RuleKind | None = Field(default=None, description="结果类别：evaluation 考核评价 · commendation 表彰 · "
                                  "reprimand 问责 · compliance 合规检查 · allowance 待遇经费 · allocation 均衡调剂")
    tier: str | None = Field(default=None, description="考核档次，如 `好`、`较好`、`一般`、`差`")
    amount: Money | None = Field(default=None, description="金额（元，精确到分），如 `\"1638.71\"`")
    measure: str | None = Field(default=None, description="问责或表彰措施名称，如 `约谈`、`通报批评`")
    target: str | None = Field(default=None, description="措施对象的名称，如单位主要领导的姓名（与 `measure` 同一措施）")
    deadline: date | None = Field(default=None, description="措施的整改期限（与 `measure` 同一措施），如 `\"2024-07-31\"`")
    to: str | None = Field(default=None, description="均衡调剂：建议调入的社区编号，如 `C2`（调出社区即结果的 `community`）")

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is not None:
            Period.parse(value)
        return value

    @model_validator(mode="after")
    def _something(self) -> ExpectNone:
        if all(getattr(self, name) is None for name in MATCH_FIELDS):
            raise ValueError(
                "an expectation needs at least one of " + ", ".join(f"`{n}`" for n in MATCH_FIELDS)
            )
        return self

    def shown(self) -> str:
        """The expectation as the author wrote it, in flow style: ``{rule: R2…, subject: M1}``."""
        parts = [f"{name}: {plain_value(getattr(self, name))}" for name in MATCH_FIELDS
                 if getattr(self, name) is not None]
        count = getattr(self, "count", None)
        if count is not None:
            parts.append(f"count: {count}")
        return "{" + ", ".join(parts) + "}"


class Expect(ExpectNone):
    """Outcomes that must be present: at least one (or exactly ``count``) matching every field."""

    count: int | None = Field(default=None, ge=0, description="恰好有这么多个结果匹配（省略则至少一个）")


class Case(_Doc):
    """One test: a small dataset, the year to evaluate, and the outcomes expected."""

    name: str = Field(min_length=1, description="用例名称，说明所测的规则与边界情形")
    year: int = Field(ge=1949, le=2200, description="评估年度")
    note: str = Field(default="", description="备注")
    parameters: dict[str, Union[int, str]] = Field(
        default={}, description="本用例覆盖的参数值，如 `{absence_months: 3}`"
    )
    data: Dataset = Field(description="小型数据集，格式同 docs/data-format.md")
    expect: tuple[Expect, ...] = Field(default=(), description="必须出现的结果")
    expect_none: tuple[ExpectNone, ...] = Field(default=(), description="不得出现的结果")

    @model_validator(mode="after")
    def _expects_something(self) -> Case:
        if not self.expect and not self.expect_none:
            raise ValueError("a case needs `expect` or `expect_none` (or both)")
        return self


class CaseFile(_Doc):
    """A policy test file: a list of cases (政策测试用例)."""

    cases: tuple[Case, ...] = Field(min_length=1, description="测试用例")



def plain_value(value: Any) -> str:
    """A value as the author would write it in YAML flow style."""
    if isinstance(value, RuleKind):
        return value.value
    if isinstance(value, Decimal):
        return f'"{value}"'
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
