"""Impact of a policy change: evaluate two packs on the same data and compare their outcomes.

Outcomes are matched by an :class:`OutcomeKey` (rule, subject, period, and for role allowances
the role and the community where it was held). A key found only in the new result is *added*,
only in the base result *removed*, and in both with different content *changed*; provenance
(parameter values, matched facts) is not content. Money is compared per rule, per community and
in total, exactly, in ``Decimal`` yuan.

The key reads two things from an outcome's provenance facts: the community where a role was
held (``role_community``), and the month an absence streak began (``start``), because the month
it *reached* the threshold, its period, moves when the threshold does.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from pydantic import BaseModel, ConfigDict
from rich.table import Table

from .errors import PolicyError, Problem, Span
from .evaluate import evaluate
from .explain import headline
from .loader import read_document
from .model import Dataset, SubjectKind
from .money import Money
from .outcomes import Allowance, Outcome, Result
from .pack import Pack, load_pack
from .report import render_text

__all__ = [
    "CommunityImpact",
    "ImpactDiff",
    "MoneyDelta",
    "OutcomeChange",
    "OutcomeKey",
    "ParameterChange",
    "RuleImpact",
    "diff_results",
    "diff_to_json",
    "impact",
    "outcome_key",
    "render_diff",
    "resolve_side",
]

_ZERO = Decimal("0.00")
_INLINE = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=")
_SPEC_HELP = (
    "give a pack folder (or its pack.yaml), a YAML/JSON file of `name: value` overrides, "
    "or inline `name=value[,name=value...]`"
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OutcomeKey(_Frozen):
    """What makes two outcomes of two evaluations "the same" outcome.

    ``anchor`` is the outcome's period, except for an absence streak: the month the streak
    reached the threshold moves with the threshold, so the streak is known by the month it began
    (``since 2024-01``). ``role`` and ``place`` (the community where the role was held) tell apart
    the allowances of a member who held a role in two communities in one month. ``occurrence``
    numbers outcomes that would otherwise share a key, in result order.
    """

    rule_id: str
    subject_kind: SubjectKind
    subject: str
    anchor: str
    role: str = ""
    place: str = ""
    occurrence: int = 0

    def label(self) -> str:
        extra = "".join(f" {part}" for part in (self.role, self.place) if part)
        return f"{self.rule_id} {self.subject_kind.value} {self.subject} {self.anchor}{extra}"


class ParameterChange(_Frozen):
    """A parameter whose value differs between the two packs (``None``: not declared there)."""

    name: str
    title: str = ""
    old: str | None
    new: str | None


class MoneyDelta(_Frozen):
    """Allowance totals in yuan: the base evaluation, the new one, and new minus base."""

    base: Money = _ZERO
    new: Money = _ZERO
    delta: Money = _ZERO


class OutcomeChange(_Frozen):
    """One outcome present on both sides with different content; ``fields`` names what differs."""

    key: OutcomeKey
    base: Outcome
    new: Outcome
    fields: tuple[str, ...]
    amount_delta: Money | None = None


class RuleImpact(_Frozen):
    """How one rule's outcomes changed; ``money`` is ``None`` for rules that pay nothing."""

    rule_id: str
    title: str
    base_count: int
    new_count: int
    added: int
    removed: int
    changed: int
    money: MoneyDelta | None = None


class CommunityImpact(_Frozen):
    """How one community's outcomes and money changed. An allowance for a role counts for the
    community where the role was held; any other outcome for its subject's community."""

    community: str
    name: str = ""
    added: int
    removed: int
    changed: int
    money: MoneyDelta


class ImpactDiff(_Frozen):
    """Everything that differs between two evaluations of the same data and year."""

    base_pack: str
    base_version: str
    new_pack: str
    new_version: str
    dataset: str
    year: int
    parameters: tuple[ParameterChange, ...]
    added: tuple[Outcome, ...]
    removed: tuple[Outcome, ...]
    changed: tuple[OutcomeChange, ...]
    rules: tuple[RuleImpact, ...]
    communities: tuple[CommunityImpact, ...]
    total: MoneyDelta

    @property
    def empty(self) -> bool:
        """True when the packs agree on every parameter and every outcome."""
        return not (self.parameters or self.added or self.removed or self.changed)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


