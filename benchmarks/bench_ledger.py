"""Excel ledger benchmarks: raw row reading by library, and reading + evaluating a ledger.

    python benchmarks/bench_ledger.py rows calamine s10.xlsx   # every row of every sheet, nothing else
    python benchmarks/bench_ledger.py rows openpyxl s10.xlsx   # the same with openpyxl's read-only mode
    python benchmarks/bench_ledger.py evaluate s10.xlsx        # load_dataset (read and check) + evaluate 2024

Make the ledger with ``partybuild-rules generate --scale 10 --output s10.json`` and
``partybuild-rules convert s10.json --output s10.xlsx``. Run each measurement in its own process,
several times, and quote the median.
"""

from __future__ import annotations

import resource
import sys
import time


def rows_openpyxl(path: str) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=False)
    count = sum(1 for ws in book.worksheets for _ in ws.iter_rows(values_only=True))
    book.close()
    return count


def rows_calamine(path: str) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    return sum(1 for name in book.sheet_names for _ in book.get_sheet_by_name(name).iter_rows())


def evaluate_ledger(path: str) -> str:
    from partybuild_rules import bundled_pack, evaluate, load_dataset, load_pack

    pack = load_pack(bundled_pack())
    started = time.perf_counter()
    data = load_dataset(path)
    read = time.perf_counter()
    result = evaluate(pack, data, 2024)
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (f"{path}: read {read - started:.2f} s, evaluate {done - read:.2f} s, total {done - started:.2f} s, "
            f"{len(result.outcomes)} outcomes, peak {peak:.0f} MiB")


def main(argv: list[str]) -> None:
    if argv[0] == "rows":
        started = time.perf_counter()
        count = {"openpyxl": rows_openpyxl, "calamine": rows_calamine}[argv[1]](argv[2])
        print(f"{argv[1]}: {count} rows in {time.perf_counter() - started:.2f} s")
    else:
        print(evaluate_ledger(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
