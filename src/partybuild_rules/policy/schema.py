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
from . import documents as policy
from .cases import CaseFile
from .documents import Manifest, RuleFile

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
            policy._value: {
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


# ---------------------------------------------------------------------------------------------
# what each field means, for hover text: (title, description) by model and field


_DATASET_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "Dataset": {
        "name": ("数据集名称", "a title for reports, e.g. 同江市城市基层党建2024年度数据"),
        "covers": ("记录期间", "the dates the events describe, inclusive; outside them nothing is known"),
        "communities": ("社区", "communities, each with its Party general branch (社区党总支)"),
        "grids": ("网格", "grids, each with its Party group (网格党小组)"),
        "units": ("驻区单位", "resident units, each with its Party organisation"),
        "members": ("党员", "in-service members (在职党员) and community staff"),
        "inspection_groups": ("巡回督查组", "inspection groups"),
        "ratings": ("历年考核档次", "annual tiers of earlier years"),
        "events": ("事件", "what happened, each tagged by `type`"),
    },
    "Coverage": {
        "start": ("起始日期", "first covered day, YYYY-MM-DD"),
        "end": ("截止日期", "last covered day, YYYY-MM-DD; not before `start`"),
    },
    "Community": {
        "id": ("编号", "internal id, e.g. C01 (never a name or a personal identifier)"),
        "name": ("社区名称", "e.g. 东江社区"),
        "liaison": ("联系包保的市委常委", "name of the standing-committee member linked to the community"),
        "area_m2": ("活动阵地面积（平方米）", "floor area of the community's premises, m²"),
        "neighbours": ("相邻社区", "ids of nearby communities, for B1 balancing; listing a community on "
                       "either side makes the two neighbours"),
    },
    "Grid": {
        "id": ("编号", "internal id, e.g. G001"),
        "name": ("网格名称", "e.g. 东江社区第1网格"),
        "community": ("所属社区", "community id"),
    },
    "ResidentUnit": {
        "id": ("编号", "internal id, e.g. U0001"),
        "name": ("单位名称", "e.g. 同江市财政局"),
        "community": ("所在社区", "id of the community whose area the unit is in"),
        "kind": ("单位类别", "party_government 党政机关 · public_institution 事业单位 · enterprise 国有企业 · "
                 "new_economic_social “两新”组织 · other 其他"),
        "leader": ("主要领导", "name of the main leader, the person interviewed under R1"),
    },
    "Member": {
        "id": ("编号", "internal id, e.g. M00001 (never a 身份证号)"),
        "name": ("姓名", "the member's name, verbatim"),
        "residence_community": ("居住地社区", "id of the community where the member lives"),
        "unit": ("工作单位", "unit id; required for an in-service member"),
        "grid": ("所在网格", "grid id"),
        "in_service": ("在职党员", "subject to R2 (six months without 联学共建); default true"),
        "five_star": ("五星级党员", "holds five-star status (revoked under R2); default false"),
        "reported_in": ("报到日期", "date the member reported in to the community; "
                        "months before it do not count for R2"),
        "roles": ("任职", "posts held, for allowances (A1, A2, A4)"),
    },
    "RoleHolding": {
        "role": ("职务", "grid_leader 网格长 · committee_member 居委会委员 · community_worker 社区工作者 · "
                 "party_secretary 党组织书记"),
        "community": ("任职社区", "community id of the post"),
        "start": ("任职起始日", "first day held, inclusive"),
        "end": ("任职终止日", "last day held, inclusive; null means still held"),
    },
    "InspectionGroup": {
        "id": ("编号", "internal id, e.g. IG1"),
        "name": ("督查组名称", "e.g. 同江市第一巡回督查组"),
    },
    "Rating": {
        "subject_kind": ("对象类别", "unit 驻区单位 or community 社区"),
        "subject": ("对象编号", "unit or community id"),
        "year": ("年度", "the year rated"),
        "tier": ("档次", "e.g. 好, 较好, 一般, 差"),
    },
    "UnitReport": {
        "unit": ("报到单位", "id of the reporting unit"),
        "community": ("报到社区", "community id; null means the unit's own"),
    },
    "MemberReportIn": {
        "member": ("报到党员", "member id"),
        "community": ("报到社区", "the residence community or the unit's community (双报到)"),
    },
    "Activity": {
        "community": ("组织社区", "id of the community holding it"),
        "kind": ("活动类别", "collective 集中活动 · party_lesson 党课 · theme_day 主题党日 · volunteer 志愿服务 · other 其他"),
        "co_building": ("联学共建活动", "only 联学共建 activities count as taking part for R2; default true"),
        "title": ("活动名称", "e.g. 主题党日：重温入党誓词"),
        "units": ("参加单位", "ids of resident units that took part"),
        "participants": ("参加党员", "ids of members who took part"),
    },
    "JointMeeting": {
        "community": ("召开社区", "id of the community holding it"),
        "units": ("参会单位", "ids of units that attended"),
        "items": ("议定事项", "items agreed, tracked to closure"),
    },
    "AgreedItem": {
        "id": ("编号", "e.g. A0001"),
        "title": ("事项", "what was agreed"),
        "due": ("办理期限", "when it should be done"),
        "closed": ("办结日期", "when it was done; null means still open"),
    },
    "TwoWayReview": {
        "year": ("评议年度", "the year reviewed"),
        "unit": ("驻区单位", "unit id"),
        "community": ("社区", "community id"),
        "score_of_unit": ("社区对单位评分", "0–100"),
        "score_of_community": ("单位对社区评分", "0–100"),
    },
    "Inspection": {
        "group": ("督查组", "inspection group id"),
        "subject_kind": ("督查对象类别", "unit 驻区单位党组织 or community 社区党总支"),
        "subject": ("督查对象", "unit or community id"),
        "findings": ("发现问题", "problems found, each with a deadline"),
    },
    "Finding": {
        "id": ("编号", "unique across all inspections, e.g. F00001"),
        "description": ("问题", "e.g. “三会一课”记录不规范"),
        "deadline": ("整改时限", "rectify by this day; may fall after covers.end"),
    },
    "Rectification": {
        "finding": ("整改销号的问题", "finding id, closed on `date`"),
    },
    "Assessment": {
        "subject_kind": ("考评对象类别", "unit or community"),
        "subject": ("考评对象", "unit or community id"),
        "part": ("考评类别", "daily 日常纪实考评 · year_end 年末综合考核"),
        "score": ("得分", "0–100, e.g. \"87.5\""),
    },
}

