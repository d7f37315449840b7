"""Office documents are ZIP archives: what one holds is checked before it is accepted.

DOCX, XLSX and ODT files are archives of XML parts. An archive can be made to expand a thousand
times its size (a "zip bomb"), to hold thousands of members, other archives inside it, or macros
that run when the office opens it. Each member is read through with a budget, so that sizes the
archive merely claims cannot fool the check and a damaged member is found too.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 2000
MAX_EXPANDED_BYTES = 256 * 1024 * 1024
# Above this much expanded content, the archive as a whole may expand at most MAX_RATIO times.
RATIO_FLOOR_BYTES = 16 * 1024 * 1024
MAX_RATIO = 100
CHUNK = 256 * 1024

# Archives inside the archive, by their first bytes: ZIP, gzip, 7-Zip, RAR, bzip2, xz, OLE2.
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"BZh",
                  b"\xfd7zXZ\x00", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_ARCHIVE_SUFFIXES = frozenset({".zip", ".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".pptm", ".odt",
                               ".ods", ".odp", ".jar", ".7z", ".rar", ".gz", ".tgz", ".bz2", ".xz",
                               ".cab"})
# VBA projects in Office files; Basic and script libraries in OpenDocument files.
_MACRO_NAMES = frozenset({"vbaproject.bin", "vbadata.xml"})
_MACRO_FOLDERS = ("basic/", "scripts/")


class UnsafeArchive(ValueError):
    """The archive is refused; `reason` names the danger, the message says why in words."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class ArchiveSummary:
    names: frozenset[str]
    members: int
    expanded_bytes: int


def inspect(path: Path) -> ArchiveSummary:
    """Read every member within the limits above, or raise UnsafeArchive (zipfile.BadZipFile and
    its kin when the archive is damaged)."""
    compressed = path.stat().st_size
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnsafeArchive("too_many_parts", f"the file holds {len(infos)} parts; a document may "
                                f"hold at most {MAX_MEMBERS}")
        total = 0
        for info in infos:
            _check_name(info.filename)
            if info.flag_bits & 0x1:
                raise UnsafeArchive("encrypted", "the file is encrypted; upload it without a password")
            total = _read_member(archive, info, total, compressed)
        return ArchiveSummary(frozenset(i.filename for i in infos), len(infos), total)


def _check_name(name: str) -> None:
    lowered = name.lower()
    if PurePosixPath(lowered).name in _MACRO_NAMES or lowered.startswith(_MACRO_FOLDERS):
        raise UnsafeArchive("macros", f"the file contains macros ({name}); save it without macros "
                            "(as .docx, .xlsx or .odt) and upload it again")
    if PurePosixPath(lowered).suffix in _ARCHIVE_SUFFIXES:
        raise UnsafeArchive("nested", f"the file contains another file packed inside it ({name}); remove "
                            "embedded files and upload it again")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, total: int, compressed: int) -> int:
    with archive.open(info) as member:
        head = member.read(8)
        if head.startswith(_ARCHIVE_MAGIC):
            raise UnsafeArchive("nested", "the file contains another archive packed inside it "
                                f"({info.filename}); remove embedded files and upload it again")
        total += len(head)
        while chunk := member.read(CHUNK):
            total += len(chunk)
            if total > MAX_EXPANDED_BYTES or (total > RATIO_FLOOR_BYTES and total > MAX_RATIO * compressed):
                raise UnsafeArchive("expands", "the file expands to far more than its size (a compressed "
                                    "archive made to fill the disk); it was not accepted")
    return total
