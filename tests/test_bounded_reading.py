"""Bounded reading: files built to exhaust memory or time are refused before they are parsed,
naming the limit, with the process's peak memory small (measured in a fresh subprocess); a
legitimate workbook whose declared dimension lies still reads."""
from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from queries import ingest, limits
from tests import bombs
from tests import fixtures as fx

ROOT = Path(__file__).resolve().parents[1]

# In the child: cap the address space so a regression fails there instead of taking the machine.
_CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
sys.path.insert(0, {root!r})
from queries import ingest
path = sys.argv[1]
data = open(path, "rb").read()
t = time.perf_counter()
try:
    ingest.read_sheets(path, data)
    message = None
except ValueError as exc:
    message = str(exc)
seconds = time.perf_counter() - t
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec from the (large) test process.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"message": message, "seconds": seconds, "peak_mb": hwm / 1024}}))
"""


def refuse_in_child(path: Path) -> dict:
    """Read `path` as an upload in a fresh interpreter: its message, time and peak memory."""
    done = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT)), str(path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


BOMBS = {
    "dimension.xlsx": (bombs.dimension_bomb, f"文件超过 {limits.MAX_ROWS:,} 行的上限"),
    "rows.xlsx": (bombs.many_rows, f"文件超过 {limits.MAX_ROWS:,} 行的上限"),
    "columns.xlsx": (bombs.many_columns, f"文件超过 {limits.MAX_COLUMNS} 列的上限"),
    "strings.xlsx": (bombs.shared_strings_bomb, "文件解压后超过 256 MB 的上限"),
    "信访台账.csv": (bombs.csv_row_bomb, f"文件超过 {limits.CSV_MAX_ROWS:,} 行的上限"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_bomb_file_is_refused_naming_the_limit_with_little_memory(tmp_path, name):
    build, message = BOMBS[name]
    path = tmp_path / name
    path.write_bytes(build())
    got = refuse_in_child(path)
    print(f"{name}: {path.stat().st_size / 1024:,.0f} KB refused in {got['seconds']:.2f} s, "
          f"peak {got['peak_mb']:.0f} MB")
    assert got["message"] is not None and got["message"].startswith(message)
    assert got["peak_mb"] < 1024


def test_a_bomb_is_a_problem_of_its_file_and_nothing_else_is_read():
    result = ingest.ingest([("案件.xlsx", bombs.dimension_bomb())], fx.tables().regions, today=fx.AS_OF)
    assert [(p.sheet, p.row, p.message) for p in result.problems] == [
        ("案件.xlsx", None, f"文件超过 {limits.MAX_ROWS:,} 行的上限（工作表“sheet1”有第 1,048,576 行）")]
    assert result.frames == {}


def test_a_declared_dimension_is_not_believed_and_the_real_cells_are_read():
    result = ingest.ingest([("案件.xlsx", bombs.declared_dimension_only())], fx.tables().regions, today=fx.AS_OF)
    assert result.ok, [p.line() for p in result.problems]
    cases = result.frames["cases"]
    assert cases.select("case_id", "region_code").rows() == [("N1", fx.V_A1a)]


def test_a_sheet_at_the_row_limit_reads_and_one_more_row_is_refused():
    assert ingest.read_sheets("案件.xlsx", bombs.many_rows(limits.MAX_ROWS))[0][1].height == limits.MAX_ROWS
    with pytest.raises(ValueError, match=f"文件超过 {limits.MAX_ROWS:,} 行的上限"):
        ingest.read_sheets("案件.xlsx", bombs.many_rows(limits.MAX_ROWS + 1))


def test_a_part_that_inflates_past_its_declared_size_is_refused():
    data = bytearray(bombs.declared_dimension_only())
    size = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml").file_size
    # Halve sheet1's uncompressed size in its central directory header (offset 24 of the
    # 46-byte header before the name): reading stops there, so the part fails its checksum.
    central = bytes(data).index(b"PK\x01\x02")
    at = bytes(data).index(b"xl/worksheets/sheet1.xml", central) - 46
    struct.pack_into("<I", data, at + 24, size // 2)
    with pytest.raises(ValueError, match="无法读取 Excel 文件"):
        ingest.read_sheets("案件.xlsx", bytes(data))


def test_a_csv_over_the_column_limit_is_refused():
    text = ",".join(f"列{i}" for i in range(limits.MAX_COLUMNS + 1)) + "\n"
    with pytest.raises(ValueError, match=f"文件超过 {limits.MAX_COLUMNS} 列的上限"):
        ingest.read_sheets("案件.csv", text.encode())


def test_a_file_over_the_size_limit_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1 << 20)
    with pytest.raises(ValueError, match="文件超过 1 MB 的上限"):
        ingest.read_sheets("案件.csv", b"a,b\n" * (1 << 19))
