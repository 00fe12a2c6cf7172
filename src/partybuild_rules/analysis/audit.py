"""An audit trail of evaluations: one JSON line per run, and a replay that checks it.

Each record names everything the outcomes depend on — the library and engine, the pack (name,
version and a hash of its files), the dataset (a hash of its bytes), the parameter values and
the year — and a digest of the outcomes. :func:`replay` re-runs a recorded evaluation from the
same inputs and says whether the digest matches, and if not, which input changed.

Appends are safe from several processes at once: each line is written by one ``write`` on a
file opened for appending, under an exclusive lock where the system has one (POSIX ``flock``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..domain.errors import DataError, PolicyError, Problem, Span
from ..domain.outcomes import Result
from ..policy.pack import Pack

__all__ = ["AuditCheck", "append_record", "outcome_digest", "record_of", "replay"]

FORMAT = 1


def outcome_digest(result: Result) -> str:
    """SHA-256 of the outcomes as canonical JSON: equal outcomes, equal digest."""
    outcomes = result.model_dump(mode="json", include={"outcomes"})["outcomes"]
    text = json.dumps(outcomes, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pack_hash(folder: Path) -> str:
    """SHA-256 over every file of the pack folder (relative name and bytes), in name order."""
    digest = hashlib.sha256()
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not any(
        part.startswith(".") or part == "__pycache__" for part in p.relative_to(folder).parts))
    for path in files:
        name = path.relative_to(folder).as_posix().encode("utf-8")
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(bytes.fromhex(file_hash(path)))
    return digest.hexdigest()


def packs_hash(folders: list[Path]) -> str:
    """:func:`pack_hash` of one folder; of several (packs evaluated together), SHA-256 over theirs."""
    if len(folders) == 1:
        return pack_hash(folders[0])
    return hashlib.sha256(b"".join(bytes.fromhex(pack_hash(folder)) for folder in folders)).hexdigest()


def record_of(result: Result, pack: Pack, pack_path: Path, data_path: Path,
              overrides_file: Path | None = None) -> dict[str, Any]:
    """The audit record of one evaluation (plain JSON data). For packs evaluated together,
    ``pack.paths`` lists every folder (``pack.path`` is the first), so that a replay loads them all."""
    folders = [Path(f.origin.path) for f in pack.in_force] if len(pack.in_force) > 1 else [Path(pack_path)]
    return {
        "format": FORMAT,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "library": __version__,
        "engine": getattr(result, "engine", None) or "durable-rules",
        "pack": {"name": pack.name, "version": pack.version, "path": str(folders[0].resolve()),
                 "paths": [str(folder.resolve()) for folder in folders], "hash": packs_hash(folders)},
        "dataset": {"name": result.dataset, "path": str(Path(data_path).resolve()),
                    "hash": file_hash(Path(data_path))},
        "overrides_file": str(overrides_file.resolve()) if overrides_file else None,
        "year": result.year,
        "overrides": {name: str(value) for name, value in pack.overrides.items()},
        "parameters": dict(result.parameters),
        "outcomes": len(result.outcomes),
        "warnings": len(result.warnings),
        "digest": outcome_digest(result),
    }


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append ``record`` as one line; concurrent appends never interleave."""
    line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _lock(descriptor)
        view = memoryview(line)
        while view:  # one write normally; a short write is finished under the same lock
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)  # closing releases the lock


def _lock(descriptor: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: O_APPEND alone
        return
    fcntl.flock(descriptor, fcntl.LOCK_EX)


@dataclass(frozen=True)
class AuditCheck:
    """The replay of one recorded evaluation."""

    line: int
    recorded: str
    replayed: str
    changed: tuple[str, ...]
    """Inputs that differ from the record (`pack`, `dataset`, `library`)."""

    @property
    def matches(self) -> bool:
        return self.recorded == self.replayed

    def render(self, lang: str = "zh") -> str:
        changed = ", ".join(self.changed)
        if lang == "en":
            verdict = "digest matches" if self.matches else "digest DIFFERS"
            return f"line {self.line}: {verdict} ({self.replayed[:16]})" + (
                f"; changed since recorded: {changed}" if changed else "")
        verdict = "摘要一致" if self.matches else "摘要不一致"
        return f"第 {self.line} 行：{verdict}（{self.replayed[:16]}）" + (
            f"；记录后已改变：{changed}" if changed else "")


def replay(path: Path) -> list[AuditCheck]:
    """Re-run every evaluation recorded in the audit file ``path``."""
    from ..data.datasets import load_dataset
    from ..evaluation.evaluator import Evaluator
    from ..policy.pack import load_pack

    checks = []
    for number, record in _records(path):
        try:
            folders = [Path(p) for p in record["pack"].get("paths") or [record["pack"]["path"]]]
            data_path = Path(record["dataset"]["path"])
            pack = load_pack(folders, overrides=record.get("overrides_file"))
            if record["overrides"]:
                pack = pack.with_overrides(record["overrides"], origin=f"{path}:{number}")
            changed = tuple(name for name, now, then in (
                ("library", __version__, record["library"]),
                ("pack", packs_hash(folders), record["pack"]["hash"]),
                ("dataset", file_hash(data_path), record["dataset"]["hash"]),
            ) if now != then)
            with Evaluator(pack) as evaluator:
                result = evaluator.evaluate(load_dataset(data_path), int(record["year"]))
            checks.append(AuditCheck(number, str(record["digest"]), outcome_digest(result), changed))
        except (PolicyError, DataError):
            raise
        except (KeyError, TypeError, ValueError) as error:
            raise DataError([Problem(f"audit record is incomplete: {error}", Span(str(path), number, 1),
                                     "audit")]) from None
    return checks


def _records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    problems, records = [], []
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError([Problem(f"file not found: `{file}`", Span(file), "io")]) from None
    except IsADirectoryError:
        raise DataError([Problem(f"`{file}` is a folder, not a file", Span(file), "io")]) from None
    except OSError as error:
        raise DataError([Problem(f"cannot read `{file}`: {error.strerror or error}", Span(file), "io")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        at = raw.count(b"\n", 0, error.start) + 1
        raise DataError([Problem(f"`{file}` is not UTF-8 text (byte {error.start + 1} is 0x{raw[error.start]:02x})",
                                 Span(file, at, 1), "encoding")]) from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            problems.append(Problem(f"json: {error}", Span(str(path), number, 1), "syntax"))
            continue
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            problems.append(Problem("not an audit record of this library", Span(str(path), number, 1), "audit"))
            continue
        records.append((number, record))
    if problems:
        raise DataError(problems)
    if not records:  # nothing to replay is not a replay that matched
        raise DataError([Problem(f"`{file}` holds no audit records", Span(file), "audit",
                                 "record evaluations with `evaluate --audit FILE`")])
    return records
