"""Stakeholder profiles (มาตรฐาน 003: Stakeholder Profile — ข้อมูลพื้นฐาน บทบาท ประเด็นสำคัญ
ผู้แทน/ผู้ประสานงาน ระดับความสัมพันธ์), kept in the store and edited from the console.

Also the plain lookup every report uses to group mentions by stakeholder:
:func:`stakeholder_of`."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from sadap.core.mention import Mention

STATUSES: tuple[str, ...] = (
    "government", "state_enterprise", "private_company", "community", "media", "ngo", "academic", "individual", "other",
)
GROUPS: tuple[str, ...] = (
    "customers", "community", "regulators", "media", "partners", "employees", "shareholders", "suppliers",
    "government", "society", "other",
)
LEVELS: tuple[str, ...] = ("close", "good", "neutral", "distant", "strained")
CONTACT_CHANNELS: tuple[str, ...] = ("email", "line", "phone", "meeting", "letter", "social", "press", "sms", "internal")

Status = Literal[
    "government", "state_enterprise", "private_company", "community", "media", "ngo", "academic", "individual", "other",
]
Group = Literal[
    "customers", "community", "regulators", "media", "partners", "employees", "shareholders", "suppliers",
    "government", "society", "other",
]
Level = Literal["close", "good", "neutral", "distant", "strained"]
ContactChannel = Literal["email", "line", "phone", "meeting", "letter", "social", "press", "sms", "internal"]

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "government": ("หน่วยงานราชการ", "government agency"),
    "state_enterprise": ("รัฐวิสาหกิจ", "state enterprise"),
    "private_company": ("บริษัทเอกชน", "private company"),
    "community": ("ชุมชน", "community"),
    "media": ("สื่อมวลชน", "media"),
    "ngo": ("องค์กรไม่แสวงหากำไร", "NGO"),
    "academic": ("สถาบันการศึกษา", "academic"),
    "individual": ("บุคคล", "individual"),
    "other": ("อื่น ๆ", "other"),
}
GROUP_WORDS: dict[str, tuple[str, str]] = {
    "customers": ("ลูกค้า", "customers"),
    "community": ("ชุมชน", "community"),
    "regulators": ("หน่วยงานกำกับดูแล", "regulators"),
    "media": ("สื่อมวลชน", "media"),
    "partners": ("คู่ค้าและพันธมิตร", "partners"),
    "employees": ("พนักงาน", "employees"),
    "shareholders": ("ผู้ถือหุ้น", "shareholders"),
    "suppliers": ("ผู้ส่งมอบ", "suppliers"),
    "government": ("ภาครัฐ", "government"),
    "society": ("สังคม", "society"),
    "other": ("อื่น ๆ", "other"),
}
LEVEL_WORDS: dict[str, tuple[str, str]] = {
    "close": ("ใกล้ชิด", "close"),
    "good": ("ดี", "good"),
    "neutral": ("ปกติ", "neutral"),
    "distant": ("ห่างเหิน", "distant"),
    "strained": ("ตึงเครียด", "strained"),
}

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # a stakeholder id
_ID = ID_PATTERN


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contact(_Strict):
    """A representative or coordinator, and the channel they prefer."""

    name: str = Field(min_length=1, description="Name or office, e.g. `คุณสมชาย ใจดี (ผู้ใหญ่บ้าน หมู่ 3)`.")
    title: str = Field("", description="Position, e.g. `ผู้อำนวยการฝ่ายกำกับ`.")
    channel: ContactChannel = Field(description="Preferred channel: " + ", ".join(CONTACT_CHANNELS) + ".")
    address: str = Field("", description="Where: an e-mail address, a LINE id, a phone number, an office.")


class Relationship(_Strict):
    """How close the organisation is to them, who said so, and why."""

    level: Level = Field(description="Relationship level: " + ", ".join(LEVELS) + ".")
    set_by: str = Field(min_length=1, description="Who set the level (a username).")
    reason: str = Field("", description="Why (what happened, what was agreed).")
    set_at: AwareDatetime | None = None


class Account(_Strict):
    """One of the stakeholder's own online accounts: their posts are mentions *by* them."""

    handle: str = Field(min_length=1, description="The author name or handle as the source shows it.")
    source: str | None = Field(None, description="The source name it posts on (e.g. `pantip`); empty: any source.")


