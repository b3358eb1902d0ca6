"""The workbook file as a package: what it is, its zip directory, its parts.

Everything here runs before python-calamine parses anything, because calamine trusts the
file (see :mod:`froi.workbook.sheetscan` for what a hostile sheet does to it).

:func:`open_package` sniffs the file (a PNG, a PDF, an old .xls, an encrypted workbook, a
zip that is not a workbook...), checks the zip directory against
:class:`~froi.workbook.limits.WorkbookLimits` (members, total uncompressed size,
compression ratio of each part, duplicate names), then reads ``workbook.xml``, its
relationships and ``styles.xml`` for the sheets, their visibility and the cell formats
that show percentages.

:meth:`Package.member_chunks` inflates a part with our own inflater rather than
``ZipFile.open``: a part cannot expand beyond the size its directory entry declares (the
limits were checked on those sizes) and must end exactly there with the declared CRC, so
what calamine reads afterwards is exactly what was checked.  Every part calamine reads
(workbook, relationships, shared strings, styles, and each input sheet) goes through it
first; XML that declares a DTD or entities is refused, as no spreadsheet writes one.
"""

from __future__ import annotations

import struct

# the standard library's types and errors only; all parsing is defusedxml's (bandit B405)
import xml.etree.ElementTree as ET  # nosec B405
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from .limits import (
    CorruptWorkbook,
    EncryptedWorkbook,
    FileTooLarge,
    NotASpreadsheet,
    WorkbookLimits,
    WorkbookRefused,
    ZipBomb,
)

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_SNIFF = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
)
PIECE = 1024 * 1024  # inflate output per step; sheet pieces are cut at row ends
_INPUT = 64 * 1024  # compressed bytes per step: output rarely exceeds one step
BUILTIN_PERCENT_FORMATS = frozenset({9, 10})
REL_OFFICE_DOCUMENT = "/officeDocument"
REL_WORKSHEET = "/worksheet"
REL_STYLES = "/styles"
REL_SHARED_STRINGS = "/sharedStrings"


def column_letter(index: int) -> str:
    """Excel letters of a 1-based column number (1 -> A, 27 -> AA)."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """1-based column number of Excel letters (case-insensitive)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


@dataclass(frozen=True)
class SheetPart:
    """A worksheet of the workbook: its name, zip member and visibility."""

    name: str
    part: str
    state: str  # "visible", "hidden" or "veryHidden"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _size(count: int) -> str:
    """A file size as a person reads it: 20 MB, 12 kB."""
    if count >= 1024 * 1024:
        return f"{round(count / 1024 / 1024, 1):g} MB"
    return f"{max(1, round(count / 1024))} kB"


def _kind_of_zip(names: set[str]) -> str | None:
    """What a zip that is not an .xlsx/.xlsm workbook is, for the refusal message."""
    if "xl/workbook.bin" in names:
        return (
            "an Excel binary workbook (.xlsb), which this service does not read; open it in "
            "Excel and save it as an Excel Workbook (.xlsx)"
        )
    if "mimetype" in names or "content.xml" in names:
        return (
            "an OpenDocument file (.ods), not an Excel workbook; save it from LibreOffice "
            "as an Excel 2007-365 workbook (.xlsx)"
        )
    if "word/document.xml" in names:
        return "a Word document, not an Excel workbook"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation, not an Excel workbook"
    return None


