"""Writes the gallery of broken and hostile workbooks the reader's tests use.

    python tests/data/workbooks/make_gallery.py

Each file is one way a workbook can be wrong, from an honest mistake (45 in a rate
column, a merged cell, a hidden row) to an attack (a zip bomb, a cell at XFD1048576
that would make the fast reader allocate half a terabyte, a zip directory that lies
about sizes).  The files are committed; this script documents how each was made and
rebuilds them.  Valid workbooks come from the project's own writer, then the XML is
edited where a case needs something no honest writer produces.
"""

from __future__ import annotations

import re
import struct
import sys
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # run as a script from anywhere

import openpyxl  # noqa: E402
import xlsxwriter  # noqa: E402

from calculator.engine import compute  # noqa: E402
from calculator.reference import load_reference  # noqa: E402
from froi.workbook.layout import SHEET_BY_NAME, SHEETS  # noqa: E402
from froi.workbook.results import write_results_workbook  # noqa: E402
from froi.workbook.template import CREATED  # noqa: E402
from froi.workbook.writer import write_input_sheets  # noqa: E402

#: A small valid input on the test fixture table (tests/data/fixture_unit_costs.csv).
BASE: dict[str, Any] = {
    "settings": {"appraisal_years": 3},
    "projects": [
        {
            "project_id": "P1",
            "name": "Edge of care",
            "participants": 20,
            "costs": [
                {
                    "description": "Set-up",
                    "amount": 50000,
                    "agency": "Local Authority",
                    "kind": "set_up",
                }
            ],
            "outcomes": [
                {
                    "description": "Care avoided",
                    "unit_cost_code": "T1.0",
                    "cohort": 20,
                    "success": 0.3,
                    "quantity": 52,
                },
                {
                    "description": "A&E avoided",
                    "unit_cost_code": "T2.0",
                    "cohort": 20,
                    "success": 0.25,
                    "quantity": 2,
                },
                {
                    "description": "Care avoided later",
                    "unit_cost_code": "T1.0",
                    "cohort": 10,
                    "success": 0.2,
                    "quantity": 26,
                    "cohort_year": 1,
                },
            ],
        },
        {
            "project_id": "P2",
            "name": "Family group conferencing",
            "costs": [
                {
                    "description": "Coordinator",
                    "amount": 30000,
                    "agency": "Local Authority",
                    "year": 1,
                    "end_year": 1,
                }
            ],
            "outcomes": [
                {
                    "description": "Care avoided",
                    "unit_cost_code": "T1.0",
                    "cohort": 12,
                    "success": 0.4,
                    "quantity": 40,
                }
            ],
        },
    ],
}
# Outcomes columns as the writer lays them out (A project_id, B description, ...)
SUCCESS, DEADWEIGHT = 6, 7  # 0-based: G, H


def base(path: Path, edit: Callable[[Any], None] | None = None, doc: Any = None) -> None:
    """The base input (or ``doc``) through the project's writer; ``edit`` gets the
    XlsxWriter workbook before it is closed, to hide, merge or overwrite cells."""
    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False}
    )
    workbook.set_properties({"created": CREATED})
    write_input_sheets(workbook, doc if doc is not None else BASE)
    if edit is not None:
        edit(workbook)
    workbook.close()


def rewrite(source: Path, target: Path, edit: Callable[[str, bytes], bytes | None]) -> None:
    """Copy a zip, passing each member through ``edit`` (None drops the member).

    Entries keep a fixed date and core properties a fixed time, so the gallery is
    rebuilt byte for byte (a test checks the committed files are what this script makes).
    """
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = edit(info.filename, old.read(info.filename))
            if info.filename == "docProps/core.xml" and data is not None:
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-01-01T00:00:00Z", data)
            if data is not None:
                new.writestr(_entry(info.filename), data)
    source.unlink()


def _entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def sheet_part(name: str) -> str:
    """Member of a layout sheet written by the writer (sheets in layout order)."""
    order = [sheet.name for sheet in SHEETS]
    return f"xl/worksheets/sheet{order.index(name) + 1}.xml"


def patch_sheet(path: Path, sheet: str, change: Callable[[bytes], bytes]) -> None:
    raw = path.with_suffix(".tmp")
    base(raw)
    rewrite(raw, path, lambda name, data: change(data) if name == sheet_part(sheet) else data)