class Stakeholder(_Strict):
    id: str = Field(description="Short id: lowercase letters, digits and `-` (e.g. `bot`, `community-khlong-toei`).")
    name: str = Field(min_length=1, description="Name (Thai).")
    name_en: str = ""
    status: Status = Field(description="What kind of body: " + ", ".join(STATUSES) + ".")
    group: Group = Field(description="Stakeholder group: " + ", ".join(GROUPS) + ".")
    role: str = Field("", description="Their role, and how they work with the organisation.")
    key_issues: list[str] = Field(default_factory=list, description="What matters to them.")
    expectations: list[str] = Field(default_factory=list, description="What they expect of the organisation.")
    contacts: list[Contact] = Field(default_factory=list, description="Representatives and coordinators.")
    relationship: Relationship | None = None
    relationship_history: list[Relationship] = Field(
        default_factory=list,
        description="Earlier relationship levels, oldest first, each with who set it, when and why (kept on save).",
    )
    watched: list[str] = Field(default_factory=list, description="Watched names (from `watch:`) that stand for them.")
    aliases: list[str] = Field(default_factory=list, description="Other names and spellings, matched in text.")
    accounts: list[Account] = Field(default_factory=list, description="Their own online accounts.")
    inform_as: list[str] = Field(
        default_factory=list,
        description="Playbook stakeholder roles this one is informed as (e.g. `regulator`, `community-leader`).",
    )
    notes: str = ""
    updated_at: AwareDatetime | None = None
    updated_by: str = ""

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError("use lowercase letters a-z, digits and - (for example bot or community-khlong-toei)")
        return value

    @field_validator("key_issues", "expectations", "watched", "aliases", "inform_as")
    @classmethod
    def _clean(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(v.strip() for v in values if v.strip()))

    def names(self) -> list[str]:
        """Every name it is known by in text: name, English name, aliases."""
        return [n for n in dict.fromkeys([self.name, self.name_en, *self.aliases]) if n]


def _same_level(a: Relationship, b: Relationship) -> bool:
    return (a.level, a.set_by, a.reason) == (b.level, b.set_by, b.reason)


def carry_history(new: Stakeholder, old: Stakeholder | None) -> Stakeholder:
    """``new`` with the relationship history kept: the stored profile's history and any the new
    one brings (an imported export), plus the stored level when the new one differs from it
    (level, who or why); oldest first, each entry once. A level that is the stored one (level,
    who and why) keeps the time it was set: re-importing an export (an older CSV has no times) does
    not move it to the import's time."""
    if (old is not None and old.relationship is not None and new.relationship is not None
            and _same_level(old.relationship, new.relationship) and old.relationship.set_at is not None):
        new = new.model_copy(update={"relationship": new.relationship.model_copy(
            update={"set_at": old.relationship.set_at})})
    history: list[Relationship] = []
    candidates = [*(old.relationship_history if old else []), *new.relationship_history]
    if old is not None and old.relationship is not None and (
        new.relationship is None or not _same_level(old.relationship, new.relationship)
    ):
        candidates.append(old.relationship)
    for r in candidates:
        if not any(_same_level(r, h) and r.set_at == h.set_at for h in history):
            history.append(r)
    history.sort(key=lambda r: r.set_at.timestamp() if r.set_at else 0.0)
    return new.model_copy(update={"relationship_history": history})


class StakeholderEntry(_Strict):
    """One row of the match table enrichment reads (see ``enrich.stakeholders``): no store needed."""

    id: str
    names: list[str] = Field(default_factory=list)
    watched: list[str] = Field(default_factory=list)
    #: Pseudonymised author ids of its accounts (``a_…``), as stored on mentions.
    author_ids: list[str] = Field(default_factory=list)
    #: Display names of its accounts (matched where author names are kept), lower case.
    author_names: list[str] = Field(default_factory=list)


def stakeholder_of(mention: Mention | dict[str, Any]) -> list[str]:
    """Ids of the stakeholders a mention is by or about (tagged at ingest): the lookup reports
    use to group by stakeholder (``sadap report responses --by stakeholder``). Accepts a
    :class:`Mention` or its JSON form."""
    if isinstance(mention, Mention):
        return list(mention.stakeholders)
    value = mention.get("stakeholders") or []
    return [str(v) for v in value] if isinstance(value, list) else []
