"""The formula cells of a workbook, found in its sheets' XML: the cell reader reports a formula
cell by its cached value only, which may be stale or missing, so a ledger must hold values."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

__all__ = ["formula_cells"]


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}


_FORMULA = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>(?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?f[\s>/]', re.S)


_HAS_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def formula_cells(path: Path) -> dict[str, list[tuple[int, int]]]:
    """Every formula cell per sheet name as (row, column). calamine reports a formula cell by its
    cached value only, so the sheets' XML is searched (quickly: most ledgers have none)."""
    found: dict[str, list[tuple[int, int]]] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            targets = _sheet_targets(archive)
            for name, target in targets.items():
                with archive.open(target) as stream:
                    xml = stream.read()
                if not _HAS_FORMULA.search(xml):
                    continue
                found[name] = [(int(m[2]), _column_number(m[1].decode())) for m in _FORMULA.finditer(xml)]
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}  # calamine reports an unreadable workbook itself
    return found


def _sheet_targets(archive: zipfile.ZipFile) -> dict[str, str]:
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): str(r.get("Target")) for r in rels.findall("rel:Relationship", _NS)}
    result = {}
    for sheet in book.iterfind("m:sheets/m:sheet", _NS):
        rid = sheet.get(f"{{{_NS['r']}}}id")
        path = target.get(rid, "")
        path = path.lstrip("/") if path.startswith("/") else "xl/" + path
        result[str(sheet.get("name"))] = path
    return result


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - ord("A") + 1
    return number
