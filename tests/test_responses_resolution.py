"""Equal response with time to resolution and ``--by group``, on both backends, and the store's
aggregate paths (``response_rows``, ``engagement_totals``) equal on SQLite and Elasticsearch; the
stakeholder relationship history (CLI, erase).

The data: a Thai bank's complaints and questions on LINE, Pantip, Facebook and X, tagged with
stakeholders from a small registry, answered at different delays, some held by complaint cases
that are closed (with a reason), one by a case still open."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich.normalize import normalize
from enrich.tokenize import tokenize
from sadap.app import stakeholders as registry
from sadap.app.cli import main
from sadap.app.config import Config, load_config
from sadap.app.responses import equal_response
from sadap.core.complaint_case import ComplaintCase
from sadap.core.mention import Complaint, Engagement, Mention, Sentiment, mention_id
from sadap.core.stakeholder import Relationship, Stakeholder
from sadap.core.timeutil import UTC
from sadap.store import GROUP_FIELDS, MentionFilter, Store, open_store
from sadap.store.sqlite import SQLiteStore

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 09:00 Bangkok

# (key, channel, text, complaint type or None for a question, stakeholders, first response after
# hours or None, likes)
POSTS = [
    ("l1", "line", "แอปแสงทองพลัสโอนเงินไม่ได้ตั้งแต่เช้า ขึ้นว่าทำรายการไม่สำเร็จค่ะ", "digital_outage", ["sme-sellers"], 0.5, 3),
    ("l2", "line", "โดนหักค่าธรรมเนียมบัตรเดบิตซ้ำสองเดือน รบกวนตรวจสอบด้วยครับ", "price_billing", ["sme-sellers"], 1.0, 0),
    ("l3", "line", "เปิดบัญชีร้านค้าผ่านแอปได้ไหมคะ ต้องใช้เอกสารอะไรบ้าง", None, ["sme-sellers"], 1.5, 1),
    ("l4", "line", "สาขาเซ็นทรัลเวิลด์เปิดกี่โมงคะวันอาทิตย์", None, [], 2.0, 0),
    ("p1", "pantip", "ชาวบ้านห้วยผึ้งถามว่ากล้าไม้ที่แสงทองปลูกไว้ ใครจะมาดูแลหน้าแล้งนี้ ยังไม่มีใครตอบเลย", "service_staff", ["huai-phueng"], 30.0, 12),
    ("p2", "pantip", "งบดูแลป่าต้นน้ำของโครงการแสงทองรักษ์ป่าปีนี้ยังไม่โอนมาถึงบ้านห้วยผึ้งเลยครับ", "price_billing", ["huai-phueng"], 44.0, 8),
    ("p3", "pantip", "แนวกันไฟที่ธนาคารรับปากว่าจะช่วยทำ จะเริ่มเมื่อไหร่ครับ", None, ["huai-phueng"], 52.0, 5),
    ("p4", "pantip", "ผู้ใหญ่บ้านห้วยผึ้งฝากถามเรื่องทุนการศึกษาเด็กในหมู่บ้าน ปีนี้ยังมีไหมครับ", None, ["huai-phueng"], None, 2),
    ("f1", "facebook_page", "พนักงานสาขาบางนาพูดจาไม่สุภาพ รอคิวนานเกือบชั่วโมง ผิดหวังมาก", "service_staff", [], 3.0, 40),
    ("f2", "facebook_page", "แอปเด้งออกตอนสแกนหน้า ลองห้ารอบแล้วก็ไม่ผ่าน", "digital_outage", ["sme-sellers"], 2.5, 15),
    ("f3", "facebook_page", "สำนักข่าวเนตรนทีขอสอบถามตัวเลขลูกค้าที่ได้รับเงินคืนจากการตัดเงินซ้ำครับ", None, ["netnati"], 4.0, 0),
    ("x1", "x", "ตู้เอทีเอ็มแสงทองหน้าตลาดกลืนบัตร โทรคอลเซ็นเตอร์ก็ไม่มีคนรับ", "service_staff", [], 6.0, 22),
    ("x2", "x", "เนตรนทีรายงานว่ามีลูกค้าร้องเรียนเรื่องแอปล่มซ้ำ ธนาคารจะชี้แจงเมื่อไหร่", "digital_outage", ["netnati", "sme-sellers"], None, 30),
    ("x3", "x", "ร้านเราโดนตัดเงินซ้ำตอนแอปล่ม ยังไม่ได้คืนเลย", "price_billing", ["sme-sellers", "sme-online"], 5.0, 9),
]
# A copy (near-duplicate) of l1 from another account: left out of every figure.
COPY_OF = "l1"
# case -> (its posts, closed after hours from the first post or None (open), reason)
CASES = {
    "CASE-SME1": (["l1", "l2"], 6.0, "resolved"),
    "CASE-NAN1": (["p1", "p2"], 120.0, "explained"),
    "CASE-FB1": (["f1"], None, None),
}
REGISTRY = [
    Stakeholder(id="sme-sellers", name="ร้านค้าและผู้ค้าออนไลน์ที่รับเงินผ่านแสงทอง", status="private_company", group="customers"),
    Stakeholder(id="sme-online", name="แม่ค้าออนไลน์", status="individual", group="customers"),
    Stakeholder(id="huai-phueng", name="ชุมชนบ้านห้วยผึ้ง", status="community", group="community",
                aliases=["บ้านห้วยผึ้ง", "ชาวบ้านห้วยผึ้ง"]),
    Stakeholder(id="netnati", name="สำนักข่าวเนตรนที", status="media", group="media", aliases=["เนตรนที"]),
]


def _mention(i: int, key: str, kind: str, text: str, ctype: str | None, tags: list[str], likes: int,
             duplicate_of: str | None = None) -> Mention:
    return Mention(
        id=mention_id(f"{kind}-saengthong", key), source_kind=kind, source_name=f"{kind}-saengthong", native_id=key,
        author_id=f"a_{key}", published_at=T0 + timedelta(hours=3 * i), collected_at=T0 + timedelta(hours=3 * i, minutes=2),
        text=text, tokens=tokenize(normalize(text), ["แสงทอง"]),
        sentiment=Sentiment(label="neg" if ctype else "q", score=0.9), entities=["ธนาคารแสงทอง"],
        complaint=Complaint(is_complaint=ctype is not None, type=ctype), stakeholders=tags,
        engagement=Engagement(likes=likes, shares=likes // 3, comments=likes // 2, views=likes * 10),
        text_hash=f"h-{key}", duplicate_of=duplicate_of,
    )


def fill(store: Store) -> dict[str, Mention]:
    """Store the posts, their responses, cases and the registry; the mentions by key."""
    by_key = {p[0]: _mention(i, p[0], p[1], p[2], p[3], p[4], p[6]) for i, p in enumerate(POSTS)}
    first = by_key[COPY_OF]
    copy = _mention(len(POSTS), "l1-copy", "line", first.text, "digital_outage", ["sme-sellers"], 0, duplicate_of=first.id)
    store.upsert([*by_key.values(), copy])
    for key, _, _, _, _, hours, _ in POSTS:
        if hours is not None:
            m = by_key[key]
            store.log_response(m.id, m.published_at + timedelta(hours=hours), "somsri", m.source_kind,
                               "ขออภัยในความไม่สะดวกค่ะ ทีมงานกำลังตรวจสอบและจะแจ้งกลับโดยเร็ว")
            store.log_response(m.id, m.published_at + timedelta(hours=hours + 1), "somchai", m.source_kind, "แจ้งความคืบหน้าค่ะ")
    for case_id, (keys, closed_after, reason) in CASES.items():
        ms = [by_key[k] for k in keys]
        received = ms[0].published_at
        store.save_case(ComplaintCase(
            id=case_id, received_at=received, updated_at=received, channel=ms[0].source_kind, source_name=ms[0].source_name,
            mention_ids=[m.id for m in ms], state="open" if closed_after is None else "closed", close_reason=reason,
            closed_at=None if closed_after is None else received + timedelta(hours=closed_after),
        ))
    for s in REGISTRY:
        store.save_stakeholder(s)
    return by_key


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.es)])
def store(request, tmp_path):
    if request.param == "sqlite":
        s: Store = SQLiteStore(tmp_path / "responses.db")
        yield s
        s.close()
        return
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url()
    es = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "spool")
    yield es
    drop_test_store(es) if url else es.close()


@pytest.fixture
def config(tmp_path) -> Config:
    (tmp_path / "sadap.yaml").write_text("data_dir: data\nwatch:\n  - name: ธนาคารแสงทอง\n", encoding="utf-8")
    return load_config(str(tmp_path / "sadap.yaml"))


def test_time_to_resolution_per_channel(store, config):
    by_key = fill(store)
    result = equal_response(store, config, "channel")
    groups = {g.group: g for g in result.groups}
    assert result.overall.count == len(POSTS)  # the copy is left out
    line, pantip, fb, x = groups["line"], groups["pantip"], groups["facebook_page"], groups["x"]
    # LINE: l1, l2 in a case closed 6 h after l1 (l2 three hours later: 3 h); l3, l4 in no case:
    # resolved by their first response (1.5 h, 2 h)
    assert (line.count, line.answered, line.resolved, line.unresolved) == (4, 4, 4, 0)
    assert line.resolution_median_s == pytest.approx((2.0 + 3.0) / 2 * 3600)
    # Pantip: p1, p2 closed ("explained") 120 h after p1; p3 answered after 52 h; p4 never
    assert (pantip.count, pantip.answered, pantip.unanswered, pantip.resolved, pantip.unresolved) == (4, 3, 1, 3, 1)
    assert sorted(round(v) for v in _resolution_hours(store, by_key, ["p1", "p2", "p3"])) == [52, 117, 120]
    assert pantip.median_s == 44 * 3600 and pantip.resolution_median_s == pytest.approx(117 * 3600)
    # Facebook: f1's case is open (answered, not resolved); f2, f3 in no case
    assert (fb.answered, fb.resolved, fb.unresolved) == (3, 2, 1)
    assert (x.unanswered, x.unresolved) == (1, 1)
    # Pantip is served markedly slower on both counts; X's first responses too: x2 has waited weeks
    # unanswered, so its median (5 h, 6 h, weeks) is past 1.5 times the others' answered median
    assert [g.group for g in result.flagged] == ["pantip", "x"]
    assert [g.group for g in result.flagged_resolution] == ["pantip"]
    # (before, X was never tested: only 2 of its 3 complaints were answered, under min_answered)
    data = result.as_dict()
    assert data["flagged_resolution"] == ["pantip"]
    assert data["overall"]["unresolved"] == 3 and data["overall"]["resolved"] == 11
    assert {"median_resolution_s", "p90_resolution_s", "unresolved", "flagged_slower_resolution"} <= set(data["groups"][0])


def _resolution_hours(store: Store, by_key: dict[str, Mention], keys: list[str]) -> list[float]:
    from sadap.app.responses import resolution_times

    closed = resolution_times(store)
    out = []
    for k in keys:
        m = by_key[k]
        if m.id in closed and closed[m.id] is not None:
            out.append((closed[m.id] - m.published_at.timestamp()) / 3600)
        else:
            rows = [r for r in store.response_rows(MentionFilter(), "source_kind") if r[0] == m.id]
            out.append(rows[0][3] / 3600)
    return out


def test_by_stakeholder_group_counts_each_mention_once_per_group(store, config):
    fill(store)
    result = equal_response(store, config, "group")
    groups = {g.group: g for g in result.groups}
    assert set(groups) == {"customers", "community", "media", "-"}
    # x3 is tagged with two customer stakeholders: one customers mention, not two
    assert groups["customers"].count == 6  # l1 l2 l3 f2 x2 x3 (x2 is media too)
    assert groups["community"].count == 4 and groups["media"].count == 2 and groups["-"].count == 3
    assert [g.group for g in result.flagged] == ["community"]
    assert result.overall.count == len(POSTS)


def test_report_responses_cli_by_group(tmp_path, config):
    with open_store(config) as store:
        fill(store)
    cfg = str(tmp_path / "sadap.yaml")
    res = CliRunner().invoke(main, ["report", "responses", "--config", cfg, "--by", "group", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["by"] == "group" and data["flagged"] == ["community"]
    res = CliRunner().invoke(main, ["report", "responses", "--config", cfg, "--by", "channel"])
    assert res.exit_code == 0, res.output
    pantip = next(line for line in res.output.splitlines() if line.startswith("พันทิป"))
    assert "44.0" in pantip and "117.0" in pantip and "ช้ากว่ากลุ่มอื่นอย่างชัดเจน: ตอบครั้งแรก, แก้ไขเสร็จ" in pantip
    assert "แก้เสร็จ" in res.output and "ยังไม่เสร็จ" in res.output and "รวม" in res.output


@pytest.mark.es
def test_elasticsearch_aggregations_equal_sqlite(tmp_path, request):
    """The same data on both backends: every group field's rows and the engagement sums agree."""
    from tests.es_support import drop_test_store, es_test_url, make_test_store

    url = es_test_url()
    es = make_test_store(url or request.getfixturevalue("osmem_clone").url, real=bool(url), spool_dir=tmp_path / "spool")
    lite = SQLiteStore(tmp_path / "same.db")
    try:
        fill(es)
        fill(lite)
        filters = [
            MentionFilter(include_duplicates=False, complaint=True),
            MentionFilter(include_duplicates=False, complaint=False, sentiment=("q",)),
            MentionFilter(),
            MentionFilter(since=T0 + timedelta(hours=10), until=T0 + timedelta(hours=30)),
        ]
        for flt in filters:
            assert es.engagement_totals(flt) == lite.engagement_totals(flt) == Store.engagement_totals(lite, flt)
            for group_by in ("source_kind", "stakeholder", "complaint_type", "cluster", "entity", "sentiment"):
                got = _rows(es.response_rows(flt, group_by))
                assert got == _rows(lite.response_rows(flt, group_by)), (flt, group_by)
                assert got == _rows(Store.response_rows(es, flt, group_by)), (flt, group_by)
        assert lite.engagement_totals(MentionFilter())["likes"] == sum(p[6] for p in POSTS)
        with pytest.raises(Exception, match="cannot group by"):
            es.response_rows(MentionFilter(), "nope")
        assert set(GROUP_FIELDS) >= {"stakeholder", "source_kind"}
    finally:
        lite.close()
        drop_test_store(es) if url else es.close()