# ---------------------------------------------------------------------------------------------
# choosing the two sides


def resolve_side(
    spec: str | Path | Mapping[str, Any] | Pack, default_pack: Pack, *, origin: str | None = None
) -> Pack:
    """The pack one side of a diff means: ``spec`` itself if it is a :class:`Pack`; a mapping of
    overrides, an overrides file (``name: value`` or ``{parameters: {...}}``, YAML or JSON) or
    inline ``name=value[,name=value...]`` applied to ``default_pack``; or the pack in a folder
    (or its ``pack.yaml``). ``origin`` names the spec in error messages (e.g. ``--base``).
    Raises :class:`PolicyError` when the spec means nothing or its values are invalid."""
    if isinstance(spec, Pack):
        return spec
    if isinstance(spec, Mapping):
        return default_pack.with_overrides(_unwrap_parameters(spec), origin or "<overrides>")
    if not isinstance(spec, (str, Path)):
        raise TypeError(
            f"a diff side is a Pack, a mapping, a path or `name=value` text, not {type(spec).__name__}"
        )
    path = Path(spec).expanduser() if str(spec).strip() else None
    if path is not None and path.is_dir():
        return _folder_pack(path)
    if path is not None and path.is_file():
        return _file_side(path, default_pack, origin)
    if isinstance(spec, str) and _INLINE.match(spec):
        return default_pack.with_overrides(_inline_overrides(spec, origin), origin or "<inline>")
    raise PolicyError([Problem(
        f"`{spec}` is neither an existing pack folder or file nor `name=value` overrides",
        _where(origin), "io", _SPEC_HELP,
    )])


def _where(origin: str | None) -> Span | None:
    return Span(origin) if origin else None


def _folder_pack(folder: Path) -> Pack:
    if not (folder / "pack.yaml").is_file():
        raise PolicyError([Problem(
            f"folder `{folder}` has no `pack.yaml`", Span(str(folder)), "io", _SPEC_HELP,
        )])
    return load_pack(folder)


def _file_side(path: Path, default_pack: Pack, origin: str | None) -> Pack:
    if path.name == "pack.yaml":
        return load_pack(path)
    document, problems = read_document(path)
    if document is None or problems:
        raise PolicyError(problems)
    data = document.data
    if isinstance(data, dict) and "pack" in data and "rule_files" in data:
        return load_pack(path)  # a pack manifest under another name
    if not isinstance(data, dict):
        raise PolicyError([Problem(
            f"overrides file `{path}` should be a mapping `name: value`", document.span(()), "type",
            "write one `name: value` per line, or put them under `parameters:`",
        )])
    return default_pack.with_overrides(_unwrap_parameters(data), origin or str(path))


def _unwrap_parameters(data: Mapping[str, Any]) -> dict[str, Any]:
    inner = data.get("parameters") if set(data) == {"parameters"} else None
    return dict(inner) if isinstance(inner, Mapping) else dict(data)


def _inline_overrides(text: str, origin: str | None) -> dict[str, str]:
    """``a=1,b=2``; a piece without ``=`` continues the previous value, so that
    ``minimum_income=1,300.00`` keeps its thousands separator."""
    pairs: list[list[str]] = []
    for piece in text.split(","):
        if "=" in piece:
            name, value = piece.split("=", 1)
            pairs.append([name.strip(), value.strip()])
        else:
            pairs[-1][1] += "," + piece.strip()
    problems = []
    seen: set[str] = set()
    for name, value in pairs:
        if not value:
            problems.append(Problem(
                f"`{name}=` has no value", _where(origin), "usage", f"write it as `{name}=VALUE`"
            ))
        if name in seen:
            problems.append(Problem(
                f"parameter `{name}` is given twice in `{text}`", _where(origin), "usage",
                "give each parameter once",
            ))
        seen.add(name)
    if problems:
        raise PolicyError(problems)
    return {name: value for name, value in pairs}


# ---------------------------------------------------------------------------------------------
# comparing two results


