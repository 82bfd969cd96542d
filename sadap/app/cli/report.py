"""Commands: report responses (equal response), report quarterly and report yearly (the CRM reports)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from sadap.app.cli.common import _dump, _load, config_option, handled, pad, pad_left
from sadap.app.cli.common import point_in_time as _when
from sadap.app.quarterly import quarterly_report, yearly_report
from sadap.app.report_render import render_html, render_pdf
from sadap.app.responses import DIMENSIONS, equal_response, hours
from sadap.core.errors import InputError
from sadap.store import open_store

P = ParamSpec("P")
R = TypeVar("R")


@click.group("report")
def report() -> None:
    """Reports: equal response, the quarterly CRM report, the yearly effectiveness report."""


@report.command("responses")
@click.option("--since", default=None, help="From: a duration back from now (30d) or an ISO date/time (default: all).")
@click.option("--until", default=None, help="Until (not included): a duration back from now or an ISO date/time.")
@click.option("--by", "by", type=click.Choice(list(DIMENSIONS)), default="channel", show_default=True,
              help="Group complaints and questions by this.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@handled
def responses(since: str | None, until: str | None, by: str, config_path: str | None, as_json: bool) -> None:
    """Equal response: per group, complaints and questions, median and 90th-percentile time to the
    first response and to resolution, share answered within the SLA, unanswered, unresolved;
    groups served markedly slower (first response or resolution) are flagged."""
    config = _load(config_path)
    with open_store(config) as store:
        result = equal_response(store, config, by, _when(since, "--since"), _when(until, "--until"))
    if as_json:
        _dump(result.as_dict())
        return
    from sadap.app.web.i18n import label  # the workspace's Thai names of channels, categories, types

    dimension = DIMENSIONS[by]
    click.echo(f"ตอบสนองอย่างเท่าเทียม (equal response) · แยกตาม{dimension.words[0]} ({by}) · "
               f"SLA {hours(result.sla.total_seconds())} ชม.")
    click.echo("(ชม. = ชั่วโมง; ตอบแรก = เวลาถึงการตอบครั้งแรก, แก้เสร็จ = เวลาถึงการแก้ไขเสร็จ; มัธยฐาน / P90)")
    heads = [("กลุ่ม", 28), ("จำนวน", 6), ("ตอบแรก", 9), ("P90", 9), ("ทันSLA", 7), ("ยังไม่ตอบ", 10),
             ("แก้เสร็จ", 9), ("P90", 9), ("ยังไม่เสร็จ", 10)]
    click.echo(" ".join(pad(h, w) if i == 0 else pad_left(h, w) for i, (h, w) in enumerate(heads)))
    for g in [*result.groups, result.overall]:
        share = "-" if g.within_sla_share is None else f"{g.within_sla_share * 100:.0f}%"
        flags = [w for w, on in (("ตอบครั้งแรก", g.flagged), ("แก้ไขเสร็จ", g.flagged_resolution)) if on]
        flag = f"  ← ช้ากว่ากลุ่มอื่นอย่างชัดเจน: {', '.join(flags)}" if flags else ""
        name = "รวม" if g.group == "*" else label(dimension.label_kind, g.group, "th") if dimension.label_kind else g.group
        click.echo(f"{pad(name, 28)} {g.count:>6} {hours(g.median_s):>9} {hours(g.p90_s):>9} {share:>7} {g.unanswered:>10} "
                   f"{hours(g.resolution_median_s):>9} {hours(g.resolution_p90_s):>9} {g.unresolved:>10}{flag}")


def _format_and_out(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        fn = click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
                          help=f"Write here (default: sadap-report-<{what}>.<format> in the current folder).")(fn)
        return click.option("--format", "fmt", type=click.Choice(["html", "pdf", "json"]), default="html",
                            show_default=True)(fn)
    return wrap


def _checked_out(out: str | None) -> None:
    if out and not Path(out).parent.is_dir():  # before the report is built, not after
        raise InputError(f"--out {out}: no folder {Path(out).parent} (create it first)")


def _write(data: dict[str, Any], fmt: str, out: str | None) -> None:
    target = Path(out or f"sadap-report-{data['period']}.{fmt}")
    if fmt == "json":
        target.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    elif fmt == "pdf":
        target.write_bytes(render_pdf(data))
    else:
        target.write_text(render_html(data), encoding="utf-8")
    click.echo(str(target))


@report.command("quarterly")
@click.option("--quarter", required=True,
              help="The quarter, e.g. 2026Q4 (or 2569Q4); compared with the one before. With report.fiscal_year_start "
              "(10: ปีงบประมาณ), the fiscal year's: 2570Q1 or FY2027Q1 is October-December 2026.")
@_format_and_out("quarter")
@config_option
@handled
def quarterly(quarter: str, fmt: str, out: str | None, config_path: str | None) -> None:
    """The quarterly CRM report: satisfaction, engagement, image, voice of the customer, incidents,
    equal response and CSR balance against the previous quarter, each with a chart and a Thai summary."""
    config = _load(config_path)
    _checked_out(out)
    with open_store(config) as store:
        data = quarterly_report(store, config, quarter)
    _write(data, fmt, out)


@report.command("yearly")
@click.option("--year", required=True,
              help="The year, e.g. 2026 (or 2569); compared with the year before. With report.fiscal_year_start "
              "(10: ปีงบประมาณ), the fiscal year named by the year it ends: 2570 or FY2027 is October 2026-September 2027.")
@_format_and_out("year")
@config_option
@handled
def yearly(year: str, fmt: str, out: str | None, config_path: str | None) -> None:
    """The yearly CRM effectiveness report (standard 004): the quarterly report's sections for the
    whole year against the year before, its four quarters side by side and its twelve months."""
    config = _load(config_path)
    _checked_out(out)
    with open_store(config) as store:
        data = yearly_report(store, config, year)
    _write(data, fmt, out)
