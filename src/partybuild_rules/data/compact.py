"""A large JSON dataset read for evaluation, its core events held compactly (msgspec structs).

A city's events are nearly all of its file. As pydantic records they take about 2.6 KB each (a
model, its field dict, its set of fields set, its strings) and reading them is paid record by
record; a province's 2.8 million would need 7 GiB. Here each core event is decoded straight from
the text into a struct (about 300 bytes with its values, not tracked by the garbage collector)
that checks what the pydantic model checks: field names, types, id patterns and lengths, dates
written ``YYYY-MM-DD``, the kinds of activity and subject, the scores' range. The structs have the
models' field names and a ``type``, so the fact builders read them as they read the records; they
are read-only records for evaluation, not pydantic models (see :func:`load_dataset`'s
``compact``). The rest of the file (communities, units, members, ratings, pack events) is small
and is read by the pydantic model as ever, and the dataset's reference checks run on the whole.

This reader only ever accepts a file the ordinary reader accepts, with equal values; on any doubt
it gives way (:func:`read_compact` returns ``None``) and the ordinary reader decides and reports
every problem with its line and column:

- anything msgspec refuses (bad JSON, a wrong type, an unknown or missing field, a bad date), a
  broken reference, a record the pydantic model refuses: the ordinary reader runs and reports;
- msgspec keeps the last of two equal keys silently, so repeats are found by counting: every key
  is followed by a colon, and a colon can stand elsewhere only inside a string; the records
  decoded, encoded again (fields that were absent stay absent), write each key they kept once and
  each string verbatim, so the text has as many colons exactly when no key was repeated (a repeat
  loses its key and the strings of the value it replaced). A colon written ``\\u003a``, a
  surrogate escape, and a number of more digits than the ordinary reader takes make it give way;
- a file over a limit (size, records in a section, nesting) goes the ordinary way, which says so.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Union

import msgspec
from msgspec import UNSET, Meta, Raw, Struct, UnsetType
from pydantic import BaseModel, TypeAdapter, ValidationError

from ..domain import model as M
from ..domain.integrity import integrity_problems
from ..policy.limits import Limits
from ..policy.loader import MAX_INT_DIGITS, SURROGATE_ESCAPE, depth_within

__all__ = ["as_models", "event_json", "is_compact", "is_compact_event", "read_compact"]

# The pydantic model's constraints, spelt for msgspec. msgspec matches a pattern with
# ``re.search``, where ``$`` also matches before a final newline: ``\Z`` is the end of the text.
_Id = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+\Z")]
_Ref = Annotated[str, Meta(min_length=1)]


class _Item(Struct, forbid_unknown_fields=True, gc=False):
    """议定事项, as :class:`~partybuild_rules.domain.model.AgreedItem`."""

    id: _Id
    title: str
    due: datetime.date | None | UnsetType = UNSET
    closed: datetime.date | None | UnsetType = UNSET


class _Finding(Struct, forbid_unknown_fields=True, gc=False):
    """As :class:`~partybuild_rules.domain.model.Finding`."""

    id: _Id
    description: str
    deadline: datetime.date


class _Event(Struct, forbid_unknown_fields=True, gc=False, tag_field="type"):
    id: _Id
    date: datetime.date


class _UnitReport(_Event, tag="unit_report"):
    unit: _Ref
    community: _Ref | None | UnsetType = UNSET


class _MemberReportIn(_Event, tag="member_report_in"):
    member: _Ref
    community: _Ref


class _Activity(_Event, tag="activity"):
    community: _Ref
    kind: M.ActivityKind
    co_building: bool | UnsetType = UNSET
    title: str | UnsetType = UNSET
    units: tuple[_Ref, ...] | UnsetType = UNSET
    participants: tuple[_Ref, ...] | UnsetType = UNSET


class _JointMeeting(_Event, tag="joint_meeting"):
    community: _Ref
    units: tuple[_Ref, ...] | UnsetType = UNSET
    items: tuple[_Item, ...] | UnsetType = UNSET


class _TwoWayReview(_Event, tag="two_way_review"):
    year: int
    unit: _Ref
    community: _Ref
    score_of_unit: Any  # read by the model's own Score validator
    score_of_community: Any


class _Inspection(_Event, tag="inspection"):
    group: _Ref
    subject_kind: M.SubjectKind
    subject: _Ref
    findings: tuple[_Finding, ...] | UnsetType = UNSET


class _Rectification(_Event, tag="rectification"):
    finding: _Ref


class _Assessment(_Event, tag="assessment"):
    subject_kind: M.SubjectKind
    subject: _Ref
    part: Literal["daily", "year_end"]
    score: Any


_MODELS: dict[type[Struct], type[BaseModel]] = {
    _UnitReport: M.UnitReport, _MemberReportIn: M.MemberReportIn, _Activity: M.Activity,
    _JointMeeting: M.JointMeeting, _TwoWayReview: M.TwoWayReview, _Inspection: M.Inspection,
    _Rectification: M.Rectification, _Assessment: M.Assessment, _Item: M.AgreedItem, _Finding: M.Finding,
}
for _struct in _MODELS:  # each event struct has its ``type``, as the model has
    if _struct.__struct_config__.tag is not None:
        setattr(_struct, "type", _struct.__struct_config__.tag)
_DEFAULTS: dict[type[Struct], tuple[tuple[str, Any], ...]] = {
    struct: tuple((name, model.model_fields[name].default) for name, default in
                  zip(struct.__struct_fields__[-len(struct.__struct_defaults__):], struct.__struct_defaults__)
                  if default is UNSET)
    for struct, model in _MODELS.items() if struct.__struct_defaults__
}
_NESTED = {_JointMeeting: "items", _Inspection: "findings"}
_SCORED = {_TwoWayReview: ("score_of_unit", "score_of_community"), _Assessment: ("score",)}
_SCORE: TypeAdapter[Decimal] = TypeAdapter(M.Score)


_CORE = Union[_UnitReport, _MemberReportIn, _Activity, _JointMeeting, _TwoWayReview, _Inspection,
              _Rectification, _Assessment]


class _File(Struct, forbid_unknown_fields=True, gc=False):
    name: Any = UNSET
    covers: Any = UNSET
    declared_by: Any = UNSET
    communities: Any = UNSET
    grids: Any = UNSET
    units: Any = UNSET
    members: Any = UNSET
    inspection_groups: Any = UNSET
    ratings: Any = UNSET
    events: list[Raw] | UnsetType = UNSET


class _CoreFile(_File):
    """A file whose events are all core events: decoded in one call."""

    events: list[_CORE] | UnsetType = UNSET  # type: ignore[assignment]


class _Tagged(Struct):
    type: Any = None


_FILE = msgspec.json.Decoder(_File, float_hook=Decimal)
_CORE_FILE = msgspec.json.Decoder(_CoreFile, float_hook=Decimal)
_CORE_EVENT = msgspec.json.Decoder(_CORE, float_hook=Decimal)
_PLAIN = msgspec.json.Decoder(float_hook=Decimal)
_TAGGED = msgspec.json.Decoder(_Tagged)
_ENCODER = msgspec.json.Encoder()

_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_DOUBTFUL_ESCAPE = re.compile(rb"\\u003[aA]|" + SURROGATE_ESCAPE.pattern.encode())
_EVENT_DEPTH = 5
_CHUNK = 65_536
"""Nesting of a core event in the file: the file, ``events``, the event, its list, an item."""


class _GiveWay(Exception):
    """The ordinary reader must decide."""


def is_compact(data: M.Dataset) -> bool:
    """Whether ``data`` was read with ``compact=True`` (its core events are not pydantic models)."""
    return any(isinstance(event, _Event) for event in data.events)


def is_compact_event(event: Any) -> bool:
    """Whether ``event`` is a compactly read core event (not a pydantic model)."""
    return isinstance(event, _Event)


_PARTICIPANTS = ',"participants":'
assert _Activity.__struct_fields__[-1] == "participants"  # written last, as event_json expects


def event_json(event: Any) -> str:
    """A compact event as JSON text with its ``type``, as the model it stands for is written
    (what the ordinary reader reads back to an equal model); an activity up to its participants
    (``…,"participants":``), for the partitions to write the participants they keep."""
    text: str = _ENCODER.encode(event).decode()
    if type(event) is _Activity:  # the last key: its value, a list of strings, cannot hold it unescaped
        return text[: text.rindex(_PARTICIPANTS) + len(_PARTICIPANTS)]
    return text


def as_models(data: M.Dataset) -> M.Dataset:
    """``data`` with every compact event made the pydantic model it stands for (``data`` itself
    when it has none): for the uses that need the models (worker processes, sessions)."""
    if not is_compact(data):
        return data
    events = tuple(
        _AS_EVENT.validate_python(msgspec.to_builtins(e, builtin_types=(datetime.date, Decimal)))
        if isinstance(e, _Event) else e
        for e in data.events
    )
    copy = data.model_copy(update={"events": events})
    copy._declared.update(data._declared)
    return copy


_AS_EVENT: TypeAdapter[Any] = TypeAdapter(M.Event)


def read_compact(path: Path, limits: Limits) -> M.Dataset | None:
    """The dataset of a JSON file with its core events held compactly, or ``None`` where the
    ordinary reader must decide (it accepts the same files and reports what is wrong). Never
    raises for bad input."""
    try:
        if path.stat().st_size > limits.max_bytes or limits.max_depth < _EVENT_DEPTH:
            return None
        return _read(path, limits)
    except (OSError, _GiveWay, msgspec.DecodeError, ValidationError, RecursionError, ValueError, TypeError):
        return None


def _read(path: Path, limits: Limits) -> M.Dataset:
    # the file's text is let go of as soon as the keys are counted (a province's is 600 MiB), so
    # only this function holds it
    raw = path.read_bytes()
    if b"0" * (MAX_INT_DIGITS + 1) in raw.translate(_DIGITS_AS_ZERO) or _DOUBTFUL_ESCAPE.search(raw):
        raise _GiveWay
    try:  # all events core ones (a file without pack events): one call, no copy
        file: _File = _CORE_FILE.decode(raw)
    except msgspec.ValidationError:
        file = _FILE.decode(raw)
    rest = {name: getattr(file, name) for name in file.__struct_fields__
            if name != "events" and getattr(file, name) is not UNSET}
    colons = _ENCODER.encode(rest).count(b":")
    if not depth_within(rest, limits.max_depth) or any(
        isinstance(v, list) and len(v) > limits.max_records for v in rest.values()
    ):
        raise _GiveWay
    events: list[Any] = []
    if file.events is not UNSET:
        if len(file.events) > limits.max_records:
            raise _GiveWay
        colons += 1  # the key `events`
        events = file.events if isinstance(file, _CoreFile) else _events(file.events, limits)
        for start in range(0, len(events), _CHUNK):  # encoded a chunk at a time: no second copy of the file
            colons += _ENCODER.encode(events[start:start + _CHUNK]).count(b":")
    if colons != raw.count(b":"):
        raise _GiveWay  # a key repeated
    del raw, file  # a pack event's raw text (``Raw``) refers to the file's: both go
    for event in events:
        if isinstance(event, Struct):
            _completed(event)
    small = M.Dataset.model_validate(
        {**rest, "events": [e for e in events if not isinstance(e, Struct)]}, context={M.CHECKED_LATER: True},
    )
    packs = iter(small.events)
    data = M.Dataset.model_construct(
        **{name: getattr(small, name) for name in M.Dataset.model_fields if name != "events"},
        events=tuple(e if isinstance(e, Struct) else next(packs) for e in events),
    )
    if integrity_problems(data):
        raise _GiveWay
    return data


def _events(raws: list[Raw], limits: Limits) -> list[Any]:
    """Each event as a struct (core) or a dict (a pack's, read by the model later)."""
    events: list[Any] = []
    for one in raws:
        try:
            events.append(_CORE_EVENT.decode(one))
            continue
        except msgspec.ValidationError:
            if _TAGGED.decode(one).type in M.CORE_EVENT_TYPES:
                raise
        plain = _PLAIN.decode(one)
        if not isinstance(plain, dict) or not depth_within(plain, limits.max_depth - 2):
            raise _GiveWay
        events.append(plain)
    return events


def _completed(struct: Struct) -> None:
    """Fill the fields the file left out with the model's defaults; read scores and subject
    kinds as the model does."""
    complete = _COMPLETERS.get(type(struct))
    if complete is not None:
        complete(struct)


def _completer(kind: type[Struct]) -> Callable[[Struct], None] | None:
    """What :func:`_completed` does to a struct of ``kind``, with only the steps it needs (it
    runs once per event)."""
    defaults = _DEFAULTS.get(kind, ())
    nested = _NESTED.get(kind)
    scored = _SCORED.get(kind, ())
    of_subject = "subject_kind" in kind.__struct_fields__
    if not (defaults or nested or scored or of_subject):
        return None

    def complete(struct: Struct) -> None:
        for name, default in defaults:
            if getattr(struct, name) is UNSET:
                setattr(struct, name, default)
        if nested is not None:
            for item in getattr(struct, nested):
                _completed(item)
        for name in scored:
            setattr(struct, name, _SCORE.validate_python(getattr(struct, name)))
        if of_subject and getattr(struct, "subject_kind") is M.SubjectKind.MEMBER:
            raise _GiveWay  # inspections and assessments are of units and communities

    return complete


_COMPLETERS = {kind: done for kind in _MODELS if (done := _completer(kind)) is not None}