def impact(base_pack: Pack, new_pack: Pack, data: Dataset, year: int) -> ImpactDiff:
    """Evaluate both packs over ``data`` for ``year`` and compare the results."""
    base = evaluate(base_pack, data, year)
    new = evaluate(new_pack, data, year)
    titles = {name: spec.title for pack in (base_pack, new_pack) for name, spec in pack.parameters.items()}
    return diff_results(base, new, parameter_titles=titles)


def diff_results(
    base: Result, new: Result, *, parameter_titles: Mapping[str, str] | None = None
) -> ImpactDiff:
    """Compare two evaluations of the same dataset and year. Raises ``ValueError`` if they
    evaluated different years or datasets: their outcomes would not be comparable."""
    if (base.year, base.dataset) != (new.year, new.dataset):
        raise ValueError(
            f"cannot compare results of `{base.dataset}` {base.year} and `{new.dataset}` {new.year}: "
            "evaluate both packs on the same dataset and year"
        )
    before, after = _entries(base.outcomes), _entries(new.outcomes)
    added = sorted((e for k, e in after.items() if k not in before), key=_Entry.order)
    removed = sorted((e for k, e in before.items() if k not in after), key=_Entry.order)
    changed = sorted(
        (pair for k, e in before.items() if k in after for pair in [(e, after[k])] if _differs(*pair)),
        key=lambda pair: pair[0].order(),
    )
    sides = (before.values(), after.values(), added, removed, [old for old, _ in changed])
    by_rule, by_place = _tally(*sides, _Entry.rule), _tally(*sides, _Entry.place)
    names = {
        e.outcome.subject: e.outcome.subject_name for e in (*before.values(), *after.values())
        if e.outcome.subject_kind is SubjectKind.COMMUNITY
    }
    total = _tally(*sides, _Entry.everything).get("", _Tally())
    return ImpactDiff(
        base_pack=base.pack,
        base_version=base.pack_version,
        new_pack=new.pack,
        new_version=new.pack_version,
        dataset=new.dataset,
        year=new.year,
        parameters=_parameter_changes(base.parameters, new.parameters, parameter_titles or {}),
        added=tuple(e.outcome for e in added),
        removed=tuple(e.outcome for e in removed),
        changed=tuple(_change(old, new_) for old, new_ in changed),
        rules=tuple(
            RuleImpact(
                rule_id=rule_id, title=title, base_count=t.base_count, new_count=t.new_count,
                added=t.added, removed=t.removed, changed=t.changed, money=t.money() if t.pays else None,
            )
            for rule_id, title in _rule_order((*after.values(), *before.values()))
            for t in [by_rule[rule_id]]
        ),
        communities=tuple(
            CommunityImpact(
                community=c, name=names.get(c, ""), added=t.added, removed=t.removed, changed=t.changed,
                money=t.money(),
            )
            for c, t in sorted(by_place.items())
        ),
        total=total.money(),
    )


def outcome_key(outcome: Any) -> OutcomeKey:
    """The key of one outcome (with ``occurrence`` 0)."""
    since = getattr(outcome, "since", None)
    anchor = f"since {since}" if since else outcome.period
    place = getattr(outcome, "role_community", None) or ""
    return OutcomeKey(
        rule_id=outcome.rule_id, subject_kind=outcome.subject_kind, subject=outcome.subject,
        anchor=anchor, role=getattr(outcome, "role", None) or "", place=place,
    )


@dataclass(frozen=True)
class _Entry:
    """An outcome with its key, computed once."""

    key: OutcomeKey
    outcome: Any

    def order(self) -> tuple[Any, ...]:
        return (self.outcome.sort_key(), self.key.label(), self.key.occurrence)

    def rule(self) -> str:
        return str(self.outcome.rule_id)

    def place(self) -> str:
        """Where the money goes: the community a role was held in, else the subject's."""
        return self.key.place or str(self.outcome.community)

    def everything(self) -> str:
        return ""

    def amount(self) -> Decimal:
        return self.outcome.amount if isinstance(self.outcome, Allowance) else _ZERO


def _entries(outcomes: Iterable[Any]) -> dict[OutcomeKey, _Entry]:
    entries: dict[OutcomeKey, _Entry] = {}
    seen: Counter[OutcomeKey] = Counter()
    for outcome in outcomes:
        key = outcome_key(outcome)
        numbered = key.model_copy(update={"occurrence": seen[key]}) if seen[key] else key
        entries[numbered] = _Entry(numbered, outcome)
        seen[key] += 1
    return entries


