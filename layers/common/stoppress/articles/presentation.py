"""What a notification shows besides its words: the article's language and lead image,
and an editor's own update line.

A page says these in many ways and some of them are wrong (a ``lang`` of
``"{{locale}}"``, an ``og:image`` that is a 1x1 ad pixel on another host);
what is not clearly right is left out rather than refused, since a story
without an image is still news. Only an editor's explicit value in front
matter or a header line is refused when it cannot be used, with a reason.
"""

import ipaddress
import re
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urljoin, urlsplit

from stoppress.articles.draft import shown
from stoppress.articles.screen import screen_text
from stoppress.core.errors import ArticleParseError

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

MAX_UPDATE_NOTE_CHARS: Final = 300
MAX_IMAGE_URL_CHARS: Final = 1_000
_MIN_PICTURE_PIXELS: Final = 100
# BCP 47, loosely: a 2-3 letter language, then subtags ("de", "pt-BR", "zh-Hant-TW").
_LANG: Final = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}$")
# Hosts that serve ads and tracking pixels, not pictures of the news.
_AD_HOSTS: Final = (
    "doubleclick.net",
    "googlesyndication.com",
    "googleadservices.com",
    "google-analytics.com",
    "googletagmanager.com",
    "adnxs.com",
    "scorecardresearch.com",
    "quantserve.com",
    "taboola.com",
    "outbrain.com",
    "criteo.com",
    "amazon-adsystem.com",
    "moatads.com",
    "chartbeat.net",
    "facebook.com",
    "pixel.wp.com",
    "bat.bing.com",
)
_AD_PATH: Final = re.compile(
    r"(?:^|/)(?:pixel|beacon|spacer|blank|1x1|transparent|tr)(?:\.(?:gif|png)|/|$)"
)
# A site's logo, icons and avatars: the notification has the site's icon already.
_NOT_NEWS_PICTURE: Final = re.compile(
    r"(?:^|[/_.-])(?:logos?|icons?|favicon|avatars?|sprites?|badges?|placeholder|default)"
    r"(?:[/_.-]|$)"
)


def clean_lang(value: object) -> str | None:
    """A language tag as a notification's ``lang`` takes it, or None."""
    if not isinstance(value, str):
        return None
    text = value.strip().replace("_", "-")
    return text if _LANG.match(text) else None


def clean_image_url(value: object, *, base: str | None = None) -> str | None:
    """An absolute https URL of a picture, or None (ad and tracking hosts excluded)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if base and not text.startswith(("https:", "http:", "//")):
        text = urljoin(base, text)
    elif text.startswith("//"):
        text = "https:" + text
    if not text or len(text) > MAX_IMAGE_URL_CHARS or not text.isprintable() or " " in text:
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or parts.username or parts.password or port not in (None, 443):
        return None
    if "." not in host or _is_ip(host):
        return None
    if any(host == ad or host.endswith("." + ad) for ad in _AD_HOSTS):
        return None
    path = parts.path.lower()
    if _AD_PATH.search(path) or _NOT_NEWS_PICTURE.search(path.rsplit("/", 1)[-1]):
        return None
    return text


def update_note(value: object, where: str) -> str | None:
    """An editor's update line, screened; refused with a reason when it cannot be one."""
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ArticleParseError(f"{where}: the update line must be text, not {shown(value)}")
    text = screen_text(str(value))
    if len(text) > MAX_UPDATE_NOTE_CHARS:
        raise ArticleParseError(
            f"{where}: the update line is {len(text)} characters; "
            f"at most {MAX_UPDATE_NOTE_CHARS} fit a notification"
        )
    return text or None


def page_lang(tree: "LexborHTMLParser") -> str | None:
    """The page's language: ``<html lang>``, else ``og:locale``."""
    root = tree.css_first("html")
    if root is not None:
        lang = clean_lang(root.attributes.get("lang"))
        if lang:
            return lang
    for node in tree.css("meta"):
        if node.attributes.get("property") == "og:locale":
            return clean_lang(node.attributes.get("content"))
    return None


def page_image(
    tree: "LexborHTMLParser", story: "LexborNode | None", linked_data: dict[str, Any]
) -> str | None:
    """The story's lead image: ``og:image``, ``twitter:image``, JSON-LD, or its first figure."""
    base = _base_url(tree)
    for node in tree.css("meta"):
        attributes = node.attributes
        name = attributes.get("property") or attributes.get("name")
        if name in ("og:image", "og:image:secure_url", "og:image:url", "twitter:image"):
            image = clean_image_url(attributes.get("content"), base=base)
            if image:
                return image
    image = clean_image_url(_linked_image(linked_data.get("image")), base=base)
    if image:
        return image
    if story is not None:
        for img in story.css("figure img, img"):
            attributes = img.attributes
            if _small(attributes.get("width")) or _small(attributes.get("height")):
                continue  # a pixel, an icon or a thumbnail
            image = clean_image_url(attributes.get("src"), base=base)
            if image:
                return image
    return None


def _small(size: str | None) -> bool:
    return size is not None and size.isdigit() and int(size) < _MIN_PICTURE_PIXELS


def _linked_image(value: object) -> object:
    # JSON-LD gives a URL, an ImageObject, or a list of either.
    if isinstance(value, list):
        return _linked_image(value[0]) if value else None
    if isinstance(value, dict):
        return value.get("url") or value.get("contentUrl")
    return value


def _base_url(tree: "LexborHTMLParser") -> str | None:
    for selector, attribute in (('link[rel="canonical"]', "href"), ("base", "href")):
        node = tree.css_first(selector)
        if node is not None:
            href = node.attributes.get(attribute) or ""
            if href.startswith("https://"):
                return href
    for node in tree.css("meta"):
        if node.attributes.get("property") == "og:url":
            url = node.attributes.get("content") or ""
            if url.startswith("https://"):
                return url
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
