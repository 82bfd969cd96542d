"""The ``Mention``: one piece of online content that mentions what an organisation watches.

A crawler or importer produces a :class:`RawMention`; :func:`to_mention` gives it a stable
id, UTC times and a pseudonymised author; enrichment fills in the analysis fields.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from sadap.core.timeutil import UTC, as_utc, now_utc
from sadap.core.urls import is_web_url, scheme_of, without_author

SentimentLabel = Literal["pos", "neu", "neg", "q"]
ExpectationLevel = Literal["delighted", "satisfied", "disappointed", "none"]

#: Source kinds that are news: read as news by enrichment (enrich/news.py), and one voice when
#: outlets republish one press release (store/base.py voice_key, the coordinated-posting rule).
NEWS_SOURCE_KINDS: tuple[str, ...] = ("rss", "article", "news", "google_news", "sitemap")

# Query parameters that identify a visit, not a page: dropped from canonical URLs.
_TRACKING_PARAMS = {"fbclid", "gclid", "ref", "ref_src", "igshid", "mc_cid", "mc_eid"}


class Sentiment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: SentimentLabel
    score: float = Field(ge=0.0, le=1.0)


class Complaint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_complaint: bool = False
    type: str | None = None


class FieldCredit(BaseModel):
    """Who corrected one label, and when."""

    model_config = ConfigDict(extra="forbid")
    by: str
    at: AwareDatetime


class LabelCorrection(BaseModel):
    """Labels a person set by hand (``sadap label``, the workspace's mention page): who, when, and
    each corrected field (``None``: not corrected). Re-enrichment never overwrites them.

    On a stored mention (several corrections merged, :func:`merge_correction`), ``by`` and ``at``
    are the latest correction's and ``credits`` says who set each field and when (empty on
    corrections stored before it existed, and on one correction as given: then ``by`` and ``at``
    are every field's)."""

    model_config = ConfigDict(extra="forbid")
    sentiment: SentimentLabel | None = None
    expectation: ExpectationLevel | None = None
    category: str | None = None
    is_complaint: bool | None = None
    complaint_type: str | None = None
    by: str
    at: AwareDatetime
    credits: dict[str, FieldCredit] = Field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The corrected fields and their values."""
        return {k: v for k, v in self.model_dump(exclude={"by", "at", "credits"}).items() if v is not None}

    def credit(self, name: str) -> FieldCredit:
        """Who set the field ``name`` and when."""
        return self.credits.get(name) or FieldCredit(by=self.by, at=self.at)


def merge_correction(stored: LabelCorrection | None, new: LabelCorrection) -> LabelCorrection:
    """``new`` over an earlier (merged) correction: fields ``new`` leaves out keep their value and
    who set them; a complaint turned off drops the complaint type, a complaint type turns the
    complaint on. ``by`` and ``at`` are the latest correction's (never earlier than ``stored``'s)."""
    fields = dict(stored.fields()) if stored else {}
    credits = {k: stored.credit(k) for k in fields} if stored else {}
    mine = FieldCredit(by=new.by, at=new.at)
    for name, value in new.fields().items():
        fields[name] = value
        credits[name] = mine
    if new.is_complaint is False:
        fields.pop("complaint_type", None)
        credits.pop("complaint_type", None)
    elif new.complaint_type is not None:
        fields["is_complaint"] = True
        credits["is_complaint"] = mine
    latest = mine if stored is None or new.at >= stored.at else FieldCredit(by=stored.by, at=stored.at)
    return LabelCorrection(**fields, by=latest.by, at=latest.at, credits=credits)


class Engagement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    likes: int = 0
    shares: int = 0
    comments: int = 0
    views: int = 0


class RawMention(BaseModel):
    """What a spider or importer extracted, before ids, privacy and enrichment."""

    model_config = ConfigDict(extra="forbid")
    source_kind: str
    source_name: str
    text: str
    native_id: str | None = None
    url: str | None = None
    author: str | None = None
    #: The platform's permanent id of the author's account (a YouTube channel id, a Facebook
    #: user id), where it gives one: pseudonymised instead of ``author``, so namesakes stay two
    #: people and a renamed account keeps its pseudonym; ``author`` is then only the name shown
    #: (kept with ``keep_author_names``). Never stored in clear.
    author_account: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    engagement: Engagement = Field(default_factory=Engagement)
    extras: dict[str, Any] = Field(default_factory=dict)


class Mention(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    source_kind: str
    source_name: str
    native_id: str | None = None
    url: str | None = None
    author_id: str | None = None
    author_name: str | None = None
    published_at: AwareDatetime
    collected_at: AwareDatetime
    title: str | None = None
    text: str
    language: str | None = None
    tokens: list[str] = Field(default_factory=list)
    sentiment: Sentiment | None = None
    expectation: ExpectationLevel | None = None
    category: str | None = None
    complaint: Complaint = Field(default_factory=Complaint)
    news_topic: str | None = Field(
        default=None,
        description="For news and long posts (read as news): the news topic (politics, economy, crime, accident…; "
        "enrich/news.py); None for other mentions.",
    )
    entity_tones: dict[str, Literal["pos", "neu", "neg"]] = Field(
        default_factory=dict,
        description="For news: the tone toward each watched name the text names, from the sentences naming it.",
    )
    entities: list[str] = Field(default_factory=list)
    hashtags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list, description="Content words, for term counts and new-term alerts.")
    csr: list[str] = Field(
        default_factory=list,
        description="CSR pillars (economy, society, environment) of the CSR activity the mention is about (enrich/csr.py).",
    )
    stakeholders: list[str] = Field(
        default_factory=list, description="Ids of registered stakeholders the mention is by or about (tagged at ingest)."
    )
    engagement: Engagement = Field(default_factory=Engagement)
    extras: dict[str, Any] = Field(default_factory=dict)
    # Duplicate detection: hash of the normalised text, 64-bit SimHash, and the first
    # stored mention this one duplicates (exactly or nearly), if any.
    text_hash: str | None = None
    simhash: int | None = None
    duplicate_of: str | None = None
    spam_score: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="How much the mention looks like spam or a bot post, 0 to 1 (enrich/spam.py); None before enrichment.",
    )
    corrected: LabelCorrection | None = Field(
        default=None, description="Labels a person corrected by hand; they win over enrichment's (apply_correction).",
    )

    @field_validator("published_at", "collected_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


def apply_correction(m: Mention) -> Mention:
    """``m`` with its hand-corrected labels (:attr:`Mention.corrected`) over enrichment's. A
    complaint type implies a complaint; no longer a complaint drops the type."""
    c = m.corrected
    if c is None:
        return m
    update: dict[str, Any] = {}
    if c.sentiment is not None:
        update["sentiment"] = Sentiment(label=c.sentiment, score=1.0)
    if c.expectation is not None:
        update["expectation"] = c.expectation
    if c.category is not None:
        update["category"] = c.category
    if c.is_complaint is False:
        update["complaint"] = Complaint(is_complaint=False, type=None)
    elif c.is_complaint or c.complaint_type is not None:
        kind = c.complaint_type or (m.complaint.type if m.complaint.is_complaint else None) or "other"
        update["complaint"] = Complaint(is_complaint=True, type=kind)
    return m.model_copy(update=update)


def keep_stored_correction(incoming: Mention, stored: Mention | None) -> Mention:
    """What a write of ``incoming`` over ``stored`` must store: ``incoming``, unless the stored
    mention carries a correction ``incoming`` lacks or has an older one of (a re-enrichment or
    re-tagging that read the mention before someone corrected it); then ``incoming`` with the
    stored correction applied over its labels."""
    kept = stored.corrected if stored is not None else None
    if kept is None or (incoming.corrected is not None and incoming.corrected.at >= kept.at):
        return incoming
    return apply_correction(incoming.model_copy(update={"corrected": kept}))


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop fragments, default ports and tracking parameters. A URL
    that cannot be parsed (``http://[x``, a port past 65535) comes back as it is, stripped."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").lower()
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith("utm_")
    ]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(sorted(query)), ""))


def _parses(url: str) -> bool:
    try:
        urlsplit(url.strip()).port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return True


def kept_url(url: str) -> bool:
    """Whether :func:`to_mention` keeps this link: http/https, or one without a scheme that
    parses (kept as text, shown as a link nowhere); javascript:, data: or ``http://[x`` are dropped."""
    return is_web_url(url) or not scheme_of(url) and _parses(url)


