"""Bytes to text: BOM, signatures, a strict UTF-8 fast path, then chardet's candidates re-ranked.

A NUL byte alone does not make a file binary (BOM-less UTF-16 is full of them): binary is what
chardet finds no text encoding for (unless it reads as plausible BOM-less UTF-16), what starts
with a known file signature, or what chardet calls UTF-16 but decodes to noise.

chardet ranks encodings by byte statistics; on short or mostly-ASCII files several code pages
score alike and its first choice is often wrong. So every candidate (chardet's, plus the
multi-byte CJK codecs, EBCDIC for ASCII-range bytes that look like it, and the vendor superset
when a decoding leaves C1 controls) is decoded and the text it gives is scored for plausibility:
controls, unassigned and private-use code points, rare symbols, letters of two scripts inside
one word, a capital after a small letter, punctuation glued inside a word, long runs of accented
Latin letters, rare CJK characters (commonness from the level-1 sets of GB 2312, Big5 and JIS X
0208 and the KS X 1001 Hangul), and letters that no single language's alphabet holds together
(config/rules/decode_alphabets.toml). Score = cost per non-ASCII byte + 0.35 * ln(chardet's top
confidence / the candidate's): the least implausible text wins. chardet's sure answers (declared
charset, escape sequences) are kept unless their text reads as noise.

chardet costs more than everything else together, and its confidence only tips close calls. So a
legacy file is first weighed without it (_clear_reading): when the runs of non-ASCII bytes read as
an everyday code page (config/rules/decode_pages.toml) are plausible and clearly better than as any
other everyday page and any other encoding chardet could propose, that page is the answer. Cheap
floors (what the characters cost alone, letters of another script glued to ASCII letters, letters
no alphabet holds) rule out most candidates without decoding them; weak or close evidence goes to
chardet and the re-ranking as before.

UTF-8 with a few broken sequences stays UTF-8 (U+FFFD in place of the bad bytes). Mojibake (UTF-8
read as a single-byte code page and saved again, up to three times) is undone by re-encoding the
whole text when that reads as strict UTF-8, else by ftfy's encoding fixer alone (no quote
uncurling); both only behind a cheap gate.
"""

from __future__ import annotations

import codecs
import math
import re
import sys
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, NamedTuple

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
    """A lead shown by any of the pages, then a continuation shown by any: one pass, no alternation."""
    leads: set[str] = set()
    conts = {chr(b) for b in range(0x80, 0xA0)}  # bytes a page leaves undefined: ftfy reads them as C1
    for page in _MOJIBAKE_PAGES:
        leads |= set(bytes(range(0xC2, 0xF5)).decode(page, errors="ignore"))
        conts |= set(bytes(range(0x80, 0xC0)).decode(page, errors="ignore"))
    return re.compile(f"[{re.escape(''.join(sorted(leads)))}][{re.escape(''.join(sorted(conts)))}]")


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

_COMMON_PAGES = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257")
_EBCDIC_CODECS = ("cp037", "cp500", "cp424", "cp875", "cp1026")
# How much chardet's confidence counts against plausibility: score = cost per byte + W * ln(top/conf).
_CONFIDENCE_WEIGHT = 0.35
# The confidence lent to a candidate chardet did not propose, relative to its first choice.
_EXTRA_CONFIDENCE = 1 / 3

# Mean cost per character above which a BOM-less UTF-16 reading is noise (random bytes cost ~3).
_UTF16_MAX_COST = 1.0
# Cost of a letter that the best-fitting language alphabet of its script does not have.
_MISFIT_COST = 1.0
# Mean cost per non-ASCII character above which chardet's sure answer is checked against the rest.
_SURE_MAX_COST = 1.2
# Mean cost per character of a UTF-16 reading above which the bytes are binary.
_BINARY_COST = 3.0
# Plausibility is judged on the first 64 KB; a non-ASCII run with one character of context each side.
_SAMPLE_BYTES = 65536
# chardet reads the first _EVIDENCE_HEAD bytes, then up to _EVIDENCE_MAX bytes of lines with high bytes.
_EVIDENCE_HEAD = 1024
_EVIDENCE_MAX = 3072
_DECODED_RUN = re.compile("[^\x00-\x7f]+")
# Without chardet: at least this many non-ASCII bytes, whose best everyday reading costs at most
# _CLEAR_MAX_COST per byte and beats every other reading by _CLEAR_MARGIN per byte, and any other
# everyday reading by more than one misfit letter (_MISFIT_COST) in all. See _clear_reading.
_CLEAR_MIN_HIGH = 8
_CLEAR_MAX_COST = 1.2
_CLEAR_MARGIN = 0.01
# The confidence reported for such a reading: the plausibility model alone found it clearly best.
_CLEAR_CONFIDENCE = 0.8
# Whether the clear reading may decide at all. Tests turn it off to compare it with chardet's way: a
# module global, read at each call, is what they can change in compiled code too (a function of this
# module replaced from outside would go unseen: compiled calls within a module are direct).
CLEAR_READING = True
# A decoding that fails is tried on this many bytes first, and given up if they already hold too
# many bad bytes. A whole sample is read in stages (see _high_runs and _multi_byte_loses): up to
# twice as many non-ASCII bytes as bad ones are tolerated, then _PROBE_HIGH of them (a wrong
# multi-byte codec has met too many bad bytes by then), then 1/_PROBE_SHARE of them (enough, read
# wrongly, to outweigh a plausible reading), then all.
_DECODE_PROBE = 256
_PROBE_HIGH = 16
_PROBE_SHARE = 4

# One non-ASCII byte between two spaces, as _MARK_HIGH shows it: then checked for words around.
_SPACED_MARK = b" \x80 "
_SPACED_RUN = re.compile(rb"(?m)^ [\x80-\xff] $")  # such a byte, as a run with its context
_MARK_HIGH = bytes(range(128)) + b"\x80" * 128  # every non-ASCII byte made one
_HIGH_QUAD = b"\x80" * 4
_ASCII_RUN = re.compile("[\x00-\x7f]+")
_DECLARATION = re.compile(rb"(?i)charset|encoding(?=\s*=)")
_LANGUAGE_HINT = re.compile(
    rb"(?i)(?:<(?:dc:)?language>|\blang\s*=\s*[\"']?|content-language[\"']?\s+content\s*=\s*[\"']?)\s*([a-z]{2,3})(?![a-z])"
)
# What each form of _LANGUAGE_HINT holds: a literal first, so the regex engine finds it fast.
_LANGUAGE_NEEDLE = re.compile(rb"lang(?:uage>|uage[\"']?\s|\s*=)")  # in lower case
# Whitespace and characters that show nothing: a text of only these is empty.
_BLANK = re.compile("[\\s\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2060-\u2064\ufeff]*")
_LONE_LETTER = re.compile(r"(?<![^\W\d_])[^\W\d_\x00-\x7f](?![^\W\d_])")
_ASCII_BYTES = bytes(range(128))
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


