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

CASE_STATE = {
    "open": ("เปิดอยู่", "open"),
    "closed": ("ปิดแล้ว", "closed"),
}
#: What a complaint case's timeline shows (``sadap.app.complaints.timeline`` kinds).
CASE_TIMELINE = {
    "complaint": ("ร้องเรียน", "complaint"),
    "same_author": ("ผู้ร้องโพสต์อีก", "same author"),
    "same_thread": ("ในกระทู้เดียวกัน", "same thread"),
    "response": ("ตอบกลับ", "response"),
    "note": ("บันทึก", "note"),
    "linked": ("เชื่อมโยง", "linked"),
    "unlinked": ("ย้ายออก", "moved out"),
    "closed": ("ปิดเรื่อง", "closed"),
    "reopened": ("เปิดอีกครั้ง", "reopened"),
    "recovery_step": ("ขั้นตอนแก้ไข", "recovery step"),
    "cause": ("สาเหตุของปัญหา", "cause"),
    "assigned": ("มอบหมาย", "assigned"),
}


def th(table: Mapping[str, tuple[str, str]], key: str | None) -> str:
    if key is None:
        return "-"
    return table.get(key, (key, key))[0]
