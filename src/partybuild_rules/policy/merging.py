"""Merging packs into one: several packs composed in order (:func:`composed`), and a pack that
``extends`` a base (:func:`extended`: the base's rules and parameters, values overridden, rules
replaced by id or disabled). Every rule keeps the pack it came from; a name given twice is a
problem naming both places. :mod:`.compose` finds and reads the packs and checks the result."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Sequence, Union

from pydantic import ValidationError

from ..domain.errors import Problem, Span
from ..domain.model import SubjectKind
from .declarations import EventTypeSpec, FieldSpec
from .doc_base import Doc
from .documents import DatedValue, Manifest, ParameterSpec, Rule
from .loader import Document
from .validation import suggestion, validation_problems
from .pack import Origin, Pack, ParamValue, RuleEntry, TestSetup, declarations_for
from .pack_checks import rule_problems
from .pack_files import PackFiles, exclusive_spans, parameter_value
from .dated import Dated, dated_values

__all__ = ["composed", "extended"]


class _Override(Doc):
    """A ``parameters:`` entry of an extending pack that changes the base's value, not its spec."""

    default: Union[int, str, None] = None
    dated: tuple[DatedValue, ...] | None = None


@dataclass
class _Merge:
    """Rules and parameters being merged, in order, with where each came from."""

    entries: list[RuleEntry]
    origins: dict[str, Origin]
    spans: dict[str, Span]
    parameters: dict[str, ParameterSpec]
    values: dict[str, ParamValue]
    dated: dict[str, tuple[Dated, ...]]
    parameter_spans: dict[str, Span]
    owners: dict[str, str]  # parameter -> pack name
    replaced: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, pack: Pack) -> _Merge:
        return cls(
            list(pack.rule_entries), {r.id: pack.origin(r.id) for r in pack.rules}, dict(pack.spans),
            dict(pack.parameters), dict(pack.values), dict(pack.dated), dict(pack.parameter_spans),
            {name: pack.name for name in pack.parameters}, dict(pack.replaced),
        )

    def index(self, rule_id: str) -> int | None:
        return next((i for i, (rule, _, _) in enumerate(self.entries) if rule.id == rule_id), None)

    def add_rules(self, origin: Origin, entries: Sequence[RuleEntry], problems: list[Problem]) -> None:
        """Add ``entries`` of pack ``origin``: a rule that ``replaces`` an id present takes its
        slot; any other id already present is a collision."""
        for entry in entries:
            rule, document, i = entry
            span = document.span(("rules", i))
            target = rule.replaces
            if target is not None and self.index(target) is not None:
                slot = self.index(target)
                assert slot is not None
                clash = self.index(rule.id)
                if clash is not None and rule.id != target:
                    problems.append(self._collision(rule.id, origin, span))
                    continue
                del self.origins[target]
                del self.spans[target]
                self.entries[slot] = entry
                self.replaced[rule.id] = target
            elif self.index(rule.id) is not None:
                problems.append(self._collision(rule.id, origin, span))
                continue
            else:
                self.entries.append(entry)
            self.origins[rule.id] = origin
            self.spans[rule.id] = span

    def _collision(self, rule_id: str, origin: Origin, span: Span) -> Problem:
        first = self.origins[rule_id]
        return Problem(
            f"rule id `{rule_id}` of pack `{origin.name}` is also in pack `{first.name}` "
            f"(at {self.spans[rule_id]})", span, "collision",
            f"give the rule another id, or write `replaces: {rule_id}` to replace the rule of `{first.name}`",
        )

    def add_parameters(self, pack: Pack, problems: list[Problem]) -> None:
        for name, spec in pack.parameters.items():
            span = pack.parameter_spans.get(name, Span(str(pack.path)))
            if name in self.parameters:
                problems.append(Problem(
                    f"parameter `{name}` of pack `{pack.name}` is also declared by pack "
                    f"`{self.owners[name]}` (at {self.parameter_spans.get(name)})", span, "collision",
                    "give the parameter another name; to change a pack's value use `extends` or an override",
                ))
                continue
            self.parameters[name], self.values[name] = spec, pack.values[name]
            if name in pack.dated:
                self.dated[name] = pack.dated[name]
            self.parameter_spans[name], self.owners[name] = span, pack.name

    def renamed(self, pairs: Sequence[tuple[str, str]], dropped: set[str]) -> tuple[tuple[str, str], ...]:
        """``exclusive`` pairs with replaced ids renamed to their replacements, disabled ones dropped."""
        back = {old: new for new, old in self.replaced.items()}
        return tuple(
            (back.get(a, a), back.get(b, b)) for a, b in pairs if a not in dropped and b not in dropped
        )