def repair_mojibake(text: str, utf8: bytes | None = None) -> tuple[str, bool]:
    """Undo UTF-8 that was decoded as a single-byte code page and saved again; nothing else changes.

    `utf8`, when the caller has it, is `text` encoded as UTF-8: it spares encoding it again.
    """
    if not _looks_mojibake(text, utf8):
        return text, False
    fixed = _undo_whole(text)
    if fixed is None:
        import ftfy

        fixed = ftfy.fix_encoding(text)
    return fixed, fixed != text


def _looks_mojibake(text: str, utf8: bytes | None = None) -> bool:
    """A lead/continuation pair that, read back through one of the pages, is a letter or common
    punctuation: "Ã©" is "é", while Ukrainian "Ві" would give "³" and is left alone.

    Such a pair is two non-ASCII characters in a row, four bytes of 0x80 or more in UTF-8: a search
    for those takes a few microseconds, the regex scan of a whole text tens; most texts have none.
    """
    if text.isascii():
        return False
    if utf8 is None:
        utf8 = text.encode("utf-8", errors="surrogatepass")
    if _HIGH_QUAD not in utf8.translate(_MARK_HIGH):
        return False
    return any(_mojibake_pair(match.group()) for match in _MOJIBAKE_GATE.finditer(text))


@lru_cache(maxsize=4096)
def _mojibake_pair(pair: str) -> bool:
    for page in _MOJIBAKE_PAGES:
        try:
            original = pair.encode(page, errors="archiver-sloppy").decode("utf-8")
        except UnicodeError:
            continue
        if (original.isalpha() and original not in _RARE_LETTERS) or original in _COMMON_PUNCT:
            return True
    return False


def _sloppy(error: UnicodeError) -> tuple[bytes, int]:
    """Encode error handler: a C1 control stands for the byte a code page leaves undefined."""
    if isinstance(error, UnicodeEncodeError):
        chunk = error.object[error.start : error.end]
        if all("\x80" <= ch <= "\x9f" for ch in chunk):
            return chunk.encode("latin-1"), error.end
    raise error


codecs.register_error("archiver-sloppy", _sloppy)


def _undo_whole(text: str) -> str | None:
    """The whole text re-encoded through one page reads as strict UTF-8 (up to three layers deep):
    the common case, and far cheaper than ftfy. None when no page fits the whole text."""
    fixed = None
    for _ in range(3):
        for page in _MOJIBAKE_PAGES:
            try:
                candidate = text.encode(page, errors="archiver-sloppy").decode("utf-8")
            except UnicodeError:
                continue
            if candidate != text:
                fixed = text = candidate
                break
        else:
            break
        if not _MOJIBAKE_GATE.search(text):
            break
    return fixed


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
    # Text read as UTF-8 (or ASCII) from the whole file without a bad byte is the file itself.
    utf8 = data if bom is None and encoding in ("utf-8", "ascii") and "\ufffd" not in text else None
    text, repaired = repair_mojibake(text, utf8)
    if _BLANK.fullmatch(text):
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
    sample = data[:_SAMPLE_BYTES]
    high = _count_high(sample)
    runs = _high_runs(sample, high) if _may_be_clear(data, high) else None
    if runs is not None and CLEAR_READING:
        clear = _clear_reading(data, runs)
        if clear is not None:
            return clear
    import chardet

    results = chardet.detect_all(_evidence(data), prefer_superset=False, compat_names=False)
    if not results or not results[0].get("encoding"):
        guess = _bomless_utf16(data)
        if guess is None:
            raise NotText("not text: no text encoding fits these bytes")
        return guess
    encoding, confidence, text = _rerank(data, results, runs)
    if encoding.startswith(("utf-16", "utf-32")):
        # chardet reads any byte soup with a NUL as UTF-16; text does not come out as noise.
        head = text[:2048]
        if _plausibility_cost(head, True) > _BINARY_COST * len(head):
            raise NotText("not text: the bytes read as UTF-16 give noise, not text")
    return encoding, confidence, text


def _evidence(data: bytes) -> bytes:
    """What chardet reads: the head of the file, then only the lines with non-ASCII bytes.

    Code pages differ only in their high bytes, so the ASCII lines of a long file add time (chardet
    costs about 0.3 ms per KB) and no evidence. The head keeps any charset declaration in view.
    """
    if len(data) <= _EVIDENCE_HEAD + _EVIDENCE_MAX or b"\x00" in data:
        return data
    head = data[:_EVIDENCE_HEAD]
    cut = head.rfind(b"\n") + 1 or len(head)
    lines = [line for line in data[cut:].split(b"\n") if not line.isascii()]
    return (data[:cut] + b"\n".join(lines))[: _EVIDENCE_HEAD + _EVIDENCE_MAX]


def _bomless_utf16(data: bytes) -> tuple[str, float, str] | None:
    """UTF-16 without a BOM and without NULs (CJK text): chardet calls it binary; its text says otherwise."""
    if len(data) % 2 or len(data) < 4:
        return None
    best: tuple[float, str, str] | None = None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data[:_SAMPLE_BYTES].decode(encoding, errors="strict" if len(data) <= _SAMPLE_BYTES else "replace")
        except UnicodeDecodeError:
            continue
        cost = _plausibility_cost(text, True) / max(1, len(text))
        if best is None or cost < best[0]:
            best = (cost, encoding, text)
    if best is None or best[0] > _UTF16_MAX_COST:
        return None
    return best[1], 0.5, data.decode(best[1], errors="replace")


