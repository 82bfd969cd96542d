"""The web workspace in a real browser: Playwright for Python driving Debian's Chromium against a
real uvicorn server on a copy of the demo store."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest

from tests.browser_support import chromium_missing, served_workspace, sign_in_page
from tests.web_support import PASSWORD

pytestmark = pytest.mark.browser

_missing = chromium_missing()
if _missing and not os.environ.get("CI"):
    pytest.skip(_missing, allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def _evil_link(store) -> None:
    from sadap.core.mention import Mention
    from sadap.core.timeutil import now_utc

    now = now_utc()
    store.upsert([Mention(id="evil-link", source_kind="forum", source_name="forum-x", url="javascript:alert(1)",
                          published_at=now - timedelta(minutes=3), collected_at=now, text="ลิงก์แปลก ๆ ลองกดดู")])


@pytest.fixture(scope="module")
def server(demo_store_dir, tmp_path_factory):
    with served_workspace(demo_store_dir, tmp_path_factory.mktemp("browser"), prepare=_evil_link) as served:
        yield served


def test_sign_in_and_overview_charts_drawn_and_clickable(server, page):
    base, store = server
    page.goto(base)
    assert "/signin" in page.url
    sign_in_page(page, base, "viewer", "wrong password!")
    assert page.locator("[role=alert]").is_visible()
    sign_in_page(page, base, "viewer", PASSWORD)
    assert page.url == base
    page.wait_for_selector("#chart-volume[data-drawn='1'] canvas")
    assert page.locator("[data-drawn='1']").count() == 11
    assert page.locator("#chart-volume canvas").first.bounding_box()["height"] > 100
    assert not [e for e in page.errors if "Content Security Policy" in e], page.errors
    # click the tallest bar of the volume chart: it opens the mentions behind it
    point = page.evaluate("""() => {
        const el = document.getElementById('chart-volume');
        const chart = echarts.getInstanceByDom(el);
        const opt = chart.getOption();
        let best = [0, 0, -1];
        opt.series.forEach((s, si) => s.data.forEach((v, i) => { if (v > best[2]) best = [si, i, v]; }));
        const below = opt.series.slice(0, best[0]).reduce((a, s) => a + s.data[best[1]], 0);
        const [x, y] = chart.convertToPixel({seriesIndex: best[0]}, [best[1], below + best[2] / 2]);
        const r = el.getBoundingClientRect();
        return {x: r.left + x, y: r.top + y};
    }""")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(re.compile(r".*/mentions\?.*"))
    assert int(page.locator("#found-count").inner_text()) > 0


def test_search_and_filter(server, page):
    from sadap.store import MentionFilter
    from sadap.store.query import parse_query

    base, store = server
    sign_in_page(page, base, "viewer", PASSWORD)
    page.goto(base + "mentions")
    page.fill("input[name=q]", "แอป ล่ม")
    page.select_option("select[name=sentiment]", "neg")
    page.click("#mention-filters button[type=submit]")
    page.wait_for_load_state("load")
    from sadap.app.config import load_config_file

    words = tuple(load_config_file(store.path.parent / "sadap.yaml").custom_words())  # the page's query words
    expected = store.count(MentionFilter(query=parse_query("แอป ล่ม", words), sentiment=("neg",),
                                         include_duplicates=False))
    assert "sentiment=neg" in page.url and int(page.locator("#found-count").inner_text()) == expected > 0
    assert page.locator("table.mentions tbody tr").count() == min(expected, 50)


def test_filter_by_complaint_type_and_author_in_the_browser(server, page):
    from sadap.store import MentionFilter

    base, store = server
    complaints = store.search(MentionFilter(complaint=True), 500)
    kind = max({m.complaint.type for m in complaints if m.complaint.type},
               key=lambda t: sum(1 for m in complaints if m.complaint.type == t))
    sign_in_page(page, base, "viewer", PASSWORD)
    page.goto(base + "mentions")
    page.select_option("select[name=complaint_type]", kind)
    page.click("#mention-filters button[type=submit]")
    page.wait_for_load_state("load")
    expected = store.count(MentionFilter(complaint_types=(kind,), include_duplicates=False))
    assert f"complaint_type={kind}" in page.url and int(page.locator("#found-count").inner_text()) == expected > 0
    author = next(m.author_id for m in complaints if m.complaint.type == kind and m.author_id and not m.duplicate_of)
    page.fill("input[name=author]", author)
    page.click("#mention-filters button[type=submit]")
    page.wait_for_load_state("load")
    expected = store.count(MentionFilter(complaint_types=(kind,), author_ids=(author,), include_duplicates=False))
    assert int(page.locator("#found-count").inner_text()) == expected > 0
    assert page.locator("select[name=complaint_type]").input_value() == kind  # the filter stays chosen
    assert not page.errors  # type: ignore[attr-defined]


def test_incident_ack_step_resolve(server, page):
    base, store = server
    incident = next(i for i in store.list_incidents() if i.state == "open")
    sign_in_page(page, base, "responder", PASSWORD)
    page.goto(base + f"incidents/{incident.id}")
    page.click("#btn-ack")
    page.wait_for_load_state("load")
    assert page.locator("#state").inner_text() == "รับทราบแล้ว"
    page.click("#btn-step-1")
    page.wait_for_load_state("load")
    assert "✓" in page.locator("#step-1").inner_text()
    page.click("#btn-resolve")
    page.wait_for_load_state("load")
    assert page.locator("#state").inner_text() == "ปิดแล้ว"
    events = store.events(incident.id)
    assert [e.kind for e in events][-3:] == ["acknowledged", "step_done", "resolved"]
    assert {e.actor for e in events[-3:]} == {"responder"}


def test_complaint_response_stops_its_clock(server, page):
    base, store = server
    sign_in_page(page, base, "responder", PASSWORD)
    page.goto(base + "complaints?days=90")
    row = page.locator("table.complaints tbody tr:not(.answered)").first
    row_id = row.get_attribute("id")
    assert "✓" not in row.locator("td.clock").inner_text()
    row.locator("form.respond input[name=text]").fill("ขออภัยในความไม่สะดวกค่ะ ทีมงานกำลังแก้ไข")
    row.locator("form.respond button").click()
    page.wait_for_load_state("load")
    answered = page.locator(f"#{row_id}")
    assert answered.get_attribute("class") == "answered" and "✓" in answered.locator("td.clock").inner_text()
    case = store.get_case(row_id.removeprefix("c-"))
    assert store.responses(case.mention_ids[0])[0]["actor"] == "responder"


def test_playbook_edit_error_shown_inline(server, page):
    base, _ = server
    sign_in_page(page, base, "planner", PASSWORD)
    page.goto(base + "playbooks/service-outage")
    text = page.input_value("textarea[name=yaml]")
    page.fill("textarea[name=yaml]", re.sub(r"(?m)^severity: P\d", "severity: P9", text, count=1))
    page.click("#playbook-editor button[value=validate]")
    page.wait_for_load_state("load")
    problems = page.locator("#problems")
    assert problems.is_visible() and "severity" in problems.inner_text()
    assert page.locator("ol.lines li.bad").count() >= 1


def test_viewer_cannot_acknowledge(server, page):
    base, store = server
    incident = next(i for i in store.list_incidents() if i.state == "open")
    sign_in_page(page, base, "viewer", PASSWORD)
    page.goto(base + f"incidents/{incident.id}")
    assert page.locator("#btn-ack").count() == 0
    token = page.get_attribute("body", "data-csrf")
    response = page.request.post(base + f"incidents/{incident.id}/ack", form={"csrf_token": token})
    assert response.status == 403
    assert store.get_incident(incident.id).state == "open"


def test_request_without_csrf_token_refused(server, page):
    base, store = server
    incident = next(i for i in store.list_incidents() if i.state == "open")
    sign_in_page(page, base, "responder", PASSWORD)
    response = page.request.post(base + f"incidents/{incident.id}/ack", form={"text": "no token"})
    assert response.status == 403 and "CSRF" in response.text()
    # a cross-site form post (another origin, no token) is refused too
    response = page.request.post(base + f"incidents/{incident.id}/ack", form={"text": "x"},
                                 headers={"Origin": "http://evil.example"})
    assert response.status == 403
    assert store.get_incident(incident.id).state == "open"


def test_javascript_url_is_inert(server, page):
    base, _ = server
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in_page(page, base, "viewer", PASSWORD)
    page.goto(base + "mentions/evil-link")
    assert page.locator("a[href^='javascript']").count() == 0
    page.locator(".inert").first.click()
    page.wait_for_timeout(300)
    page.goto(base + "mentions?source=forum-x")
    assert page.locator("a[href^='javascript']").count() == 0
    page.locator("table.mentions .inert").first.click()
    page.wait_for_timeout(300)
    assert dialogs == [] and "/mentions" in page.url


def test_thai_renders_with_the_shipped_font(server, browser):
    base, _ = server
    shots = []
    for block_fonts in (False, True):
        context = browser.new_context(viewport={"width": 800, "height": 400})
        if block_fonts:
            context.route("**/static/vendor/fonts/**", lambda route: route.abort())
        page = context.new_page()
        sign_in_page(page, base, "viewer", PASSWORD)
        page.goto(base + "incidents")
        page.evaluate("document.fonts.ready")
        loaded = page.evaluate("() => document.fonts.check('16px \"Sadap Noto Sans Thai\"', 'ภาษาไทย')")
        statuses = page.evaluate("() => Array.from(document.fonts).map(f => f.status)")
        if not block_fonts:
            assert loaded and "loaded" in statuses
        else:
            assert "loaded" not in statuses
        shots.append(page.locator("h1").screenshot())
        context.close()
    assert shots[0] != shots[1]


# Coloured pixels of each drawn chart's canvas, below its legend row (the legend's icons are
# coloured too): bars drawn without a colour leave only grey axes and labels.
_COLOURED_PIXELS = """() => Array.from(document.querySelectorAll('[data-chart]')).map(el => {
    const spec = JSON.parse(document.getElementById('chart-data').textContent)[Number(el.dataset.chart)];
    const canvas = el.querySelector('canvas');
    const ctx = canvas.getContext('2d');
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const top = Math.ceil(40 * ratio);
    const img = ctx.getImageData(0, top, canvas.width, canvas.height - top).data;
    let coloured = 0;
    for (let i = 0; i < img.length; i += 4) {
        const [r, g, b, a] = [img[i], img[i + 1], img[i + 2], img[i + 3]];
        if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 40) { coloured += 1; }
    }
    const points = spec.series.reduce((n, s) => n + s.data.filter(v => v > 0).length, 0);
    return {id: el.id, drawn: el.getAttribute('data-drawn'), points: points, coloured: coloured};
})"""


def test_every_chart_draws_coloured_bars(server, page):
    """Each chart with data draws its bars in colour: the overview's eleven and the backtest's
    (only the volume chart names its own colours; the others use ECharts' default palette)."""
    base, _ = server
    sign_in_page(page, base, "planner", PASSWORD)
    page.goto(base)
    page.wait_for_selector("#chart-volume[data-drawn='1'] canvas")
    charts = page.evaluate(_COLOURED_PIXELS)
    assert len(charts) == 11
    with_data = [c for c in charts if c["points"]]
    assert len(with_data) >= 10, charts
    assert [c["id"] for c in with_data if c["coloured"] < 100] == [], charts
    page.goto(base + "backtest/outage-keywords?since=7d")
    page.wait_for_selector("#chart-backtest[data-drawn='1'] canvas")
    (chart,) = page.evaluate(_COLOURED_PIXELS)
    assert chart["points"] > 0 and chart["coloured"] >= 100, chart
    assert not page.errors, page.errors  # type: ignore[attr-defined]


def _chart_link(page, chart_id: str) -> str:
    """The link of the chart's fullest point (what a click on its tallest bar opens); on a time
    chart, the fullest whose next bucket has mentions too (a range widened by one bucket
    would find more)."""
    return page.evaluate("""(id) => {
        const spec = JSON.parse(document.getElementById('chart-data').textContent).find(c => c.id === id);
        const next = (i) => spec.type !== 'time' || spec.series.some(s => (s.data[i + 1] || 0) > 0);
        let best = [0, 0, -1];
        spec.series.forEach((s, si) => s.data.forEach((v, i) => { if (v > best[2] && next(i)) best = [si, i, v]; }));
        return spec.links[best[0]][best[1]];
    }""", chart_id)


def test_chart_click_through_then_search_keeps_the_range(server, page):
    """After a chart's click-through, pressing ค้นหา without a change finds the same mentions:
    a whole-day bar's range shows as inclusive dates; an hourly bar's exact times travel in
    hidden fields, shown as a chip."""
    from datetime import timedelta

    from sadap.core.timeutil import BANGKOK, now_utc

    base, _ = server
    sign_in_page(page, base, "viewer", PASSWORD)
    today = now_utc().astimezone(BANGKOK).date()
    for overview, hourly in (("", False), (f"?since={today - timedelta(days=1)}&until={today}", True)):
        page.goto(base + overview)
        page.wait_for_selector("#chart-volume[data-drawn='1']")
        for chart in ("volume", "sources"):
            page.goto(base + _chart_link(page, chart).lstrip("/"))
            found = int(page.locator("#found-count").inner_text())
            assert found > 0, page.url
            since, until = page.url.split("since=")[1].split("&")[0], page.url.split("until=")[1].split("&")[0]
            assert page.locator("#time-range").count() == (1 if hourly and chart == "volume" else 0)
            page.click("#mention-filters button[type=submit]")
            page.wait_for_load_state("load")
            assert int(page.locator("#found-count").inner_text()) == found, (chart, overview, page.url)
            assert (page.url.split("since=")[1].split("&")[0], page.url.split("until=")[1].split("&")[0]) == (since, until)
            page.goto(base + overview)
    assert not page.errors, page.errors  # type: ignore[attr-defined]
