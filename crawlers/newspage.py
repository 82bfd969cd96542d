"""Reading a news page: headline, publication time to the minute, body and author.

:func:`read_news_page` is what the article spider calls for each page; it needs no Scrapy,
so ``benchmarks/articles.py`` and the tests call it on saved pages directly.

Where each field comes from, most trusted first:

- **published**: JSON-LD ``datePublished`` (read with extruct), then the
  ``article:published_time`` family of ``<meta>`` tags, then microdata ``datePublished``,
  then ``<time datetime>`` and printed Thai dates inside the article (its ``<header>``
  included), then htmldate. Some sites print Bangkok time with a ``+00:00`` offset in
  ``<time datetime>`` while their JSON-LD and meta tags are right, which is why
  ``<time>`` comes after them. Then a short line with a date and a clock anywhere in the
  article (a byline with a generated class name). A day-only value borrows the time of a
  later candidate of the same day. Times marked or labelled as the last update
  (``<time class="updated">``, ``อัปเดตล่าสุด …``) are never the publication time.
- **title**: JSON-LD ``headline``, ``og:title``, an ``<h1>`` (or ``itemprop=headline``)
  inside the article, then ``<title>``; a site-name suffix (" - ข่าวสด",
  " | ประชาไท Prachatai.com") is cut off. A logo ``<h1>`` outside the article is never
  taken.
- **text**: trafilatura on the page after donation boxes, share bars, "follow us" blocks,
  related-news lists and tag lists are removed.
- **author**: JSON-LD ``author`` (``@id`` references into an ``@graph`` resolved),
  microdata, ``<meta name="author">`` unless it is the site's name, ``rel=author``, then
  short byline elements. An element is never a byline because a *container* (an
  ``<article class="… author-…">``) has "author" in its class.

A page that is a list of stories (home, category, tag pages) is reported as
``kind="index"`` and gives no mention. ``canonical`` is the page's ``<link rel="canonical">``
on its own site, so that its AMP copy and the story are one mention.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml.etree import ParserError

from sadap.core.errors import InputError
from sadap.core.thaidate import THAI_MONTHS, parse_thai_datetime
from sadap.core.timeutil import BANGKOK
from sadap.core.urls import is_web_url

log = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "liveblogposting", "report",
    "socialmediaposting", "scholarlyarticle", "techarticle",
})
INDEX_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})

# <meta> tags that carry the publication time, most specific first.
_META_PUBLISHED = (
    "article:published_time", "og:article:published_time", "og:published_time", "datepublished",
    "pubdate", "publishdate", "publish-date", "publish_date", "date", "dc.date.issued", "dcterms.created",
    "sailthru.date", "parsely-pub-date",
)

# Blocks that are never part of the story. Matched against class/id tokens.
_JUNK_WORDS = (
    "donat", "support-us", "supportus", "share", "social", "sharedaddy", "follow", "related", "recommend",
    "read-more", "readmore", "newsletter", "subscribe", "sponsor", "advert", "ads-", "banner", "tags",
    "tag-list", "taglist", "breadcrumb", "comment", "pagination", "sidebar", "widget",
)
_JUNK_CLASS = re.compile("|".join(re.escape(w) for w in _JUNK_WORDS), re.IGNORECASE)
# Headings of blocks that are not the story: donation appeals, "read also", "follow us".
_JUNK_HEADING = re.compile(
    r"^\s*(?:สนับสนุน|ร่วมสนับสนุน|บริจาค|อ่านข่าวที่เกี่ยวข้อง|ข่าวที่เกี่ยวข้อง|อ่านเพิ่มเติม|ข่าวแนะนำ|"
    r"ติดตาม.{0,40}ได้(?:ทาง|ที่)|แชร์|แท็ก|tags?\b|related|read more|follow us|support us|donate)",
    re.IGNORECASE,
)
_SOCIAL_HOSTS = re.compile(
    r"(?:^|\.)(?:facebook\.com|fb\.com|twitter\.com|x\.com|line\.me|instagram\.com|tiktok\.com|youtube\.com|"
    r"pinterest\.com|linkedin\.com|t\.me|whatsapp\.com)$",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"\s+[|\-–—:»·]\s+")
_BY_PREFIX = re.compile(r"^(?:เขียนโดย|รายงานโดย|โดย|ผู้เขียน|เรื่อง|by)\s*[:：]?\s*", re.IGNORECASE)
_DATE_LINE = re.compile(r"\d")
# A printed label that the date after it is when the story was changed, not published
# ("อัปเดตล่าสุด 8 ธ.ค. 2569 09:00 น. | เผยแพร่ 7 ธ.ค. 2569 14:05 น."), and one that it is the
# publication ("เผยแพร่", "โพสต์"): a text is cut at each, and the parts after an update label dropped.
_UPDATED_LABEL = r"อัปเดต|อัพเดต|อัพเดท|อัปเดท|ปรับปรุง|แก้ไข|updated?\b|last[ -]modified|modified|edited"
_PUBLISHED_LABEL = r"เผยแพร่|โพสต์|ลงข่าว|published|posted"
_DATE_LABEL = re.compile(rf"(?=(?:{_UPDATED_LABEL}|{_PUBLISHED_LABEL}))", re.IGNORECASE)
_UPDATED_START = re.compile(rf"^(?:{_UPDATED_LABEL})", re.IGNORECASE)
# Class or itemprop words of an element that holds the time a story was changed.
_UPDATED_MARK = re.compile(r"updated|modified|datemodified|last-?update", re.IGNORECASE)
# A short element inside the article holding a date and a clock is a dateline, whatever its class
# (bylines with generated class names: "<div class='x1y2'>7 ธ.ค. 2569 14:05 น.</div>").
_DATELINE_MAX = 120
_DATELINE_AFTER_H1 = 12
# A clock as datelines print it ("14:05", "14.05 น.", "เวลา 14.05"), not a price ("35.50 บาท").
_DATELINE_CLOCK = re.compile(r"\d{1,2}:\d{2}|\d{1,2}\.\d{2}\s*น|เวลา\s*\d{1,2}\.\d{2}")
_CONTAINERS = frozenset({"html", "body", "main", "article", "section"})
# What a bare dateline holds besides its date: labels, day names, separators ("วันพฤหัสบดีที่ 7
# ธ.ค. 2569 เวลา 14:05 น. | อัปเดต …"). A line that is nothing else is not part of the story.
_DATELINE_WORDS = re.compile(
    "|".join(sorted((re.escape(w) for pair in THAI_MONTHS for w in pair), key=len, reverse=True))
    + rf"|{_UPDATED_LABEL}|{_PUBLISHED_LABEL}|วันที่|วัน(?:จันทร์|อังคาร|พุธ|พฤหัสบดี|พฤหัส|ศุกร์|เสาร์|อาทิตย์)(?:ที่)?"
    r"|เวลา|น\.|พ\.ศ\.|ค\.ศ\.|ล่าสุด|[\d\s:/.,|\-–—()]",
    re.IGNORECASE,
)
_DATELINE_LINES = 2  # looked for among the text's first lines only


@dataclass
class NewsPage:
    """What :func:`read_news_page` found. ``kind`` is ``article``, ``index`` or ``empty``."""

    kind: str
    url: str
    title: str | None = None
    text: str = ""
    author: str | None = None
    published: datetime | None = None
    site_name: str | None = None
    #: The page's ``<link rel="canonical">`` on the same site: the article's address whichever
    #: copy was fetched (its AMP page, a link with tracking parameters).
    canonical: str | None = None
    reason: str = ""
    # Where each field came from ("json-ld", "meta", "time", ...), for debugging and the benchmark.
    sources: dict[str, str] = field(default_factory=dict)


def read_news_page(html: str, url: str) -> NewsPage:
    """Read one HTML page; never raises on bad markup (an unreadable page is ``empty``)."""
    try:
        root = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return NewsPage("empty", url, reason="not an HTML page")
    meta = _meta_tags(root)
    objects = list(_structured(html, url))
    articles = [o for o in objects if _types(o) & ARTICLE_TYPES]
    site = _site_name(meta, objects, root)
    page = NewsPage("article", url, site_name=site)

    if _is_index(root, meta, objects, articles, url):
        page.kind, page.reason = "index", "a list of stories (home, category or tag page), not an article"
        return page

    page.canonical = _canonical(root, url)
    article_root = _article_root(root)
    page.title, page.sources["title"] = _title(root, article_root, meta, articles, site)
    page.published, page.sources["published"] = _published(root, article_root, meta, objects, articles, html, url)
    page.author, page.sources["author"] = _author(root, article_root, meta, objects, articles, site)
    page.text = _body(root, url, page.title)
    if not page.text:
        page.kind, page.reason = "empty", "no main text found"
    return page


# -- structured data ------------------------------------------------------------------


def _structured(html: str, url: str) -> Iterator[dict[str, Any]]:
    """JSON-LD and microdata objects, ``@graph`` lists flattened."""
    import extruct  # heavy (rdflib and friends): only when a page is read, not when the config loads

    try:
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "microdata"], uniform=True, errors="ignore")
    except Exception as err:  # extruct raises whatever its parsers raise on odd markup
        log.debug("%s: structured data unreadable (%s)", url, err)
        data = {}
    found = list(data.get("json-ld") or [])
    if not found:
        # extruct drops the whole block when one JSON-LD script is invalid; read the others.
        found = list(_json_ld_fallback(html))
    for item in found:
        yield from _flatten(item, "json-ld")
    for item in data.get("microdata") or []:
        yield from _flatten(item, "microdata")


def _json_ld_fallback(html: str) -> Iterator[Any]:
    for match in re.finditer(r"<script[^>]+application/ld\+json[^>]*>(.*?)</script>", html, re.S | re.I):
        try:
            yield json.loads(match.group(1))
        except ValueError:
            continue


def _flatten(item: Any, origin: str) -> Iterator[dict[str, Any]]:
    if isinstance(item, list):
        for sub in item:
            yield from _flatten(sub, origin)
    elif isinstance(item, dict):
        if "@graph" in item:
            yield from _flatten(item["@graph"], origin)
        else:
            yield {**item, "_origin": origin}


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type") or obj.get("type") or []
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1].lower() for v in values}


def _text_of(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return _tidy(str(value)) if value else None


def _meta_tags(root: Any) -> dict[str, str]:
    tags: dict[str, str] = {}
    for node in root.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip().lower()
        content = node.get("content")
        if key and content and key not in tags:
            tags[key] = content.strip()
    return tags


def _site_name(meta: dict[str, str], objects: list[dict[str, Any]], root: Any) -> str | None:
    if meta.get("og:site_name"):
        return _tidy(meta["og:site_name"])
    for obj in objects:
        publisher = _text_of(obj.get("publisher"))
        if publisher:
            return publisher
        if _types(obj) & {"organization", "newsmediaorganization", "website"} and obj.get("name"):
            return _text_of(obj["name"])
    if meta.get("application-name"):
        return _tidy(meta["application-name"])
    return None


def _canonical(root: Any, url: str) -> str | None:
    """``<link rel="canonical">``, when it is an http(s) address on the page's own site (``www.``,
    ``m.`` and ``amp.`` hosts are one site) and not the site's home page standing for every page."""
    for node in root.iter("link"):
        href = str(node.get("href") or "").strip()
        if "canonical" not in (node.get("rel") or "").lower().split() or not href:
            continue
        try:
            target = urljoin(url, href)
        except ValueError:
            return None
        if not is_web_url(target) or _site(target) != _site(url):
            return None
        if urlsplit(target).path in ("", "/") and urlsplit(url).path not in ("", "/"):
            return None
        return target
    return None