_EVENT_COMMON = {
    "id": ("编号", "unique among all events, e.g. E000001"),
    "date": ("日期", "the day it happened, YYYY-MM-DD, inside `covers`"),
    "type": ("事件类型", "unit_report · member_report_in · activity · joint_meeting · two_way_review · "
             "inspection · rectification · assessment"),
}
_DATASET_DOCS["PackEvent"] = {
    "type": ("事件类型", "an event type a pack declares under `event_types:`, e.g. dues_payment"),
    "fields": ("字段", "the fields the pack declares, written beside `id`, `date` and `type`"),
}
_ATTRIBUTES = ("扩展属性", "attributes that the packs in use declare, e.g. {monthly_income: \"4200.00\"}")
for _record in ("Community", "ResidentUnit", "Member"):
    _DATASET_DOCS[_record]["attributes"] = _ATTRIBUTES
_DATASET_DOCS["Dataset"]["declared_by"] = (
    "扩展数据所属政策包", "packs (by name) that declare this dataset's attributes and pack events, e.g. "
    "[party-dues, points]; it can then be evaluated with other packs too")
for _event in ("UnitReport", "MemberReportIn", "Activity", "JointMeeting", "TwoWayReview", "Inspection",
               "Rectification", "Assessment", "PackEvent"):
    _DATASET_DOCS[_event] = {**_EVENT_COMMON, **_DATASET_DOCS[_event]}

_BOUND_DOCS = {
    "at_least": ("不少于", "at least this many (inclusive)"),
    "at_most": ("不多于", "at most this many (inclusive)"),
    "less_than": ("少于", "fewer than this (exclusive)"),
    "more_than": ("多于", "more than this (exclusive)"),
    "between": ("介于", "[low, high], both inclusive"),
}