# -- not workbooks ----------------------------------------------------------------------
def png(path: Path) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal Compound File Binary (OLE) container, version 3, with 4 kB+ streams."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    sectors: list[bytes] = []
    fat = [fat_sector, end]  # sector 0: the FAT, sector 1: the directory
    starts: list[int] = []
    for data in streams.values():
        data = data.ljust(max(4096, -(-len(data) // 512) * 512), b"\x00")
        first = 2 + len(sectors)
        count = len(data) // 512
        starts.append(first)
        fat += [first + i + 1 for i in range(count - 1)] + [end]
        sectors += [data[i * 512 : (i + 1) * 512] for i in range(count)]

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBBIII", len(encoded), kind, 1, free, right, child)
            + b"\x00" * 16
            + b"\x00" * 4
            + b"\x00" * 16
            + struct.pack("<IQ", start, size)
        )

    names = list(streams)
    directory = entry("Root Entry", 5, 1, free, end, 0)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else free
        directory += entry(name, 2, free, right, starts[i], len(streams[name]))
    directory = directory.ljust(512, b"\x00")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat).ljust(512, b"\xff")
    return header + fat_bytes + directory + b"".join(sectors)


def encrypted(path: Path) -> None:
    """What Excel writes for a password-protected workbook: an OLE container holding
    EncryptionInfo and EncryptedPackage streams (the content here is random-looking)."""
    path.write_bytes(
        cfb(
            {
                "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" * 8,
                "EncryptedPackage": bytes(range(256)) * 20,
            }
        )
    )


def old_excel(path: Path) -> None:
    path.write_bytes(cfb({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" * 64}))


def csv_renamed(path: Path) -> None:
    path.write_text("project_id,name\nP1,Edge of care\n", encoding="utf-8")


def word_renamed(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(_entry("[Content_Types].xml"), "<Types/>")
        z.writestr(_entry("word/document.xml"), "<document/>")


def empty(path: Path) -> None:
    path.write_bytes(b"")


# -- damaged or hostile containers -----------------------------------------------------
def truncated(path: Path) -> None:
    whole = path.with_suffix(".tmp")
    base(whole)
    data = whole.read_bytes()
    whole.unlink()
    path.write_bytes(data[: len(data) * 6 // 10])


def zip_bomb(path: Path) -> None:
    """A sheet of 20 MB of spaces: 20 kB in the zip, 1,000 times its size inflated."""
    padding = b" " * (20 * 1024 * 1024)
    patch_sheet(
        path, "Outcomes", lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + padding, 1)
    )


def lying_sizes(path: Path) -> None:
    """A zip whose directory declares a sheet 100 bytes long that inflates to far more."""
    raw = path.with_suffix(".tmp")
    base(raw)
    data = bytearray(raw.read_bytes())
    with zipfile.ZipFile(raw) as z:
        info = z.getinfo(sheet_part("Outcomes"))
    raw.unlink()
    struct.pack_into("<I", data, info.header_offset + 22, 100)  # local header
    central = bytes(data).find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == sheet_part("Outcomes").encode():
            struct.pack_into("<I", data, central + 24, 100)
        central = bytes(data).find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def duplicate_part(path: Path) -> None:
    raw = path.with_suffix(".tmp")
    base(raw)
    with zipfile.ZipFile(raw) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(_entry(info.filename), old.read(info.filename))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Duplicate name": the point of this file
            new.writestr(_entry(sheet_part("Outcomes")), old.read(sheet_part("Outcomes")))
    raw.unlink()


def entities(path: Path) -> None:
    """Shared strings that declare an entity (the start of a 'billion laughs')."""
    raw = path.with_suffix(".tmp")
    workbook = xlsxwriter.Workbook(str(raw))
    workbook.set_properties({"created": CREATED})
    write_input_sheets(workbook, BASE)
    workbook.close()
    doctype = b'<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]>'
    rewrite(
        raw,
        path,
        lambda name, data: (
            data.replace(b"?>", b"?>" + doctype, 1) if name == "xl/sharedStrings.xml" else data
        ),
    )


def far_cell(path: Path) -> None:
    """One cell at XFD1048576: calamine would allocate every cell up to it."""
    patch_sheet(
        path,
        "Outcomes",
        lambda xml: xml.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        ),
    )


def empty_far_cells(path: Path) -> None:
    """Formatted but empty cells far down, as formatting a range leaves: harmless."""
    far = (
        b'<row r="1048576" ht="20" customHeight="1"><c r="XFD1048576" s="1"/>'
        b'<c r="XFC1048576" s="1"></c></row>'
    )
    patch_sheet(path, "Outcomes", lambda xml: xml.replace(b"</sheetData>", far + b"</sheetData>"))


def wide(path: Path) -> None:
    patch_sheet(
        path,
        "Outcomes",
        lambda xml: xml.replace(
            b"</row>", b'<c r="BA1" t="inlineStr"><is><t>x</t></is></c></row>', 1
        ),
    )


def quoted_reference(path: Path) -> None:
    """A far reference written with single quotes, which a quick search for r=\" misses."""
    patch_sheet(path, "Outcomes", lambda xml: xml.replace(b'<c r="D3"', b"<c r='D900000'", 1))


def prefixed_cell(path: Path) -> None:
    """A namespace-prefixed cell far to the right: calamine reads it by its local name."""
    namespace = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    cell = b'<x:c xmlns:x="' + namespace + b'" r="XFD40"><x:v>7</x:v></x:c>'
    patch_sheet(
        path,
        "Outcomes",
        lambda xml: xml.replace(b"</sheetData>", b'<row r="40">' + cell + b"</row></sheetData>"),
    )


def unreferenced_rows(path: Path) -> None:
    """Rows and cells without references: calamine counts them, and so must the check."""
    rows = b"<row/>" * 300 + b"<row><c><v>1</v></c></row>"
    patch_sheet(path, "Outcomes", lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>"))


def many_rows(path: Path) -> None:
    doc = {
        **BASE,
        "projects": [{**BASE["projects"][0], "outcomes": BASE["projects"][0]["outcomes"] * 10}],
    }
    base(path, doc=doc)


# -- honest mistakes and spreadsheet habits ----------------------------------------------
def formula_without_value(path: Path) -> None:
    """openpyxl writes formulas without the value a spreadsheet would have saved."""
    raw = path.with_suffix(".tmp.xlsx")
    base(raw)
    book = openpyxl.load_workbook(raw)
    book["Outcomes"]["D2"] = "=10*2"
    book["Outcomes"]["K3"] = "=1+1"
    book.save(raw)
    rewrite(raw, path, lambda name, data: data)


def outcomes_edit(edit: Callable[[Any, Any], None]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        base(path, lambda workbook: edit(workbook, workbook.get_worksheet_by_name("Outcomes")))

    return build


def _formula_with_value(workbook: Any, ws: Any) -> None:
    ws.write_formula(1, 3, "=10*2", None, 20)


def _error_cell(workbook: Any, ws: Any) -> None:
    ws.write_formula(2, SUCCESS, "=1/0", None, "#DIV/0!")


def _rate_45(workbook: Any, ws: Any) -> None:
    general = workbook.add_format({"num_format": "General"})
    ws.write_number(1, SUCCESS, 45, general)  # 45 in a cell without a percentage format
    ws.write_number(2, DEADWEIGHT, 45, workbook.add_format({"num_format": "0%"}))  # shows 4500%
    ws.write_string(3, SUCCESS, "20%")  # typed as text: fine


def _many_errors(workbook: Any, ws: Any) -> None:
    """60 outcome rows with three mistakes each: more problems than are shown."""
    general = workbook.add_format({"num_format": "General"})
    for row in range(1, 61):
        ws.write_string(row, 0, "P1")
        ws.write_string(row, 2, "T1.0")
        ws.write_number(row, 3, -1, general)
        ws.write_number(row, SUCCESS, 45, general)
        ws.write_number(row, 11, 0.5, general)


def _unknown_column(workbook: Any, ws: Any) -> None:
    ws.write_string(0, 23, "notes")
    ws.write_string(1, 23, "checked by finance")
    ws.write_string(3, 23, "from the 2024 pilot")


def _hidden(workbook: Any, ws: Any) -> None:
    ws.set_row(2, None, None, {"hidden": True})
    ws.set_column(DEADWEIGHT, DEADWEIGHT, None, None, {"hidden": True})
    ws.write_number(2, DEADWEIGHT, 0.1)


def _merged(workbook: Any, ws: Any) -> None:
    ws.merge_range(1, 0, 3, 0, "P1")  # project_id merged down over its three rows


def _merged_across(workbook: Any, ws: Any) -> None:
    ws.merge_range(1, SUCCESS, 1, DEADWEIGHT, 0.3)


def _unknown_project(workbook: Any, ws: Any) -> None:
    ws.write_string(2, 0, "P9")
    ws.write_string(3, 0, " ")  # a space: blank to the reader


def hidden_sheet(path: Path) -> None:
    base(path, lambda workbook: workbook.get_worksheet_by_name("Costs").hide())


def blank_rows(path: Path) -> None:
    """Rows 3 and 4 left blank, then the outcomes go on; a mistake on row 6."""
    first, second = BASE["projects"]
    doc = {
        **BASE,
        "projects": [{**first, "outcomes": first["outcomes"][:1]}, {**second, "outcomes": []}],
    }

    def spread(workbook: Any) -> None:
        ws = workbook.get_worksheet_by_name("Outcomes")
        for row, code, cohort, success, quantity in (
            (4, "T1.0", 12, 0.4, 40),
            (5, "T2.0", 5, 1.5, 1),
        ):
            ws.write_string(row, 0, "P2")
            ws.write_string(row, 2, code)
            ws.write_number(row, 3, cohort)
            ws.write_number(row, SUCCESS, success)
            ws.write_number(row, 10, quantity)

    base(path, spread, doc=doc)


def header_variants(path: Path) -> None:
    """The base input with headers renamed and reordered as people type them."""
    raw = path.with_suffix(".tmp.xlsx")
    base(raw)
    book = openpyxl.load_workbook(raw)
    raw.unlink()
    ws = book["Outcomes"]
    headers = [c.value for c in ws[1]]
    renamed = {
        "project_id": "Project ID",
        "unit_cost_code": "UNIT COST CODE",
        "success": "Success (%)",
        "cohort_year": "Cohort-year",
    }
    rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    order = list(reversed(range(len(headers))))
    book.remove(ws)
    new = book.create_sheet("outcomes", 4)
    new.append([renamed.get(headers[i], headers[i]) for i in order])
    for row in rows:
        new.append([row[i] for i in order])
    out = path.with_suffix(".out.xlsx")
    book.save(out)
    rewrite(out, path, lambda name, data: data)


def macro_enabled(path: Path) -> None:
    """An .xlsm: the macro-enabled content type and a (never run) VBA part."""
    raw = path.with_suffix(".tmp")
    base(raw)

    def edit(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            data = data.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            )
            data = data.replace(
                b"</Types>",
                b'<Default Extension="bin" '
                b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
            )
        return data

    rewrite(raw, path, edit)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(_entry("xl/vbaProject.bin"), b"\xd0\xcf\x11\xe0" + b"\x00" * 508)


def no_input_sheets(path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": CREATED})
    workbook.add_worksheet("Budget").write_string(0, 0, "Costs 2024-25")
    workbook.close()


# -- sheets and headers that are slips for the layout's ------------------------------------
def renamed_sheet(old: str, new: str) -> Callable[[Path], None]:
    """The base input with sheet ``old`` renamed ``new``, as renaming its tab does."""

    def build(path: Path) -> None:
        raw = path.with_suffix(".tmp")
        base(raw)

        def edit(name: str, data: bytes) -> bytes:
            if name == "xl/workbook.xml":
                return data.replace(f'name="{old}"'.encode(), f'name="{new}"'.encode())
            if name == "docProps/app.xml":
                return data.replace(f">{old}<".encode(), f">{new}<".encode())
            return data

        rewrite(raw, path, edit)

    return build


def outcomes_copy(path: Path) -> None:
    """The base input and a second copy of its outcomes on 'Outcomes (2)'."""

    def copy(workbook: Any) -> None:
        ws = workbook.add_worksheet("Outcomes (2)")
        columns = SHEET_BY_NAME["Outcomes"].columns
        ws.write_row(0, 0, columns)
        row = 1
        for project in BASE["projects"]:
            for outcome in project["outcomes"]:
                values = {"project_id": project["project_id"], **outcome}
                for col, name in enumerate(columns):
                    if name in values:
                        ws.write(row, col, values[name])
                row += 1

    base(path, copy)


def no_outcomes_sheet(path: Path) -> None:
    """The base input (appraisal projects) with its Outcomes sheet deleted."""
    raw = path.with_suffix(".tmp.xlsx")
    base(raw)
    book = openpyxl.load_workbook(raw)
    raw.unlink()
    book.remove(book["Outcomes"])
    out = path.with_suffix(".out.xlsx")
    book.save(out)
    rewrite(out, path, lambda name, data: data)


def _deadwieght(workbook: Any, ws: Any) -> None:
    """The deadweight header misspelt over a column of deadweights."""
    ws.write_string(0, DEADWEIGHT, "deadwieght")
    for row in (1, 2, 3):
        ws.write_number(row, DEADWEIGHT, 0.4, workbook.add_format({"num_format": "0%"}))


def _sucess(workbook: Any, ws: Any) -> None:
    ws.write_string(0, SUCCESS, "sucess")


def cohort_on_costs(path: Path) -> None:
    """A cohort typed on the Costs sheet, where no field has that name."""

    def edit(workbook: Any) -> None:
        ws = workbook.get_worksheet_by_name("Costs")
        ws.write_string(0, 18, "cohort")
        ws.write_number(1, 18, 20)

    base(path, edit)


def results_reupload(path: Path) -> None:
    """The results workbook of the base input (fixture table), uploaded again.

    Its provenance records when it was written: the time is fixed here, so the file is
    rebuilt byte for byte."""
    reference = load_reference(unit_costs=HERE.parent / "fixture_unit_costs.csv")
    results = compute(BASE, reference, computed_at=CREATED)
    raw = path.with_suffix(".tmp")
    write_results_workbook(results, raw, reference=reference, input_name="base.xlsx")
    stamp = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")

    def edit(name: str, data: bytes) -> bytes:
        if name == "xl/sharedStrings.xml":
            return stamp.sub(b"2026-01-01T00:00:00+00:00", data)
        return data

    rewrite(raw, path, edit)


GALLERY: dict[str, Callable[[Path], None]] = {
    "png_renamed.xlsx": png,
    "encrypted.xlsx": encrypted,
    "old_format.xlsx": old_excel,
    "csv_renamed.xlsx": csv_renamed,
    "word_renamed.xlsx": word_renamed,
    "empty.xlsx": empty,
    "truncated.xlsx": truncated,
    "zip_bomb.xlsx": zip_bomb,
    "lying_sizes.xlsx": lying_sizes,
    "duplicate_part.xlsx": duplicate_part,
    "entities.xlsx": entities,
    "far_cell.xlsx": far_cell,
    "empty_far_cells.xlsx": empty_far_cells,
    "wide.xlsx": wide,
    "quoted_reference.xlsx": quoted_reference,
    "prefixed_cell.xlsx": prefixed_cell,
    "unreferenced_rows.xlsx": unreferenced_rows,
    "many_rows.xlsx": many_rows,
    "formula_without_value.xlsx": formula_without_value,
    "formula_with_value.xlsx": outcomes_edit(_formula_with_value),
    "error_cell.xlsx": outcomes_edit(_error_cell),
    "rate_45.xlsx": outcomes_edit(_rate_45),
    "many_errors.xlsx": outcomes_edit(_many_errors),
    "unknown_column.xlsx": outcomes_edit(_unknown_column),
    "hidden_row_and_column.xlsx": outcomes_edit(_hidden),
    "hidden_sheet.xlsx": hidden_sheet,
    "merged_down.xlsx": outcomes_edit(_merged),
    "merged_across.xlsx": outcomes_edit(_merged_across),
    "blank_rows.xlsx": blank_rows,
    "unknown_project.xlsx": outcomes_edit(_unknown_project),
    "header_variants.xlsx": header_variants,
    "macro_enabled.xlsm": macro_enabled,
    "no_input_sheets.xlsx": no_input_sheets,
    "outcomes_2024.xlsx": renamed_sheet("Outcomes", "Outcomes 2024"),
    "costs1.xlsx": renamed_sheet("Costs", "costs1"),
    "outcomes_headers_elsewhere.xlsx": renamed_sheet("Outcomes", "Pilot data"),
    "outcomes_copy.xlsx": outcomes_copy,
    "no_outcomes_sheet.xlsx": no_outcomes_sheet,
    "deadwieght.xlsx": outcomes_edit(_deadwieght),
    "sucess.xlsx": outcomes_edit(_sucess),
    "cohort_on_costs.xlsx": cohort_on_costs,
    "results_reupload.xlsx": results_reupload,
    "base.xlsx": base,
}


def build(folder: Path = HERE) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in GALLERY.items():
        make(folder / name)
        written.append(folder / name)
    return written


if __name__ == "__main__":
    for path in build():
        print(f"wrote {path.relative_to(HERE)} ({path.stat().st_size:,} bytes)")