def _sniff(head: bytes, whole: bytes) -> tuple[type[WorkbookRefused], str] | None:
    """A refusal for a file that is not a zip at all, or None if it might be one."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return None
    if not head:
        return NotASpreadsheet, "is empty"
    if head.startswith(CFB_MAGIC):
        if ENCRYPTED_PACKAGE in whole:
            return EncryptedWorkbook, (
                "is password-protected (encrypted), so it cannot be read; open it in Excel, "
                "remove the password (File > Info > Protect Workbook > Encrypt with "
                "Password, clear it), save it and upload it again"
            )
        return NotASpreadsheet, (
            "is in the Excel 97-2003 format (.xls) or another Office 97-2003 format, which "
            "this service does not read; open it in Excel and save it as an Excel Workbook "
            "(.xlsx)"
        )
    for magic, what in _SNIFF:
        if head.startswith(magic):
            return NotASpreadsheet, f"is {what}, not an Excel workbook (.xlsx or .xlsm)"
    try:
        text = whole[:4096].decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return NotASpreadsheet, (
            "is a text file (perhaps a CSV), not an Excel workbook; open it in Excel and "
            "save it as an Excel Workbook (.xlsx)"
        )
    return NotASpreadsheet, "is not an Excel workbook (.xlsx or .xlsm)"


class Package:
    """An opened, checked workbook file.  Use :func:`open_package`."""

    def __init__(self, path: Path, file: str, limits: WorkbookLimits) -> None:
        self.path = path
        self.file = file
        self.limits = limits
        self.infos: dict[str, zipfile.ZipInfo] = {}
        self.sheets: list[SheetPart] = []
        self.percent_styles: frozenset[int] = frozenset()

    # -- refusals ---------------------------------------------------------------------
    def corrupt(self, why: str) -> CorruptWorkbook:
        return CorruptWorkbook(
            self.file,
            f"is damaged or not a workbook Excel wrote ({why}); open it in Excel, save it "
            "again and upload the new file",
        )

    # -- members ----------------------------------------------------------------------
    def member_chunks(self, name: str) -> Iterator[bytes]:
        """The inflated content of a zip member, checked against its directory entry.

        Our own inflater instead of ``ZipFile.open`` so a member cannot expand beyond the
        size the directory declares (the limits were checked on those sizes) and must
        end exactly there with the declared CRC.
        """
        info = self.infos[name]
        with self.path.open("rb") as fh:
            fh.seek(info.header_offset)
            header = fh.read(30)
            if len(header) < 30 or header[:4] != b"PK\x03\x04":
                raise self.corrupt(f"the entry for {name} is missing")
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            remaining, produced, crc = info.compress_size, 0, 0
            if info.compress_type == zipfile.ZIP_STORED:
                while remaining > 0:
                    data = fh.read(min(PIECE, remaining))
                    if not data:
                        raise self.corrupt(f"{name} is cut short")
                    remaining -= len(data)
                    produced += len(data)
                    if produced > info.file_size:
                        raise self.corrupt(f"{name} is longer than its zip directory says")
                    crc = zlib.crc32(data, crc)
                    yield data
            else:
                inflater = zlib.decompressobj(-15)
                pending = b""
                while not inflater.eof:
                    if not pending:
                        if remaining <= 0:
                            raise self.corrupt(f"{name} is cut short")
                        pending = fh.read(min(_INPUT, remaining))
                        if not pending:
                            raise self.corrupt(f"{name} is cut short")
                        remaining -= len(pending)
                    try:
                        out = inflater.decompress(pending, PIECE)
                    except zlib.error as exc:
                        raise self.corrupt(f"{name} cannot be decompressed: {exc}") from None
                    pending = inflater.unconsumed_tail
                    produced += len(out)
                    if produced > info.file_size:
                        raise ZipBomb(
                            self.file,
                            f"is refused: part {name} expands beyond the "
                            f"{info.file_size:,} bytes its zip directory declares",
                        )
                    crc = zlib.crc32(out, crc)
                    if out:
                        yield out
            if produced != info.file_size or crc != info.CRC:
                raise self.corrupt(f"{name} does not match its checksum")

    def read_member(self, name: str) -> bytes:
        """A whole (small) member, checked; XML with a DOCTYPE is refused."""
        data = b"".join(self.member_chunks(name))
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise self.corrupt(f"{name} declares XML entities, which workbooks never use")
        return data

    def verify_member(self, name: str) -> None:
        """Inflate a member once to check its size, CRC and that it declares no DTD."""
        for i, chunk in enumerate(self.member_chunks(name)):
            if i == 0 and b"<!DOCTYPE" in chunk[:4096]:
                raise self.corrupt(f"{name} declares XML entities, which workbooks never use")

    def _xml(self, name: str) -> ET.Element:
        try:
            return SafeET.fromstring(self.read_member(name), forbid_dtd=True)
        except (ET.ParseError, DefusedXmlException) as exc:
            raise self.corrupt(f"{name} is not well-formed XML: {exc}") from None

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id -> (type, member name) of a part's relationships."""
        folder = PurePosixPath(part).parent
        rels = str(folder / "_rels" / (PurePosixPath(part).name + ".rels")).lstrip("./")
        if rels not in self.infos:
            return {}
        out: dict[str, tuple[str, str]] = {}
        for rel in self._xml(rels):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            if target.startswith("/"):
                member = target.lstrip("/")
            else:
                parts: list[str] = []
                for piece in (folder / target).parts:
                    if piece == "..":
                        if parts:
                            parts.pop()
                    elif piece != ".":
                        parts.append(piece)
                member = "/".join(parts)
            out[rel.get("Id", "")] = (rel.get("Type", ""), member)
        return out