def composed(packs: list[Pack], problems: list[Problem]) -> Pack:
    first = packs[0]
    merge = _Merge.of(first)
    exclusive = list(first.exclusive)
    test_files = list(first.test_files)
    setups = dict(first.test_setups)
    for pack in packs[1:]:
        before = dict(merge.replaced)
        for entry in pack.rule_entries:
            merge.add_rules(pack.origin(entry[0].id), [entry], problems)
        merge.add_parameters(pack, problems)
        gone = {old for new, old in merge.replaced.items() if before.get(new) != old}
        _skip_in(setups, test_files, merge, gone)
        exclusive += pack.exclusive
        test_files += pack.test_files
        setups.update(pack.test_setups)
    declared, more = declarations_for(packs)
    problems += [replace(p, span=p.span or Span(str(first.path))) for p in more]
    scope = Manifest.model_construct(attributes=dict(declared.attributes), event_types=dict(declared.events))
    problems += rule_problems(merge.entries, (), scope)
    return Pack(
        name="+".join(p.name for p in packs),
        title="；".join(p.title for p in packs),
        version="+".join(p.version for p in packs),
        effective_from=max(p.effective_from for p in packs),
        effective_until=min((p.effective_until for p in packs if p.effective_until), default=None),
        source="；".join(p.source for p in packs if p.source),
        path=first.path,
        parameters=MappingProxyType(merge.parameters),
        values=MappingProxyType(merge.values),
        rules=tuple(rule for rule, _, _ in merge.entries),
        spans=MappingProxyType(merge.spans),
        overrides=MappingProxyType({k: v for p in packs for k, v in p.overrides.items()}),
        exclusive=merge.renamed(exclusive, set()),
        test_files=tuple(test_files),
        dated=MappingProxyType(merge.dated),
        origins=MappingProxyType(merge.origins),
        in_force=tuple(f for p in packs for f in p.in_force),
        parameter_spans=MappingProxyType(merge.parameter_spans),
        test_setups=MappingProxyType(setups),
        replaced=MappingProxyType(merge.replaced),
        rule_entries=tuple(merge.entries),
        attributes=MappingProxyType(dict(declared.attributes)),
        event_types=MappingProxyType(dict(declared.events)),
    )


def _skip_in(setups: dict[Path, TestSetup], files: Sequence[Path], merge: _Merge, gone: set[str]) -> None:
    """Test files written before ``gone`` rules were replaced or disabled skip the cases naming them."""
    if not gone:
        return
    for path in files:
        setup = setups.get(path, TestSetup(MappingProxyType({}), MappingProxyType({})))
        setups[path] = TestSetup(setup.values, setup.dated, setup.skip | gone)


def extended(
    base: Pack, files: PackFiles, values: dict[str, ParamValue], dated: dict[str, tuple[Dated, ...]],
    problems: list[Problem],
) -> Pack:
    manifest, document = files.manifest, files.document
    merge = _Merge.of(base)
    before = dict(merge.replaced)
    for rule, doc, i in files.rules:
        if rule.replaces is not None and merge.index(rule.replaces) is None:
            problems.append(_unknown_target(rule, doc, i, base, merge))
    known = [e for e in files.rules if e[0].replaces is None or merge.index(e[0].replaces) is not None]
    merge.add_rules(files.origin, known, problems)
    disabled = _disable(files, base, merge, problems)
    for name, spec in manifest.parameters.items():  # declared here: new, or redeclared
        merge.parameters[name], merge.values[name] = spec, values.get(name, merge.values.get(name, 0))
        merge.dated.pop(name, None)
        if name in dated:
            merge.dated[name] = dated[name]
        merge.parameter_spans[name] = document.span(("parameters", name), key=True)
    _override(files, merge, problems)
    gone = {old for new, old in merge.replaced.items() if before.get(new) != old} | disabled
    setups = {
        path: base.test_setups.get(path) or TestSetup(base.values, base.dated)
        for path in base.test_files
    }
    _skip_in(setups, base.test_files, merge, gone)
    exclusive = merge.renamed(base.exclusive, disabled) + manifest.exclusive
    attributes, event_types = _extended_declarations(base, files, problems)
    scope = Manifest.model_construct(attributes=attributes, event_types=event_types)
    problems += rule_problems(merge.entries, exclusive_spans(files), scope)  # the base's pairs are checked
    return Pack(
        name=manifest.pack,
        title=manifest.title,
        version=manifest.version,
        effective_from=manifest.effective.from_,
        effective_until=manifest.effective.until,
        source=manifest.source or base.source,
        path=files.folder,
        parameters=MappingProxyType(merge.parameters),
        values=MappingProxyType(merge.values),
        rules=tuple(rule for rule, _, _ in merge.entries),
        spans=MappingProxyType(merge.spans),
        exclusive=exclusive,
        test_files=base.test_files + tuple(files.folder / name for name in manifest.tests),
        dated=MappingProxyType(merge.dated),
        origins=MappingProxyType(merge.origins),
        in_force=(files.in_force(),),
        parameter_spans=MappingProxyType(merge.parameter_spans),
        test_setups=MappingProxyType(setups),
        replaced=MappingProxyType(merge.replaced),
        rule_entries=tuple(merge.entries),
        attributes=MappingProxyType(attributes),
        event_types=MappingProxyType(event_types),
    )