def _site(url: str) -> str:
    host = _host(url).lower()
    for prefix in ("www.", "m.", "amp."):
        host = host.removeprefix(prefix)
    return host


# -- index pages ----------------------------------------------------------------------


def _is_index(root: Any, meta: dict[str, str], objects: list[dict[str, Any]], articles: list[Any], url: str) -> bool:
    og_type = meta.get("og:type", "").lower()
    if articles or og_type == "article" or "article:published_time" in meta:
        return False
    if any(_types(o) & INDEX_TYPES for o in objects):
        return True
    if urlsplit(url).path in ("", "/"):
        return True
    body = root.find("body")
    if body is None:
        return bool(og_type)
    text = len(_tidy(body.text_content()))
    linked = sum(len(_tidy(a.text_content())) for a in body.iter("a"))
    mostly_links = text > 0 and linked / text > 0.5
    if og_type:
        # Sites whose template says og:type "website" on every page: a story told in paragraphs
        # is still an article (losing it would lose a mention); a list of teasers is not.
        return mostly_links or not _story_paragraphs(body)
    # No article markup at all: a page whose text is mostly link text is a list of stories.
    paragraphs = [p for p in body.iter("p") if len(_tidy(p.text_content())) >= 120]
    return mostly_links and len(paragraphs) < 2