_POLICY_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "Manifest": {
        "pack": ("政策包编号", "lowercase ASCII, e.g. tongjiang"),
        "title": ("政策包名称", "in Chinese"),
        "version": ("版本", "a quoted version string, e.g. \"1.0.0\""),
        "effective": ("生效期间", "{from: \"2024-01-01\", until: null}"),
        "source": ("依据文件", "the document the pack implements"),
        "rule_files": ("规则文件", "the rule files, in order, relative to pack.yaml"),
        "parameters": ("参数", "every number the rules use, by name; rules refer to them as $name"),
        "exclusive": ("互斥结果", "pairs of rule kinds or rule ids no subject may get in one year, "
                      "e.g. [commendation, reprimand]"),
        "tests": ("测试文件", "policy test files (cases), relative to pack.yaml; run by `partybuild-rules test`"),
        "attributes": ("扩展属性", "typed attributes the pack adds to subjects, by subject kind, e.g. "
                       "{member: {monthly_income: {type: money, personal: true}}}"),
        "event_types": ("扩展事件类型", "the pack's own event types with their typed fields, e.g. dues_payment"),
        "extends": ("继承", "the pack this one builds on, by name (e.g. tongjiang) or pkg:NAME; "
                    "see docs/policy-language.md, composition"),
        "disable": ("停用规则", "rule ids of the extended pack that do not apply here, e.g. [C3.quarterly-activity]"),
    },
    "FieldSpec": {
        "type": ("类型", "money 金额 · decimal 小数 · integer 整数 · text 文本 · date 日期 · month 月份 · boolean 是否 · "
                 "{one_of: [...]} 可选值 · {ref: member|unit|community} 引用"),
        "title": ("名称", "in Chinese, e.g. 月工资收入（税后）"),
        "required": ("必填", "true: every record must give it"),
        "personal": ("个人数据", "true: never shown in summaries, tables, explanations or provenance"),
    },
    "OneOf": {"one_of": ("可选值", "the allowed texts, e.g. [在职, 离退休, 学生]")},
    "RefTo": {
        "ref": ("引用对象", "member 党员 · unit 驻区单位 · community 社区"),
        "many": ("多个", "true: a list of ids"),
    },
    "EventTypeSpec": {
        "title": ("事件名称", "in Chinese, e.g. 党费交纳"),
        "fields": ("字段", "the event's fields beside id, date and type; it counts for every subject a "
                   "`ref` field names"),
    },
    "Band": {
        "min": ("下限（含）", "inclusive lower bound; leave out with `above` for an open band"),
        "above": ("下限（不含）", "exclusive lower bound"),
        "max": ("上限（含）", "inclusive upper bound"),
        "below": ("上限（不含）", "exclusive upper bound; leave out both for an open top band"),
        "value": ("值", "the value for numbers in the band, e.g. \"0.005\""),
    },
    "Effective": {
        "from": ("生效日期", "YYYY-MM-DD"),
        "until": ("失效日期", "YYYY-MM-DD, or null for no end"),
    },
    "ParameterSpec": {
        "title": ("参数名称", "in Chinese; mark illustrative values 示例值"),
        "unit": ("单位", "e.g. 月, 元/月, 分"),
        "type": ("类型", "integer 整数 · decimal 小数 · money 金额（元） · text 文本 · table 分档表 · lookup 对照表"),
        "default": ("默认值", "the value used unless overridden"),
        "bands": ("分档", "table: bands that meet without gap or overlap, e.g. {above: 3000, max: 5000, value: 0.01}"),
        "entries": ("对照值", "lookup: a value per key, e.g. {collective: 5, party_lesson: 3}"),
        "monotone": ("单调", "table: increasing or decreasing values from the lowest band up (checked)"),
        "min": ("最小值", "optional lower bound, checked for defaults and overrides"),
        "max": ("最大值", "optional upper bound, checked for defaults and overrides"),
        "allowed": ("可选值", "optional list of allowed values"),
        "illustrative": ("示例值", "true: the report gives no number; the default is an example"),
        "description": ("说明", "free text"),
        "dated": ("分段取值", "values for ranges of days, e.g. [{from: \"2024-07-01\", value: \"1300.00\"}]; "
                  "other days take `default`; money is paid day by day"),
    },
    "DatedValue": {
        "from": ("起始日期", "YYYY-MM-DD, inclusive"),
        "until": ("截止日期", "YYYY-MM-DD, inclusive; without it, until the next entry starts"),
        "value": ("取值", "of the parameter's type, within its range"),
    },
    "RuleFile": {
        "rules": ("规则", "the rules of this file"),
    },
    "Rule": {
        "id": ("规则编号", "stable ASCII id: a capitalised prefix, then dot-separated lowercase words, "
               "e.g. R2.member-absence"),
        "title": ("规则名称", "in Chinese"),
        "kind": ("规则类别", "evaluation 考核评价 · commendation 表彰 · reprimand 问责 · compliance 合规检查 · "
                 "allowance 待遇经费 · charge 应缴费用 · allocation 均衡调剂"),
        "subject": ("对象", "member 党员 · unit 驻区单位 · community 社区, or a list such as [unit, community]"),
        "source": ("依据条款", "the clause of the source document the rule implements, quoted in every outcome"),
        "applies_if": ("适用条件", "tests on the subject's fields, e.g. {in_service: true}"),
        "when": ("触发条件", "the condition; allowances may leave it out to pay every subject every period"),
        "unless": ("除外", "reprimanded: not for a subject reprimanded in the same year"),
        "then": ("措施", "reprimand/commendation measures, e.g. 约谈, 通报批评"),
        "finding": ("合规问题", "compliance: the text of the finding"),
        "score": ("评分项", "evaluation: weighted items, each the mean of a field over the subject's events"),
        "tiers": ("档次", "evaluation: score ranges → tier"),
        "rating": ("年度档次", "true: this evaluation gives the annual rating other rules read"),
        "per": ("期间", "month 月 · quarter 季度 · half_year 半年 · year 年"),
        "amount": ("金额公式", "allowance: a formula over parameters, "
                   "e.g. $committee_multiplier * $minimum_income"),
        "amount_by_tier": ("按档次金额", "allowance: tier → amount, e.g. {好: $new_org_funds_good}"),
        "balance": ("均衡调剂", "allocation: {tolerance: $balance_tolerance, max_moves: $balance_max_moves}"),
        "prorate": ("折算", "by_days: amount × days held / days in the month, half-up to 0.01 yuan; none"),
        "rounding": ("舍入", "fen 分 (default) · jiao 角 · yuan 元, half up"),
        "local": ("本社区档次", "false: read the rating of the community where the role is held; "
                  "allocation rules are never local"),
        "monotone": ("单调", "true: one more counted event never adds an outcome"),
        "note": ("备注", "free text"),
        "replaces": ("取代规则", "the id of a rule of the extended (or an earlier) pack that this rule takes the place of"),
    },
    "Balance": {
        "tolerance": ("允许偏差", "balanced: every community within this many units of the city mean, "
                      "e.g. $balance_tolerance"),
        "max_moves": ("最多调剂家数", "at most this many units are proposed to move, e.g. $balance_max_moves"),
    },
    "Condition": {
        "all": ("同时满足", "every condition of the list holds"),
        "any": ("满足其一", "at least one condition of the list holds"),
        "not": ("不满足", "the condition does not hold (a value not recorded satisfies neither)"),
        "streak": ("连续期间", "consecutive periods in which a condition holds, once per streak"),
        "sum": ("合计", "the total of a numeric field of matching events per period"),
        "attribute": ("属性", "a test of the subject's attribute, e.g. {name: category, equals: 学生}"),
        "outcome": ("其他规则结果", "outcomes of other rules for the subject (rule chaining)"),
        "absence_streak": ("连续未参加", "consecutive months without a matching activity"),
        "count": ("计数", "matching events per period, compared with a bound"),
        "rating": ("考核档次", "the subject's annual rating in a year"),
        "overdue_finding": ("逾期未整改", "an inspection finding with no rectification on or before its deadline"),
        "holds_role": ("担任职务", "grid_leader 网格长 · committee_member 居委会委员 · community_worker 社区工作者 · "
                       "party_secretary 党组织书记"),
    },
    "Streak": {
        "period": ("期间", "month"),
        "activity": ("活动", "which activities count as taking part, e.g. {co_building: true}"),
        "reaches": ("达到", "the number of consecutive months, e.g. $absence_months"),
    },
    "ActivityFilter": {
        "kind": ("活动类别", "collective 集中活动 · party_lesson 党课 · theme_day 主题党日 · volunteer 志愿服务 · other 其他"),
        "co_building": ("联学共建活动", "true: only 联学共建 activities"),
    },
    "Count": {
        "events": ("事件", "which events count"),
        "per": ("期间", "month 月 · quarter 季度 · half_year 半年 · year 年 (default: the rule's)"),
        **_BOUND_DOCS,
    },
    "Bounds": dict(_BOUND_DOCS),
    "Sum": {
        "events": ("事件", "which events count"),
        "field": ("字段", "the numeric field summed, e.g. points"),
        "value": ("公式", "a formula over each event's fields, e.g. lookup($activity_points, kind)"),
        "per": ("期间", "month 月 · quarter 季度 · half_year 半年 · year 年 (default: the rule's)"),
        **_BOUND_DOCS,
    },
    "AttributeTest": {
        "name": ("属性", "an attribute the pack declares, or a core field such as in_service"),
        "equals": ("等于", "the value, e.g. 学生"),
        "one_of": ("属于", "a list of values"),
        "recorded": ("已登记", "true: the value is recorded; false: it is missing"),
        **_BOUND_DOCS,
    },
    "GeneralStreak": {
        "period": ("期间", "month 月 · quarter 季度 · half_year 半年 · year 年"),
        "of": ("每期条件", "the condition each period of the streak satisfies"),
        "reaches": ("达到", "the number of consecutive periods, e.g. $unpaid_months"),
        "counts_from": ("起算", "reported_in (a member's report-in date) or a date attribute; default: "
                        "the first recorded period"),
    },
    "OutcomeTest": {
        "rule": ("规则", "a rule id or a list of ids of the same pack"),
        "kind": ("规则类别", "or all rules of a kind, e.g. compliance"),
        "year": ("年度", "current 本年度 · previous 上一年度 · or an offset such as -2"),
        "tier": ("档次", "only evaluations of this tier"),
        "score": ("得分", "only evaluations whose score is in these bounds"),
        **_BOUND_DOCS,
    },
    "Periods": {
        "period": ("期间", "month 月 · quarter 季度 · half_year 半年 · year 年"),
        "of": ("条件", "the condition a period satisfies to count"),
        "counts_from": ("起算", "reported_in (a member's report-in date) or a date attribute; periods before it "
                        "do not count"),
    },
    "EventFilter": {
        "type": ("事件类型", "unit_report · member_report_in · activity · joint_meeting · two_way_review · "
                 "inspection · rectification · assessment"),
        "kind": ("活动类别", "activities only"),
        "co_building": ("联学共建活动", "activities only"),
        "part": ("考评类别", "assessments only: daily 日常纪实考评 · year_end 年末综合考核"),
        "where": ("字段条件", "other fields of the event, e.g. {reason: 志愿服务}"),
        "dated_by": ("计入期间依据", "the `date` or `month` field that places the event in a period (default: date)"),
    },
    "RatingCondition": {
        "year": ("年度", "current 本年度 · previous 上一年度 · or an offset such as -2"),
        "tier": ("档次", "e.g. 一般; without it, any rating"),
    },
    "Measure": {
        "measure": ("措施", "e.g. 约谈, 通报批评, 限期整改"),
        "target": ("措施对象", "subject (default) or leader: the unit's main leader 主要领导"),
        "revoke": ("取消资格", "five_star: revoke the member's 五星级党员 status"),
        "deadline_days": ("整改天数", "a new deadline this many days later, e.g. $rectification_days"),
        "if": ("条件", "only when the subject's fields match, e.g. {five_star: true}"),
    },
    "ScoreItem": {
        "title": ("评分项名称", "e.g. 日常纪实考评"),
        "events": ("事件", "the events scored"),
        "field": ("得分字段", "the event field averaged, or per subject kind, e.g. {unit: score_of_unit}"),
        "weight": ("权重", "e.g. $daily_weight (default 1)"),
        "sum": ("合计", "a sum of event values over the year"),
        "count": ("计数", "a count of events over the year"),
        "periods": ("期间数", "the number of periods of the year in which a condition holds"),
        "subtract": ("扣减", "true: deducted from the score"),
    },
    "Tier": {
        "tier": ("档次", "e.g. 好"),
        "min": ("最低分（含）", "inclusive lower bound; leave out for a lowest tier open below"),
        "below": ("上限（不含）", "exclusive upper bound; give `below` or `max`"),
        "max": ("最高分（含）", "inclusive upper bound; give `below` or `max`"),
    },
}

