"""Bytes to text: BOM, signatures, a strict UTF-8 fast path, then chardet's candidates re-ranked.

A NUL byte alone does not make a file binary (BOM-less UTF-16 is full of them): binary is what
chardet finds no text encoding for, or what starts with a known file signature.

chardet ranks encodings by byte statistics; on short or mostly-ASCII files several code pages
score alike and the first is often wrong. So every candidate (chardet's, plus the multi-byte CJK
codecs and the vendor supersets of what chardet proposed) is decoded and the text it gives is
scored for plausibility: controls, unassigned and private-use code points, rare symbols, letters
of two scripts inside one word, case flips inside a word, rare CJK characters (commonness comes
from the level-1 sets of GB 2312, Big5, JIS X 0208 and the KS X 1001 Hangul), and letter bigrams
per script. The score, not chardet's order alone, picks the text. Mojibake (UTF-8 read as a
single-byte code page and saved again) is then repaired by ftfy's encoding step only, behind a
cheap gate.
"""

from __future__ import annotations

import codecs
import math
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any

from archiver.errors import NotText
from archiver.pipeline.document import Decoded

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# File signatures of formats people drop by mistake: refused before any detection runs. Short
# or text-like signatures carry a second check so that a text starting "MZ" or "ID3" passes.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b\x08", "gzip-compressed data"),
    (b"\x7fELF", "an ELF executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"OggS\x00", "an Ogg media file"),
    (b"\x1a\x45\xdf\xa3", "a Matroska/WebM video"),
    (b"\xca\xfe\xba\xbe", "a Java class file"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"wOFF", "a web font"),
    (b"\x00asm", "a WebAssembly module"),
)
_MAGIC_CHECKED: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"MZ[\x00-\xff]{0,62}\x00", re.DOTALL), "a Windows executable"),
    (re.compile(rb"BZh[1-9]1AY&SY"), "bzip2-compressed data"),
    (re.compile(rb"ID3[\x02-\x04]\x00"), "an MP3 file"),
    (re.compile(rb"RIFF....(?:WAVE|AVI |WEBP|RMID)", re.DOTALL), "a RIFF media file"),
    (re.compile(rb"....ftyp", re.DOTALL), "an MP4/QuickTime media file"),
)

# UTF-8 lead and continuation bytes as the code pages ftfy can undo show them: a lead followed
# by a continuation is what UTF-8 read through one of them looks like. Built from the codecs.
_MOJIBAKE_PAGES = ("cp1252", "latin-1", "cp1251", "cp1250", "iso8859-2", "mac-roman", "cp437", "cp1253", "cp1254")


def _mojibake_gate() -> re.Pattern[str]:
    parts = []
    for page in _MOJIBAKE_PAGES:
        leads = bytes(range(0xC2, 0xF5)).decode(page, errors="ignore")
        conts = bytes(range(0x80, 0xC0)).decode(page, errors="ignore")
        # cp1252 and friends leave some bytes undefined; ftfy reads them as the C1 control.
        conts += "".join(chr(b) for b in range(0x80, 0xA0))
        parts.append(f"[{re.escape(leads)}][{re.escape(''.join(sorted(set(conts))))}]")
    return re.compile("|".join(parts))


_MOJIBAKE_GATE = _mojibake_gate()

# Decoders for which an ASCII byte is not that ASCII character: every character is evidence.
_NOT_ASCII_COMPATIBLE = re.compile(r"^(cp0?37|cp273|cp424|cp500|cp875|cp1026|cp1140|cp114\d|utf-(16|32)|utf_(16|32))")
# When a single-byte decoding leaves C1 controls, the vendor code page usually names them.
_SUPERSETS = {
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "iso8859-15": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-8": "cp1255",
    "iso8859-7": "cp1253",
    "iso8859-13": "cp1257",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "cp950",
    "shift_jis": "cp932",
}
# Multi-byte codecs chardet sometimes leaves out of a short file's candidates.
_CJK_CODECS = ("gb18030", "big5", "euc_kr", "euc_jp", "shift_jis", "cp932", "cp949")

_EBCDIC_CODECS = ("cp037", "cp500", "cp424", "cp875", "cp1026")
# How much chardet's confidence counts against plausibility: score = cost per byte + W * ln(top/conf).
_CONFIDENCE_WEIGHT = 0.35
# The confidence lent to a candidate chardet did not propose, relative to its first choice.
_EXTRA_CONFIDENCE = 1 / 3