# Each byte as "L" if it can lead a UTF-8 multi-byte sequence, "C" if it can continue one, else ".":
# every valid multi-byte character starts with "LC", so fewer such pairs mean fewer characters.
_UTF8_PAIRS = bytes(
    ord("L") if 0xC2 <= byte <= 0xF4 else ord("C") if 0x80 <= byte <= 0xBF else ord(".") for byte in range(256)
)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken sequences (a truncated copy, one pasted latin-1 word): keep it UTF-8."""
    if data.translate(_UTF8_PAIRS).count(b"LC") < 2:
        return None  # fewer than two valid multi-byte sequences: `valid` below would be under 2
    text = data.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd")
    present = data.count("\ufffd".encode())
    # Characters from valid multi-byte sequences: all but the ASCII ones and the replacements.
    valid = len(text) - len(text.encode("ascii", errors="ignore")) - replaced + present
    if valid < 2:
        return None
    broken = replaced - present
    if broken * 2 > valid or _decoded_cost(text[:_SAMPLE_BYTES].replace("\ufffd", "")) > _SURE_MAX_COST:
        return None  # chance UTF-8 sequences in a legacy file read as rare symbols and scripts
    return text


# --- plausibility ------------------------------------------------------------------------------

_LATIN, _GREEK, _CYRILLIC, _HEBREW, _ARABIC, _THAI, _HANGUL, _CJK, _OTHER = range(9)
_COMMON_PUNCT = frozenset("“”‘’„‚«»‹›–—…•·€£¥©®™°§¿¡№†‰\u3000、。「」『』【】〈〉《》・〜！？（），：；．％＆＊～")
# A letter of the basic alphabet of Greek, Cyrillic, Hebrew, Arabic or Thai (one byte each).
_ALPHABET = 0.3
_RARE_LETTERS = frozenset("µªºĸŉſƒ")


def _by_language(table: dict[str, set[int]]) -> dict[str, frozenset[int]]:
    """{"ru uk": {script}} to {"ru": frozenset({script}), "uk": ...}."""
    return {code: frozenset(scripts) for codes, scripts in table.items() for code in codes.split()}


# The scripts each declared language (ISO 639-1, a few 639-2) is written in.
_LANGUAGE_SCRIPTS = _by_language(
    {
        "ru uk be bg sr mk kk ky tg mn tt ba": {_CYRILLIC},
        "el": {_GREEK},
        "he iw yi": {_HEBREW},
        "ar fa ur ps": {_ARABIC},
        "th": {_THAI},
        "ja zh": {_CJK},
        "ko": {_HANGUL, _CJK},
        "en fr de es it pt nl sv da no nb nn fi is et lv lt pl cs sk sl hr bs hu ro tr az sq ca eu gl cy ga mt vi "
        "id ms tl sw af eo": {_LATIN},
    }
)


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
    any_level1 = level1[0] | level1[1] | level1[2]
    known = any_level1 | grab("gb2312", range(0xD8, 0xF8), range(0xA1, 0xFF))  # level 2 and KS hanja
    known |= grab("euc_jp", range(0xD0, 0xF5), range(0xA1, 0xFF))
    known |= grab("euc_kr", range(0xCA, 0xFE), range(0xA1, 0xFF))
    hangul = grab("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF))
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


def _plausibility_cost(text: str, full: bool, limit: float = math.inf) -> float:
    """Summed implausibility of the characters a decoder made of non-ASCII bytes (all, if `full`).

    Per character: controls, unassigned, private use and rare symbols cost most; letters of the
    common alphabets least. Per neighbourhood: two scripts inside one word, a capital after a
    small letter, punctuation or a symbol glued inside or onto a word. Stops counting once past
    `limit`: a candidate that has already lost needs no exact score.
    """
    cost = 0.0
    prev_script, prev_letter, prev_lower = -1, False, False
    glued = False  # a non-letter right after a letter: costs if a letter follows
    prev_decoded = False
    latin_run = 0  # non-ASCII Latin letters in a row
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
        if full and ch == "\x85":  # NEL: the line end of EBCDIC text as cp037/cp500 decode it
            prev_script, prev_letter, prev_lower, glued, prev_decoded = -1, False, False, False, False
            continue
        after_decoded, prev_decoded = prev_decoded, True
        char_cost, script, kind = _char_info(ch)
        if not full or char_cost > _ALPHABET:  # in a full reading a common letter is as free as ASCII's
            cost += char_cost
            if cost > limit:
                return cost
        if kind in (1, 2, 3):
            if glued:
                cost += 3.0
            if prev_letter and prev_script != script:
                cost += 1.0 if {prev_script, script} == {_CJK, _HANGUL} else 5.0
            elif prev_lower and kind == 2:
                cost += 2.0
            if script == _LATIN and after_decoded:
                latin_run += 1
                if latin_run >= 3:  # Latin-script words seldom hold three accented letters in a row
                    cost += 1.0
            else:
                latin_run = 1 if script == _LATIN else 0
            prev_script, prev_letter, prev_lower = script, True, kind == 1
            glued = False
        elif kind == 4:
            if not prev_letter:
                cost += 2.5
        else:
            latin_run = 0
            if prev_letter and kind != 5 and ch not in _INSIDE_WORD_OK:
                glued = True
                if ch not in _AFTER_WORD_OK:
                    cost += 1.0
            else:
                glued = False
            prev_script, prev_letter, prev_lower = -1, False, False
    return cost


@cache
def _alphabets() -> dict[str, tuple[frozenset[str], ...]]:
    """config/rules/decode_alphabets.toml: per script, the letters of each language."""
    table = _alphabet_rules()
    return {
        script: tuple(frozenset(letters) for letters in table[script].values())
        for script in ("latin", "cyrillic")
        if script in table
    }


@cache
def _alone_letters() -> frozenset[str]:
    """Non-ASCII letters that are words on their own in some language ("à", "é", "ő", "і")."""
    return frozenset("".join(_alphabet_rules().get("alone", {}).values()))


def _alphabet_rules() -> dict[str, Any]:
    from archiver.pipeline.rules import load_rules

    try:
        return load_rules("decode_alphabets")
    except OSError:
        return {}


def _alphabet_misfits(text: str) -> int:
    """Non-ASCII Latin or Cyrillic letters outside the one language alphabet that fits them best, and
    such letters standing alone as a word when no language has them as a one-letter word."""
    latin, cyrillic = _letter_tallies(_non_ascii_counts(text).items())
    misfits = 0
    if latin or cyrillic:
        alone = _alone_letters()
        for match in _LONE_LETTER.finditer(text):
            letter = match.group().lower()
            if letter not in alone and (letter in latin or letter in cyrillic):
                misfits += 1  # "prise ŕ l'unanimité": no language writes "ŕ" as a word
    return misfits + _outside_alphabets(latin, cyrillic)


def _letter_tallies(counts: Iterable[tuple[str, int]]) -> tuple[dict[str, int], dict[str, int]]:
    """How often each (lower-case) non-ASCII Latin and Cyrillic letter occurs, from character counts."""
    latin: dict[str, int] = {}
    cyrillic: dict[str, int] = {}
    for ch, count in counts:
        if ch.isalpha():
            low = ch.lower()
            if len(low) != 1:
                continue  # "İ" lowers to "i" and a combining dot: Turkish, fits
            code = ord(low)
            if code < 0x250 or 0x1E00 <= code < 0x1F00:
                latin[low] = latin.get(low, 0) + count
            elif 0x400 <= code < 0x530:
                cyrillic[low] = cyrillic.get(low, 0) + count
    return latin, cyrillic


def _outside_alphabets(latin: dict[str, int], cyrillic: dict[str, int]) -> int:
    """The letters outside the one language alphabet of their script that holds most of them."""
    misfits = 0
    for script, counts in (("latin", latin), ("cyrillic", cyrillic)):
        parts = _alphabet_parts(script, frozenset(counts)) if counts else ()
        if parts:
            misfits += sum(counts.values()) - max(sum(map(counts.__getitem__, part)) for part in parts)
    return misfits


@lru_cache(maxsize=4096)
def _alphabet_parts(script: str, letters: frozenset[str]) -> tuple[frozenset[str], ...]:
    """Nothing when one language's alphabet of `script` holds all `letters`; else the largest parts
    of them that one alphabet holds (none inside another). The same few letter sets come back file
    after file and page after page, so the 40-odd alphabets are tried once for each."""
    alphabets = _alphabets().get(script)
    if not alphabets or any(letters <= alphabet for alphabet in alphabets):
        return ()
    parts = {letters & alphabet for alphabet in alphabets}
    return tuple(part for part in parts if not any(part < other for other in parts))


def _non_ascii_counts(text: str) -> Counter[str]:
    """How often each non-ASCII character occurs: counted in C, so callers loop over distinct ones only."""
    return Counter(_ASCII_RUN.sub("", text))


def _foreign_between_latin(lone: bytes, encoding: str) -> int:
    """One-byte words between two ASCII words ("foi à praia") read as a letter of another script
    ("foi א praia"): a Latin sentence does not switch script for one letter."""
    if not lone:
        return 0
    count = 0
    for ch in lone.decode(encoding, errors="replace"):
        _, script, kind = _char_info(ch) if ch > "\x7f" else (0.0, _LATIN, 0)
        if kind in (1, 2, 3) and script != _LATIN:
            count += 1
    return count


def _declared_scripts(data: bytes) -> frozenset[int]:
    """The scripts of the language a document declares (RSS <language>, HTML lang=, xml:lang=)."""
    if _LANGUAGE_NEEDLE.search(data[:4096].lower()) is None:
        return frozenset()  # every form of the hint holds one of these: far cheaper to look for
    match = _LANGUAGE_HINT.search(data, 0, 4096)
    if match is None:
        return frozenset()
    return _LANGUAGE_SCRIPTS.get(match.group(1).lower().decode("ascii"), frozenset())


def _script_misfits(text: str, scripts: frozenset[int]) -> int:
    """Non-ASCII letters outside the scripts of the declared language."""
    misfits = 0
    for ch, count in _non_ascii_counts(text).items():
        _, script, kind = _char_info(ch)
        if kind in (1, 2, 3) and script not in scripts:
            misfits += count
    return misfits


def _decoded_cost(text: str, high: int | None = None, limit: float = math.inf) -> float:
    """Mean cost per non-ASCII character (or per `high` byte): each run scored with one character
    of context either side. Past `limit` (a mean) the count stops: that candidate has lost."""
    runs = [text[max(0, m.start() - 1) : m.end() + 1] for m in _DECODED_RUN.finditer(text)]
    if high is None:
        high = sum(len(run) for run in runs)
    return _plausibility_cost("\n".join(runs), False, limit * max(1, high)) / max(1, high)


def _norm_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _rerank(data: bytes, results: list[Any], runs: _Runs | None = None) -> tuple[str, float, str]:
    """Decode with each candidate; the least implausible text, weighed with chardet's confidence, wins."""
    top_conf = float(results[0].get("confidence") or 0.0)
    first = str(results[0]["encoding"])
    if top_conf >= 0.9 and not data.isascii():
        # A sure answer (a declared charset, a UTF-16 pattern, an escape sequence): kept unless
        # its text reads as noise, as when a page declares one charset and was saved in another.
        text = _safe_decode(data, first)
        if text is not None:
            superset = _SUPERSETS.get(_norm_name(first)) or _SUPERSETS.get(first)
            if superset and _C1.search(text):
                alt = _safe_decode(data, superset)
                if alt is not None:
                    first, text = superset, alt
            if _NOT_ASCII_COMPATIBLE.match(_norm_name(first)) or _decoded_cost(text[:_SAMPLE_BYTES]) <= _SURE_MAX_COST:
                return first, top_conf, text
        if _declares_charset(data):
            # Ask again with the declaration hidden: byte statistics alone propose the others.
            import chardet

            hidden = _DECLARATION.sub(lambda m: b"_" * len(m.group()), data)
            others = chardet.detect_all(hidden, prefer_superset=False, compat_names=False)
            results = [r for r in others if r.get("encoding")] + [{"encoding": first, "confidence": top_conf / 2}]
            top_conf = max(float(r.get("confidence") or 0.0) for r in results)
            first = str(results[0]["encoding"])
    candidates: list[tuple[str, float]] = []
    seen: set[str] = set()
    for r in results:
        enc = r.get("encoding")
        if not enc or enc in seen:
            continue
        seen.add(enc)
        candidates.append((enc, max(float(r.get("confidence") or 0.0), 1e-4)))
    sample = data[:_SAMPLE_BYTES]
    high = _count_high(sample)
    extra: tuple[str, ...] = ()
    if high == 0:
        extra = _EBCDIC_CODECS
    elif high >= 2 and b"\x00" not in sample:
        extra = _CJK_CODECS
    floor = max(1e-4, top_conf * _EXTRA_CONFIDENCE)
    # chardet may rank these last on a short file: they get the floor at least.
    candidates = [(enc, max(conf, floor) if enc in extra else conf) for enc, conf in candidates]
    candidates += [(enc, floor) for enc in extra if enc not in seen]
    if high and b"\x00" not in sample:
        # chardet can leave out the everyday Windows code pages altogether on a short text.
        candidates += [(enc, floor) for enc in _COMMON_PAGES if enc not in seen and enc not in extra]
    candidates.sort(key=lambda candidate: -candidate[1])
    best: tuple[float, str, float] | None = None
    texts: set[str] = set()
    tolerated = 2 + high // 100
    if runs is None:
        runs = _high_runs(sample, high)
    for enc, conf in candidates:
        prior = _CONFIDENCE_WEIGHT * math.log(top_conf / conf)
        if best is not None and prior >= best[0]:
            break  # no cost is negative: nothing further down can win
        name = _norm_name(enc)
        full = high == 0 or bool(_NOT_ASCII_COMPATIBLE.match(name))
        single = not full and _single_byte(name)
        piece, probe = (runs.runs, _DECODE_PROBE) if single else (sample, runs.cuts[2])
        text = _lenient_decode(piece, enc, tolerated, probe)
        if text is None or text in texts:
            continue
        texts.add(text)
        superset = _SUPERSETS.get(name) or _SUPERSETS.get(enc)
        if superset and _C1.search(text):
            alt = _lenient_decode(piece, superset, tolerated, probe)
            if alt is not None:
                enc, text = superset, alt
        if full:
            cost = _plausibility_cost(text, True) / max(1, len(sample))
        elif single:
            cost = _single_byte_cost(runs, enc, text, best[0] if best is not None else math.inf, prior)
        else:
            cost = _multi_byte_cost(runs, text)
        score = cost + prior
        if best is None or score < best[0]:
            best = (score, enc, conf)
    enc, conf = (best[1], best[2]) if best is not None else (first, top_conf)
    try:
        return enc, conf, data.decode(enc, errors="replace")
    except LookupError:
        return "utf-8", 0.0, data.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class _Runs:
    """What code pages differ on, found once per file and shared by every candidate.

    Single-byte code pages are judged on the distinct runs of non-ASCII bytes (with one byte of
    context each side, one run a line) rather than the whole sample: the same verdict, a fraction
    of the work.
    """

    sample: bytes
    high: int  # non-ASCII bytes in the sample
    runs: bytes
    runs_high: int  # non-ASCII bytes in the runs, at least 1
    lone: bytes  # the non-ASCII bytes standing alone between two ASCII words
    scripts: frozenset[int]  # the scripts of the language the document declares
    # Where the first run starts (with its byte of context), and where the first non-ASCII bytes end:
    # twice as many as the bad ones tolerated, _PROBE_HIGH, 1/_PROBE_SHARE of them (see _multi_byte_loses).
    cuts: tuple[int, ...]
    singles: int  # runs of one byte
    # The cost per byte of each single-byte reading weighed in full so far, by its text: what the
    # fast path weighed, the re-ranking need not weigh again.
    costs: dict[str, float] = field(default_factory=dict, compare=False)