def mention_id(source_name: str, native_id: str | None = None, url: str | None = None, text: str = "") -> str:
    """Stable id: hash of source + native id, else of the canonical URL, else of the text."""
    if native_id:
        basis = f"n\x1f{source_name}\x1f{native_id}"
    elif url:
        basis = f"u\x1f{canonical_url(url)}"
    else:
        basis = f"t\x1f{source_name}\x1f{text.strip()}"
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def pseudonymise(author: str, source_name: str, key: bytes) -> str:
    """Keyed hash of an author handle: stable per install, not reversible without the key."""
    digest = hmac.new(key, f"{source_name}\x1f{author.strip().lower()}".encode("utf-8", "surrogatepass"), hashlib.sha256)
    return "a_" + digest.hexdigest()[:16]


_HANDLE = re.compile(r"[A-Za-z0-9_.]+")


def author_forms(author: str) -> list[str]:
    """The ways one account's handle arrives from different sources, to pseudonymise each where a
    person or account is named by hand (erasure, stakeholder accounts): X gives ``somchai_k``, a
    YouTube comment ``@somchai_k``. A name given with ``@`` also stands without it, a handle
    (Latin letters, digits, ``_``, ``.``) also with it; a display name only as it is."""
    name = author.strip()
    bare = name[1:].strip() if name.startswith("@") else name
    forms = [name, bare] + (["@" + bare] if _HANDLE.fullmatch(bare) else [])
    return [f for f in dict.fromkeys(forms) if f]