def _extended_declarations(
    base: Pack, files: PackFiles, problems: list[Problem]
) -> tuple[dict[SubjectKind, dict[str, FieldSpec]], dict[str, EventTypeSpec]]:
    """The base's attributes and event types with the extending pack's; declaring one of the
    base's again, differently, is an error."""
    attributes = {kind: dict(specs) for kind, specs in base.attributes.items()}
    for kind, specs in files.manifest.attributes.items():
        for name, spec in specs.items():
            if attributes.setdefault(kind, {}).setdefault(name, spec) != spec:
                problems.append(Problem(
                    f"packs declare {kind.value} attribute `{name}` differently",
                    files.document.span(("attributes", kind.value, name), key=True), "declaration",
                ))
    event_types = dict(base.event_types)
    for name, event in files.manifest.event_types.items():
        if event_types.setdefault(name, event) != event:
            problems.append(Problem(f"packs declare event type `{name}` differently",
                                    files.document.span(("event_types", name), key=True), "declaration"))
    return attributes, event_types


def _unknown_target(rule: Rule, document: Document, index: int, base: Pack, merge: _Merge) -> Problem:
    ids = [r.id for r, _, _ in merge.entries]
    return Problem(
        f"rule `{rule.id}` replaces `{rule.replaces}`, which pack `{base.name}` does not have",
        document.span(("rules", index, "replaces")), "unknown-rule",
        suggestion(str(rule.replaces), ids) or f"rules: {', '.join(ids)}",
    )


def _disable(files: PackFiles, base: Pack, merge: _Merge, problems: list[Problem]) -> set[str]:
    disabled: set[str] = set()
    for i, rule_id in enumerate(files.manifest.disable):
        span = files.document.span(("disable", i))
        slot = merge.index(rule_id)
        if slot is None or merge.origins[rule_id].path == files.folder:
            ids = [r.id for r, _, _ in merge.entries if merge.origins[r.id].path != files.folder]
            problems.append(Problem(
                f"`disable` names `{rule_id}`, which pack `{base.name}` does not have", span, "unknown-rule",
                suggestion(rule_id, ids) or f"rules: {', '.join(ids)}",
            ))
            continue
        del merge.entries[slot]
        del merge.origins[rule_id]
        del merge.spans[rule_id]
        disabled.add(rule_id)
    return disabled


def _override(files: PackFiles, merge: _Merge, problems: list[Problem]) -> None:
    """The values an extending pack gives to its base's parameters (the base's spec is kept)."""
    document = files.document
    for name, raw in files.overrides.items():
        at: tuple[str | int, ...] = ("parameters", name)
        spec = merge.parameters.get(name)
        if spec is None or name in files.manifest.parameters:
            problems.append(Problem(
                f"parameter `{name}` overrides nothing: the base pack does not declare it",
                document.span(at, key=True), "unknown-parameter",
                suggestion(name, list(merge.parameters)) or "declare it in full, with `title:` and `type:`",
            ))
            continue
        if not isinstance(raw, dict):
            raw = {"default": raw}
        try:
            entry = _Override.model_validate(raw)
        except ValidationError as error:
            problems += validation_problems(error, document, _Override, at)
            continue
        if entry.default is not None:
            try:
                merge.values[name] = parameter_value(spec, entry.default)
            except ValueError as error:
                where = at + ("default",) if "default" in raw and isinstance(files.overrides[name], dict) else at
                problems.append(Problem(f"parameter `{name}`: {error}", document.span(where), "parameter"))
                continue
            merge.dated.pop(name, None)
        if entry.dated is not None:
            merge.dated.pop(name, None)
            entries = dated_values(spec, entry.dated, document, at + ("dated",), problems,
                                   partial(parameter_value, spec))
            if entries:
                merge.dated[name] = entries
        merge.parameter_spans[name] = document.span(at, key=True)
