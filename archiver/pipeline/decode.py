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

UTF-8 with a few broken sequences stays UTF-8 (U+FFFD in place of the bad bytes). Mojibake (UTF-8
read as a single-byte code page and saved again, up to three times) is undone by re-encoding the
whole text when that reads as strict UTF-8, else by ftfy's encoding fixer alone (no quote
uncurling); both only behind a cheap gate.
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

_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_DECLARATION = re.compile(rb"(?i)charset|encoding(?=\s*=)")
_LANGUAGE_HINT = re.compile(
    rb"(?i)(?:<(?:dc:)?language>|\blang\s*=\s*[\"']?|content-language[\"']?\s+content\s*=\s*[\"']?)\s*([a-z]{2,3})(?![a-z])"
)
# Whitespace and characters that show nothing: a text of only these is empty.
_BLANK = re.compile("[\\s\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2060-\u2064\ufeff]*")
_LONE_LETTER = re.compile(r"(?<![^\W\d_])[^\W\d_\x00-\x7f](?![^\W\d_])")
_ASCII_LETTER = re.compile(rb"[A-Za-z]")
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


def repair_mojibake(text: str) -> tuple[str, bool]:
    """Undo UTF-8 that was decoded as a single-byte code page and saved again; nothing else changes."""
    if not _looks_mojibake(text):
        return text, False
    fixed = _undo_whole(text)
    if fixed is None:
        import ftfy

        fixed = ftfy.fix_encoding(text)
    return fixed, fixed != text


