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

from ..domain.errors import PolicyError, Problem, Span
from ..domain.model import Dataset, SubjectKind
from ..domain.money import Money
from ..domain.outcomes import Allowance, Outcome, Result
from ..evaluation.evaluator import evaluate
from ..policy.loader import read_document
from ..policy.pack import Pack, load_pack

__all__ = [
    "CommunityImpact",
    "ImpactDiff",
    "MoneyDelta",
    "OutcomeChange",
    "OutcomeKey",
    "ParameterChange",
    "RuleImpact",
    "diff_results",
    "impact",
    "outcome_key",
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
        """The whole diff as JSON, indented."""
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


def impact(
    base_pack: Pack, new_pack: Pack, data: Dataset, year: int, *, engine: str | None = None
) -> ImpactDiff:
    """Evaluate both packs over ``data`` for ``year`` (with ``engine``, as in :func:`evaluate`)
    and compare the results."""
    base = evaluate(base_pack, data, year, engine=engine)
    new = evaluate(new_pack, data, year, engine=engine)
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


def content_of(outcome: Any) -> dict[str, Any]:
    # Provenance (parameter values, rule text position, matched facts) explains an outcome; it
    # is not the outcome, so a parameter change alone does not "change" every outcome it touches.
    return dict(outcome.model_dump(mode="json", exclude={"provenance"}))


def _differs(old: _Entry, new: _Entry) -> bool:
    return content_of(old.outcome) != content_of(new.outcome)


def _change(old: _Entry, new: _Entry) -> OutcomeChange:
    before, after = content_of(old.outcome), content_of(new.outcome)
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