@dataclass
class _Tally:
    """Counts and money of one rule or one community."""

    base_count: int = 0
    new_count: int = 0
    added: int = 0
    removed: int = 0
    changed: int = 0
    base: Decimal = _ZERO
    new: Decimal = _ZERO
    pays: bool = False

    def money(self) -> MoneyDelta:
        return MoneyDelta(base=self.base, new=self.new, delta=self.new - self.base)


def _tally(
    before: Iterable[_Entry], after: Iterable[_Entry], added: Iterable[_Entry], removed: Iterable[_Entry],
    changed: Iterable[_Entry], group: Callable[[_Entry], str],
) -> dict[str, _Tally]:
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for entry in before:
        tally = tallies[group(entry)]
        tally.base_count += 1
        tally.base += entry.amount()
        tally.pays |= isinstance(entry.outcome, Allowance)
    for entry in after:
        tally = tallies[group(entry)]
        tally.new_count += 1
        tally.new += entry.amount()
        tally.pays |= isinstance(entry.outcome, Allowance)
    for entries, field in ((added, "added"), (removed, "removed"), (changed, "changed")):
        for entry in entries:
            tally = tallies[group(entry)]
            setattr(tally, field, getattr(tally, field) + 1)
    return dict(tallies)


def _rule_order(entries: Iterable[_Entry]) -> list[tuple[str, str]]:
    """Rule ids with titles, in result order (by kind, then id)."""
    first: dict[str, Any] = {}
    for entry in entries:
        first.setdefault(entry.rule(), entry.outcome)
    ordered = sorted(first, key=lambda r: (first[r].sort_key()[0], r))
    return [(r, first[r].provenance.rule_title) for r in ordered]


def _content(outcome: Any) -> dict[str, Any]:
    # Provenance (parameter values, rule text position, matched facts) explains an outcome; it
    # is not the outcome, so a parameter change alone does not "change" every outcome it touches.
    return dict(outcome.model_dump(mode="json", exclude={"provenance"}))


def _differs(old: _Entry, new: _Entry) -> bool:
    return _content(old.outcome) != _content(new.outcome)


def _change(old: _Entry, new: _Entry) -> OutcomeChange:
    before, after = _content(old.outcome), _content(new.outcome)
    fields = tuple(name for name in after if before.get(name) != after[name])
    delta = new.amount() - old.amount() if isinstance(new.outcome, Allowance) else None
    return OutcomeChange(key=old.key, base=old.outcome, new=new.outcome, fields=fields, amount_delta=delta)


def _parameter_changes(
    old: Mapping[str, str], new: Mapping[str, str], titles: Mapping[str, str]
) -> tuple[ParameterChange, ...]:
    names = list(old) + [name for name in new if name not in old]
    return tuple(
        ParameterChange(name=name, title=titles.get(name, ""), old=old.get(name), new=new.get(name))
        for name in names if old.get(name) != new.get(name)
    )


# ---------------------------------------------------------------------------------------------
# text


def diff_to_json(diff: ImpactDiff) -> str:
    """The whole diff as JSON: money as exact strings, outcomes with their provenance."""
    return diff.to_json()


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _signed(amount: Decimal) -> str:
    return f"{amount:+,.2f}" if amount else "0.00"


def _who(outcome: Any) -> str:
    return f"{outcome.subject_name}（{outcome.subject}）"


def _change_line(change: OutcomeChange) -> str:
    old, new = change.base, change.new
    period = old.period if old.period == new.period else f"{old.period} → {new.period}"
    head = f"{new.rule_id} {_who(new)} {period}"
    if isinstance(old, Allowance) and isinstance(new, Allowance) and "amount" in change.fields:
        return f"{head}: {old.amount} → {new.amount} ({new.amount - old.amount:+.2f})"
    before, after = _content(old), _content(new)
    parts = [f"{name} {_plain(before.get(name))} → {_plain(after[name])}"
             for name in change.fields if name != "period"]
    return f"{head}: " + ("；".join(parts) if parts else headline(new))


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "/".join(str(v) for v in value.values() if v is not None)
    return str(value)


