"""archiver.pipeline.decode: bytes to text, per encoding family, mojibake, binary and empty files."""

from __future__ import annotations

import codecs
import gzip
import importlib
import io
import math
import sqlite3
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.errors import NotText
from archiver.pipeline.identity import content_hash
from archiver.pipeline.normalize import normalize_text

# archiver.pipeline re-exports the function under the module's own name: fetch the module itself.
decode_module = importlib.import_module("archiver.pipeline.decode")
decode = decode_module.decode

TEXTS = {
    "en": "The committee approved the budget after months of talks; the café’s naïve owner said it was "
    "“a relief” — at last.",
    "fr": "Le conseil municipal a approuvé le budget après des mois de négociations. « C’est une étape "
    "décisive », a déclaré le maire, très ému, à la sortie de la séance.",
    "fr-latin1": "Le conseil municipal a approuvé le budget après des mois de négociations. « C'est une "
    "étape décisive », a déclaré le maire, très ému, à la sortie de la séance.",
    "de": "Die Regierung kündigte am Dienstag überraschend eine Reform des Gesundheitswesens an. Außerdem sollen die "
    "Gebühren für Krankenhäuser sinken.",
    "es": "El ayuntamiento aprobó el presupuesto después de meses de negociación. ¿Qué opinan los vecinos? «Es un paso "
    "histórico», dijo la alcaldesa.",
    "pl": "Rząd ogłosił we wtorek nową reformę systemu opieki zdrowotnej. Według ministra zmiany wejdą w życie już w "
    "przyszłym roku, a koszty będą niższe.",
    "cs": "Vláda v úterý překvapivě oznámila reformu zdravotnictví. Podle ministra začnou změny platit už příští rok a "
    "poplatky v nemocnicích se sníží.",
    "ru": "Правительство во вторник неожиданно объявило о реформе здравоохранения. По словам министра, изменения "
    "вступят в силу уже в следующем году.",
    "uk": "Уряд у вівторок несподівано оголосив про реформу охорони здоров'я. За словами міністра, зміни набудуть "
    "чинності вже наступного року.",
    "el": "Η κυβέρνηση ανακοίνωσε την Τρίτη μια μεταρρύθμιση του συστήματος υγείας. Σύμφωνα με τον υπουργό, οι αλλαγές "
    "θα ισχύσουν από τον επόμενο χρόνο.",
    "he": "הממשלה הודיעה ביום שלישי על רפורמה במערכת הבריאות. לדברי השר, השינויים ייכנסו לתוקף כבר בשנה הבאה.",
    "tr": "Hükümet salı günü sağlık sisteminde bir reform yapılacağını açıkladı. Bakana göre değişiklikler gelecek yıl "
    "yürürlüğe girecek.",
    "ja": "政府は火曜日、医療制度の改革を発表した。大臣によると、変更は来年から施行される予定だという。",
    "zh": "政府星期二宣布了医疗制度改革。据部长说，这些变化将从明年开始生效，医院的费用也会降低。",
    "zh-hant": "政府星期二宣佈了醫療制度改革。據部長說，這些變化將從明年開始生效，醫院的費用也會降低。",
    "ko": "정부는 화요일 의료 제도 개혁을 발표했다. 장관에 따르면 변경 사항은 내년부터 시행될 예정이다.",
}

FAMILIES = [
    ("en", "cp1252"),
    ("fr", "cp1252"),
    ("fr-latin1", "latin-1"),
    ("de", "cp1252"),
    ("de", "latin-1"),
    ("de", "mac-roman"),
    ("de", "cp850"),
    ("es", "cp1252"),
    ("pl", "cp1250"),
    ("pl", "iso8859-2"),
    ("cs", "cp1250"),
    ("ru", "cp1251"),
    ("ru", "koi8-r"),
    ("ru", "iso8859-5"),
    ("ru", "cp866"),
    ("ru", "mac-cyrillic"),
    ("uk", "cp1251"),
    ("uk", "koi8-u"),
    ("el", "cp1253"),
    ("el", "iso8859-7"),
    ("he", "cp1255"),
    ("he", "iso8859-8"),
    ("tr", "cp1254"),
    ("ja", "shift_jis"),
    ("ja", "euc_jp"),
    ("ja", "iso2022_jp"),
    ("zh", "gbk"),
    ("zh", "gb18030"),
    ("zh-hant", "big5"),
    ("ko", "euc_kr"),
    ("fr-latin1", "cp500"),
]