_VALID_UTF8_MULTI = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_C1 = re.compile("[\x80-\x9f]")
_ISO2022 = re.compile(rb"\x1b(?:\$[@AB]|\$\([CD]|\([BJI]|\$\)[AC]|N|O)")


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def _signature(data: bytes) -> str | None:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    head = data[:64]
    for pattern, what in _MAGIC_CHECKED:
        if pattern.match(head):
            return what
    return None


def repair_mojibake(text: str) -> tuple[str, bool]:
    """Undo UTF-8 that was decoded as a single-byte code page and saved again; nothing else changes."""
    if not _MOJIBAKE_GATE.search(text):
        return text, False
    import ftfy

    fixed = ftfy.fix_encoding(text)
    return fixed, fixed != text


def decode(data: bytes) -> Decoded:
    """Recover the text of `data`, or raise NotText with the reason a person reads."""
    if not data:
        raise NotText("the file is empty", code="empty")
    bom = _bom(data)
    if bom is not None:
        encoding, skip = bom
        text, confidence = data[skip:].decode(encoding, errors="replace"), 1.0
    else:
        what = _signature(data)
        if what is not None:
            raise NotText(f"not text: the file is {what}")
        encoding, confidence, text = _detect_and_decode(data)
    text, repaired = repair_mojibake(text)
    if not text.strip():
        raise NotText("the file holds only whitespace", code="empty")
    return Decoded(text=text, encoding=encoding, confidence=round(confidence, 4), mojibake_repaired=repaired)


def _looks_ebcdic(data: bytes) -> bool:
    """ASCII-range bytes that read as EBCDIC: "@" (EBCDIC space) where ASCII text has spaces."""
    if len(data) < 16:
        return False
    spaces, ats = data.count(b" "), data.count(b"@")
    return ats > 4 * spaces and ats * 12 > len(data)


