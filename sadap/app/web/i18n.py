"""Words on the workspace's pages: Thai first, English available."""

from __future__ import annotations

import re
from functools import cache

from sadap.app.names import category_names, complaint_type_names, news_topic_names
from enrich.csr import pillar_names
from sadap.app.sources import source_kinds
from sadap.core import labels
from sadap.core.stakeholder import GROUP_WORDS

WORDS: dict[str, tuple[str, str]] = {
    "app": ("สดับ", "Sadap"),
    "overview": ("ภาพรวม", "Overview"),
    "mentions": ("ข้อความ", "Mentions"),
    "incidents": ("เหตุการณ์", "Incidents"),
    "complaints": ("ข้อร้องเรียน", "Complaints"),
    "playbooks": ("แผนรับมือ", "Playbooks"),
    "rules": ("กฎแจ้งเตือน", "Rules"),
    "sources": ("แหล่งข้อมูล", "Sources"),
    "users": ("ผู้ใช้", "Users"),
    "sign_in": ("เข้าสู่ระบบ", "Sign in"),
    "sign_out": ("ออกจากระบบ", "Sign out"),
    "username": ("ชื่อผู้ใช้", "User name"),
    "password": ("รหัสผ่าน", "Password"),
    "bad_sign_in": ("ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง", "Wrong user name or password"),
    "too_many": ("ลองเข้าสู่ระบบผิดหลายครั้งเกินไป โปรดรอ 15 นาที", "Too many failed sign-ins; wait 15 minutes"),
    "since": ("ตั้งแต่", "From"),
    "until": ("ถึง", "To"),
    "entity": ("สิ่งที่ติดตาม", "Watched entity"),
    "all": ("ทั้งหมด", "All"),
    "apply": ("แสดง", "Apply"),
    "search": ("ค้นหา", "Search"),
    "search_hint": ("เช่น แอป ล่ม, \"ข้อมูลรั่ว\", -โปรโมชัน", "e.g. app down, \"data leak\", -promo"),
    "volume_by_sentiment": ("ปริมาณข้อความตามความรู้สึก", "Volume by sentiment"),
    "expectation": ("ระดับความคาดหวัง", "Expectation level"),
    "category": ("หมวดเสียงลูกค้า", "Voice-of-customer category"),
    "news_topic": ("หมวดข่าว", "News topic"),
    "entity_tones": ("น้ำเสียงต่อชื่อที่ติดตาม", "Tone toward watched names"),
    "complaint_type": ("ประเภทข้อร้องเรียน", "Complaint type"),
    "share_of_voice": ("ส่วนแบ่งการถูกพูดถึง", "Share of voice"),
    "top_sources": ("แหล่งที่มาสูงสุด", "Top sources"),
    "csr_balance": ("ความสมดุลของกิจกรรม CSR", "CSR balance"),
    "csr_missing": ("ไม่มีการกล่าวถึงกิจกรรม CSR ด้านนี้ในช่วงเวลานี้", "No mention of CSR activity in this pillar in the range"),
    "top_authors": ("ผู้เขียนสูงสุด", "Top authors"),
    "top_terms": ("คำที่พบบ่อย", "Top terms"),
    "top_hashtags": ("แฮชแท็กยอดนิยม", "Top hashtags"),
    "total": ("ข้อความทั้งหมด", "Total mentions"),
    "near_duplicates": ("ซ้ำ/คัดลอก", "Near-duplicates"),
    "open_incidents": ("เหตุการณ์ที่ยังเปิดอยู่", "Open incidents"),
    "time": ("เวลา", "Time"),
    "source": ("แหล่ง", "Source"),
    "kind": ("ประเภทแหล่ง", "Source kind"),
    "sentiment": ("ความรู้สึก", "Sentiment"),
    "text": ("ข้อความ", "Text"),
    "link": ("ลิงก์", "Link"),
    "copies": ("สำเนา", "copies"),
    "show_copies": ("แสดงข้อความซ้ำ", "Show copies"),
    "text_language": ("ภาษา", "Language"),
    "author": ("ผู้เขียน", "Author"),
    "author_hint": ("ผู้เขียนตามที่เก็บไว้ (รหัสแทนชื่อ) เช่นจากกราฟผู้เขียนสูงสุด",
                    "The author as stored (a pseudonym), e.g. from the top authors chart"),
    "max_spam": ("คะแนนสแปมไม่เกิน", "Spam score at most"),
    "found": ("พบ", "Found"),
    "export_csv": ("ส่งออก CSV", "Export CSV"),
    "labels": ("ป้ายกำกับ", "Labels"),
    "responses": ("การตอบกลับ", "Responses"),
    "respond": ("บันทึกการตอบกลับ", "Log a response"),
    "channel": ("ช่องทาง", "Channel"),
    "state": ("สถานะ", "State"),
    "severity": ("ความรุนแรง", "Severity"),
    "opened": ("เปิดเมื่อ", "Opened"),
    "title": ("เรื่อง", "Title"),
    "playbook": ("แผนรับมือ", "Playbook"),
    "timeline": ("ลำดับเหตุการณ์", "Timeline"),
    "alert_mentions": ("การแจ้งเตือนและข้อความเบื้องหลัง", "Alerts and the mentions behind them"),
    "mentions_word": ("ข้อความ", "mentions"),
    "accounts_word": ("บัญชี", "accounts"),
    "last_try": ("ครั้งล่าสุด", "last"),
    "steps": ("ขั้นตอน", "Steps"),
    "owner": ("ผู้รับผิดชอบ", "Owner"),
    "due": ("กำหนดเสร็จ", "Due"),
    "overdue": ("เลยกำหนด", "overdue"),
    "done": ("เสร็จแล้ว", "done"),
    "mark_done": ("ทำเสร็จแล้ว", "Mark done"),
    "stakeholders": ("ผู้ที่ต้องแจ้ง", "Stakeholders to inform"),
    "templates": ("ข้อความตอบกลับสำเร็จรูป", "Response templates"),
    "ack": ("รับทราบ", "Acknowledge"),
    "resolve": ("ปิดเหตุการณ์", "Resolve"),
    "reopen": ("เปิดใหม่", "Reopen"),
    "note": ("บันทึก", "Note"),
    "add_note": ("เพิ่มบันทึก", "Add note"),
    "clock": ("เวลาที่เหลือ (24 ชม.)", "Clock (24 h)"),
    "left": ("เหลือ", "left"),
    "answered": ("ตอบแล้ว", "answered"),
    "assignee": ("ผู้รับเรื่อง", "Assignee"),
    "assign": ("มอบหมาย", "Assign"),
    "correct_labels": ("แก้ป้ายกำกับ", "Correct the labels"),
    "corrected_by": ("แก้โดยคน", "Corrected by hand"),
    "unchanged": ("(ไม่เปลี่ยน)", "(unchanged)"),
    "is_complaint": ("เป็นข้อร้องเรียน", "Complaint"),
    "yes": ("ใช่", "yes"),
    "no": ("ไม่ใช่", "no"),
    "validate": ("ตรวจสอบ", "Validate"),
    "save": ("บันทึก", "Save"),
    "valid": ("ถูกต้อง", "valid"),
    "backtest": ("ทดสอบย้อนหลัง", "Backtest"),
    "last_fired": ("แจ้งเตือนล่าสุด", "Last fired"),
    "snooze": ("พักการแจ้งเตือน", "Snooze"),
    "unsnooze": ("ยกเลิกการพัก", "Unsnooze"),
    "snoozed_until": ("พักถึง", "Snoozed until"),
    "last_crawl": ("เก็บข้อมูลล่าสุด", "Last crawl"),
    "items": ("จำนวนข้อความ", "Items"),
    "errors": ("ข้อผิดพลาด", "Errors"),
    "silence": ("เงียบมา", "Silent for"),
    "role": ("บทบาท", "Role"),
    "add_user": ("เพิ่มผู้ใช้", "Add user"),
    "disable": ("ระงับ", "Disable"),
    "enable": ("เปิดใช้", "Enable"),
    "tokens": ("โทเค็น API", "API tokens"),
    "new_token": ("สร้างโทเค็น", "New token"),
    "token_once": ("คัดลอกโทเค็นนี้ไว้ จะแสดงเพียงครั้งเดียว", "Copy this token now; it is shown only once"),
    "revoke": ("เพิกถอน", "Revoke"),
    "none": ("ไม่มี", "None"),
    "read_only": ("ดูอย่างเดียว", "read-only"),
    "forbidden": ("สิทธิ์ของคุณทำสิ่งนี้ไม่ได้", "Your role cannot do this"),
    "not_found": ("ไม่พบหน้านี้", "Not found"),
    "error": ("ผิดพลาด", "Error"),
    "more": ("เพิ่มเติม", "More"),
    "editable_hint": ("แก้ไขได้เฉพาะไฟล์ใน playbooks.paths; แผนที่มากับโปรแกรมตรวจสอบได้แต่บันทึกไม่ได้",
                      "Only files under playbooks.paths can be saved; shipped playbooks can be validated, not saved"),
    "saved": ("บันทึกแล้ว", "Saved"),
    "language": ("English", "ภาษาไทย"),
    "thread": ("ข้อความในกระทู้เดียวกัน", "Same thread"),
    "same_author": ("ข้อความจากผู้เขียนเดียวกัน", "Same author"),
    "key": ("คีย์", "Key"),
    "duration": ("นานเท่าไร", "For how long"),
    "type": ("ชนิด", "Type"),
    "incidents_would_open": ("เหตุการณ์ที่จะเปิด", "Incidents that would open"),
    "notifications": ("การแจ้งเตือน", "Notifications"),
    "evaluations": ("จำนวนครั้งที่ประเมิน", "Evaluations"),
    "queue_total": ("เรื่องในคิว", "cases in the queue"),
    "queue_open": ("ยังเปิดอยู่", "open"),
    "queue_unanswered": ("ยังไม่ได้ตอบ", "unanswered"),
    "queue_page": ("หน้า", "page"),
    "queue_of": ("จาก", "of"),
    "queue_prev": ("← หน้าก่อน", "← previous"),
    "queue_next": ("หน้าถัดไป →", "next →"),
    "queue_days": ("เรื่องที่ปิดภายใน (วัน)", "Closed within (days)"),
    "queue_days_hint": ("เรื่องที่ยังเปิดอยู่แสดงทั้งหมด เรื่องที่ปิดแล้วแสดงเฉพาะที่ปิดภายในจำนวนวันนี้ (นับจากวันที่ปิด ไม่ใช่วันที่รับเรื่อง)",
                        "Open cases are all shown; closed cases only those closed within this many days (by when they were closed, not received)"),
    "queue_follow_up": ("ผู้ร้องติดตามซ้ำ", "wrote again"),
    "spam_score": ("คะแนนสแปม", "Spam score"),
    "rule": ("กฎ", "Rule"),
    "alerts": ("การแจ้งเตือน", "Alerts"),
    "alerts_word": ("การแจ้งเตือน", "alerts"),
    "unassigned": ("— ยังไม่มอบหมาย —", "— not assigned —"),
    # a form's problem, shown next to the field (the English detail follows it)
    "pr_taken": ("รหัสนี้มีอยู่แล้ว โปรดใช้รหัสอื่น", "This id is taken already; choose another"),
    "pr_nothing_chosen": ("ยังไม่ได้เลือกป้ายกำกับที่จะแก้ เลือกอย่างน้อยหนึ่งช่อง", "Nothing chosen: pick at least one label to change"),
    "pr_no_mention": ("ไม่พบข้อความรหัสนี้ โปรดตรวจสอบรหัสอีกครั้ง", "No mention has this id; check it"),
    "pr_not_allowed": ("ค่าที่เลือกใช้ไม่ได้ในช่องนี้", "This value is not allowed here"),
    "pr_required": ("โปรดกรอกช่องนี้", "Please fill in this field"),
    "pr_already_closed": ("เรื่องนี้ปิดไปแล้ว", "This case is closed already"),
    "pr_type_needs_complaint": ("ข้อความที่ไม่ใช่ข้อร้องเรียนจะมีประเภทข้อร้องเรียนไม่ได้",
                                "A mention that is not a complaint cannot have a complaint type"),
    "pr_assign_empty": ("โปรดเลือกผู้รับเรื่องก่อนกดมอบหมาย", "Choose someone before pressing Assign"),
    "pr_no_user": ("ไม่พบผู้ใช้นี้ หรือผู้ใช้ถูกระงับ", "No such active user"),
    "pr_assign_viewer": ("ผู้ชม (viewer) ตอบเรื่องไม่ได้ โปรดเลือกผู้รับเรื่องที่ตอบได้", "A viewer cannot answer: choose a responder"),
    "pr_invalid": ("ข้อมูลในช่องนี้ไม่ถูกต้อง", "This field is not valid"),
    "pr_see_form": ("บันทึกไม่สำเร็จ โปรดแก้ไขช่องที่มีข้อความสีแดงในแบบฟอร์มด้านล่าง",
                    "Not saved: fix the fields marked in red in the form below"),
    # the mentions page's paging, time-range chip and filter problems
    "mentions_showing": ("แสดง", "Showing"),
    "mentions_newer": ("← ใหม่กว่า", "← newer"),
    "mentions_older": ("เก่ากว่า →", "older →"),
    "mentions_first": ("กลับหน้าแรก", "back to the first page"),
    "mentions_none_here": ("ไม่มีข้อความในหน้านี้แล้ว", "No mentions on this page any more"),
    "time_range": ("ช่วงเวลา", "Time range"),
    "clear_time_range": ("ล้างช่วงเวลา", "clear the time range"),
    "bad_query": ("อ่านคำค้นไม่ได้ โปรดตรวจเครื่องหมายคำพูด (\") ให้ครบคู่ และให้ OR มีคำทั้งสองข้าง",
                  "Cannot read the search: close every double quote (\") and put a word on each side of OR"),
    "bad_filter": ("อ่านตัวกรองไม่ได้ โปรดแก้แล้วค้นหาอีกครั้ง", "Cannot read a filter: fix it and search again"),
    "pr_buddhist_year": ("ปีที่ให้เป็นปีพุทธศักราช (พ.ศ.) วันที่ในช่องนี้ใช้ปีคริสต์ศักราช (ค.ศ. = พ.ศ. − 543) โปรดแก้แล้วลองอีกครั้ง",
                         "The year given is a Buddhist-era year: dates here take the Common Era year (CE = BE − 543)"),
    "pr_unknown_choice": ("ค่าที่ให้ไม่อยู่ในตัวเลือกที่ใช้ได้ โปรดเลือกจากค่าที่ระบุไว้", "The value given is not one of the choices listed"),
}

