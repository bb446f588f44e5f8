"""Encodings and line ends: the same story in any of them is the same article."""

import codecs
from pathlib import Path

import pytest

from stoppress.articles.decoding import decode_article_bytes
from stoppress.articles.parse import MAX_ARTICLE_BYTES, parse_article
from stoppress.core.errors import ArticleParseError

SAMPLE = Path(__file__).resolve().parents[2] / "samplecontent" / "nato-resumes-contacts.txt"
KEY = "articles/nato-resumes-contacts.txt"

# A story with characters that differ between encodings: smart quotes, an
# em dash, an accent, a euro sign (0x80 in Windows-1252).
SMART = (
    "Café owners brace for “tourist tax”\r\n"
    "\r\n"
    "LISBON — Owners of cafés in Lisbon’s old town said the €2 nightly levy "
    "would “drive visitors to Porto.”\r\n"
    "\r\n"
    "The council votes on Thursday.\r\n"
)


@pytest.fixture(scope="module")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def reference(sample_text: str) -> tuple[str, str, str, str]:
    article = parse_article(sample_text.encode("utf-8"), key=KEY)
    return article.headline, article.summary, article.body, article.content_hash


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), id="utf-8-bom"),
        pytest.param(lambda t: t.encode("utf-16"), id="utf-16-native-bom"),
        pytest.param(lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(lambda t: t.encode("cp1252"), id="windows-1252"),
        pytest.param(lambda t: t.replace("\n", "\r\n").encode("utf-8"), id="crlf"),
        pytest.param(lambda t: t.replace("\n", "\r").encode("utf-8"), id="old-mac-cr"),
        pytest.param(
            lambda t: codecs.BOM_UTF16_LE + t.replace("\n", "\r\n").encode("utf-16-le"),
            id="utf-16-le-crlf",
        ),
        pytest.param(
            lambda t: t.replace("\n\n", "\n   \n\n").replace(" ", "  ").encode(),
            id="extra-whitespace",
        ),
    ],
)
def test_sample_in_every_encoding_is_the_same_article(
    encode, sample_text: str, reference: tuple[str, str, str, str]
) -> None:
    article = parse_article(encode(sample_text), key=KEY)

    assert (article.headline, article.summary, article.body, article.content_hash) == reference
    assert article.dateline == "BRUSSELS"
    assert article.headline == "NATO Will Resume Top-Level Contacts"


def test_windows_1252_smart_quotes_come_out_right() -> None:
    data = SMART.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the point: this is not UTF-8

    article = parse_article(data, key="articles/lisbon.txt")

    assert article.headline == "Café owners brace for “tourist tax”"
    assert article.dateline == "LISBON"
    assert article.summary == (
        "Owners of cafés in Lisbon’s old town said the €2 nightly levy would “drive visitors "
        "to Porto.”"
    )
    utf8 = parse_article(SMART.encode("utf-8"), key="articles/lisbon.txt")
    assert article.content_hash == utf8.content_hash


def test_decomposed_accents_hash_like_composed_ones() -> None:
    composed = "Café reopens\n\nThe café on Rua Augusta reopened.\n"
    decomposed = composed.replace("é", "e\u0301")
    a = parse_article(composed.encode(), key="articles/cafe.txt")
    b = parse_article(decomposed.encode(), key="articles/cafe.txt")
    assert a.headline == b.headline == "Café reopens"
    assert a.content_hash == b.content_hash


def test_html_declared_charset_is_honoured_when_not_utf8() -> None:
    page = (
        '<html><head><meta charset="iso-8859-7"></head><body><article>'
        "<h1>Αθήνα: νέο μετρό</h1><p>ΑΘΗΝΑ -- Η νέα γραμμή ανοίγει σήμερα.</p>"
        "</article></body></html>"
    )
    article = parse_article(page.encode("iso-8859-7"), key="articles/athens.html")
    assert article.headline == "Αθήνα: νέο μετρό"
    assert article.dateline == "ΑΘΗΝΑ"
    assert article.summary == "Η νέα γραμμή ανοίγει σήμερα."


def test_line_ends_become_newlines() -> None:
    assert decode_article_bytes(b"a\r\nb\rc\nd") == "a\nb\nc\nd"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "NUL bytes"),
        (b"%PDF-1.7\n" + bytes(range(1, 9)) * 20 + b"\nHeadline\n\nBody", "control characters"),
        (codecs.BOM_UTF32_LE + "Headline".encode("utf-32-le"), "UTF-32"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "UTF-16"),  # a lone surrogate
        (codecs.BOM_UTF8 + b"Headline\n\n\xff\xfe body", "UTF-8"),
        (b"Headline\n\nBody \x81\x8d\x8f\x90 here", "neither UTF-8 nor Windows-1252"),
        ("Headline\n\nBody".encode("utf-16-le"), "NUL bytes"),  # UTF-16 without a BOM
    ],
)
def test_binary_and_undecodable_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ArticleParseError, match=reason):
        parse_article(data, key="articles/upload.txt")


def test_a_stray_control_character_does_not_reject_a_story() -> None:
    data = b"Headline\n\nA paragraph with a stray \x0b vertical tab from a paste.\n"
    article = parse_article(data, key="articles/x.txt")
    assert article.summary == "A paragraph with a stray vertical tab from a paste."


def test_size_limit_is_checked_before_decoding() -> None:
    data = b"Headline\n\n" + b"word " * (MAX_ARTICLE_BYTES // 5 + 1)
    with pytest.raises(ArticleParseError, match=r"articles are limited to 2,097,152 bytes"):
        parse_article(data, key="articles/huge.txt")


def test_just_under_the_size_limit_parses() -> None:
    data = b"Headline\n\n" + b"word " * ((MAX_ARTICLE_BYTES - 20) // 5)
    assert len(data) <= MAX_ARTICLE_BYTES
    article = parse_article(data, key="articles/long.txt")
    assert article.summary.endswith("word…")
    assert len(article.summary) <= 200