def _story_paragraphs(body: Any) -> bool:
    """Whether two long paragraphs follow each other in one element, as a story's do (the
    teasers of a list of stories each sit in a card of their own)."""
    parents: dict[Any, int] = {}
    for node in body.iter("p"):
        if len(_tidy(node.text_content())) >= 80 and not node.xpath("ancestor::a"):
            parent = node.getparent()
            parents[parent] = parents.get(parent, 0) + 1
            if parents[parent] >= 2:
                return True
    return False


# -- title ----------------------------------------------------------------------------


def _article_root(root: Any) -> Any | None:
    """The element holding the story: ``<article>`` (the one with most text), else ``<main>``."""
    candidates = root.xpath("//article | //*[@itemtype and contains(@itemtype, 'Article')]")
    if candidates:
        return max(candidates, key=lambda node: len(node.text_content()))
    mains = root.xpath("//main | //*[@role='main']")
    return mains[0] if mains else None


def _title(
    root: Any, article: Any | None, meta: dict[str, str], articles: list[dict[str, Any]], site: str | None
) -> tuple[str | None, str]:
    names = _site_names(root, site)
    for obj in articles:
        headline = _text_of(obj.get("headline") or obj.get("name"))
        if headline:
            return _strip_site(headline, names), obj["_origin"]
    if meta.get("og:title"):
        return _strip_site(_tidy(meta["og:title"]), names), "og:title"
    scopes = [article] if article is not None else []
    for scope in scopes:
        for node in scope.xpath(".//*[@itemprop='headline'] | .//h1"):
            text = _tidy(node.text_content())
            if text and text not in names:
                return text, "article h1"
    headings = [t for t in (_tidy(n.text_content()) for n in root.iter("h1") if not _is_logo(n, _tidy(n.text_content()), names)) if t]
    title_tag = root.find(".//title")
    full = _tidy(title_tag.text_content()) if title_tag is not None else ""
    if full:
        # "<h1>ข่าว</h1>" with "<title>ข่าว - บล็อกคนใช้รถ</title>": the heading, without the site.
        for heading in headings:
            if full.startswith(heading) and _SEPARATORS.match(full[len(heading):] + " "):
                return heading, "h1 in title"
        return _strip_site(full, names), "title"
    # Last resort: an <h1> that is not the site's logo.
    if headings:
        return headings[0], "h1"
    return None, "none"