# Incident timeline event kinds (``sadap.core.incident.EventKind``).
EVENT_KINDS: dict[str, tuple[str, str]] = {
    "opened": ("เปิดเหตุการณ์", "opened"),
    "alert": ("แจ้งเตือน", "alert"),
    "still_active": ("ยังเกิดต่อเนื่อง", "still active"),
    "notified": ("ส่งการแจ้งเตือนแล้ว", "notified"),
    "notify_failed": ("ส่งการแจ้งเตือนไม่สำเร็จ", "notification failed"),
    "escalated": ("ยกระดับ", "escalated"),
    "acknowledged": ("รับทราบ", "acknowledged"),
    "resolved": ("ปิดเหตุการณ์", "resolved"),
    "reopened": ("เปิดใหม่", "reopened"),
    "note": ("บันทึก", "note"),
    "step_done": ("ทำขั้นตอนเสร็จ", "step done"),
    "response": ("ตอบกลับ", "response"),
    "queued": ("รอส่ง", "queued"),
    "gave_up": ("เลิกพยายามส่ง", "gave up"),
    "informed": ("แจ้งผู้มีส่วนได้ส่วนเสียแล้ว", "stakeholder informed"),
}

# The fields of a hand correction (``LabelCorrection.fields()``), and the table each value is named from.
CORRECTION_FIELDS: dict[str, tuple[str, str]] = {
    "sentiment": ("ความรู้สึก", "sentiment"),
    "expectation": ("ระดับความคาดหวัง", "expectation"),
    "category": ("หมวดเสียงลูกค้า", "category"),
    "is_complaint": ("เป็นข้อร้องเรียน", "complaint"),
    "complaint_type": ("ประเภทข้อร้องเรียน", "complaint type"),
}
_CORRECTION_TABLES = {"sentiment": "sentiment", "expectation": "expectation", "category": "category",
                      "complaint_type": "complaint_type"}