def _rows(rows) -> list[tuple[str, str, float, float | None]]:
    return sorted((i, g, round(p, 3), None if d is None else round(d, 3)) for i, g, p, d in rows)


# -- relationship level history ---------------------------------------------------------------
T_REL = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)


def _levels(store: Store) -> Stakeholder:
    first = REGISTRY[2].model_copy(update={"relationship": Relationship(
        level="close", set_by="somsri", reason="ทำโครงการปลูกป่าร่วมกันสามปี", set_at=T_REL)})
    registry.save(store, first)
    same = first.model_copy(update={"notes": "ผู้ใหญ่บ้านเปลี่ยนคนใหม่"})
    assert registry.save(store, same).relationship_history == []  # the level did not change
    strained = same.model_copy(update={"relationship": Relationship(
        level="strained", set_by="wipa", reason="งบดูแลป่าปีนี้โอนล่าช้า ชาวบ้านโพสต์ถามในพันทิป",
        set_at=T_REL + timedelta(days=30))})
    registry.save(store, strained)
    good = strained.model_copy(update={"relationship": Relationship(
        level="good", set_by="somsri", reason="ลงพื้นที่ชี้แจงและโอนงบครบแล้ว", set_at=T_REL + timedelta(days=45))})
    return registry.save(store, good)