def _site_names(root: Any, site: str | None) -> set[str]:
    names = {site} if site else set()
    for node in root.xpath("//*[contains(@class, 'logo') or contains(@id, 'logo') or contains(@id, 'site-name')"
                           " or contains(@class, 'site-title') or @rel='home']"):
        text = _tidy(node.text_content())
        if text:
            names.add(text)
        names.update(_tidy(img.get("alt")) for img in node.iter("img") if img.get("alt"))
    # "ประชาไท Prachatai.com" also appears as "ประชาไท" and "Prachatai.com".
    for name in list(names):
        names.update(part for part in name.split() if len(part) > 2)
    return {n for n in names if n}


def _is_logo(node: Any, text: str, names: set[str]) -> bool:
    if text in names:
        return True
    marks = " ".join(filter(None, [node.get("class"), node.get("id")])).lower()
    return any(word in marks for word in ("logo", "site-name", "site-title", "brand"))


def _strip_site(title: str, names: set[str]) -> str:
    """Cut a trailing (or leading) site name off a title: "ข่าว - ข่าวสด" → "ข่าว"."""
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    lowered = {n.lower() for n in names}

    def is_site(part: str) -> bool:
        low = part.strip().lower()
        return bool(low) and (low in lowered or any(n in low for n in lowered if len(n) > 3))

    if is_site(parts[-1]):
        return _join_before_last(title)
    if is_site(parts[0]):
        return _SEPARATORS.split(title, maxsplit=1)[1].strip()
    return title


def _join_before_last(title: str) -> str:
    matches = list(_SEPARATORS.finditer(title))
    return title[: matches[-1].start()].strip()


# -- publication time -----------------------------------------------------------------