def _high_runs(sample: bytes, high: int) -> _Runs:
    """The sample's runs of non-ASCII bytes, found by splitting at them (the regex engine would take
    four times as long: it tries every position)."""
    marked = sample.translate(_MARK_HIGH)
    pieces = marked.split(b"\x80")  # the ASCII between non-ASCII bytes
    # Each run with its byte of context either side, once, in the order met: kept as it is cut out
    # (a dict of them, not lists of where each starts and ends to cut out afterwards).
    distinct: dict[bytes, None] = {}
    pos = start = len(pieces[0])
    singles = 0  # runs of one byte
    for gap in pieces[1:]:
        pos += 1
        if gap:
            distinct[sample[start - 1 if start else 0 : pos + 1]] = None
            singles += pos - start == 1
            pos += len(gap)
            start = pos
    if len(pieces) > 1 and not pieces[-1]:
        distinct[sample[start - 1 if start else 0 : pos + 1]] = None
        singles += pos - start == 1
    runs = b"\n".join(distinct)
    lone = _lone_high(sample, marked) if _SPACED_RUN.search(runs) else b""
    first = max(0, len(pieces[0]) - 1) if len(pieces) > 1 else 0  # where the first run starts
    wanted = (2 * (3 + high // 100), _PROBE_HIGH, max(_PROBE_HIGH, high // _PROBE_SHARE))
    # Where the first `count` non-ASCII bytes end, with one byte more (a trail byte perhaps).
    cuts = (first, *(min(len(sample), sum(map(len, pieces[:count])) + count + 1) for count in wanted))
    scripts = _declared_scripts(sample)
    return _Runs(sample, high, runs, max(1, _count_high(runs)), lone, scripts, cuts, singles)


def _lone_high(sample: bytes, marked: bytes) -> bytes:
    """Each non-ASCII byte standing alone between two ASCII words ("a \x96 b"): a dash or a bullet.

    Looked for in `marked` (the sample with each non-ASCII byte made 0x80) as one substring, which
    bytes.find finds several times faster than a regex finds a space followed by any such byte.
    """
    lone = []
    start = marked.find(_SPACED_MARK)
    while start >= 0:
        end = start + len(_SPACED_MARK)
        if start and sample[start - 1 : start].isalpha() and sample[end : end + 1].isalpha():
            lone.append(sample[start + 1 : start + 2])
        start = marked.find(_SPACED_MARK, end)
    return b"".join(lone)


def _single_byte_cost(runs: _Runs, enc: str, text: str, best: float, prior: float) -> float:
    """Cost per byte of a single-byte reading of the runs. Misfit letters only add, so they are
    counted only while the reading can still beat `best` with its `prior`; a reading already
    weighed in full costs what it cost then (a partial count decides the same: it cannot win)."""
    known = runs.costs.get(text)
    if known is not None:
        return known
    cost = _plausibility_cost(text, False, (best - prior) * runs.runs_high) / runs.runs_high
    if cost + prior < best:
        misfits = _alphabet_misfits(text) + _foreign_between_latin(runs.lone, enc)
        cost += misfits * _MISFIT_COST / runs.runs_high
        if runs.scripts:
            cost += _script_misfits(text, runs.scripts) * _MISFIT_COST / runs.runs_high
        runs.costs[text] = cost  # counted in full
    return cost


def _multi_byte_cost(runs: _Runs, text: str, limit: float = math.inf) -> float:
    """Cost per non-ASCII byte of a multi-byte reading of the sample (a partial count past `limit`)."""
    cost = _decoded_cost(text, runs.high, limit)
    if runs.scripts:
        cost += _script_misfits(text, runs.scripts) * _MISFIT_COST / max(1, runs.high)
    return cost


def _declares_charset(data: bytes) -> bool:
    """A charset or encoding declaration in the first 4 KB (HTML, XML, a mail header)."""
    head = data[:4096]
    low = head.lower()
    return (b"charset" in low or b"encoding" in low) and _DECLARATION.search(head) is not None


# --- without chardet ---------------------------------------------------------------------------


class _Pages(NamedTuple):
    """config/rules/decode_pages.toml."""

    everyday: tuple[str, ...]  # the everyday code pages, their ISO twins first
    others: tuple[str, ...]  # every other encoding a reading must be weighed against
    seven_bit: frozenset[str]  # encodings that read no byte of 0x80 or more (see _seven_bit)
    lone_byte_bad: frozenset[str]  # where a lone non-ASCII byte is a bad byte (see _lone_byte_invalid)


@cache
def _pages() -> _Pages:
    """config/rules/decode_pages.toml. Without the file nothing is decided without chardet."""
    from archiver.pipeline.rules import load_rules

    try:
        table = load_rules("decode_pages")
    except OSError:
        table = {}
    return _Pages(
        tuple(table.get("everyday", ())),
        tuple(table.get("others", ())),
        frozenset(table.get("seven_bit", ())),
        frozenset(table.get("lone_byte_bad", ())),
    )


def _may_be_clear(data: bytes, high: int) -> bool:
    """Whether _clear_reading may decide `data`: enough non-ASCII bytes in the sample, no NUL
    (chardet's UTF-16/32 evidence), no escape, no declared charset (chardet's sure answers)."""
    return (
        high >= _CLEAR_MIN_HIGH
        and b"\x00" not in data
        and b"\x1b" not in data
        and bool(_pages().everyday)
        and not _declares_charset(data)
    )


def _clear_reading(data: bytes, runs: _Runs) -> tuple[str, float, str] | None:
    """The everyday code page whose reading of the non-ASCII bytes is clearly the most plausible.

    chardet costs more than all the rest of decoding a legacy file, and its confidence only tips
    the choice between readings the plausibility model finds close. So where the model alone is
    clear (and _may_be_clear), it decides: the best everyday reading plausible in itself, more than
    one misfit letter better than any other everyday reading, and better than every other encoding
    the re-ranking could weigh, each judged as the re-ranking judges it. None otherwise: then
    chardet and the re-ranking decide, as before.
    """
    pages = _pages()
    everyday, others = pages.everyday, pages.others
    clear = _Clear(runs, data, 2 + runs.high // 100)
    floored = _code_pages((*everyday, *others))
    clear.cheap_floors(floored)
    best = clear.best_everyday(everyday)
    if best is None:
        return None
    cost, enc = best
    threshold = cost + _CLEAR_MARGIN
    # The code pages whose floors come closest first: a file that is not clear is found out soonest.
    to_ask = _left_to_ask(others, floored, pages.seven_bit, clear.floors, threshold * runs.runs_high)
    if not all(clear.loses(other, threshold) for other in to_ask):
        return None
    return enc, _CLEAR_CONFIDENCE, data.decode(enc, errors="replace")


def _left_to_ask(
    others: tuple[str, ...], floored: tuple[str, ...], seven_bit: frozenset[str], floors: dict[str, float], limit: float
) -> list[str]:
    """The encodings of `others` that _Clear.loses must be asked about, in the order to ask: the code
    pages of `floored` (each with a cheap floor in `floors`) by their floor, lowest first, then the
    rest in their order.

    Left out are those whose answer is True before anything is weighed: a code page whose floor is
    at `limit` (threshold times the bytes of the runs) or past it, and a 7-bit encoding. Answering
    True changes nothing in the object asked, so the others get the same answers without them; most
    pages are ruled out by their floor, and one sort and one bisection cost less than a call each.
    """
    with_floor, rest = _floored_and_rest(others, floored, seven_bit)
    ordered = sorted(with_floor, key=floors.__getitem__)
    return [*ordered[: bisect_left(ordered, limit, key=floors.__getitem__)], *rest]


@lru_cache(maxsize=8)
def _floored_and_rest(
    others: tuple[str, ...], floored: tuple[str, ...], seven_bit: frozenset[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The encodings of `others` in `floored`, and those neither there nor in `seven_bit`, in order."""
    return (
        tuple(other for other in others if other in floored),
        tuple(other for other in others if other not in floored and other not in seven_bit),
    )


class _Clear:
    """One file's readings, weighed for _clear_reading: cheap floors first, exact costs if need be."""

    def __init__(self, runs: _Runs, data: bytes, tolerated: int) -> None:
        self.runs = runs
        self.data = data
        self.tolerated = tolerated
        self.weighed: dict[str, tuple[float, str]] = {}  # text: (cost per byte, the first page to give it)
        self.high = runs.runs.translate(None, _ASCII_BYTES)
        # A non-ASCII byte with an ASCII letter before it, and one with an ASCII letter after it.
        self.glued = b"".join(_AFTER_LETTER.findall(runs.runs) + _BEFORE_LETTER.findall(runs.runs))
        # Each distinct non-ASCII byte once: two code pages that read these alike read the runs alike.
        tally = Counter(self.high)
        self.distinct = bytes(sorted(tally))
        self.counts = [tally[byte] for byte in self.distinct]
        self.mappings: set[str] = set()  # how the code pages weighed so far read those bytes
        self.floors: dict[str, float] = {}  # code page: its floor without the alphabets (see floor)
        self._evidence: bytes | None = None
        self._sample_high: bytes | None = None
        self._shared_controls: int | None = None

    def best_everyday(self, everyday: tuple[str, ...]) -> tuple[float, str] | None:
        """The most plausible everyday reading, if plausible in itself and more than one misfit letter
        better than every other everyday reading; None otherwise."""
        runs = self.runs
        costs: list[tuple[float, int, str]] = []  # (cost per byte, rank, page): the rank breaks ties
        # Past this no reading can be the best one (which must be plausible) or come within one
        # misfit of it: those readings are not weighed exactly.
        cap = _CLEAR_MAX_COST * runs.runs_high + _MISFIT_COST + 1e-9
        # The cheap floors order the pages; those within reach get the alphabets' floor too.
        for floor, rank, enc in sorted((self.floors.get(enc, 0.0), rank, enc) for rank, enc in enumerate(everyday)):
            reach = min(min(costs)[0] * runs.runs_high + _MISFIT_COST + 1e-9, cap) if costs else cap
            if floor > reach:
                break  # neither this reading nor any after it can be the best or come within reach
            mapping = self.distinct.decode(enc, errors="replace")
            if mapping in self.mappings or self.floor(enc, mapping, reach) > reach:
                continue  # the same reading as a page already weighed, or out of reach
            text = _lenient_decode(runs.runs, enc, self.tolerated)
            if text is None or text in self.weighed:
                continue
            cost = _single_byte_cost(runs, enc, text, reach / runs.runs_high, 0.0)
            self.weighed[text] = (cost, enc)
            self.mappings.add(mapping)
            if cost * runs.runs_high <= reach:
                costs.append((cost, rank, enc))
        costs.sort()
        if not costs or costs[0][0] > _CLEAR_MAX_COST:
            return None
        if len(costs) > 1 and (costs[1][0] - costs[0][0]) * runs.runs_high <= _MISFIT_COST + 1e-9:
            return None
        return costs[0][0], costs[0][2]

    def cheap_floors(self, pages: tuple[str, ...]) -> None:
        """For each code page of `pages`, what its characters cost alone and 5 for each letter of
        another script than Latin glued to an ASCII letter: a floor under the cost of its reading.

        Computed for all pages at once (see _floor_lanes): one page at a time would take longer than
        everything else the fast path does for most of them, which the floor alone rules out.
        """
        lanes = _floor_lanes(pages)
        total = sum(count * lanes.of(byte)[0] for byte, count in zip(self.distinct, self.counts, strict=True))
        total += sum(count * lanes.of(byte)[1] for byte, count in Counter(self.glued).items())
        mask = (1 << _LANE_BITS) - 1
        self.floors.update((page, ((total >> (_LANE_BITS * lane)) & mask) / 10) for lane, page in enumerate(pages))

    def floor(self, enc: str, mapping: str, limit: float = math.inf) -> float:
        """A floor under the cost of the runs read as code page `enc` (which reads the distinct
        non-ASCII bytes as `mapping`): the cheap floor and, unless that is past `limit` already, its
        letters outside every alphabet. 0 for a codec that is no code page."""
        floor = self.floors.get(enc)
        if floor is None:
            return 0.0
        if floor >= limit:
            return floor
        return floor + _MISFIT_COST * _outside_alphabets(*_letter_tallies(zip(mapping, self.counts, strict=True)))

    def loses(self, enc: str, threshold: float) -> bool:
        """`enc` reads the sample no better than `threshold` per byte, gives a reading already weighed,
        or is an encoding the re-ranking could not weigh here."""
        kind = _page_kind(enc)
        if kind == _FULL:
            return self._full_loses(enc, threshold)
        if kind != _SINGLE:
            return self._multi_byte_loses(enc, kind, threshold)
        runs = self.runs
        limit = threshold * runs.runs_high
        if self.floors.get(enc, 0.0) >= limit:
            return True
        mapping = self.distinct.decode(enc, errors="replace") if _charmap(enc) else None
        if mapping in self.mappings:
            return True  # the same reading as a page already weighed
        if mapping is not None and self.floor(enc, mapping, limit) >= limit:
            return True
        if mapping is None and enc in _pages().seven_bit:
            return True  # ISO-2022: no reading of a non-ASCII byte, and none of the extras
        # A code page with a byte it leaves undefined, or a codec that is none (UTF-8): chardet
        # proposes it only if it reads all chardet reads.
        undefined = mapping is None or "\ufffd" in mapping
        if undefined and enc not in _WEIGHED_ANYWAY and not self._chardet_could_propose(enc):
            return True
        text = _lenient_decode(runs.runs, enc, self.tolerated)
        if text is None or text in self.weighed:
            return True
        cost = _single_byte_cost(runs, enc, text, threshold, 0.0)
        self.weighed[text] = (cost, enc)
        if mapping is not None:
            self.mappings.add(mapping)
        return cost >= threshold

    def _multi_byte_loses(self, enc: str, kind: int, threshold: float) -> bool:
        """Multi-byte codecs, and pages that remap an ASCII byte (cp864), judged on the whole sample."""
        runs = self.runs
        if enc in _pages().seven_bit:
            return True  # UTF-7, HZ, ISO-2022: no reading of a non-ASCII byte, and none of the extras
        tables = _page_floor_tables(enc) if kind == _ONE_CHAR_PER_BYTE else None
        # Each byte gives one character, whose cost alone counts: a floor, one translation away.
        if tables is not None and sum(self.sample_high().translate(tables[0])) / 10 >= threshold * runs.high:
            return True
        if runs.singles > self.tolerated and enc in _pages().lone_byte_bad:
            return True  # what _multi_byte_loses finds first: asking what chardet could propose costs more
        if enc not in _WEIGHED_ANYWAY and not self._chardet_could_propose(enc):
            return True
        return _multi_byte_loses(runs, enc, threshold, self.tolerated)

    def _full_loses(self, enc: str, threshold: float) -> bool:
        """EBCDIC and the like, judged on every character of the sample."""
        sample = self.runs.sample
        limit = threshold * max(1, len(sample))
        if self._shared_controls is None:
            # The bytes every such page of the list reads as a control: counted once for all.
            self._shared_controls = len(sample.translate(None, _not_controls_in_any(_pages().others)))
        if _CONTROL_COST * self._shared_controls > limit:
            return True
        not_controls = _not_controls(enc)
        if not_controls is not None and _CONTROL_COST * len(sample.translate(None, not_controls)) > limit:
            return True  # the controls alone cost more (an ASCII text read as EBCDIC)
        if enc not in _WEIGHED_ANYWAY and not self._chardet_could_propose(enc):
            return True
        text = _lenient_decode(sample, enc, self.tolerated, self.runs.cuts[2])
        return text is None or _plausibility_cost(text, True, limit) >= limit

    def sample_high(self) -> bytes:
        """The sample's non-ASCII bytes, every one of them."""
        if self._sample_high is None:
            self._sample_high = self.runs.sample.translate(None, _ASCII_BYTES)
        return self._sample_high

    def _chardet_could_propose(self, enc: str) -> bool:
        """chardet proposes only encodings that decode what it reads without an error (a character
        cut at the end aside): the re-ranking weighs any other only among its own extras."""
        if self._evidence is None:
            self._evidence = _evidence(self.data)
        try:
            codecs.getincrementaldecoder(enc)().decode(self._evidence, final=False)
        except (UnicodeDecodeError, LookupError):
            return False
        return True


# What the re-ranking weighs on a file with non-ASCII bytes whether chardet proposes it or not:
# its extras, and the vendor supersets it swaps in for a reading with C1 controls.
_WEIGHED_ANYWAY = frozenset((*_COMMON_PAGES, *_CJK_CODECS, *_SUPERSETS.values()))

# Bits for each code page in the packed floors of _floor_lanes: room for 65,536 bytes at 8.0 each
# and as many glued letters at 5.0 each, in tenths.
_LANE_BITS = 32


@lru_cache(maxsize=4)
def _code_pages(encodings: tuple[str, ...]) -> tuple[str, ...]:
    """The code pages among `encodings` that the re-ranking judges on the runs (see _charmap)."""
    return tuple(dict.fromkeys(e for e in encodings if _page_kind(e) == _SINGLE and _charmap(e)))


@lru_cache(maxsize=4)
def _floor_lanes(pages: tuple[str, ...]) -> _Lanes:
    return _Lanes(pages)


class _Lanes:
    """For each non-ASCII byte: what it costs read by each code page of `pages` (in tenths), and 50
    where it reads as a letter of another script than Latin, packed one page to a _LANE_BITS-bit
    lane of one integer. A file's floors for all pages are then a few big-integer products. Built
    a byte at a time as files show them: a process that decodes a few files pays for a few bytes."""

    def __init__(self, pages: tuple[str, ...]) -> None:
        self.chars = [bytes(range(128, 256)).decode(page, errors="replace") for page in pages]
        self.packed: dict[int, tuple[int, int]] = {}

    def of(self, byte: int) -> tuple[int, int]:
        packed = self.packed.get(byte)
        if packed is None:
            costs = foreign = 0
            for lane, chars in enumerate(self.chars):
                cost, script, kind = _char_info(chars[byte - 128])
                costs |= round(cost * 10) << (_LANE_BITS * lane)
                if kind in (1, 2, 3) and script != _LATIN:
                    foreign |= 50 << (_LANE_BITS * lane)
            packed = self.packed[byte] = (costs, foreign)
        return packed


# How the re-ranking judges an encoding: on the runs of non-ASCII bytes (one character per byte,
# ASCII kept), on the non-ASCII characters of the whole sample (multi-byte codecs, and pages with
# one character per byte that remap an ASCII byte, like cp864), or on every character (EBCDIC).
_SINGLE, _MULTI, _ONE_CHAR_PER_BYTE, _FULL = range(4)


@lru_cache(maxsize=256)
def _page_kind(encoding: str) -> int:
    name = _norm_name(encoding)
    if _NOT_ASCII_COMPATIBLE.match(name):
        return _FULL
    if _single_byte(name):
        return _SINGLE
    return _ONE_CHAR_PER_BYTE if _charmap(encoding) else _MULTI


@lru_cache(maxsize=256)
def _charmap(encoding: str) -> bool:
    """A codec that reads each byte alone through a table (Python's code pages): what a byte costs
    does not depend on its neighbours, so per-byte tables make floors. UTF-8 and ISO-2022, which the
    re-ranking judges like code pages too, are not such codecs."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        return False
    if info.name == "iso8859-1":
        return True  # Latin-1 reads each byte as the code point of that number, in C
    module = sys.modules.get(getattr(info.decode, "__module__", "") or "")
    return module is not None and hasattr(module, "decoding_table")


_AFTER_LETTER = re.compile(rb"(?<=[A-Za-z])[\x80-\xff]")
_BEFORE_LETTER = re.compile(rb"[\x80-\xff](?=[A-Za-z])")


@lru_cache(maxsize=128)
def _page_floor_tables(encoding: str) -> tuple[bytes, bytes] | None:
    """For code page `encoding`: each byte's character cost in tenths (a translation table), and
    the bytes that are not a letter of another script than Latin (to delete, counting the rest).
    None for a codec that does not read each byte alone."""
    if not _charmap(encoding):
        return None
    costs = bytearray(256)
    not_foreign = bytearray(range(128))
    for byte, ch in zip(range(128, 256), bytes(range(128, 256)).decode(encoding, errors="replace"), strict=True):
        cost, script, kind = _char_info(ch)
        costs[byte] = round(cost * 10)
        if not (kind in (1, 2, 3) and script != _LATIN):
            not_foreign.append(byte)
    return bytes(costs), bytes(not_foreign)


def _multi_byte_loses(runs: _Runs, enc: str, threshold: float, tolerated: int) -> bool:
    """A multi-byte reading of the sample fails, or costs at least `threshold` per non-ASCII byte.

    Decoding is the slow part (about 10 ns a byte), so the sample is read in stages (runs.cuts):
    from its first non-ASCII byte (all before is ASCII, read alike by every stateless codec) to
    where a wrong codec has usually met too many bad bytes, twice; then to the end of a head whose
    cost is a floor (costs only add up: a Latin text read as Chinese has glued Han characters in its
    first words); then the rest.
    """
    sample = runs.sample
    if runs.singles > tolerated and enc in _pages().lone_byte_bad:
        return True  # EUC: each lone non-ASCII byte is a bad byte, and there are too many
    try:
        decoder = codecs.getincrementaldecoder(enc)(errors="replace")
    except LookupError:
        return True
    start, *cuts = runs.cuts
    cost_cut = cuts[-1]
    if enc not in _CJK_CODECS:
        start = 0  # a stateful codec (UTF-7, HZ) may read the ASCII before otherwise
    text, done = "", start
    for cut in (*cuts, len(sample)):
        if cut > done or cut == len(sample):
            text += decoder.decode(sample[done:cut], final=cut == len(sample))
            done = cut
        if text.count("\ufffd") > tolerated:
            return _safe_decode(sample, enc) is None  # unless the replacement characters are real
        if cut == cost_cut < len(sample) and _decoded_cost(text, runs.high, threshold) >= threshold:
            return True
    text = sample[:start].decode(enc, errors="replace") + text
    return _multi_byte_cost(runs, text, threshold) >= threshold


@lru_cache(maxsize=64)
def _seven_bit(encoding: str) -> bool:
    """An encoding with no reading of any byte of 0x80 or more (UTF-7, HZ, ISO-2022): tried alone and
    as the lead of every shape of multi-byte character (two high bytes, an ASCII trail, GB18030's four).
    What config/rules/decode_pages.toml lists as `seven_bit` (a test holds the two together)."""
    for tail in (b"", b"\xa1", b"\xa1\xa1", b"A", b"0\x810"):
        # Every non-ASCII byte with this tail, each after a newline: one decoding tries them all.
        tried = b"".join(b"\n" + bytes((byte,)) + tail for byte in range(128, 256))
        try:
            text = tried.decode(encoding, errors="replace")
        except LookupError:
            return False
        if not text.replace("\ufffd", "").isascii():
            return False
    return True


@lru_cache(maxsize=64)
def _lone_byte_invalid(encoding: str) -> bool:
    """No non-ASCII byte of stateless `encoding` is a character alone or with an ASCII byte after it
    (EUC): a byte standing alone between ASCII bytes is an error wherever it occurs. Stateful
    encodings (ISO-2022, HZ, UTF-7) are 7-bit and judged apart (_seven_bit). What
    config/rules/decode_pages.toml lists as `lone_byte_bad` (a test holds the two together)."""
    if _seven_bit(encoding) or _page_kind(encoding) != _MULTI:
        return False
    # Every non-ASCII byte followed by every ASCII byte, in one decoding: all bad, each ASCII byte kept.
    # Followed by a letter first: Big5, Shift_JIS, GBK and UHC take those as trail bytes.
    letter = b"".join(bytes((byte,)) + b"a" for byte in range(128, 256))
    if letter.decode(encoding, errors="replace") != "\ufffda" * 128:
        return False
    pairs, expected = _lone_pairs()
    return pairs.decode(encoding, errors="replace") == expected


@cache
def _lone_pairs() -> tuple[bytes, str]:
    """Each non-ASCII byte followed by each ASCII byte, and what a codec that reads none of them makes
    of that."""
    asciis = bytes(ascii for ascii in range(128) for _ in range(128))
    pairs = bytearray(2 * len(asciis))
    pairs[0::2], pairs[1::2] = bytes(range(128, 256)) * 128, asciis
    return bytes(pairs), "\ufffd" + "\ufffd".join(asciis.decode("ascii"))


# What a control character costs in a full reading (see _char_info).
_CONTROL_COST = 8.0


@lru_cache(maxsize=64)
def _not_controls(encoding: str) -> bytes | None:
    """The bytes `encoding` does not read as a control character: deleting them leaves the controls,
    each of which costs _CONTROL_COST in a full reading (NEL aside, which EBCDIC ends lines with).
    None for an encoding that does not read one character per byte."""
    if not _charmap(encoding):
        return None
    keep = bytearray()
    chars = bytes(range(256)).decode(encoding, errors="replace")
    for byte, ch in enumerate(chars):
        if ch == "\x85":
            keep.append(byte)
        elif ch < "\x80":
            if not ((ch < " " and ch not in "\t\n\r") or ch == "\x7f"):
                keep.append(byte)
        elif _char_info(ch)[0] < _CONTROL_COST:
            keep.append(byte)
    return bytes(keep)


@lru_cache(maxsize=8)
def _not_controls_in_any(encodings: tuple[str, ...]) -> bytes:
    """The bytes that some page of `encodings` judged on every character does not read as a control."""
    keep: set[int] = set()
    for encoding in encodings:
        not_controls = _not_controls(encoding) if _page_kind(encoding) == _FULL else None
        if not_controls is not None:
            keep.update(not_controls)
    return bytes(sorted(keep)) if keep else bytes(range(256))


def _count_high(data: bytes) -> int:
    return len(data.translate(None, _ASCII_BYTES))


@lru_cache(maxsize=256)
def _single_byte(encoding: str) -> bool:
    """An ASCII-compatible code page with one character per byte."""
    try:
        return bytes(range(128)).decode(encoding) == "".join(map(chr, range(128))) and (
            len(bytes(range(128, 256)).decode(encoding, errors="replace")) == 128
        )
    except (LookupError, UnicodeDecodeError):
        return False


def _lenient_decode(data: bytes, encoding: str, tolerated: int, probe: int = _DECODE_PROBE) -> str | None:
    """The text, allowing a few undecodable bytes (a multi-byte character cut at the end of a file).

    A wrong multi-byte codec fails all over a text: the first `probe` bytes are read first, and the
    rest only when they leave the count of bad bytes within `tolerated`.
    """
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    head = decoder.decode(data[:probe])
    if head.count("\ufffd") > tolerated:
        return None
    text = head + decoder.decode(data[probe:], final=True)
    return text if text.count("\ufffd") <= tolerated else None


def _safe_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
