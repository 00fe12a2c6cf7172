"""Packs that compose: several packs in one evaluation, and a pack that ``extends`` another.

``load_packs([a, b])`` loads each pack (with the packs it extends) and composes them in order;
:func:`compose` does the same for packs already loaded. A rule id or a parameter name given by two
packs is an error naming both places, unless the later rule says ``replaces: <id>``: then it takes
the replaced rule's place. A pack that ``extends`` a base keeps the base's rules and parameters,
overrides values (``parameters:`` entries without ``type:``), replaces rules by id and ``disable``s
rules by id. Every outcome's provenance names the pack its rule came from (:meth:`Pack.origin`).
This module finds and reads the packs and checks the result; :mod:`.merging` merges them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterator, Mapping, Sequence, Union

from ..domain.arguments import expect
from ..domain.errors import PolicyError, Problem, Span
from .loader import Document
from .pack import Pack, ParamValue
from .pack_checks import deadline_problems, rule_problems
from .pack_files import (
    PackFiles,
    apply_overrides_from,
    declared_values,
    exclusive_spans,
    read_manifest,
    read_rules,
)
from .dated import Dated
from .merging import composed, extended
from .registry import PKG, find_pack

__all__ = ["PackRef", "as_tested", "compose", "load_packs"]

PackRef = Union[str, Path]
"""A pack folder, its ``pack.yaml``, or ``pkg:NAME`` for an installed pack package."""

_AMOUNTS = ("amount", "amount_by_tier")
"""Where a dated parameter may be used: money is paid day by day, conditions are not."""


def load_packs(
    refs: Sequence[PackRef], overrides: Mapping[str, Any] | str | Path | None = None
) -> Pack:
    """Load the packs ``refs`` (each with the packs it extends) as one; raise
    :class:`PolicyError` listing every problem of every pack."""
    problems: list[Problem] = []
    loaded = [_load_tree(_locate(ref, problems), problems, ()) for ref in refs]
    packs = [pack for pack in loaded if pack is not None]
    if problems or not packs:
        raise PolicyError(problems or [Problem("no pack given", None, "usage")])
    pack = packs[0] if len(packs) == 1 else composed(packs, problems)
    problems += _final_problems(pack)
    if overrides is not None and not problems:
        pack = apply_overrides_from(pack, overrides, problems)
    if problems:
        raise PolicyError(problems)
    return pack


def compose(packs: Sequence[Pack]) -> Pack:
    """Packs already loaded (by :func:`~partybuild_rules.load_pack`), as one pack evaluated
    together, in the order given."""
    expect(packs, (list, tuple), "packs", "a list of packs loaded by load_pack")
    for each in packs:
        expect(each, Pack, "packs", "a list of packs loaded by load_pack")
    if not packs or any(pack.rules and not pack.rule_entries for pack in packs):
        raise ValueError("compose() takes one or more packs loaded by load_pack")
    problems: list[Problem] = []
    pack = packs[0] if len(packs) == 1 else composed(list(packs), problems)
    problems += _final_problems(pack)
    if problems:
        raise PolicyError(problems)
    return pack


# ---------------------------------------------------------------------------------------------
# finding and reading


def _locate(ref: PackRef, problems: list[Problem]) -> Path | None:
    if isinstance(ref, str) and ref.startswith(PKG):
        folder, looked = find_pack(ref)
        if folder is None:
            problems.append(Problem(
                f"pack `{ref}` is not found", Span(ref), "pack-not-found",
                f"looked in: {', '.join(looked)}; install the pack package, or give a folder",
            ))
        return folder
    return Path(ref)


def _load_tree(path: Path | None, problems: list[Problem], chain: tuple[Path, ...]) -> Pack | None:
    """The pack at ``path`` with the packs it extends (``chain``: the packs extending it)."""
    if path is None:
        return None
    files = read_manifest(path, problems)
    if files is None:
        return None
    base: Pack | None = None
    if files.manifest.extends is not None:
        base = _base_of(files, problems, chain)
        if base is None:
            return None
    scope = {**(base.parameters if base else {}), **files.manifest.parameters}
    read_rules(files, scope, problems)
    values, dated = declared_values(files, problems)
    if base is None:
        return _single(files, values, dated, problems)
    return extended(base, files, values, dated, problems)


def _base_of(files: PackFiles, problems: list[Problem], chain: tuple[Path, ...]) -> Pack | None:
    ref = files.manifest.extends
    assert ref is not None
    span = files.document.span(("extends",))
    folder, looked = find_pack(ref, beside=files.folder)
    if folder is None:
        problems.append(Problem(
            f"pack `{ref}` named by `extends` is not found", span, "pack-not-found",
            f"looked in: {', '.join(looked)}",
        ))
        return None
    here = files.folder.resolve()
    if folder.resolve() in chain + (here,):
        problems.append(Problem(f"pack `{ref}` extends itself through `extends`", span, "cycle"))
        return None
    return _load_tree(folder, problems, chain + (here,))


def _single(
    files: PackFiles, values: dict[str, ParamValue], dated: dict[str, tuple[Dated, ...]], problems: list[Problem]
) -> Pack:
    manifest, document = files.manifest, files.document
    problems += rule_problems(files.rules, exclusive_spans(files), manifest)
    problems += deadline_problems(files.rules, values)
    return Pack(
        name=manifest.pack,
        title=manifest.title,
        version=manifest.version,
        effective_from=manifest.effective.from_,
        effective_until=manifest.effective.until,
        source=manifest.source,
        path=files.folder,
        parameters=MappingProxyType(dict(manifest.parameters)),
        values=MappingProxyType(values),
        rules=tuple(rule for rule, _, _ in files.rules),
        spans=MappingProxyType({rule.id: doc.span(("rules", i)) for rule, doc, i in files.rules}),
        exclusive=manifest.exclusive,
        test_files=tuple(files.folder / name for name in manifest.tests),
        dated=MappingProxyType(dated),
        origins=MappingProxyType({rule.id: files.origin for rule, _, _ in files.rules}),
        in_force=(files.in_force(),),
        parameter_spans=MappingProxyType({
            name: document.span(("parameters", name), key=True) for name in manifest.parameters
        }),
        rule_entries=tuple(files.rules),
        attributes=MappingProxyType(dict(manifest.attributes)),
        event_types=MappingProxyType(dict(manifest.event_types)),
    )


# ---------------------------------------------------------------------------------------------
# checks of the finished pack


def _final_problems(pack: Pack) -> list[Problem]:
    """A ``replaces`` that found nothing to replace; a dated parameter used outside an amount."""
    problems: list[Problem] = []
    for rule, document, index in pack.rule_entries:
        if rule.replaces is not None and pack.replaced.get(rule.id) != rule.replaces:
            problems.append(Problem(
                f"rule `{rule.id}` replaces `{rule.replaces}`, which no pack before it has",
                document.span(("rules", index, "replaces")), "unknown-rule",
                "`replaces` takes the place of a rule of the pack extended, or of a pack listed before",
            ))
        raw = _raw_rule(document, index)
        for path, name in _references(raw, ("rules", index)):
            if name in pack.dated and not any(part in _AMOUNTS for part in path):
                problems.append(Problem(
                    f"dated parameter `{name}` is used outside an amount in rule `{rule.id}`",
                    document.span(path), "dated",
                    "dated values apply to money paid by the day (`amount`, `amount_by_tier`); "
                    "give this parameter one value",
                ))
    return problems


def _raw_rule(document: Document, index: int) -> Any:
    rules = document.data.get("rules") if isinstance(document.data, dict) else None
    return rules[index] if isinstance(rules, list) and index < len(rules) else None


def _references(data: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every ``$name`` in ``data`` (also inside formulas), with its path."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _references(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _references(value, path + (i,))
    elif isinstance(data, str) and "$" in data:
        for word in data.replace("(", " ").replace(")", " ").split():
            if word.startswith("$"):
                yield path, word[1:].rstrip("*+-/,")


def as_tested(pack: Pack, test_file: Path) -> Pack:
    """``pack`` as the cases of ``test_file`` expect it: with the parameter values (and dated
    values) of the pack that wrote the file, which an extending pack may have changed."""
    setup = pack.test_setups.get(test_file)
    if setup is None or not setup.values:
        return pack
    dated = {k: v for k, v in pack.dated.items() if k not in setup.values}
    dated.update({k: v for k, v in setup.dated.items() if k in pack.parameters})
    values = {**pack.values, **{k: v for k, v in setup.values.items() if k in pack.parameters}}
    return replace(pack, values=MappingProxyType(values), dated=MappingProxyType(dated), _cache={})