def _tables() -> dict[str, dict[str, tuple[str, str]]]:
    return {
        "sentiment": labels.SENTIMENT,
        "expectation": labels.EXPECTATION,
        "category": category_names(),
        "complaint_type": complaint_type_names(),
        "news_topic": news_topic_names(),
        "source_kind": source_kinds(),
        "state": labels.INCIDENT_STATE,
        "csr": pillar_names(),
        "stakeholder_group": GROUP_WORDS,
        "event_kind": EVENT_KINDS,
        "correction_field": CORRECTION_FIELDS,
    }


_TABLES: dict[str, dict[str, tuple[str, str]]] = {}


@cache  # the pages are fixed once imported; word() runs for every t() in every template
def page_words() -> dict[str, tuple[str, str]]:
    from sadap.app.web.pages import PAGES

    return {key: pair for page in PAGES for key, pair in page.WORDS.items()}


def word(key: str, lang: str) -> str:
    pair = WORDS.get(key) or page_words().get(key)
    if pair is None:
        return key
    return pair[0] if lang == "th" else pair[1]


def label(table: str, key: str | None, lang: str) -> str:
    if key is None:
        return "-"
    if not _TABLES:
        _TABLES.update(_tables())
    pair = _TABLES[table].get(key, (key, key))
    return pair[0] if lang == "th" else pair[1]