def _outcome_line(sign: str, outcome: Any) -> str:
    return f"{sign} {outcome.rule_id} {_who(outcome)} {outcome.period}: {headline(outcome)}"


def _rows(title: str, lines: list[str], max_rows: int) -> str:
    shown = lines[:max_rows] or ["（无 none）"]
    if len(lines) > max_rows:
        shown.append(f"… 另 {len(lines) - max_rows} 项 more，见 JSON")
    return "\n".join([title, *(f"  {line}" for line in shown)])


_COUNT_COLUMNS = ("原数\nbase", "新数\nnew", "新增\nadded", "取消\nremoved", "变化\nchanged")
_MONEY_COLUMNS = ("原金额\nbase amount", "新金额\nnew amount", "差额\ndelta")


def _money_cells(money: MoneyDelta | None) -> list[str]:
    if money is None:
        return ["—"] * 3
    return [_yuan(money.base), _yuan(money.new), _signed(money.delta)]


def _table(title: str, first: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(first, no_wrap=True)
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    return table


def _parameter_table(diff: ImpactDiff) -> Table:
    table = Table(title="参数变化 Parameter changes", title_justify="left")
    for column in ("参数 parameter", "名称 title", "原值 old", "新值 new"):
        table.add_column(column)
    for p in diff.parameters:
        table.add_row(p.name, p.title, "—" if p.old is None else p.old, "—" if p.new is None else p.new)
    if not diff.parameters:
        table.add_row("（无 none）", "", "", "")
    return table


def _rule_table(diff: ImpactDiff) -> Table:
    table = _table("各规则影响 Impact per rule (元)", "规则 rule", _COUNT_COLUMNS + _MONEY_COLUMNS)
    for r in diff.rules:
        counts = (r.base_count, r.new_count, r.added, r.removed, r.changed)
        table.add_row(r.rule_id, *map(str, counts), *_money_cells(r.money))
    counts = (
        sum(r.base_count for r in diff.rules), sum(r.new_count for r in diff.rules),
        len(diff.added), len(diff.removed), len(diff.changed),
    )
    table.add_row("合计 total", *map(str, counts), *_money_cells(diff.total))
    return table


def _community_table(diff: ImpactDiff) -> Table:
    table = _table("各社区影响 Impact per community (元)", "社区 community", _COUNT_COLUMNS[2:] + _MONEY_COLUMNS)
    for c in diff.communities:
        label = f"{c.name}（{c.community}）" if c.name else c.community
        table.add_row(label, str(c.added), str(c.removed), str(c.changed), *_money_cells(c.money))
    return table


def render_diff(diff: ImpactDiff, *, max_rows: int = 30) -> str:
    """A readable Chinese report of a diff: parameter changes, outcomes and money per rule and
    per community, the yearly cost difference, and the first ``max_rows`` changed, added and
    removed outcomes."""
    head = (
        f"政策影响对比 Impact diff — 数据集 {diff.dataset or '（未命名）'}，{diff.year} 年\n"
        f"基准 base: {diff.base_pack} {diff.base_version}    新 new: {diff.new_pack} {diff.new_version}\n"
        f"新增 added {len(diff.added)} 项 · 取消 removed {len(diff.removed)} 项 · "
        f"变化 changed {len(diff.changed)} 项\n"
        f"年度经费差额 Yearly cost difference: {_signed(diff.total.delta)} 元"
        f"（{_yuan(diff.total.base)} → {_yuan(diff.total.new)}）"
    )
    if diff.empty:
        return render_text(head, "两次评估结果相同 No differences: same parameters, same outcomes.", width=120)
    details = (
        (f"变化明细 Changed outcomes（{len(diff.changed)}）", [_change_line(c) for c in diff.changed]),
        (f"新增结果 Added outcomes（{len(diff.added)}）", [_outcome_line("+", o) for o in diff.added]),
        (f"取消结果 Removed outcomes（{len(diff.removed)}）", [_outcome_line("-", o) for o in diff.removed]),
    )
    return render_text(
        head, _parameter_table(diff), _rule_table(diff), _community_table(diff),
        *(_rows(title, lines, max_rows) for title, lines in details), width=120,
    )