def test_relationship_history_is_kept_and_erased_with_the_stakeholder(store):
    saved = _levels(store)
    kept = store.get_stakeholder("huai-phueng")
    assert kept is not None and kept == saved
    assert [(h.level, h.set_by, h.reason) for h in kept.relationship_history] == [
        ("close", "somsri", "ทำโครงการปลูกป่าร่วมกันสามปี"),
        ("strained", "wipa", "งบดูแลป่าปีนี้โอนล่าช้า ชาวบ้านโพสต์ถามในพันทิป"),
    ]
    assert kept.relationship_history[1].set_at == T_REL + timedelta(days=30)
    # an export read back (an import) keeps the history and adds nothing twice
    again = registry.save(store, Stakeholder.model_validate(kept.model_dump()))
    assert again.relationship_history == kept.relationship_history
    assert store.delete_stakeholder("huai-phueng") and store.get_stakeholder("huai-phueng") is None
    assert all(s.id != "huai-phueng" for s in store.list_stakeholders())


def test_relationship_history_in_the_cli(tmp_path, config):
    with open_store(config) as store:
        _levels(store)
    cfg = str(tmp_path / "sadap.yaml")
    shown = CliRunner().invoke(main, ["stakeholders", "show", "huai-phueng", "--config", cfg])
    assert shown.exit_code == 0, shown.output
    assert "ความสัมพันธ์: ดี โดย somsri" in shown.output
    lines = [line for line in shown.output.splitlines() if "ก่อนหน้า" in line]
    assert "ตึงเครียด โดย wipa" in lines[0] and "ใกล้ชิด โดย somsri" in lines[1]  # newest first
    assert "งบดูแลป่าปีนี้โอนล่าช้า" in lines[0]
    as_json = json.loads(CliRunner().invoke(main, ["stakeholders", "show", "huai-phueng", "--config", cfg, "--json"]).output)
    assert [h["level"] for h in as_json["stakeholder"]["relationship_history"]] == ["close", "strained"]
    edit = CliRunner().invoke(main, ["stakeholders", "edit", "huai-phueng", "--config", cfg, "--level", "close",
                                     "--reason", "ชุมชนร่วมงานปลูกป่าปีที่ห้า", "--by", "somsri"])
    assert edit.exit_code == 0, edit.output
    with open_store(config) as s:
        found = s.get_stakeholder("huai-phueng")
        assert found is not None and [h.level for h in found.relationship_history] == ["close", "strained", "good"]
    assert CliRunner().invoke(main, ["stakeholders", "remove", "huai-phueng", "--config", cfg]).exit_code == 0
    with open_store(config) as s:
        assert s.get_stakeholder("huai-phueng") is None  # the history goes with the profile