def _published(
    root: Any, article: Any | None, meta: dict[str, str], objects: list[dict[str, Any]],
    articles: list[dict[str, Any]], html: str, url: str,
) -> tuple[datetime | None, str]:
    candidates: list[tuple[str, str]] = []
    for obj in articles + [o for o in objects if o not in articles]:
        if obj.get("datePublished"):
            candidates.append((obj["_origin"], str(_text_of(obj["datePublished"]))))
    for key in _META_PUBLISHED:
        if meta.get(key):
            candidates.append(("meta " + key, meta[key]))
    scope = article if article is not None else root
    for node in scope.xpath(".//time[@datetime] | .//*[@itemprop='datePublished'][@content]"):
        if not _marks_update(node):
            candidates.append(("time", node.get("datetime") or node.get("content")))
    for node in scope.xpath(
        ".//time | .//*[contains(@class, 'date') or contains(@class, 'time') or contains(@class, 'published')"
        " or contains(@class, 'submitted') or contains(@class, 'meta')]"
    ):
        text = _published_part(_tidy(node.text_content()))
        if text and len(text) < 160 and _DATE_LINE.search(text) and not _marks_update(node):
            candidates.append(("printed", text))
    for node in scope.xpath(".//*[not(self::script or self::style)][starts-with(normalize-space(.), 'วันที่')]"):
        text = _published_part(_tidy(node.text_content()))
        if text and len(text) < 120:
            candidates.append(("printed", text))
    # Inside the story's own element; on a page without one, just after its headline (the site
    # header's clock comes before it, sidebars long after).
    if article is not None:
        near = article.xpath(".//*[not(self::script or self::style or self::article or self::main or self::section)]")
    else:
        near = root.xpath("(//h1)[last()]/following::*[not(self::script or self::style)]")[:_DATELINE_AFTER_H1]
    for node in near:
        text = _tidy(node.text_content())
        if text and len(text) <= _DATELINE_MAX and _DATELINE_CLOCK.search(text) and not _marks_update(node):
            text = _published_part(text)
            if _DATELINE_CLOCK.search(text):
                candidates.append(("dateline", text))

    best: tuple[datetime, str] | None = None
    for where, text in candidates:
        value = _parse_date(text, url)
        if value is None:
            continue
        has_time = _has_time(text)
        if best is None:
            if has_time:
                return value, where
            best = (value, where)
            continue
        # A day-only value takes the time of a later candidate printed for the same day.
        if has_time and value.astimezone(BANGKOK).date() == best[0].astimezone(BANGKOK).date():
            return value, f"{best[1]} + {where}"
    if best is not None:
        return best
    return _htmldate(html, url), "htmldate"


_CLOCK = re.compile(r"\d{1,2}[:.]\d{2}")


def _marks_update(node: Any) -> bool:
    """An element whose class or itemprop says it holds the time of the last change
    (``<time class="updated">``, ``itemprop="dateModified"``), unless it also says published."""
    marks = " ".join(filter(None, [node.get("class"), node.get("itemprop"), node.get("id")]))
    return bool(_UPDATED_MARK.search(marks)) and "publish" not in marks.lower()


def _published_part(text: str) -> str:
    """``text`` without the parts an update label introduces: "อัปเดตล่าสุด 8 ธ.ค. 2569 09:00 น. |
    เผยแพร่ 7 ธ.ค. 2569 14:05 น." → "เผยแพร่ 7 ธ.ค. 2569 14:05 น."; "" when it is only an update."""
    parts = [part for part in _DATE_LABEL.split(text) if part.strip()]
    return " ".join(part for part in parts if not _UPDATED_START.match(part.strip())).strip()


def _has_time(text: str) -> bool:
    # "2026-11-20" or "20 พ.ย. 2569" alone are a day; a midnight written out is a time.
    return bool(_CLOCK.search(text.split("T", 1)[1] if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else text))


def _parse_date(text: str, url: str) -> datetime | None:
    try:
        return parse_thai_datetime(text)
    except InputError as err:
        log.info("%s: %s", url, err)
        return None


def _htmldate(html: str, url: str) -> datetime | None:
    from htmldate import find_date  # heavy: only when a page is read

    try:
        day = find_date(html, url=url, original_date=True, extensive_search=False)
    except Exception as err:  # htmldate raises on odd markup; a missing day is not fatal
        log.debug("%s: htmldate failed (%s)", url, err)
        return None
    return _parse_date(day, url) if day else None


# -- author ---------------------------------------------------------------------------