@pytest.mark.parametrize(("lang", "encoding"), FAMILIES)
def test_legacy_encodings_decode_to_the_original_text(lang: str, encoding: str) -> None:
    text = TEXTS[lang]
    decoded = decode(text.encode(encoding))
    assert decoded.text == text
    assert not decoded.mojibake_repaired


@pytest.mark.parametrize("lang", sorted(TEXTS))
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_unicode_encodings_with_and_without_bom(lang: str, encoding: str) -> None:
    text = TEXTS[lang]
    decoded = decode(text.encode(encoding))
    assert decoded.text == text


def test_utf8_fast_path_reports_utf8_with_full_confidence() -> None:
    decoded = decode(TEXTS["fr"].encode("utf-8"))
    assert (decoded.encoding, decoded.confidence) == ("utf-8", 1.0)


def test_bomless_utf16_is_not_taken_for_utf8_or_binary() -> None:
    for text in (TEXTS["en"], TEXTS["ja"]):
        for encoding in ("utf-16-le", "utf-16-be"):
            decoded = decode(text.encode(encoding))
            assert decoded.text == text
            assert decoded.encoding.startswith("utf-16")


def test_clean_text_is_left_alone() -> None:
    text = "“Curly quotes”, ‘single ones’, an em dash — an en dash – and a naïve café, déjà vu… 5 €."
    for encoding in ("utf-8", "cp1252"):
        decoded = decode(text.encode(encoding))
        assert decoded.text == text
        assert not decoded.mojibake_repaired


@pytest.mark.parametrize("page", ["cp1252", "latin-1", "cp1251"])
def test_mojibake_is_repaired(page: str) -> None:
    text = TEXTS["ru"] if page == "cp1251" else TEXTS["fr"] if page == "cp1252" else TEXTS["fr-latin1"]
    garbled = text.encode("utf-8").decode(page, errors="ignore" if page != "latin-1" else "strict")
    if garbled.encode(page, errors="ignore").decode("utf-8", errors="ignore") != text:
        pytest.skip(f"{page} drops bytes of this text")
    decoded = decode(garbled.encode("utf-8"))
    assert decoded.text == text
    assert decoded.mojibake_repaired


def test_double_encoded_mojibake_is_repaired() -> None:
    text = TEXTS["de"]
    once = text.encode("utf-8").decode("cp1252").encode("utf-8")
    twice = once.decode("cp1252").encode("utf-8")
    for data in (once, twice):
        decoded = decode(data)
        assert decoded.text == text
        assert decoded.mojibake_repaired


def test_partial_mojibake_is_repaired_and_the_rest_kept() -> None:
    data = "Prix : 5 € — le café est “bon”. Ã€ bientôt.".encode()
    decoded = decode(data)
    assert decoded.text == "Prix : 5 € — le café est “bon”. À bientôt."


def test_invalid_utf8_inside_utf8_keeps_both_sides() -> None:
    data = "Grüße aus Köln, ".encode() + b"\xff\xc3(" + " und ein schöner Café-Besuch.".encode()
    decoded = decode(data)
    assert decoded.encoding == "utf-8"
    assert decoded.text.startswith("Grüße aus Köln, ")
    assert decoded.text.endswith(" und ein schöner Café-Besuch.")
    assert "\ufffd" in decoded.text


def test_declared_charset_is_checked_against_the_bytes() -> None:
    html = (
        '<html><head><meta charset="iso-8859-1"><title>Новости</title></head><body><p>'
        + TEXTS["ru"]
        + "</p></body></html>"
    )
    assert decode(html.encode("cp1251")).text == html
    right = html.replace("iso-8859-1", "windows-1251")
    assert decode(right.encode("cp1251")).text == right


def test_c1_controls_send_a_decoder_to_its_vendor_superset() -> None:
    text = "ผลการศึกษาแหล่งแพร่ “แคดเมียม” ในเหมืองสังกะสี " * 20
    decoded = decode(text.encode("cp874"))
    assert decoded.text == text


@pytest.mark.parametrize(
    "text",
    [
        "La décision a été prise à l'unanimité, selon les employés interrogés.",  # "à", not Slovak "ŕ"
        "Ele foi à praia e é feliz.",  # not Hebrew letters between Portuguese words
        "Il caffè è buono e la città è bella.",  # chardet offers only Cyrillic pages for this one
    ],
)
def test_short_western_sentences_in_cp1252(text: str) -> None:
    for data in (text.encode("cp1252"), text.replace(" ", "\r\n", 1).encode("cp1252")):
        assert decode(data).text == data.decode("cp1252")