def test_a_channel_nobody_answers_is_flagged_once_it_has_waited_longer_than_the_others_took(store, config):
    fill(store)
    # the call centre's complaints (imported with received_via: phone)
    silent = [_mention(20 + i, f"r{i}", "phone", text, "price_billing", [], 0) for i, text in enumerate([
        "ลูกค้าโทรแจ้งว่าค่าธรรมเนียมโอนเงินต่างธนาคารแพงขึ้นโดยไม่แจ้งล่วงหน้า",
        "ลูกค้าโทรร้องเรียนถูกหักค่าบริการรายเดือนซ้ำ",
        "ลูกค้าโทรมาบ่นค่าธรรมเนียมรายปีของบัตรแสงทองแพงเกินไป",
    ])]  # published T0 + 60, 63, 66 h; never answered
    store.upsert(silent)
    last = T0 + timedelta(hours=66)
    soon = equal_response(store, config, "channel", at=last + timedelta(minutes=30))
    late = equal_response(store, config, "channel", at=last + timedelta(days=3))
    phone_soon = next(g for g in soon.groups if g.group == "phone")
    assert (phone_soon.count, phone_soon.answered, phone_soon.median_s) == (3, 0, None)
    assert "phone" not in [g.group for g in soon.flagged]  # waited 0.5-6.5 h: not yet past the others' answers
    assert "phone" in [g.group for g in late.flagged] and "phone" in [g.group for g in late.flagged_resolution]
    # the figures shown stay those of the answered items
    assert next(g for g in late.groups if g.group == "phone").median_s is None


