"""SRT subtitles: parsing (with the HTML-ish font tags Video-MME wraps text in) and picking the
lines shown at given times.

Files come in many encodings: UTF-8 (with or without BOM) and UTF-16 (with BOM) are read as they
are; other text is read as Windows-1252/Latin-1 and a file with no readable cue, or a binary
file, gives no lines. Whatever was guessed or dropped is said in a warning that the task records
with the sample and counts in the results, never silently.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import srt

from ..errors import MediaError

_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
CUE_BLOCK = re.compile(r"(?:^|\n)[^\S\n]*\d+[^\S\n]*\r?\n[^\n]*-->")  # a cue's number, then its time line


@dataclass(frozen=True)
class SubtitleLine:
    start: float
    end: float
    text: str


def clean_text(text: str) -> str:
    """Drop markup tags such as <font color=...> and join wrapped lines with spaces."""
    return " ".join(_TAG.sub("", text).split())


def decode_subtitles(raw: bytes) -> Tuple[str, Optional[str]]:
    """(text, warning): the file's text and what had to be guessed to get it (None if nothing)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace"), None
    if b"\x00" in raw:
        return "", "binary file, not subtitle text: no subtitles used"
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "not UTF-8: read as Windows-1252/Latin-1"


def parse_srt_checked(path: Path) -> Tuple[List[SubtitleLine], Optional[str]]:
    """The file's lines in time order, and a warning when its text was guessed or unusable."""
    path = Path(path)
    try:
        text, warning = decode_subtitles(path.read_bytes())
        items = list(srt.parse(text, ignore_errors=True))
    except (OSError, srt.SRTParseError) as exc:
        raise MediaError(f"cannot read subtitles {path}: {exc}") from exc
    skipped = len(CUE_BLOCK.findall(text)) - len(items)
    if items and skipped > 0:
        note = f"{skipped} malformed cue(s) skipped (the rest read)"
        warning = f"{warning}; {note}" if warning else note
    lines = [
        SubtitleLine(s.start.total_seconds(), s.end.total_seconds(), clean_text(s.content))
        for s in items
    ]
    lines = sorted((ln for ln in lines if ln.text), key=lambda ln: (ln.start, ln.end))
    if not lines and text.strip() and warning is None:
        warning = "no subtitle cue could be read (not SRT?): no subtitles used"
    return lines, (f"{path.name}: {warning}" if warning else None)


def parse_srt(path: Path) -> List[SubtitleLine]:
    return parse_srt_checked(path)[0]


def lines_at(lines: Sequence[SubtitleLine], times: Sequence[float]) -> List[str]:
    """Texts of the lines whose span [start, end] contains any of ``times``: in time order,
    each distinct text once."""
    seen, out = set(), []
    for ln in lines:
        if ln.text in seen:
            continue
        if any(ln.start <= t <= ln.end for t in times):
            seen.add(ln.text)
            out.append(ln.text)
    return out
