"""Language, lead image and the editor's update line, in every format."""

import pytest

from stoppress.articles.parse import parse_article
from stoppress.articles.presentation import clean_image_url, clean_lang
from stoppress.core.errors import ArticleParseError

BODY = "BRUSSELS — NATO said on Monday it would resume top-level contacts with Russia.\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("de", "de"),
        ("pt_BR", "pt-BR"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        (" en ", "en"),
        ("{{locale}}", None),
        ("english", None),
        ("", None),
        (None, None),
    ],
)
def test_language_tags(value: object, expected: str | None) -> None:
    assert clean_lang(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://img.news.example/2026/lead.jpg", "https://img.news.example/2026/lead.jpg"),
        ("//img.news.example/lead.jpg", "https://img.news.example/lead.jpg"),
        ("http://img.news.example/lead.jpg", None),
        ("javascript:alert(1)", None),
        ("https://user:pw@img.news.example/a.jpg", None),
        ("https://192.168.0.1/a.jpg", None),
        ("https://[::1]/a.jpg", None),
        ("https://img.news.example:8443/a.jpg", None),
        ("https://ad.doubleclick.net/ddm/ad.jpg", None),
        ("https://news.example/pixel.gif", None),
        ("https://news.example/themes/site/logo.png", None),
        ("https://news.example/a b.jpg", None),
        ("https://news.example/\u202ea.jpg", None),
        ("https://news.example/" + "x" * 2000, None),
        (42, None),
    ],
)
def test_image_urls_are_absolute_https_pictures_only(value: object, expected: str | None) -> None:
    assert clean_image_url(value) == expected


def test_a_relative_image_resolves_against_the_pages_https_url() -> None:
    assert (
        clean_image_url("/media/lead.jpg", base="https://news.example/story")
        == "https://news.example/media/lead.jpg"
    )


def html_page(head: str, body: str = "", lang: str = "de") -> bytes:
    return (
        f'<!doctype html><html lang="{lang}"><head><title>Bahn baut</title>{head}</head>'
        f"<body><article><h1>Bahn baut</h1><p>{BODY * 4}</p>{body}</article></body></html>"
    ).encode()


def test_a_page_gives_its_language_image_and_update_line() -> None:
    article = parse_article(
        html_page(
            '<meta property="og:image" content="https://cdn.news.example/ice.jpg">'
            '<meta name="stoppress:update" '
            'content="Die Strecke ist &lt;b&gt;wieder&lt;/b&gt; frei.">'
        ),
        key="articles/bahn.html",
    )
    assert article.lang == "de"
    assert article.image == "https://cdn.news.example/ice.jpg"
    assert article.overrides.update_note == "Die Strecke ist wieder frei."


def test_without_og_image_the_storys_own_picture_is_taken_but_never_a_pixel() -> None:
    article = parse_article(
        html_page(
            '<link rel="canonical" href="https://news.example/bahn">',
            '<img src="/px.gif" width="1" height="1">'
            '<figure><img src="/media/ice.jpg" width="1200"></figure>',
        ),
        key="articles/bahn.html",
    )
    assert article.image == "https://news.example/media/ice.jpg"


def test_an_ad_image_in_og_image_is_left_out() -> None:
    article = parse_article(
        html_page('<meta property="og:image" content="https://tpc.googlesyndication.com/x.jpg">'),
        key="articles/bahn.html",
    )
    assert article.image is None


def test_text_header_lines() -> None:
    text = (
        "Update: Police named the suspect.\nLang: en-GB\nImage: https://img.news.example/a.jpg\n"
        "Suspect named\n" + BODY
    )
    article = parse_article(text.encode(), key="articles/suspect.txt")
    assert article.headline == "Suspect named"
    assert article.overrides.update_note == "Police named the suspect."
    assert (article.lang, article.image) == ("en-GB", "https://img.news.example/a.jpg")


def test_front_matter_keys() -> None:
    text = (
        '---\ntitle: Suspect named\nupdate_note: "Police named the suspect.\\u202e"\n'
        "lang: fr\nimage: https://img.news.example/a.jpg\n---\n" + BODY
    )
    article = parse_article(text.encode(), key="articles/suspect.md")
    assert article.overrides.update_note == "Police named the suspect."
    assert (article.lang, article.image) == ("fr", "https://img.news.example/a.jpg")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("---\ntitle: T\nupdate_note: [a, b]\n---\n" + BODY, "must be text"),
        ("---\ntitle: T\nupdate_note: " + "x" * 400 + "\n---\n" + BODY, "at most 300"),
        ("---\ntitle: T\nlang: klingon language\n---\n" + BODY, "not a language tag"),
        ("---\ntitle: T\nimage: http://img.example/a.jpg\n---\n" + BODY, "absolute https"),
        ("Image: /a.jpg\nT\n" + BODY, "absolute https"),
    ],
)
def test_an_editors_bad_value_is_refused_with_a_reason(text: str, reason: str) -> None:
    key = "articles/t.md" if text.startswith("---") else "articles/t.txt"
    with pytest.raises(ArticleParseError, match=reason):
        parse_article(text.encode(), key=key)