# -- the demo story ---------------------------------------------------------------------------------
def test_the_demo_has_a_spread_across_channels_and_groups(demo_store_dir):
    cfg = str(demo_store_dir / "sadap.yaml")
    by_channel = json.loads(CliRunner().invoke(main, ["report", "responses", "--config", cfg, "--by", "channel", "--json"]).output)
    groups = {g["group"]: g for g in by_channel["groups"]}
    assert {"line", "facebook_page", "x", "pantip", "forum"} <= set(groups)
    # the forum's 75 complaints are never answered (they have waited longer than the others took), and X
    # leaves half its complaints unanswered; Pantip answers slowly
    assert by_channel["flagged"] == ["forum", "pantip", "x"] and by_channel["flagged_resolution"] == ["pantip"]
    assert groups["line"]["median_first_response_s"] < 3600 < groups["pantip"]["median_first_response_s"]
    assert groups["x"]["unanswered"] >= 1 and groups["pantip"]["unresolved"] >= 1
    assert groups["line"]["resolved"] >= 3 and groups["forum"]["answered"] == 0
    by_group = json.loads(CliRunner().invoke(main, ["report", "responses", "--config", cfg, "--by", "group", "--json"]).output)
    assert {"customers", "community", "regulators", "media"} <= {g["group"] for g in by_group["groups"]}
    # regulators: 2 of 3 never answered (the news items naming the Bank of Thailand are not counted); the
    # sellers (customers): 5 of 7 complaints unanswered through the outage
    assert by_group["flagged"] == ["customers", "community", "regulators"]
    with open_store(load_config(cfg)) as store:
        closed = store.list_cases(("closed",))
        assert {c.close_reason for c in closed} >= {"resolved", "explained", "compensated"}
        assert all(c.closed_at is not None and c.closed_at > c.received_at for c in closed)
        pillars = store.count_by(MentionFilter(entities=("ธนาคารแสงทอง",)), "csr", 10)
        assert all(pillars.get(p, 0) > 0 for p in ("economy", "society", "environment")), pillars
