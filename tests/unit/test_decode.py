"""archiver.pipeline.decode: bytes to text, per encoding family, mojibake, binary and empty files."""

from __future__ import annotations

import codecs
import gzip
import importlib
import io
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