def open_package(path: Path | str, limits: WorkbookLimits, file: str | None = None) -> Package:
    """Check a file is a readable workbook within the limits, from its directory only.

    Raises a :class:`~froi.workbook.limits.WorkbookRefused` subclass otherwise.
    """
    path = Path(path)
    name = file or path.name
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise FileTooLarge(
                name,
                f"is {_size(size)}, over the limit of {_size(limits.max_bytes)}; split the "
                "input into several workbooks",
            )
        with path.open("rb") as fh:
            head = fh.read(8)
            whole = head + fh.read() if head.startswith(CFB_MAGIC) or head[:2] != b"PK" else b""
    except OSError as exc:
        raise NotASpreadsheet(name, f"cannot be read: {exc.strerror}") from None
    refusal = _sniff(head, whole)
    if refusal is not None:
        kind, message = refusal
        raise kind(name, message)
    package = Package(path, name, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise package.corrupt(f"its zip directory cannot be read: {exc}") from None
    _check_directory(package, infos, limits)
    _find_parts(package)
    return package


def _check_directory(
    package: Package, infos: list[zipfile.ZipInfo], limits: WorkbookLimits
) -> None:
    name = package.file
    if len(infos) > limits.max_members:
        raise ZipBomb(
            name,
            f"is refused: it holds {len(infos):,} files, over the limit of {limits.max_members:,}",
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        if info.filename in seen:
            raise package.corrupt(f"the zip holds two files named {info.filename}")
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise EncryptedWorkbook(
                name,
                "is password-protected (its zip entries are encrypted), so it cannot be read; "
                "save an unprotected copy and upload that",
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise package.corrupt(f"{info.filename} uses a compression Excel never writes")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            raise ZipBomb(
                name,
                f"is refused as a zip bomb: part {info.filename} would expand "
                f"{ratio:,.0f} times, to {info.file_size:,} bytes (the limit is "
                f"{limits.max_ratio:g} times)",
            )
    if total > limits.max_uncompressed_bytes:
        raise ZipBomb(
            name,
            f"is refused as a zip bomb: its parts would expand to {total:,} bytes, over the "
            f"limit of {limits.max_uncompressed_bytes:,}",
        )
    package.infos = {info.filename: info for info in infos}
    what = _kind_of_zip(seen)
    if what is not None:
        raise NotASpreadsheet(name, f"is {what}")


def _find_parts(package: Package) -> None:
    """The workbook part, its sheets (name, member, visibility) and percent styles."""
    workbook = "xl/workbook.xml"
    for _, (kind, member) in package._relationships("_rels/.rels").items():
        if kind.endswith(REL_OFFICE_DOCUMENT):
            workbook = member
    if workbook not in package.infos:
        raise NotASpreadsheet(
            package.file, "is a zip archive but not an Excel workbook (it has no workbook part)"
        )
    rels = package._relationships(workbook)
    root = package._xml(workbook)
    for element in root.iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
        kind, member = rels.get(rel_id, ("", ""))
        if not kind.endswith(REL_WORKSHEET) or member not in package.infos:
            continue  # chart sheets and dialog sheets hold no input
        package.sheets.append(
            SheetPart(element.get("name", ""), member, element.get("state", "visible"))
        )
    for kind, member in rels.values():
        if member not in package.infos:
            continue
        if kind.endswith(REL_STYLES):
            package.percent_styles = _percent_styles(package._xml(member))
        elif kind.endswith(REL_SHARED_STRINGS):
            package.verify_member(member)


def _percent_styles(styles: ET.Element) -> frozenset[int]:
    """Indices of the cell formats (``cellXfs``) whose number format shows a percentage."""
    percent_ids = set(BUILTIN_PERCENT_FORMATS)
    for element in styles.iter():
        if _local(element.tag) == "numFmt" and _is_percent_code(element.get("formatCode", "")):
            percent_ids.add(int(element.get("numFmtId", "-1")))
    out: set[int] = set()
    for element in styles:
        if _local(element.tag) != "cellXfs":
            continue
        for index, xf in enumerate(element):
            if int(xf.get("numFmtId", "0")) in percent_ids:
                out.add(index)
    return frozenset(out)


def _is_percent_code(code: str) -> bool:
    """A number format code shows a percentage if it has % outside quotes and escapes."""
    quoted = False
    escaped = False
    for char in code:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "%" and not quoted:
            return True
    return False
