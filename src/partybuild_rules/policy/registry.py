"""Finding packs by name: beside the pack that names them, bundled, or installed as packages.

An installed pack package declares an entry point in the group ``partybuild_rules.packs``::

    [project.entry-points."partybuild_rules.packs"]
    harbin-extra = "harbin_extra_pack"      # NAME = the package whose folder holds pack.yaml

and is then named ``pkg:NAME`` (on the command line and in ``extends:``). Finding it reads the
entry point's metadata and the package's location only: no code of the package runs.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

__all__ = ["ENTRY_POINTS", "PKG", "bundled_packs_folder", "find_pack", "installed_packs"]

ENTRY_POINTS = "partybuild_rules.packs"
PKG = "pkg:"

_PACKAGE = Path(__file__).resolve().parents[1]


def bundled_packs_folder() -> Path:
    """The folder of the bundled packs: ``_bundled/policies`` in a wheel, ``policies/`` of a checkout."""
    inside = _PACKAGE / "_bundled" / "policies"
    return inside if inside.exists() else _PACKAGE.parents[1] / "policies"


def installed_packs() -> dict[str, str]:
    """Installed pack packages: entry point name -> the package (module) it names."""
    return {ep.name: ep.value.split(":")[0].strip() for ep in importlib.metadata.entry_points(group=ENTRY_POINTS)}


def _package_folder(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin).parent if spec.origin else None


def find_pack(ref: str, beside: Path | None = None) -> tuple[Path | None, list[str]]:
    """The folder of pack ``ref`` and the places looked at, in order.

    ``pkg:NAME`` is an installed pack package only. A plain ``NAME`` is looked for in order:
    (1) the folder ``NAME`` beside the folder ``beside`` (the pack that extends it),
    (2) the bundled pack ``NAME``, (3) the installed pack package ``NAME``.
    """
    looked: list[str] = []
    if ref.startswith(PKG):
        name = ref[len(PKG):]
    else:
        name = ref
        folders = ([beside.parent / name] if beside is not None else []) + [bundled_packs_folder() / name]
        for folder in folders:
            looked.append(str(folder))
            if (folder / "pack.yaml").is_file():
                return folder, looked
    module = installed_packs().get(name)
    looked.append(f"{PKG}{name}")
    installed = _package_folder(module) if module else None
    if installed is not None and (installed / "pack.yaml").is_file():
        return installed, looked
    return None, looked