def _author(
    root: Any, article: Any | None, meta: dict[str, str], objects: list[dict[str, Any]],
    articles: list[dict[str, Any]], site: str | None,
) -> tuple[str | None, str]:
    by_id = {o.get("@id"): o for o in objects if o.get("@id")}
    for obj in articles:
        value = obj.get("author")
        values = value if isinstance(value, list) else [value]
        names = []
        for one in values:
            if isinstance(one, dict) and set(one) <= {"@id", "_origin"} and one.get("@id") in by_id:
                one = by_id[one["@id"]]
            name = _text_of(one)
            if name:
                names.append(name)
        if names:
            return ", ".join(names), obj["_origin"]
    author = _tidy(meta.get("author"))
    if author and author != site and not author.startswith("http"):
        return author, "meta author"
    scope = article if article is not None else root
    for node in scope.xpath(".//*[@rel='author'] | .//*[@itemprop='author']"):
        name = _clean_byline(node)
        if name:
            return name, "rel/itemprop author"
    for node in scope.iter():
        if not isinstance(node.tag, str) or node.tag in _CONTAINERS:
            continue
        classes = (node.get("class") or "").lower().split()
        if not any(c in ("author", "byline", "vcard") or c.endswith(("-author", "-byline", "author-name", "_author"))
                   or c.startswith(("byline", "author-name", "field-name-field-byline", "field-name-field-author"))
                   for c in classes):
            continue
        name = _clean_byline(node)
        if name:
            return name, "byline"
    return None, "none"


def _clean_byline(node: Any) -> str | None:
    named = node.xpath(".//*[@itemprop='name']")
    text = _tidy((named[0] if named else node).text_content())
    text = _BY_PREFIX.sub("", text).strip()
    # A byline is a name or two, not a paragraph and not a date.
    if not text or len(text) > 80 or re.search(r"\d{1,2}[:.]\d{2}|\d{4}", text):
        return None
    return text


# -- body -----------------------------------------------------------------------------


def _body(root: Any, url: str, title: str | None) -> str:
    import trafilatura  # heavy: only when a page is read

    cleaned = _without_junk(root)
    doc = trafilatura.bare_extraction(
        cleaned, url=url, favor_precision=True, include_comments=False, include_tables=False, with_metadata=False,
    )
    # A Document, or a dict when asked for one (as_dict=True); None when nothing was found.
    text = doc.get("text") if isinstance(doc, dict) else getattr(doc, "text", None)
    lines = _tidy_lines(text)
    if title:
        lines = [line for line in lines if line != title]
    head = [line for line in lines[:_DATELINE_LINES] if not _bare_dateline(line)]
    return "\n".join(head + lines[_DATELINE_LINES:])


def _bare_dateline(line: str) -> bool:
    """A line that holds a date with its clock and nothing else (``7 ธ.ค. 2569 14:05 น.``): read
    as the publication time, not the story's first words."""
    return (len(line) <= _DATELINE_MAX and bool(_DATELINE_CLOCK.search(line))
            and not _DATELINE_WORDS.sub("", line).strip())


def _without_junk(root: Any) -> Any:
    tree = lxml.html.fromstring(lxml.html.tostring(root, encoding="unicode"))
    for node in list(tree.iter()):
        if not isinstance(node, lxml.html.HtmlElement) or not isinstance(node.tag, str) or node.getparent() is None or node.tag in ("html", "body"):
            continue
        marks = " ".join(filter(None, [node.get("class"), node.get("id")]))
        text = _tidy(node.text_content())
        if marks and _JUNK_CLASS.search(marks) and node.tag not in ("article", "main"):
            node.drop_tree()
        elif node.tag in ("div", "aside", "section", "ul", "p") and text and _JUNK_HEADING.match(text) and len(text) < 400:
            node.drop_tree()
        elif node.tag in ("div", "ul", "p") and _mostly_social_links(node, text):
            node.drop_tree()
    return tree


def _mostly_social_links(node: Any, text: str) -> bool:
    links = node.xpath(".//a[@href]")
    if not links:
        return False
    social = [a for a in links if _SOCIAL_HOSTS.search(_host(a.get("href")))]
    return len(social) >= 2 and len(social) * 2 >= len(links) and len(text) < 200


def _host(href: str) -> str:
    """A link's host name, or "" for one that is not a URL urlsplit can read (``http://[broken/``)."""
    try:
        return urlsplit(href).hostname or ""
    except ValueError:
        return ""


def _tidy(text: str | None) -> str:
    return " ".join((text or "").replace("\u200b", "").split())


def _tidy_lines(text: str | None) -> list[str]:
    lines = (" ".join(line.split()) for line in (text or "").replace("\u200b", "").splitlines())
    return [line for line in lines if line]