def _detect_and_decode(data: bytes) -> tuple[str, float, str]:
    if b"\x00" not in data and (b"\x1b" not in data or not _ISO2022.search(data)):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            mostly = _mostly_utf8(data)
            if mostly is not None:
                return "utf-8", 0.9, mostly
        else:
            if not text.isascii():
                return "utf-8", 1.0, text
            if not _looks_ebcdic(data):
                return "ascii", 1.0, text
    import chardet

    results = chardet.detect_all(data, prefer_superset=False, compat_names=False)
    if not results or not results[0].get("encoding"):
        raise NotText("not text: no text encoding fits these bytes")
    encoding, confidence, text = _rerank(data, results)
    return encoding, confidence, text


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken sequences (a truncated copy, one pasted latin-1 word): keep it UTF-8."""
    valid = len(_VALID_UTF8_MULTI.findall(data))
    if valid < 4:
        return None
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - data.count("\xef\xbf\xbd".encode("latin-1"))
    if broken * 3 > valid:
        return None
    return text


# --- plausibility ------------------------------------------------------------------------------

_LATIN, _GREEK, _CYRILLIC, _HEBREW, _ARABIC, _THAI, _HANGUL, _CJK, _OTHER = range(9)
_COMMON_PUNCT = frozenset(
    "“”‘’„‚«»‹›–—…•·€£¥©®™°§¿¡№†‰\u3000、。「」『』【】〈〉《》・〜！？（），：；．％＆＊～"
)
# A letter of the basic alphabet of Greek, Cyrillic, Hebrew, Arabic or Thai (one byte each).
_ALPHABET = 0.3
_RARE_LETTERS = frozenset("µªºĸŉſƒ")


@cache
def _cjk_sets() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """Han in two level-1 sets, Han in one, Han in any national set, and the KS X 1001 Hangul."""

    def grab(codec: str, rows: Iterable[int], cols: Iterable[int]) -> set[str]:
        out: set[str] = set()
        cols = list(cols)
        for row in rows:
            for col in cols:
                try:
                    out.add(bytes((row, col)).decode(codec))
                except UnicodeDecodeError:
                    continue
        return out

    level1 = [
        grab("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF)),
        grab("euc_jp", range(0xB0, 0xD0), range(0xA1, 0xFF)),
        grab("big5", range(0xA4, 0xC7), list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF))),
    ]
    # In the level-1 set of two of the three standards: common wherever Han is written.
    common = (level1[0] & level1[1]) | (level1[1] & level1[2]) | (level1[0] & level1[2])
    known = set(level1[0] | level1[1] | level1[2])
    known |= grab("gb2312", range(0xD8, 0xF8), range(0xA1, 0xFF))
    known |= grab("euc_jp", range(0xD0, 0xF5), range(0xA1, 0xFF))
    known |= grab("euc_kr", range(0xCA, 0xFE), range(0xA1, 0xFF))
    hangul = grab("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF))
    any_level1 = level1[0] | level1[1] | level1[2]
    return frozenset(common), frozenset(any_level1), frozenset(known), frozenset(hangul)


@lru_cache(maxsize=8192)
def _char_info(ch: str) -> tuple[float, int, int]:
    """(cost, script, kind) of one non-ASCII character; kind 0 other, 1 lower, 2 upper/title, 3 letter
    without case, 4 mark, 5 space."""
    code = ord(ch)
    cat = unicodedata.category(ch)
    if ch == "\ufffd" or cat in ("Cc", "Cn", "Cs"):
        return 8.0, _OTHER, 0
    if cat == "Co":
        return 6.0, _OTHER, 0
    if cat == "Cf":
        return 3.0, _OTHER, 0
    if cat == "Zs":
        return 2.0, _OTHER, 5
    if ch in _COMMON_PUNCT:
        return 1.0, _OTHER, 0
    if cat[0] == "M":
        return 1.5, _OTHER, 4
    if cat[0] != "L" or ch in _RARE_LETTERS:
        if 0x2500 <= code <= 0x259F:
            return 3.0, _OTHER, 0
        if cat in ("Pd", "Ps", "Pe", "Pi", "Pf", "Po"):
            return 2.0, _OTHER, 0
        if ch in "¤¦¨¯´¸¬":
            return 4.0, _OTHER, 0
        if cat == "No" or cat == "Nl":
            return 3.5, _OTHER, 0
        return 3.0, _OTHER, 0
    kind = 1 if cat == "Ll" else 2 if cat in ("Lu", "Lt") else 3
    if code < 0x250:
        base = 1.0 if code < 0x180 or code in (0x218, 0x219, 0x21A, 0x21B) else 3.0
        return base, _LATIN, kind
    if 0x370 <= code < 0x400:
        return (_ALPHABET if 0x386 <= code <= 0x3CE else 3.0), _GREEK, kind
    if 0x400 <= code < 0x530:
        if 0x410 <= code <= 0x44F or code in (0x401, 0x451):
            return _ALPHABET, _CYRILLIC, kind
        return (1.5 if code < 0x460 or code in (0x490, 0x491) else 2.5), _CYRILLIC, kind
    if 0x590 <= code < 0x600:
        return (_ALPHABET if 0x5D0 <= code <= 0x5EA else 2.0), _HEBREW, kind
    if 0x600 <= code < 0x700:
        return (_ALPHABET if 0x621 <= code <= 0x64A else 1.5), _ARABIC, kind
    if 0xFB50 <= code <= 0xFEFF:
        return 3.0, _ARABIC, kind
    if 0xE00 <= code < 0xE80:
        return _ALPHABET, _THAI, kind
    if 0x1E00 <= code < 0x1F00:
        return 1.5, _LATIN, kind
    if 0x3131 <= code <= 0x318E:
        return 1.0, _HANGUL, kind
    if 0xAC00 <= code <= 0xD7A3:
        return (0.3 if ch in _cjk_sets()[3] else 4.0), _HANGUL, kind
    if 0x3040 <= code <= 0x30FF:
        return 0.3, _CJK, kind
    if 0xFF61 <= code <= 0xFF9F:
        return 3.0, _CJK, kind
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        common, level1, known, _ = _cjk_sets()
        return (0.3 if ch in common else 1.0 if ch in level1 else 2.5 if ch in known else 4.0), _CJK, kind
    if 0xFF01 <= code <= 0xFF5E:
        return 1.0, _OTHER, kind
    return 3.0, _OTHER, kind


# In a decoding where every character came from a non-ASCII byte, ASCII punctuation inside a word
# is as suspect as any symbol; these are the ones words legitimately hold or end with.
_ASCII_IN_WORD = frozenset(" '-.,;:!?)]}\"/")
_INSIDE_WORD_OK = frozenset("’'·\u2010\u2011\u00ad")
_AFTER_WORD_OK = frozenset("”’»›…“„")


def _plausibility_cost(text: str, full: bool) -> float:
    """Summed implausibility of the characters a decoder made of non-ASCII bytes (all, if `full`).

    Per character: controls, unassigned, private use and rare symbols cost most; letters of the
    common alphabets least. Per neighbourhood: two scripts inside one word, a capital after a
    small letter, punctuation or a symbol glued inside or onto a word.
    """
    cost = 0.0
    prev_script, prev_letter, prev_lower = -1, False, False
    glued = False  # a non-letter right after a letter: costs if a letter follows
    prev_decoded = False
    for ch in text:
        if ch < "\x80":
            if ch.isalpha():
                if glued:
                    cost += 3.0
                if prev_letter and prev_script != _LATIN:
                    cost += 5.0
                if prev_lower and (full or prev_decoded) and ch.isupper():
                    cost += 1.5
                prev_script, prev_letter, prev_lower = _LATIN, True, ch.islower()
                glued = False
            elif full:
                if (ch < " " and ch not in "\t\n\r") or ch == "\x7f":
                    cost += 8.0
                glued = prev_letter and ch.isprintable() and not ch.isalnum() and ch not in _ASCII_IN_WORD
                prev_script, prev_letter, prev_lower = -1, False, False
            else:
                prev_script, prev_letter, prev_lower = -1, False, False
                glued = False
            prev_decoded = False
            continue
        prev_decoded = True
        char_cost, script, kind = _char_info(ch)
        cost += char_cost
        if kind in (1, 2, 3):
            if glued:
                cost += 3.0
            if prev_letter and prev_script != script:
                cost += 1.0 if {prev_script, script} == {_CJK, _HANGUL} else 5.0
            elif prev_lower and kind == 2:
                cost += 2.0
            prev_script, prev_letter, prev_lower = script, True, kind == 1
            glued = False
        elif kind == 4:
            if not prev_letter:
                cost += 2.5
        else:
            if prev_letter and kind != 5 and ch not in _INSIDE_WORD_OK:
                glued = True
                if ch not in _AFTER_WORD_OK:
                    cost += 1.0
            else:
                glued = False
            prev_script, prev_letter, prev_lower = -1, False, False
    return cost


def _norm_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _rerank(data: bytes, results: list[Any]) -> tuple[str, float, str]:
    """Decode with each candidate; the least implausible text, weighed with chardet's confidence, wins."""
    top_conf = float(results[0].get("confidence") or 0.0)
    first = str(results[0]["encoding"])
    if top_conf >= 0.9 and not data.isascii():
        text = _safe_decode(data, first)
        if text is not None:
            superset = _SUPERSETS.get(_norm_name(first)) or _SUPERSETS.get(first)
            if superset and _C1.search(text):
                alt = _safe_decode(data, superset)
                if alt is not None:
                    return superset, top_conf, alt
            return first, top_conf, text
    candidates: list[tuple[str, float]] = []
    seen: set[str] = set()
    floor = max(1e-4, top_conf * _EXTRA_CONFIDENCE)
    for r in results:
        enc = r.get("encoding")
        if not enc or enc in seen:
            continue
        seen.add(enc)
        candidates.append((enc, max(float(r.get("confidence") or 0.0), 1e-4)))
    high = len(_HIGH_BYTE.findall(data))
    extra: tuple[str, ...] = ()
    if high == 0:
        extra = _EBCDIC_CODECS
    elif high >= 2 and b"\x00" not in data:
        extra = _CJK_CODECS
    for enc in extra:
        if enc not in seen:
            seen.add(enc)
            candidates.append((enc, floor))
    best: tuple[float, str, float, str] | None = None
    by_text: dict[str, float] = {}
    tolerated = 2 + high // 100
    for enc, conf in candidates:
        text = _lenient_decode(data, enc, tolerated)
        if text is None:
            continue
        if text in by_text:
            continue
        superset = _SUPERSETS.get(_norm_name(enc)) or _SUPERSETS.get(enc)
        if superset and _C1.search(text):
            alt = _safe_decode(data, superset)
            if alt is not None and alt not in by_text:
                enc, text = superset, alt
        full = high == 0 or bool(_NOT_ASCII_COMPATIBLE.match(_norm_name(enc)))
        weight = len(data) if full else max(1, high)
        cost = _plausibility_cost(text, full) / weight
        score = cost + _CONFIDENCE_WEIGHT * math.log(top_conf / conf)
        by_text[text] = score
        if best is None or score < best[0]:
            best = (score, enc, conf, text)
    if best is None:
        try:
            return first, top_conf, data.decode(first, errors="replace")
        except LookupError:
            return "utf-8", 0.0, data.decode("utf-8", errors="replace")
    return best[1], best[2], best[3]


def _lenient_decode(data: bytes, encoding: str, tolerated: int) -> str | None:
    """The text, allowing a few undecodable bytes (a multi-byte character cut at the end of a file)."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = data.decode(encoding, errors="replace")
    return text if text.count("\ufffd") <= tolerated else None


def _safe_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
