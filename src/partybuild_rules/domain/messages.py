"""Chinese renderings of the library's problem messages (English stays the source text).

Every message the library writes follows one of the English templates below, so one table renders
them all in Chinese for policy officers; ``--lang en`` shows the English. A message with no
template falls back to English, and a test keeps every error kind covered.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

__all__ = ["Lang", "translate", "render_problem", "render_header"]

Lang = Literal["zh", "en"]

_WHAT = {
    "community": "社区",
    "unit": "驻区单位",
    "member": "党员",
    "grid": "网格",
    "inspection group": "巡回督查组",
    "finding": "督查问题",
    "joint meeting": "联席会议",
    "inspection": "巡回督查",
}

# (English pattern, Chinese template). ``{n}`` is the n-th group as written; ``{n!t}`` is the n-th
# group translated in turn (for nested messages); ``{n!w}`` maps a record kind to Chinese; ``{n!o}``
# writes the English ``or`` of a list of choices as 或.
_TEMPLATES: list[tuple[str, str]] = [
    (r"`--limit (.+)`: no limit is called `(.+)`", "`--limit {0}`：没有名为 `{1}` 的限制"),
    (r"`--limit (.+)`: the value must be a whole number", "`--limit {0}`：取值必须是整数"),
    (r"e\.g\. --limit (.+)", "例如 --limit {0}"),
    (r"limits: (.+)", "可用的限制：{0}"),
    (r"`--limit`: limit `(.+)` must be a positive whole number, got `(.+)`", "`--limit`：限制 `{0}` 必须是正整数，实际为 `{1}`"),
    # --- packs that compose, effective dates, dated values ----------------------------------
    (r"year (-?\d+) is outside the effective dates of pack `(.+)` \((\S*)\.\.(\S*)\)",
     "{0} 年不在政策包 `{1}` 的生效期间（{2}～{3}）之内"),
    (r"evaluate (\d+) or a later year", "请评估 {0} 年或之后的年度"),
    (r"dated value: (.+)", "分段取值：{0!t}"),
    (r"dated value ends \((.+)\) before it starts \((.+)\)", "分段取值的结束日期（{0}）早于开始日期（{1}）"),
    (r"dated values are not in date order: (\S+) comes after (\S+)", "分段取值未按日期排序：{0} 排在 {1} 之后"),
    (r"list the dated values from the earliest", "请按日期从早到晚列出分段取值"),
    (r"dated values overlap: (\S+)\.\.(\S+) \(at (.+)\) and one from (\S+)",
     "分段取值的期间重叠：{0}～{1}（位于 {2}）与自 {3} 起的一段"),
    (r"each day has at most one value: end the earlier entry before the later starts",
     "每一天至多一个取值：请让前一段在后一段开始之前结束"),
    (r"dated parameter `(.+)` is used outside an amount in rule `(.+)`",
     "分段取值的参数 `{0}` 在规则 `{1}` 中用于金额以外的地方"),
    (r"dated values apply to money paid by the day \(`amount`, `amount_by_tier`\); give this parameter one value",
     "分段取值只适用于按日计发的金额（`amount`、`amount_by_tier`）；请给该参数单一取值"),
    (r"pack `(.+)` named by `extends` is not found", "找不到 `extends` 指定的政策包 `{0}`"),
    (r"pack `(.+)` is not found", "找不到政策包 `{0}`"),
    (r"looked in: (.+); install the pack package, or give a folder", "已查找：{0}；请安装该政策包软件包，或给出文件夹"),
    (r"looked in: (.+)", "已查找：{0}"),
    (r"pack `(.+)` extends itself through `extends`", "政策包 `{0}` 通过 `extends` 循环继承了自身"),
    (r"no pack given", "没有给出政策包"),
    (r"rule id `(.+)` of pack `(.+)` is also in pack `(.+)` \(at (.+)\)",
     "政策包 `{1}` 的规则编号 `{0}` 与政策包 `{2}` 重复（位于 {3}）"),
    (r"give the rule another id, or write `replaces: (.+)` to replace the rule of `(.+)`",
     "请给该规则另起编号，或写 `replaces: {0}` 以取代 `{1}` 的规则"),
    (r"parameter `(.+)` of pack `(.+)` is also declared by pack `(.+)` \(at (.+)\)",
     "政策包 `{1}` 的参数 `{0}` 已由政策包 `{2}` 声明（位于 {3}）"),
    (r"give the parameter another name; to change a pack's value use `extends` or an override",
     "请给参数另起名称；要修改某个政策包的取值，请使用 `extends` 或参数覆盖"),
    (r"parameter `(.+)` overrides nothing: the base pack does not declare it",
     "参数 `{0}` 没有可覆盖的对象：所继承的政策包没有声明它"),
    (r"declare it in full, with `title:` and `type:`", "请完整声明该参数，写出 `title:` 和 `type:`"),
    (r"rule `(.+)` replaces `(.+)`, which pack `(.+)` does not have", "规则 `{0}` 要取代的 `{1}` 在政策包 `{2}` 中不存在"),
    (r"rule `(.+)` replaces `(.+)`, which no pack before it has", "规则 `{0}` 要取代的 `{1}` 不在它之前的任何政策包中"),
    (r"`replaces` takes the place of a rule of the pack extended, or of a pack listed before",
     "`replaces` 只能取代所继承的政策包或排在前面的政策包中的规则"),
    (r"`disable` names `(.+)`, which pack `(.+)` does not have", "`disable` 中的 `{0}` 在政策包 `{1}` 中不存在"),
    (r"rules: (.+)", "可用规则：{0}"),
    # --- reading files --------------------------------------------------------------------
    (r"merge keys \(`<<`\) are not supported", "不支持合并键（`<<`）"),
    (r"write the fields out in full", "请把字段逐一写出"),
    (r"a mapping key must be a plain name", "映射的键必须是普通名称"),
    (r"duplicate key `(.+)` \(first at line (\d+)\)", "重复的键 `{0}`（第一次出现在第 {1} 行）"),
    (r"remove one of the two; YAML would silently keep only the last",
     "删除其中一个；YAML 会悄悄只保留后一个"),
    (r"remove one of the two; a JSON reader would silently keep only the last",
     "删除其中一个；JSON 读取程序会悄悄只保留后一个"),
    (r"tag `(.+)` is not allowed", "不允许使用标签 `{0}`"),
    (r"policies and data are plain YAML: remove the tag", "政策和数据都是普通 YAML：请删除该标签"),
    (r"yaml syntax: (.+)", "YAML 语法错误：{0}"),
    (r"check indentation, colons and quotes", "请检查缩进、冒号和引号"),
    (r"file not found: `(.+)`", "找不到文件 `{0}`"),
    (r"cannot read `(.+?)`: (.+)", "无法读取 `{0}`：{1}"),
    (r"json: (.+)", "JSON 格式错误：{0}"),
    (r"nested more than (\d+) levels deep", "嵌套超过 {0} 层"),
    (r"policies and data need only a few levels: check the (indentation|nesting)",
     "政策和数据只需要少数几层嵌套：请检查缩进或括号"),
    (r"more than (\d+) values in one file", "一个文件中的值超过 {0} 个"),
    (r"more than (\d+) aliases \(`\*name`\) in one file", "一个文件中的别名（`*名称`）超过 {0} 个"),
    (r"write the values out, or raise the limit `(.+)`", "请把值逐一写出，或调高限制 `{0}`"),
    (r"split the (file|dataset), or raise the limit `(.+)`", "请拆分文件，或调高限制 `{1}`"),
    (r"text contains a lone surrogate \(an invalid `\\ud800`-style escape\)",
     "文本含有孤立的代理字符（无效的 `\\ud800` 式转义）"),
    (r"remove the escape or write the character itself", "请删除该转义，或直接写出字符本身"),
    (r"`(.+)` is a folder, not a file", "`{0}` 是文件夹，不是文件"),
    (r"`(.+)` is a file, not a pack folder", "`{0}` 是文件，不是政策包文件夹"),
    (r"give the folder that holds pack\.yaml, or pack\.yaml itself", "请给出存放 pack.yaml 的文件夹，或 pack.yaml 本身"),
    (r"`(.+)` is (\d+) bytes, more than the limit of (\d+)", "`{0}` 有 {1} 字节，超过限制 {2}"),
    (r"`(.+)` is not UTF-8 text \(byte (\d+) is (0x[0-9a-f]+)\)", "`{0}` 不是 UTF-8 文本（第 {1} 字节为 {2}）"),
    (r"save the file as UTF-8 \(files saved as GBK or GB2312 must be converted\)",
     "请将文件另存为 UTF-8 编码（GBK、GB2312 编码的文件需要转换）"),
    (r"check commas, colons, brackets and quotes", "请检查逗号、冒号、括号和引号"),
    (r"`(.+)` has (\d+) records, more than the limit of (\d+)", "`{0}` 有 {1} 条记录，超过限制 {2}"),
    (r"(\d+) more problems not listed \(limit `max_problems` is (\d+)\)",
     "另有 {0} 处问题未列出（限制 `max_problems` 为 {1}）"),
    (r"expected a date written YYYY-MM-DD", "应当是 YYYY-MM-DD 形式的日期"),
    (r"id `(.+)` is shaped like a national ID number", "编号 `{0}` 形似身份证号；记录只能使用内部编号"),
    (r"role `(.+)` of member `(.+)` is held twice on (\S+): roles\[(\d+)\] and roles\[(\d+)\] overlap",
     "党员 `{1}` 的职务 `{0}` 在 {2} 重复任职：roles[{3}] 与 roles[{4}] 的任职期间重叠"),
    (r"a second rating of (unit|community) `(.+)` for (\d+) \(first is ratings\[(\d+)\]\)",
     "{0!w} `{1}` 的 {2} 年档次重复给出（第一条为 ratings[{3}]）"),
    (r"`(.+)` is too large for a whole number \(more than (\d+) digits\)", "`{0}` 作为整数过大（超过 {1} 位）"),
    (r"a count or a number of days has only a few digits", "次数或天数只有几位数字"),
    (r"expected a mapping of fields at the top of the file", "文件顶层应当是字段映射（`名称: 值`）"),
    (r"expected a mapping with `covers`, `communities`, `units`, \.\.\.",
     "数据文件顶层应当是包含 `covers`、`communities`、`units` 等字段的映射"),
    (r"expected a mapping `name: value`", "应当是 `名称: 值` 形式的映射"),
    # --- fields ---------------------------------------------------------------------------
    (r"unknown field `(.+)`", "未知字段 `{0}`"),
    (r"did you mean `(.+)`\?", "您是不是想写 `{0}`？"),
    (r"allowed here: (.+)", "此处允许的字段：{0}"),
    (r"missing field `(.+)`", "缺少字段 `{0}`"),
    (r"add `(.+):`", "请添加 `{0}:`"),
    (r"`([^`]+)`: (.+?) \(got `(.*)`\)", "`{0}`：{1!t}（实际为 `{2}`）"),
    (r"`([^`]+)`: (.+)", "`{0}`：{1!t}"),
    # pydantic's own messages (lowercased first letter)
    (r"field required", "缺少此字段"),
    (r"input should be a valid integer.*", "应当是整数"),
    (r"input should be a valid number.*", "应当是数字"),
    (r"input should be a valid boolean.*", "应当是 true 或 false"),
    (r"input should be a valid string", "应当是文本"),
    (r"input should be a valid date.*", "应当是日期（YYYY-MM-DD）"),
    (r"input should be a valid (dictionary|mapping).*", "应当是映射（`名称: 值`）"),
    (r"input should be a valid (tuple|list|array).*", "应当是列表"),
    (r"input should be less than or equal to (.+)", "应当小于或等于 {0}"),
    (r"input should be greater than or equal to (.+)", "应当大于或等于 {0}"),
    (r"input should be less than (.+)", "应当小于 {0}"),
    (r"input should be greater than (.+)", "应当大于 {0}"),
    (r"input should be (.+) or (.+)", "应当是 {0} 或 {1}"),
    (r"input should be (.+)", "应当是 {0}"),
    (r"string should match pattern '(.+)'", "格式不符合要求（{0}）"),
    (r"string should have at least (\d+) characters?", "至少应有 {0} 个字符"),
    (r"string should have at most (\d+) characters?", "最多只能有 {0} 个字符"),
    (r"tuple should have at least (\d+) items? after validation, not (\d+)", "至少应有 {0} 项，实际 {1} 项"),
    (r"tuple should have at most (\d+) items? after validation, not (\d+)", "最多应有 {0} 项，实际 {1} 项"),
    (r"unable to extract tag using discriminator '(.+)'", "缺少类型字段 `{0}`"),
    (r"input tag '(.+)' found using '(.+)' does not match any of the expected tags: (.+)",
     "`{1}` 的值 `{0}` 不是可用的类型：{2}"),
    # --- references in data ---------------------------------------------------------------
    (r"unknown (community|unit|member|grid|inspection group|finding) `(.+)`", "未知的{0!w} `{1}`"),
    (r"duplicate finding id `(.+)`", "重复的督查问题编号 `{0}`"),
    (r"duplicate id `(.+)`", "重复的编号 `{0}`"),
    (r"date (\S+) is outside the covered dates (\S+)\.\.(\S+)", "日期 {0} 不在记录期间 {1}～{2} 之内"),
    (r"(member|unit|community) `(.+)` is listed twice", "{0!w} `{1}` 重复列出"),
    (r"community `(.+)` cannot be its own neighbour", "社区 `{0}` 不能是自己的相邻社区"),
    (r"year (-?\d+) is outside the recorded dates (\S+)\.\.(\S+)", "{0} 年不在数据的记录期间 {1}～{2} 之内"),
    (r"evaluate a year from (\d+) to (\d+)", "请评估 {0} 至 {1} 年之间的年度"),
    (r"an in-service member needs a `unit`", "在职党员必须填写所在单位 `unit`"),
    (r"coverage ends \((.+)\) before it starts \((.+)\)", "记录期间的结束日期（{0}）早于开始日期（{1}）"),
    (r"role ends \((.+)\) before it starts \((.+)\)", "任职结束日期（{0}）早于开始日期（{1}）"),
    (r"ratings\[(\d+)\]: tier `(.+)` of (unit|community) `(.+)` is not a tier of pack `(.+)`",
     "ratings[{0}]：{2!w} `{3}` 的档次 `{1}` 不是政策包 `{4}` 的档次"),
    (r"in-service member `(.+)` has no report-in date: not counted for absences",
     "在职党员 `{0}` 没有报到日期：不计入连续未参加活动的统计"),
    (r"unit `(.+)` sent no report at all in (\d+)", "驻区单位 `{0}` 在 {1} 年没有任何报告记录"),
    # --- numbers and parameters -----------------------------------------------------------
    (r"`(.+)` is not a decimal number", "`{0}` 不是十进制数"),
    (r"a truth value is not a number", "真假值不是数字"),
    (r"`(.+)` is a float; write the amount as a string such as \"(.+)\" so that it stays exact",
     "`{0}` 是浮点数；请写成字符串（如 \"{1}\"）以保证精确"),
    (r"`(.+)` is not a finite number", "`{0}` 不是有限数"),
    (r"`(.+)` is too large \(more than (\d+) digits before the point\)", "`{0}` 过大（整数部分超过 {1} 位）"),
    (r"subject field `(.+)` in rule `(.+)` takes true or false, got `(.*)`",
     "规则 `{1}` 中对象字段 `{0}` 应为 true 或 false，实际为 `{2}`"),
    (r"subject field `(.+)` in rule `(.+)` takes text, got `(.*)`", "规则 `{1}` 中对象字段 `{0}` 应为文本，实际为 `{2}`"),
    (r"write `true` or `false`", "请写 `true` 或 `false`"),
    (r"`(.+)` has more than two decimal places; money is exact to the fen",
     "`{0}` 超过两位小数；金额精确到分"),
    (r"expected text, got `(.*)`", "应当是文本，实际为 `{0}`"),
    (r"expected a whole number, got `(.*)`", "应当是整数，实际为 `{0}`"),
    (r"`(.+)` is not one of (.+)", "`{0}` 不在允许的取值之中：{1}"),
    (r"`(.+)` is below the minimum (.+)", "`{0}` 小于最小值 {1}"),
    (r"`(.+)` is above the maximum (.+)", "`{0}` 大于最大值 {1}"),
    (r"parameter `(.+?)`: default (.+)", "参数 `{0}` 的默认值：{1!t}"),
    (r"parameter `(.+?)`: (.+)", "参数 `{0}`：{1!t}"),
    (r"parameter name `(.+)` must be letters, digits and `_`", "参数名 `{0}` 只能包含字母、数字和 `_`"),
    (r"unknown parameter `(.+)`", "未知参数 `{0}`"),
    (r"declare it under `parameters:` in pack.yaml", "请在 pack.yaml 的 `parameters:` 下声明"),
    (r"expected a number or a `\$parameter`, got `(.*)`", "应当是数字或 `$参数`，实际为 `{0}`"),
    (r"expected a number or a `\$parameter`, not a truth value", "应当是数字或 `$参数`，不能是真假值"),
    (r"`--set (.+)` is not NAME=VALUE", "`--set {0}` 不是 名称=值 的形式"),
    (r"write it as --set name=value", "请写成 --set 名称=值"),
    # --- rules ----------------------------------------------------------------------------
    (r"rule file `(.+)` not found", "找不到规则文件 `{0}`"),
    (r"the file should be at `(.+)`", "该文件应位于 `{0}`"),
    (r"rule id `(.+)` is used twice \(first at (.+)\)", "规则编号 `{0}` 重复使用（第一次在 {1}）"),
    (r"give each rule its own id", "每条规则应有自己的编号"),
    (r"unknown subject field `(.+)` for subject (.+) in rule `(.+)`",
     "规则 `{2}` 中对象（{1}）没有字段 `{0}`"),
    (r"fields: (.+)", "可用字段：{0}"),
    (r"two rules give the annual rating of a (.+): `(.+)` and `(.+)`",
     "两条规则都给出 {0} 的年度档次：`{1}` 和 `{2}`"),
    (r"unknown tier `(.+)` in rule `(.+)`", "规则 `{1}` 中的档次 `{0}` 不存在"),
    (r"tiers: (.+)", "可用档次：{0}"),
    (r"rule `(.+)` gives the rating and also depends on it", "规则 `{0}` 既给出档次又依赖档次"),
    (r"reprimand rule `(.+)` cannot depend on reprimands", "问责规则 `{0}` 不能依赖问责结果"),
    (r"`exclusive` names `(.+)`, which is neither a rule kind nor a rule id",
     "`exclusive` 中的 `{0}` 既不是规则类别也不是规则编号"),
    (r"use a kind such as `reprimand` or a rule id", "请使用 `reprimand` 这样的类别或规则编号"),
    (r"a condition has exactly one of (.+); found (\d+)", "一个条件只能写其中一项：{0}；实际写了 {1} 项"),
    (r"`all` combines `rating` conditions \(e\.g\. previous and current year\)",
     "`all` 用于组合 `rating` 条件（如上一年和本年）"),
    (r"give exactly one of `less_than` and `at_least`", "`less_than` 与 `at_least` 只能且必须写一个"),
    (r"give exactly one of `below` \(exclusive\) and `max` \(inclusive\)",
     "`below`（不含）与 `max`（含）只能且必须写一个"),
    (r"a (\w+) rule needs (.+)", "{0} 类规则需要 {1}"),
    (r"an allowance rule needs exactly one of `amount` and `amount_by_tier`",
     "待遇经费规则需要且只能有 `amount` 或 `amount_by_tier` 之一"),
    (r"a compliance rule's `when` is a `count` of events per period", "合规规则的 `when` 应为按期间的 `count` 计数"),
    (r"only an evaluation rule can give the annual `rating`", "只有考核评价规则可以给出年度档次 `rating`"),
    (r"only an allocation rule takes `balance`", "只有均衡调剂（allocation）规则可以写 `balance`"),
    (r"an allocation rule moves resident units: its `subject` is `unit`",
     "均衡调剂规则调剂的是驻区单位：`subject` 应为 `unit`"),
    (r"an allocation rule takes no (.+)", "均衡调剂规则不接受 {0}"),
    (r"an allocation rule compares communities with each other: it cannot be `local`",
     "均衡调剂规则要在社区之间比较，不能是 `local`"),
    (r"(.+) must be at least 0, got `(.+)`", "{0} 不能小于 0，实际为 `{1}`"),
    (r"(.+) must be a number, got `(.+)`", "{0} 必须是数字，实际为 `{1}`"),
    (r"rule `(.+)` reads the outcomes of allocation rule `(.+)`, which are proposed after every other rule",
     "规则 `{0}` 读取了均衡调剂规则 `{1}` 的结果，而调剂建议在其他所有规则之后才提出"),
    (r"read the proposals in a report, not in a rule", "请在报表中查看调剂建议，不要在规则中读取"),
    (r"unexpected `(.+)` in formula \(column (\d+) of the formula\)", "公式第 {1} 列出现意外的 `{0}`"),
    (r"formula ends too early \(column (\d+) of the formula\)", "公式不完整（第 {0} 列）"),
    (r"expected `\)` \(column (\d+) of the formula\)", "公式第 {0} 列缺少 `)`"),
    (r"rule `(.+)` names no subject", "规则 `{0}` 没有指定对象 `subject`"),
    (r"write e\.g\. `subject: member`", "请写如 `subject: member`"),
    (r"events of type `(.+)` have no numeric field `(.+)`", "`{0}` 类事件没有数值字段 `{1}`"),
    (r"a deadline (.+) days on is more than (\d+) days", "整改期限延后 {0} 天，超过 {1} 天"),
    (r"`(min|max)`: a truth value is not a number", "`{0}`：真假值不是数字"),
    (r"rule `(.+?)`: (.+)", "规则 `{0}`：{1!t}"),
    (r"`reaches` must be at least 1", "`reaches` 至少为 1"),
    (r"`absence_streak` applies to members", "`absence_streak` 只适用于党员"),
    (r"members have no annual rating", "党员没有年度档次"),
    (r"inspection findings concern units and communities", "督查问题只针对驻区单位和社区"),
    (r"`holds_role` is for members, paid `per: month`", "`holds_role` 用于党员，且按月（`per: month`）发放"),
    (r"a tier bound is exact to 0\.01 points, got `(.+)`", "档次分数线精确到 0.01 分，实际为 `{0}`"),
    (r"(.+) must be a whole number, got `(.+)`", "{0} 必须是整数，实际为 `{1}`"),
    (r"score item `(.+)` names no field for a (.+)", "评分项 `{0}` 没有为 {1} 指定字段"),
    (r"a rule without `when` needs `per`", "没有 `when` 的规则需要 `per`"),
    (r"rule `(.+)` compiles to (\d+) engine rules on one fact; the engine allows at most (\d+)",
     "规则 `{0}` 在同一事实上编译出 {1} 条引擎规则，引擎最多允许 {2} 条"),
    (r"use fewer tiers", "请减少档次数量"),
    # --- policy test cases ----------------------------------------------------------------
    (r"case name `(.+)` is used twice \(first at (.+)\)", "用例名称 `{0}` 重复（第一次在 {1}）"),
    (r"give each case its own name, so that `--case` can select it", "每个用例应有自己的名称，便于 `--case` 选择"),
    (r"unknown parameter `(.+)` in case `(.+)`", "用例 `{1}` 中的参数 `{0}` 不存在"),
    (r"unknown rule `(.+)`", "未知规则 `{0}`"),
    (r"no member, unit or community `(.+)` in the case's data", "用例数据中没有党员、单位或社区 `{0}`"),
    (r"no community `(.+)` in the case's data", "用例数据中没有社区 `{0}`"),
    (r"unknown measure `(.+)`", "未知措施 `{0}`"),
    (r"measures: (.+)", "可用措施：{0}"),
    (r"this rule takes no measures", "该规则没有措施"),
    (r"an expectation needs at least one of (.+)", "期望结果至少需要以下字段之一：{0}"),
    (r"a case needs `expect` or `expect_none` \(or both\)", "用例需要 `expect` 或 `expect_none`（或两者）"),
    (r"expected a mapping with `cases:` at the top of the file", "文件顶层应当是包含 `cases:` 的映射"),
    # --- Excel ledgers (台账) ----------------------------------------------------------------
    (r"unknown sheet `(.+)`", "未知工作表 `{0}`"),
    (r"sheets: (.+)", "可用工作表：{0}"),
    (r"sheet `(.+)` repeats sheet `(.+)`", "工作表 `{0}` 与工作表 `{1}` 重复"),
    (r"sheet `(.+)` is hidden", "工作表 `{0}` 被隐藏"),
    (r"unhide it \(取消隐藏\) or delete it: what is read must be what is seen",
     "请取消隐藏或删除该工作表：读取的内容必须是看得见的内容"),
    (r"sheet `(.+)` is missing", "缺少工作表 `{0}`"),
    (r"it holds the dataset's name and recorded period \(covers\)", "该表填写数据集名称和记录期间"),
    (r"sheet `(.+)` has no row", "工作表 `{0}` 没有填写数据行"),
    (r"sheet `(.+)` holds one row; this is a second one", "工作表 `{0}` 只能填一行，这是第二行"),
    (r"the first row must hold the headers", "第一行必须是表头"),
    (r"unknown header `(.+)`", "未知表头 `{0}`"),
    (r"headers: (.+)", "可用表头：{0}"),
    (r"header `(.+)` repeats column ([A-Z]+)", "表头 `{0}` 与 {1} 列重复"),
    (r"missing column `(.+)`", "缺少列 `{0}`"),
    (r"add a column headed `(.+)` \(or `(.+)`\)", "请添加表头为 `{0}`（或 `{1}`）的列"),
    (r"a value in a column without a header", "没有表头的列中填了内容"),
    (r"give the column a header or clear it", "请为该列填写表头，或清空该列"),
    (r"merged cells (\S+)", "合并单元格 {0}"),
    (r"unmerge them and write the value in every row", "请取消合并，并在每一行填写"),
    (r"a formula cell", "公式单元格"),
    (r"paste the values instead \(选择性粘贴为数值\)", "请改为数值（选择性粘贴为数值）"),
    (r"a number `(.+)` where a date is expected", "此处应为日期，实际为数字 `{0}`"),
    (r"`(.+)` is not a date \(YYYY-MM-DD\)", "`{0}` 不是日期（YYYY-MM-DD）"),
    (r"expected a date without a time, got `(.+)`", "应当是不带时间的日期，实际为 `{0}`"),
    (r"`(.*)` has a space before or after it", "`{0}` 前后有空格"),
    (r"expected 是 or 否, got `(.*)`", "应当填“是”或“否”，实际为 `{0}`"),
    (r"expected a number, got `(.*)`", "应当是数字，实际为 `{0}`"),
    (r"expected ids, got `(.*)`", "应当是编号，实际为 `{0}`"),
    (r"`(.+)` has more digits than Excel keeps \(15\): write it as text",
     "`{0}` 的位数超过 Excel 能精确保存的 15 位：请把单元格设为文本格式后重新填写"),
    (r"unknown (joint meeting|inspection) `(.+)`", "未知的{0!w} `{1}`"),
    (r"cannot write a dataset as `(.+)`", "无法把数据集写成 `{0}` 格式"),
    (r"write it as (.+)", "请写成 {0!o}"),
    (r"`--format (.+)` needs `--output FILE`", "`--format {0}` 需要 `--output 文件`"),
    (r"add e\.g\. --output (.+)", "请添加，例如 --output {0}"),
    (r"`--within (.+)` must not be negative", "`--within {0}` 不能为负数"),
    (r"as-of date (\S+) is before the recorded dates (\S+)\.\.(\S+)", "截至日期 {0} 早于数据的记录期间 {1}～{2}"),
    # --- command line ---------------------------------------------------------------------
    (r"folder `(.+)` of `(--\S+) (.+)` does not exist", "`{1} {2}` 所在的文件夹 `{0}` 不存在"),
    (r"create the folder first, or write elsewhere", "请先创建该文件夹，或写到别处"),
    (r"name a file in it, e\.g\. (.+)", "请给出其中的文件名，例如 {0}"),
    (r"this command writes (.+) files", "该命令写出的是 {0!o} 文件"),
    (r"e\.g\. (--\S+ .+)", "例如 {0}"),
    (r"cannot write `(.+?)`: (.+)", "无法写入 `{0}`：{1}"),
    # --- diff sides and check properties -------------------------------------------------
    (r"`(.+)` is neither an existing pack folder or file nor `name=value` overrides",
     "`{0}` 既不是已有的政策包文件夹或文件，也不是 `名称=值` 形式的参数覆盖"),
    (r"give a pack folder \(or its pack\.yaml\), a YAML/JSON file of `name: value` overrides, "
     r"or inline `name=value\[,name=value\.\.\.\]`",
     "请给出政策包文件夹（或其中的 pack.yaml）、写有 `名称: 值` 的 YAML/JSON 参数覆盖文件，"
     "或直接写 `名称=值[,名称=值...]`"),
    (r"folder `(.+)` has no `pack\.yaml`", "文件夹 `{0}` 中没有 `pack.yaml`"),
    (r"overrides file `(.+)` should be a mapping `name: value`", "参数覆盖文件 `{0}` 应当是 `名称: 值` 形式的映射"),
    (r"write one `name: value` per line, or put them under `parameters:`",
     "每行写一个 `名称: 值`，或把它们都写在 `parameters:` 之下"),
    (r"`(.+)=` has no value", "`{0}=` 没有给出取值"),
    (r"parameter `(.+)` is given twice in `(.+)`", "参数 `{0}` 在 `{1}` 中给出了两次"),
    (r"give each parameter once", "每个参数只给一次"),
    (r"unknown properties: (.+); known: (.+) or a name such as `(.+)`",
     "未知的检查项：{0}；可用的检查项：{1}，或形如 `{2}` 的名称"),
    # argparse's own messages, and those of the command line's argument types
    (r"argument ([^:]+): (.+)", "参数 {0}：{1!t}"),
    (r"invalid choice: (.+) \(choose from (.+)\)", "无效的取值 {0}（可选：{1}）"),
    (r"invalid int value: (.+)", "{0} 不是整数"),
    (r"invalid float value: (.+)", "{0} 不是数字"),
    (r"expected one argument", "需要一个取值"),
    (r"the following arguments are required: (.+)", "缺少必需的参数：{0}"),
    (r"one of the arguments (.+) is required", "必须给出以下参数之一：{0}"),
    (r"not allowed with argument (.+)", "不能与参数 {0} 同时给出"),
    (r"unrecognized arguments: (.+)", "无法识别的参数：{0}"),
    (r"ambiguous option: (\S+) could match (.+)", "选项 {0} 有歧义，可能是 {1}"),
    (r"`(.+)` is not a whole number", "`{0}` 不是整数"),
    (r"`(.+)` is not between (-?\d+) and (-?\d+)", "`{0}` 不在 {1} 到 {2} 之间"),
    (r"`(.+)` is not a whole number of processes", "`{0}` 不是整数（进程数）"),
    (r"give 1 or more processes \(1 evaluates in this process\)", "请给出 1 个或更多进程（1 表示在本进程中评估）"),
    (r"`(.+)` names (\d+) subjects: (.+)", "`{0}` 对应 {1} 个对象：{2}"),
    (r"give one of these ids instead of the name", "请改用其中一个编号"),
    (r"audit record is incomplete: (.+)", "审计记录不完整：{0}"),
    (r"not an audit record of this library", "不是本程序写出的审计记录"),
    (r"`(.+)` holds no audit records", "`{0}` 中没有审计记录"),
    (r"record evaluations with `evaluate --audit FILE`", "请用 `evaluate --audit 文件` 记录评估"),
    (r"no member, unit or community `(.+)` in the dataset", "数据中没有党员、单位或社区 `{0}`"),
]


@cache
def _compiled() -> list[tuple[re.Pattern[str], str]]:
    """The templates' patterns, compiled when a message is first translated (not on import)."""
    return [(re.compile(f"^{pattern}$", re.DOTALL), template) for pattern, template in _TEMPLATES]