def test_declared_language_settles_a_short_title() -> None:
    # A few capitals of Greek read equally well as small Cyrillic letters in KOI8-R; <language> says which.
    feed = '<rss version="2.0"><channel><language>el</language><title>ΕΙΔΗΣΕΙΣ ΑΠΟ ΤΗΝ ΑΘΗΝΑ</title>'
    assert decode(feed.encode("iso8859-7")).text == feed


@pytest.mark.parametrize(
    ("encoding", "title"),
    [
        ("shift_jis", "アメリカで頑張りましょう"),
        ("euc_jp", "東京の天気予報"),
        ("euc_kr", "오늘의 뉴스 모음"),
        ("big5", "台北今日天氣晴朗"),
        ("gb18030", "下午茶时间"),
    ],
)
def test_short_cjk_title_in_ascii_markup(encoding: str, title: str) -> None:
    feed = f"<title>{title}</title>\n<link>http://example.org/blog/</link>\n"
    assert decode(feed.encode(encoding)).text == feed


def test_ebcdic_text_made_only_of_ascii_range_bytes() -> None:
    # cp424 Hebrew letters and the EBCDIC space (0x40, "@") all fall in the ASCII range.
    text = "שלום לכולם וברוכים הבאים לאתר החדשות שלנו היום"
    data = text.encode("cp424")
    assert data.isascii()
    assert decode(data).text == text


def test_plain_ascii_with_at_signs_stays_ascii() -> None:
    text = "alice@example.org\nbob@example.org\ncarol@example.org\n"
    assert decode(text.encode()).text == text


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document>" + "text " * 200 + "</w:document>")
    return buffer.getvalue()


def _sqlite(tmp_path: Path) -> bytes:
    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
        db.executemany("INSERT INTO notes VALUES (?)", [("plain text inside a database",)] * 50)
    return path.read_bytes()


def _elf() -> bytes:
    header = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<HHI", 2, 0x3E, 1) + b"\x00" * 40
    return header + bytes(range(256)) * 8


@pytest.mark.parametrize("kind", ["png", "pdf", "zip", "gzip", "elf", "sqlite", "random"])
def test_binary_files_are_refused(kind: str, tmp_path: Path) -> None:
    import random

    data = {
        "png": _png,
        "pdf": lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)),
        "zip": _zip,
        "gzip": lambda: gzip.compress(TEXTS["en"].encode() * 20),
        "elf": _elf,
        "sqlite": lambda: _sqlite(tmp_path),
        "random": lambda: random.Random(7).randbytes(4096),
    }[kind]()
    with pytest.raises(NotText) as caught:
        decode(data)
    assert caught.value.code == "binary"


def test_random_bytes_with_nuls_are_not_taken_for_utf16() -> None:
    import random

    rng = random.Random(11)
    for size in (64, 256, 1000, 4096):
        for _ in range(20):
            with pytest.raises(NotText):
                decode(rng.randbytes(size))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   ",
        b" \n\t\r\n  ",
        codecs.BOM_UTF8,
        codecs.BOM_UTF8 + b"  \n",
        "  \n ".encode("utf-16"),
        "\u00a0\u200b\n".encode(),
    ],
)
def test_empty_and_whitespace_files_are_refused_as_empty(data: bytes) -> None:
    with pytest.raises(NotText) as caught:
        decode(data)
    assert caught.value.code == "empty"


def test_text_starting_like_a_weak_signature_is_still_text() -> None:
    for text in ("MZ is the name of our band. " * 5, "ID3 tags explained: title, artist and album. " * 3):
        assert decode(text.encode()).text == text


ARTICLE = (
    "Le conseil municipal a approuvé le budget après des mois de négociations.\n"
    "\n"
    "« C'est une étape décisive », a déclaré le maire, très ému, à la sortie de la séance.\n"
    "Die Gebühren für Krankenhäuser sinken; außerdem öffnet das Museum früher.\n"
)


def _variants(text: str) -> list[bytes]:
    crlf = text.replace("\n", "\r\n")
    trailing = "\n".join(line + "  \t" for line in text.split("\n")) + "\n\n"
    out = []
    for body in (text, crlf, trailing):
        for encoding in ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"):
            out.append(body.encode(encoding))
    return out


def test_one_article_in_every_encoding_has_one_content_hash() -> None:
    hashes = {content_hash(normalize_text(decode(data).text)) for data in _variants(ARTICLE)}
    assert hashes == {content_hash(normalize_text(ARTICLE))}