def _looks_mojibake(text: str) -> bool:
    """A lead/continuation pair that, read back through one of the pages, is a letter or common
    punctuation: "Ã©" is "é", while Ukrainian "Ві" would give "³" and is left alone."""
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
    text, repaired = repair_mojibake(text)
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
    import chardet

    results = chardet.detect_all(_evidence(data), prefer_superset=False, compat_names=False)
    if not results or not results[0].get("encoding"):
        guess = _bomless_utf16(data)
        if guess is None:
            raise NotText("not text: no text encoding fits these bytes")
        return guess
    encoding, confidence, text = _rerank(data, results)
    if encoding.startswith(("utf-16", "utf-32")):
        # chardet reads any byte soup with a NUL as UTF-16; text does not come out as noise.
        sample = text[:2048]
        if _plausibility_cost(sample, True) > _BINARY_COST * len(sample):
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


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken sequences (a truncated copy, one pasted latin-1 word): keep it UTF-8."""
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
    latin: dict[str, int] = {}
    cyrillic: dict[str, int] = {}
    for ch in text:
        if ch > "\x7f" and ch.isalpha():
            low = ch.lower()
            if len(low) != 1:
                continue  # "İ" lowers to "i" and a combining dot: Turkish, fits
            code = ord(low)
            if code < 0x250 or 0x1E00 <= code < 0x1F00:
                latin[low] = latin.get(low, 0) + 1
            elif 0x400 <= code < 0x530:
                cyrillic[low] = cyrillic.get(low, 0) + 1
    misfits = 0
    if latin or cyrillic:
        alone = _alone_letters()
        for match in _LONE_LETTER.finditer(text):
            letter = match.group().lower()
            if letter not in alone and (letter in latin or letter in cyrillic):
                misfits += 1  # "prise ŕ l'unanimité": no language writes "ŕ" as a word
    alphabets = _alphabets()
    for script, counts in (("latin", latin), ("cyrillic", cyrillic)):
        if counts and alphabets.get(script) and not any(counts.keys() <= alphabet for alphabet in alphabets[script]):
            total, letters = sum(counts.values()), counts.keys()
            misfits += total - max(
                sum(counts[letter] for letter in letters & alphabet) for alphabet in alphabets[script]
            )
    return misfits


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
    match = _LANGUAGE_HINT.search(data, 0, 4096)
    if match is None:
        return frozenset()
    return _LANGUAGE_SCRIPTS.get(match.group(1).lower().decode("ascii"), frozenset())


def _script_misfits(text: str, scripts: frozenset[int]) -> int:
    """Non-ASCII letters outside the scripts of the declared language."""
    misfits = 0
    for ch in text:
        if ch > "\x7f":
            _, script, kind = _char_info(ch)
            if kind in (1, 2, 3) and script not in scripts:
                misfits += 1
    return misfits


def _decoded_cost(text: str, high: int | None = None) -> float:
    """Mean cost per non-ASCII character (or per `high` byte): each run scored with one character
    of context either side."""
    runs = [text[max(0, m.start() - 1) : m.end() + 1] for m in _DECODED_RUN.finditer(text)]
    if high is None:
        high = sum(len(run) for run in runs)
    return _plausibility_cost("\n".join(runs), False) / max(1, high)


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
        if _DECLARATION.search(data[:4096]):
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
    # Single-byte code pages are judged on the distinct runs of non-ASCII bytes (with one byte of
    # context each side) rather than the whole sample: the same verdict, a fraction of the work.
    spans = [m.span() for m in _HIGH_RUN.finditer(sample)]
    runs = b"\n".join(dict.fromkeys(sample[max(0, start - 1) : end + 1] for start, end in spans))
    runs_high = max(1, _count_high(runs))
    lone = b"".join(sample[start:end] for start, end in spans if _lone_between_words(sample, start, end))
    scripts = _declared_scripts(sample)
    for enc, conf in candidates:
        prior = _CONFIDENCE_WEIGHT * math.log(top_conf / conf)
        if best is not None and prior >= best[0]:
            break  # no cost is negative: nothing further down can win
        name = _norm_name(enc)
        full = high == 0 or bool(_NOT_ASCII_COMPATIBLE.match(name))
        single = not full and _single_byte(name)
        piece = runs if single else sample
        text = _lenient_decode(piece, enc, tolerated)
        if text is None or text in texts:
            continue
        texts.add(text)
        superset = _SUPERSETS.get(name) or _SUPERSETS.get(enc)
        if superset and _C1.search(text):
            alt = _lenient_decode(piece, superset, tolerated)
            if alt is not None:
                enc, text = superset, alt
        if full:
            cost = _plausibility_cost(text, True) / max(1, len(sample))
        elif single:
            limit = (best[0] - prior) * runs_high if best is not None else math.inf
            cost = _plausibility_cost(text, False, limit) / runs_high
            if best is None or cost + prior < best[0]:  # misfits only add: count them when they matter
                misfits = _alphabet_misfits(text) + _foreign_between_latin(lone, enc)
                cost += misfits * _MISFIT_COST / runs_high
                if scripts:
                    cost += _script_misfits(text, scripts) * _MISFIT_COST / runs_high
        else:
            cost = _decoded_cost(text, high)
            if scripts:
                cost += _script_misfits(text, scripts) * _MISFIT_COST / max(1, high)
        score = cost + prior
        if best is None or score < best[0]:
            best = (score, enc, conf)
    enc, conf = (best[1], best[2]) if best is not None else (first, top_conf)
    try:
        return enc, conf, data.decode(enc, errors="replace")
    except LookupError:
        return "utf-8", 0.0, data.decode("utf-8", errors="replace")


def _count_high(data: bytes) -> int:
    return len(data.translate(None, _ASCII_BYTES))


def _lone_between_words(sample: bytes, start: int, end: int) -> bool:
    """One non-ASCII byte standing alone between two ASCII words ("a \x96 b"): a dash or a bullet."""
    return (
        end - start == 1
        and start >= 2
        and sample[start - 1 : start] == b" "
        and sample[end : end + 1] == b" "
        and _ASCII_LETTER.fullmatch(sample[start - 2 : start - 1]) is not None
        and _ASCII_LETTER.fullmatch(sample[end + 1 : end + 2]) is not None
    )


@lru_cache(maxsize=256)
def _single_byte(encoding: str) -> bool:
    """An ASCII-compatible code page with one character per byte."""
    try:
        return bytes(range(128)).decode(encoding) == "".join(map(chr, range(128))) and (
            len(bytes(range(128, 256)).decode(encoding, errors="replace")) == 128
        )
    except (LookupError, UnicodeDecodeError):
        return False


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