_ENUMS: dict[str, dict[str, str]] = {
    "UnitKind": {"party_government": "党政机关", "public_institution": "事业单位", "enterprise": "国有企业",
                 "new_economic_social": "“两新”组织", "other": "其他"},
    "Role": {"grid_leader": "网格长", "committee_member": "居委会委员", "community_worker": "社区工作者",
             "party_secretary": "党组织书记（“一肩挑”）"},
    "ActivityKind": {"collective": "集中活动（C3 计数）", "party_lesson": "党课", "theme_day": "主题党日",
                     "volunteer": "志愿服务", "other": "其他"},
    "SubjectKind": {"member": "党员", "unit": "驻区单位", "community": "社区"},
    "RuleKind": {"evaluation": "考核评价", "commendation": "表彰", "reprimand": "问责",
                 "compliance": "合规检查", "allowance": "待遇经费", "charge": "应缴费用",
                 "allocation": "均衡调剂"},
    "Granularity": {"month": "月", "quarter": "季度", "half_year": "半年", "year": "年"},
}

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
    _finish(defs, _DATASET_DOCS)
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
    _finish(defs, {**_POLICY_DOCS, **_DATASET_DOCS})
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
        if name in _ENUMS and "enum" in definition:
            labels = _ENUMS[name]
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
        defs[bounded]["not"] = {"anyOf": [{"required": [a, b]} for i, a in enumerate(_BOUND_DOCS)
                                          for b in list(_BOUND_DOCS)[i + 1:]]}
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