def _words(text: str) -> list[str]:
    return text.split()


VOCABULARY = {
    "fr": _words(
        "le la les des un une après budget négociations étape décisive maire très ému séance conseil élève garçon "
        "naïve déjà réunion été prévu à où ça français économie hôpital région année"
    ),
    "de": _words(
        "der die das und Gebühren Krankenhäuser sinken außerdem öffnet Museum früher Ölpreis Straße Zürich für "
        "über Bürger Regierung Schüler Größe müssen Universität Brücke Gespräch"
    ),
    "es": _words(
        "el la los las año niño señal corazón después presupuesto también qué según España región económica "
        "mañana pequeño reunión alcaldesa información"
    ),
}
SEPARATORS = [" ", " ", " ", " ", "  ", "\n", "\r\n", " \n\n", "\t", "\n\n\n", ", ", ". "]


@st.composite
def articles(draw: st.DrawFn) -> str:
    """Text in one language (as files are), with any mix of line ends, tabs and trailing spaces."""
    words = VOCABULARY[draw(st.sampled_from(sorted(VOCABULARY)))]
    count = draw(st.integers(min_value=40, max_value=120))
    chosen = draw(st.lists(st.sampled_from(words), min_size=count, max_size=count))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=count, max_size=count))
    return "".join(word + sep for word, sep in zip(chosen, seps, strict=True))


@settings(max_examples=40, deadline=None)
@given(articles())
def test_same_text_in_any_encoding_gives_one_hash(text: str) -> None:
    expected = content_hash(normalize_text(text))
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1"):
        data = text.encode(encoding)
        assert content_hash(normalize_text(decode(data).text)) == expected, encoding


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn")), min_size=1, max_size=200))
def test_any_unicode_text_round_trips_through_utf8_and_utf16_with_bom(text: str) -> None:
    for encoding in ("utf-8", "utf-16", "utf-32"):
        data = text.encode(encoding)
        if not normalize_text(text):
            continue  # only spaces and invisible characters: refused as empty, by design
        try:
            decoded = decode(data)
        except NotText:
            # Text that begins with a file signature ("%PDF-", "PK\x03\x04") is refused: by design.
            assert encoding == "utf-8"
            continue
        if decoded.mojibake_repaired:
            continue  # hypothesis can write mojibake on purpose; then the repair is the point
        assert decoded.text == text.removeprefix("\ufeff") or decoded.text == text


# --- deciding without chardet: the fast path must agree with chardet and the re-ranking ------------

LONG_TEXTS = {
    "fr": "Le conseil municipal a approuvé le budget après des mois de négociations difficiles. « C’est une "
    "étape décisive », a déclaré le maire, très ému, à la sortie de la séance. Les élus de l’opposition ont "
    "dénoncé une décision précipitée ; la majorité a répondu que les travaux de l’école et de la bibliothèque "
    "ne pouvaient plus attendre. Même les élèves du lycée français étaient là : « Ça nous concerne », "
    "disait l’un d’eux. Le vote a eu lieu à main levée, après une longue journée de débats.",
    "de": "Die Regierung kündigte am Dienstag überraschend eine Reform des Gesundheitswesens an. Außerdem sollen "
    "die Gebühren für Krankenhäuser sinken, und die Länder erhalten mehr Spielraum bei der Planung. Kritiker "
    "befürchten höhere Beiträge für Versicherte; der Minister verwies auf die Einsparungen durch größere "
    "Verbünde und kürzere Wartezeiten für Patientinnen und Patienten in ländlichen Regionen.",
    "es": "El ayuntamiento aprobó el presupuesto después de meses de negociación. ¿Qué opinan los vecinos? «Es "
    "un paso histórico», dijo la alcaldesa, que prometió más inversión en educación y en las bibliotecas de "
    "los barrios. La oposición criticó la decisión y pidió una auditoría pública de las cuentas del año pasado.",
}