# Extra fields (from imports and crawlers) that identify or contact a person. With
# ``keep_author_names`` off they are dropped before anything is stored (in :func:`to_mention`,
# which every crawl and import goes through); with it on they are kept, and enrichment still
# masks phone numbers, e-mail addresses and ID numbers in them. Erasure removes whole mentions,
# extras and all, and partner feeds never carry extras.
PERSONAL_FIELDS = frozenset({
    "name", "user", "user_name", "username", "user_id", "userid", "display_name", "screen_name", "full_name",
    "first_name", "last_name", "surname", "nickname", "nick", "author_name", "author_id", "handle", "profile",
    "profile_url", "avatar", "avatar_url", "phone", "phone_number", "tel", "telephone", "mobile", "mobile_number",
    "email", "e_mail", "mail", "email_address", "national_id", "citizen_id", "id_card", "id_card_number",
    "id_number", "passport", "passport_number", "tax_id", "address", "home_address", "line_id", "birthday",
    "birth_date", "date_of_birth", "dob", "ip", "ip_address", "location", "gps", "latitude", "longitude",
    # account ids and links that lead to one person (a YouTube channel, an author's page)
    "channel_id", "author_channel_id", "channel_url", "author_channel_url", "author_url", "user_url",
})


def personal_field(key: str) -> bool:
    """Whether an extra field's name says it holds personal data (``Phone``, ``e-mail``, ``user name``…)."""
    norm = "_".join(str(key).strip().lower().replace("-", " ").replace(".", " ").split())
    return norm in PERSONAL_FIELDS


def drop_personal_fields(extras: dict[str, Any]) -> dict[str, Any]:
    """``extras`` without the fields :func:`personal_field` names."""
    return {k: v for k, v in extras.items() if not personal_field(k)}


def to_mention(
    raw: RawMention,
    *,
    pseudonym_key: bytes,
    keep_author_names: bool = False,
    collected_at: datetime | None = None,
) -> Mention:
    """Give a raw mention its id, UTC times and a pseudonymised author."""
    collected = as_utc(collected_at) if collected_at else now_utc()
    published = as_utc(raw.published_at) if raw.published_at else collected
    account = (raw.author_account or "").strip() or raw.author
    author_id = pseudonymise(account, raw.source_name, pseudonym_key) if account else None
    # Without author names no link names its author either (x.com/<handle>/status/<id>).
    url = raw.url if (keep_author_names or not raw.url) else without_author(raw.url)
    return Mention(
        id=mention_id(raw.source_name, raw.native_id, raw.url, raw.text),
        source_kind=raw.source_kind,
        source_name=raw.source_name,
        native_id=raw.native_id,
        # A link of another scheme (javascript:, data:, file:) is not stored: it must never be shown
        # as one. One without a scheme (www.example.com/a, as imported files have them) is kept as
        # text, and shown as a link nowhere; one that cannot be parsed (http://[x) is not kept.
        # The id still comes from what arrived.
        url=canonical_url(url) if url and kept_url(url) else None,
        author_id=author_id,
        author_name=raw.author if (keep_author_names and raw.author) else None,
        published_at=published,
        collected_at=collected,
        title=raw.title,
        text=raw.text,
        engagement=raw.engagement,
        extras=raw.extras if keep_author_names else drop_personal_fields(raw.extras),
    )
