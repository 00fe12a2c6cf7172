"""What each field of the dataset format and of the policy files means, for the schemas' hover
text in an editor: a title in Chinese and a description in English, by model and field; the
Chinese labels of enumeration values; the names of a bound. Plain data, read by :mod:`.schema`."""

from __future__ import annotations

__all__ = ["BOUND_DOCS", "DATASET_DOCS", "ENUM_LABELS", "POLICY_DOCS"]

DATASET_DOCS: dict[str, dict[str, tuple[str, str]]] = {
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
DATASET_DOCS["PackEvent"] = {
    "type": ("事件类型", "an event type a pack declares under `event_types:`, e.g. dues_payment"),
    "fields": ("字段", "the fields the pack declares, written beside `id`, `date` and `type`"),
}
_ATTRIBUTES = ("扩展属性", "attributes that the packs in use declare, e.g. {monthly_income: \"4200.00\"}")
for _record in ("Community", "ResidentUnit", "Member"):
    DATASET_DOCS[_record]["attributes"] = _ATTRIBUTES
DATASET_DOCS["Dataset"]["declared_by"] = (
    "扩展数据所属政策包", "packs (by name) that declare this dataset's attributes and pack events, e.g. "
    "[party-dues, points]; it can then be evaluated with other packs too")
for _event in ("UnitReport", "MemberReportIn", "Activity", "JointMeeting", "TwoWayReview", "Inspection",
               "Rectification", "Assessment", "PackEvent"):
    DATASET_DOCS[_event] = {**_EVENT_COMMON, **DATASET_DOCS[_event]}

BOUND_DOCS = {
    "at_least": ("不少于", "at least this many (inclusive)"),
    "at_most": ("不多于", "at most this many (inclusive)"),
    "less_than": ("少于", "fewer than this (exclusive)"),
    "more_than": ("多于", "more than this (exclusive)"),
    "between": ("介于", "[low, high], both inclusive"),
}

POLICY_DOCS: dict[str, dict[str, tuple[str, str]]] = {
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
        **BOUND_DOCS,
    },
    "Bounds": dict(BOUND_DOCS),
    "Sum": {
        "events": ("事件", "which events count"),
        "field": ("字段", "the numeric field summed, e.g. points"),
        "value": ("公式", "a formula over each event's fields, e.g. lookup($activity_points, kind)"),
        "per": ("期间", "month 月 · quarter 季度 · half_year 半年 · year 年 (default: the rule's)"),
        **BOUND_DOCS,
    },
    "AttributeTest": {
        "name": ("属性", "an attribute the pack declares, or a core field such as in_service"),
        "equals": ("等于", "the value, e.g. 学生"),
        "one_of": ("属于", "a list of values"),
        "recorded": ("已登记", "true: the value is recorded; false: it is missing"),
        **BOUND_DOCS,
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
        **BOUND_DOCS,
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

ENUM_LABELS: dict[str, dict[str, str]] = {
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