def _count_chardet_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import chardet

    calls: list[int] = []
    real = chardet.detect_all

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(chardet, "detect_all", counting)
    return calls


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (LONG_TEXTS["fr"], "cp1252"),
        (LONG_TEXTS["de"], "cp1252"),
        (LONG_TEXTS["es"], "latin-1"),
        (TEXTS["es"], "cp1252"),
        (TEXTS["pl"], "cp1250"),
        (TEXTS["ru"], "cp1251"),
        (TEXTS["el"], "cp1253"),
        (TEXTS["tr"], "cp1254"),
    ],
)
def test_clear_legacy_text_is_decided_without_chardet(
    text: str, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_chardet_calls(monkeypatch)
    decoded = decode(text.encode(encoding))
    assert decoded.text == text
    assert calls == []
    assert decoded.confidence == decode_module._CLEAR_CONFIDENCE


@pytest.mark.parametrize(
    "data",
    [
        "Café au lait, s’il vous plaît.".encode("cp1252"),  # too few non-ASCII bytes
        ('<meta charset="windows-1252"><p>' + LONG_TEXTS["fr"]).encode("cp1252"),  # a declared charset
        # Only "©" tells cp1252 from cp874, and the model finds a lone Thai letter as plausible: close.
        (
            "The board met on Tuesday — “a long meeting”, one member said — and approved €4.2 million for "
            "the year’s works.\n\n© 2017 Harbour Times\n"
        ).encode("cp1252"),
        TEXTS["zh"].encode("gbk"),  # no everyday page reads it plausibly
        # French read as cp1250 differs only in "à" alone as a word ("ŕ"): one misfit letter is not clear.
        "Le maire a parlé à la presse après le vote, puis il est rentré à la mairie.".encode("cp1252"),
    ],
)
def test_weak_or_close_evidence_is_left_to_chardet(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_chardet_calls(monkeypatch)
    expected = decode(data)
    assert calls
    monkeypatch.setattr(decode_module, "CLEAR_READING", False)
    assert decode(data) == expected


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(LONG_TEXTS[lang], enc) for lang in LONG_TEXTS for enc in ("cp1252", "latin-1", "iso8859-15", "mac-roman")]
    + [(TEXTS[lang], enc) for lang, enc in FAMILIES]
    + [(LONG_TEXTS["de"] + " " + TEXTS["pl"], "cp1250"), (TEXTS["ru"] * 3, "koi8-r"), (TEXTS["uk"] * 3, "cp1251")],
)
def test_clear_reading_agrees_with_chardet_and_the_reranking(
    text: str, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = text.encode(encoding, errors="ignore")
    fast = decode(data)
    monkeypatch.setattr(decode_module, "CLEAR_READING", False)
    assert fast.text == decode(data).text


def test_pages_hold_every_encoding_chardet_can_propose() -> None:
    from chardet.registry import REGISTRY

    everyday, others = decode_module._pages().everyday, decode_module._pages().others
    weighed = {codecs.lookup(name).name for name in (*everyday, *others)}
    # ASCII and UTF-8 with a BOM read like UTF-8 here; chardet proposes UTF-16/32 only for NUL bytes,
    # and a file with a NUL never reaches the fast path.
    exempt = {"ascii", "utf-8-sig", "utf-16", "utf-16-be", "utf-16-le", "utf-32", "utf-32-be", "utf-32-le"}
    missing = {name for name in REGISTRY if name not in exempt and codecs.lookup(name).name not in weighed}
    assert missing == set()
    assert set(decode_module._COMMON_PAGES) <= set(everyday)
    assert {codecs.lookup(name).name for name in decode_module._CJK_CODECS} <= weighed
    assert {codecs.lookup(name).name for name in decode_module._SUPERSETS.values()} <= weighed


HIGH_BYTES = st.binary(max_size=200).map(lambda raw: bytes(b if b % 3 else b | 0x80 for b in raw))


@settings(max_examples=300, deadline=None)
@given(HIGH_BYTES)
def test_runs_found_by_splitting_are_the_regex_runs(sample: bytes) -> None:
    import re

    spans = [match.span() for match in re.finditer(rb"[\x80-\xff]+", sample)]
    runs = decode_module._high_runs(sample, decode_module._count_high(sample))
    assert runs.runs == b"\n".join(dict.fromkeys(sample[max(0, start - 1) : end + 1] for start, end in spans))
    assert runs.singles == sum(1 for start, end in spans if end - start == 1)
    lone = re.findall(rb"(?<=[A-Za-z] )[\x80-\xff](?= [A-Za-z])", sample)
    assert runs.lone == b"".join(lone)


@settings(max_examples=200, deadline=None)
@given(HIGH_BYTES, st.sampled_from(["gb18030", "big5", "euc_kr", "shift_jis", "utf-8", "utf-7", "cp1253"]))
def test_lenient_decode_read_in_stages_is_read_at_once(data: bytes, encoding: str) -> None:
    for tolerated in (0, 2, 10):
        staged = decode_module._lenient_decode(data, encoding, tolerated, probe=7)
        whole = data.decode(encoding, errors="replace")
        # (valid bytes that read as U+FFFD themselves are text, however many: the strict reading)
        assert staged == (whole if whole.count("\ufffd") <= tolerated else None) or staged == data.decode(encoding)


def _samples() -> list[bytes]:
    texts = [*LONG_TEXTS.values(), *TEXTS.values(), ARTICLE]
    out = []
    for text in texts:
        for encoding in ("cp1252", "cp1250", "cp1251", "cp1253", "koi8-r", "gbk", "big5", "euc_kr", "shift_jis"):
            data = text.encode(encoding, errors="ignore")
            if decode_module._count_high(data) >= decode_module._CLEAR_MIN_HIGH:
                out.append(data)
    return out


@pytest.mark.parametrize("data", _samples())
def test_the_floors_the_fast_path_prunes_with_are_floors(data: bytes) -> None:
    high = decode_module._count_high(data)
    runs = decode_module._high_runs(data, high)
    clear = decode_module._Clear(runs, data, 2 + high // 100)
    everyday, others = decode_module._pages().everyday, decode_module._pages().others
    pages = decode_module._code_pages((*everyday, *others))
    clear.cheap_floors(pages)
    for encoding in (*everyday, *others):
        kind = decode_module._page_kind(encoding)
        if encoding in pages:  # the packed floors are the floors one page at a time
            costs, not_foreign = decode_module._page_floor_tables(encoding)
            glued = len(clear.glued.translate(None, not_foreign))
            assert clear.floors[encoding] == (sum(clear.high.translate(costs)) + 50 * glued) / 10
        if kind == decode_module._SINGLE:
            reading = runs.runs.decode(encoding, errors="replace")
            cost = decode_module._single_byte_cost(runs, encoding, reading, math.inf, 0.0) * runs.runs_high
            floor = clear.floor(encoding, clear.distinct.decode(encoding, errors="replace"))
            assert floor <= cost + 1e-9, encoding
        elif kind == decode_module._MULTI:
            for threshold in (0.3, 1.0, 2.0):
                if decode_module._multi_byte_loses(runs, encoding, threshold, clear.tolerated):
                    text = decode_module._lenient_decode(data, encoding, clear.tolerated)
                    assert text is None or decode_module._multi_byte_cost(runs, text) >= threshold, encoding


SEVEN_BIT = [name for name in decode_module._pages().others if decode_module._seven_bit(name)]
LONE_BYTE_INVALID = [name for name in decode_module._pages().others if decode_module._lone_byte_invalid(name)]


def test_bad_byte_shortcuts_know_their_codecs() -> None:
    assert {"utf-7", "hz", "iso2022_kr"} <= set(SEVEN_BIT)
    assert {"euc_kr", "euc_jp"} <= set(LONE_BYTE_INVALID)
    assert not {"utf-8", "gb18030", "big5", "shift_jis", "cp949"} & {*SEVEN_BIT, *LONE_BYTE_INVALID}
    # config/rules/decode_pages.toml holds the same lists, so that a process need not work them out.
    assert decode_module._pages().seven_bit == set(SEVEN_BIT)
    assert decode_module._pages().lone_byte_bad == set(LONE_BYTE_INVALID)


@settings(max_examples=100, deadline=None)
@given(HIGH_BYTES)
def test_shortcuts_on_bad_bytes_are_sound(data: bytes) -> None:
    runs = decode_module._high_runs(data, decode_module._count_high(data))
    for encoding in SEVEN_BIT:  # any non-ASCII byte is a bad byte
        assert not runs.high or data.decode(encoding, errors="replace").count("\ufffd") >= 1, encoding
    for encoding in LONE_BYTE_INVALID:  # every lone non-ASCII byte is
        assert data.decode(encoding, errors="replace").count("\ufffd") >= runs.singles, encoding


MOJIBAKE_ALPHABET = "ab .\n" + "éèàÃÂÅâ€™©¨±–—“”«»\u00a0" + "ÐÑÂ°Ð¸" + "Ві"


@settings(max_examples=300, deadline=None)
@given(st.text(MOJIBAKE_ALPHABET, max_size=40))
def test_mojibake_gate_prefilter_changes_no_verdict(text: str) -> None:
    by_regex = any(decode_module._mojibake_pair(m.group()) for m in decode_module._MOJIBAKE_GATE.finditer(text))
    assert decode_module._looks_mojibake(text) == by_regex
    assert decode_module._looks_mojibake(text, text.encode()) == by_regex
