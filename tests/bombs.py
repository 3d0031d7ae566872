"""Hostile spreadsheet files for the bounded-reading tests: each is small on disk and would
exhaust memory or time if its declarations were believed or its content read in full.

Built from raw XML parts (no spreadsheet library): the point is files no library would write.
"""
from __future__ import annotations

import io
import zipfile

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
             '<sheets><sheet name="案件台账" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>案件编号</t></is></c>'
               '<c r="B1" t="inlineStr"><is><t>区划代码</t></is></c>'
               '<c r="C1" t="inlineStr"><is><t>立案日期</t></is></c></row>')


def _sheet(rows: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {_NS}>{dim}<sheetData>{rows}</sheetData></worksheet>'


def _package(sheet: str, shared: str | None = None) -> bytes:
    shared = shared or f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="0" uniqueCount="0"/>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", shared)
    return buf.getvalue()


def dimension_bomb() -> bytes:
    """A header and one cell at the last cell of a sheet (XFD1048576), with the dimension
    declared to match: a reader sizing its grid from either holds 17 billion cells."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return _package(_sheet(_HEADER_ROW + far, "A1:XFD1048576"))


def declared_dimension_only() -> bytes:
    """A small, valid ledger whose <dimension> claims the whole sheet: must read normally."""
    row = ('<row r="2"><c r="A2" t="inlineStr"><is><t>N1</t></is></c>'
           '<c r="B2" t="inlineStr"><is><t>990101001001</t></is></c>'
           '<c r="C2" t="inlineStr"><is><t>2024-03-03</t></is></c></row>')
    return _package(_sheet(_HEADER_ROW + row, "A1:XFD1048576"))


def many_rows(n: int = 1_048_576) -> bytes:
    """A header and `n` tiny data rows (deflates to a few MB)."""
    body = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(2, n + 1))
    return _package(_sheet(_HEADER_ROW + body))


def many_columns(n: int = 16_384) -> bytes:
    """A header row followed by one row `n` cells wide."""
    cells = "".join(f"<c><v>{i}</v></c>" for i in range(n))
    return _package(_sheet(_HEADER_ROW + f'<row r="2">{cells}</row>'))


def shared_strings_bomb(size: int = 1 << 30) -> bytes:
    """A sharedStrings part that inflates to `size` bytes (1 GB) from about a megabyte."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", _sheet(_HEADER_ROW))
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(f'<?xml version="1.0"?><sst {_NS} count="1" uniqueCount="1"><si><t>'.encode())
            chunk = b"A" * (1 << 20)
            for _ in range(size >> 20):
                fh.write(chunk)
            fh.write(b"</t></si></sst>")
    return buf.getvalue()


def csv_row_bomb(n: int = 2_000_000) -> bytes:
    """A complaint CSV with `n` five-byte rows: 10 MB, under the size at which imports stream."""
    return "信访编号,区划代码,受理日期\n".encode() + b"1,1,\n" * n