def correction_value(field: str, value: object, lang: str) -> str:
    """A corrected label's value in words: yes/no for ``is_complaint``, else from the field's table."""
    if isinstance(value, bool):
        return word("yes" if value else "no", lang)
    table = _CORRECTION_TABLES.get(field)
    return label(table, str(value), lang) if table else str(value)


# A form's problem (an InputError's one line) in words: the first pattern that matches names it.
_PROBLEMS: tuple[tuple[str, str], ...] = (
    (r"exists already", "pr_taken"),
    (r"^nothing to correct", "pr_nothing_chosen"),
    (r"has no complaint type", "pr_type_needs_complaint"),
    (r"^no mention ", "pr_no_mention"),
    (r"^assignee: required", "pr_assign_empty"),
    (r"^assignee: .* is a viewer", "pr_assign_viewer"),
    (r"^assignee: no active user", "pr_no_user"),
    (r"already closed", "pr_already_closed"),
    (r"is not one of|is not a close reason|should be|: use yes or no", "pr_not_allowed"),
    (r"required|must not be empty|at least 1 character", "pr_required"),
)


def form_problem(detail: str, lang: str, fields: tuple[str, ...] = (), field: str | None = None) -> dict[str, str]:
    """What a form shows when it is refused: ``field`` (the form field it belongs next to: the
    error's ``name:`` prefix when that is one of ``fields``, else ``field``, else "" for the top of
    the form), ``message`` (short, in the page's language) and ``detail`` (the error in English,
    without the command line's option names)."""
    head = re.split(r"[:\s.\[]", detail.strip(), maxsplit=1)[0]
    where = head if head in fields else (field or "")
    key = next((k for pattern, k in _PROBLEMS if re.search(pattern, detail)), "pr_invalid")
    clean = re.sub(r"\s*\(see `sadap[^)]*\)", "", detail)
    clean = re.sub(r"\s*\((drop|use) --[^)]*\)", "", clean)
    clean = re.sub(r"--([a-z][a-z_-]*)", r"\1", clean)
    return {"field": where, "message": word(key, lang), "detail": clean}
