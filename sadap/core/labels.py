"""Thai (and English) labels for what people read."""

from collections.abc import Mapping

SENTIMENT = {
    "pos": ("เชิงบวก", "positive"),
    "neu": ("เป็นกลาง", "neutral"),
    "neg": ("เชิงลบ", "negative"),
    "q": ("คำถาม", "question"),
}
EXPECTATION = {
    "delighted": ("ประทับใจ", "delighted"),
    "satisfied": ("พอใจ", "satisfied"),
    "disappointed": ("ผิดหวัง", "disappointed"),
    "none": ("ไม่ได้ประเมิน", "none"),
}
INCIDENT_STATE = {
    "open": ("เปิดอยู่", "open"),
    "acknowledged": ("รับทราบแล้ว", "acknowledged"),
    "resolved": ("ปิดแล้ว", "resolved"),
}


def th(table: Mapping[str, tuple[str, str]], key: str | None) -> str:
    if key is None:
        return "-"
    return table.get(key, (key, key))[0]