_GROUP = re.compile(r"\{(\d+)(?:!([two]))?\}")


def translate(message: str, lang: Lang = "zh") -> str:
    """The message in ``lang``; English is the source, unknown messages stay English."""
    if lang == "en" or not message:
        return message
    for pattern, template in _compiled():
        match = pattern.match(message)
        if match:
            groups = match.groups()

            def fill(ref: re.Match[str]) -> str:
                value = groups[int(ref.group(1))] or ""
                if ref.group(2) == "t":
                    return translate(value, lang)
                if ref.group(2) == "w":
                    return _WHAT.get(value, value)
                if ref.group(2) == "o":
                    return value.replace(" or ", " 或 ")
                return value

            return _GROUP.sub(fill, template)
    return message


def render_problem(
    text_span: str, message: str, help_text: str | None, lang: Lang, excerpt: str | None = None
) -> str:
    line = f"{text_span}: {translate(message, lang)}" if text_span else translate(message, lang)
    if excerpt:
        line += "\n" + excerpt
    if help_text:
        label = "提示" if lang == "zh" else "help"
        line += f"\n  {label}: {translate(help_text, lang)}"
    return _printable(line)


def _printable(text: str) -> str:
    """Lone surrogates (from a bad escape in the input) written as the escape, so that a
    message can always be printed and encoded as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def render_header(kind: str, count: int, lang: Lang) -> str:
    if lang == "en":
        return f"{count} problem{'s' if count != 1 else ''} in {kind}"
    where = {"policy": "政策包", "data": "数据", "input": "输入", "command line": "命令行"}.get(kind, kind)
    return f"{where}共有 {count} 处问题"
