"""Outcomes to one self-contained HTML file (报告.html): summary, per-community tables, charts and,
per outcome, its explanation — readable offline, printable.

Charts are drawn by plotly; its script is written into the page once (nothing is fetched at view
time), then each chart is a ``Plotly.newPlot`` call. A small page script records script errors
and, once the page has loaded, how many charts rendered, in ``#render-status`` — what the
browser test reads back, and what an officer sees at the foot of the page if a chart failed.
Key figures carry ``data-`` attributes (``data-rule``/``data-count``, ``data-allowance-total``)
so that a test checks them against the :class:`~partybuild_rules.domain.outcomes.Result`.
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ..analysis.explain import explain
from ..domain.model import Activity, Dataset
from ..domain.outcomes import Allowance, ComplianceFinding, Reprimand, Result
from ..policy.pack import Pack
from .tables import Table, allowance_totals, amount_text, kind_tables, rule_counts, word

__all__ = ["render_html", "write_result_html"]

Lang = Literal["zh", "en"]

_TEXT = {
    "title": ("评估报告", "Evaluation report"),
    "summary": ("概况", "Summary"),
    "per_rule": ("各规则结果", "Outcomes per rule"),
    "money": ("待遇经费", "Allowances"),
    "communities": ("各社区情况", "Per community"),
    "charts": ("图表", "Charts"),
    "participation": ("各月“联学共建”参与人次", "联学共建 participations per month"),
    "per_community": ("各社区问责与合规问题", "Reprimands and compliance findings per community"),
    "by_rule": ("各规则待遇经费（元）", "Allowances per rule (yuan)"),
    "outcomes": ("结果明细", "Outcomes"),
    "why": ("为什么", "why"),
    "render_ok": ("图表已全部显示", "all charts rendered"),
    "render_failed": ("有图表未能显示", "some charts failed to render"),
    "participations": ("参与人次", "participations"),
    "month": ("月份", "month"),
    "total_money": ("待遇经费合计", "allowance total"),
}


def _t(key: str, lang: Lang) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def write_result_html(path: str | Path, result: Result, pack: Pack | None = None, data: Dataset | None = None,
                      lang: Lang = "zh") -> None:
    """Write the report to ``path`` (UTF-8)."""
    Path(path).write_text(render_html(result, pack, data, lang), encoding="utf-8")


def render_html(result: Result, pack: Pack | None = None, data: Dataset | None = None, lang: Lang = "zh") -> str:
    """The report as one HTML document. ``pack`` adds rules without outcomes and the amounts behind
    the money rules; ``data`` adds the participation chart (read from the dataset's activities)."""
    from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

    charts = _charts(result, data, lang)
    body = [
        f"<h1>{_e(result.dataset or result.pack)} — {result.year} {_e(_t('title', lang))}</h1>",
        _summary(result, pack, lang),
        _communities(result, lang),
        f"<section class='charts'><h2>{_e(_t('charts', lang))}</h2>",
        *(f"<figure><figcaption>{_e(title)}</figcaption><div class='chart' id='{cid}'></div></figure>"
          for cid, title, _ in charts),
        "</section>",
        f"<section><h2>{_e(_t('outcomes', lang))}</h2>",
        *(_kind_table(t, result, lang) for t in kind_tables(result, lang) if t.rows),
        "</section>",
        f"<footer id='render-status' data-charts-expected='{len(charts)}' data-charts-rendered='0' "
        f"data-errors='' data-state='loading'></footer>",
    ]
    plots = "\n".join(
        f"var spec = {_script_safe(spec)};\n"
        f"Plotly.newPlot({json.dumps(cid)}, spec.data, spec.layout, {{responsive: true, displaylogo: false}});"
        for cid, _, spec in charts
    )
    return (
        "<!DOCTYPE html>\n<html lang='" + ("zh-CN" if lang == "zh" else "en") + "'><head><meta charset='utf-8'>"
        f"<title>{_e(result.dataset)} {result.year}</title><style>{_CSS}</style>"
        f"<script>{_WATCH}</script><script>{get_plotlyjs()}</script></head><body>"
        + "\n".join(body)
        + f"<script>try {{\n{plots}\n}} catch (e) {{ window.__renderErrors.push(String(e)); }}</script>"
        + f"<script>{_STATUS % (json.dumps(_t('render_ok', lang)), json.dumps(_t('render_failed', lang)))}</script>"
        + "</body></html>\n"
    )


def _script_safe(text: str) -> str:
    """JSON that cannot end its ``<script>`` element early."""
    return text.replace("</", "<\\/")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _summary(result: Result, pack: Pack | None, lang: Lang) -> str:
    rows = "".join(
        f"<tr data-rule='{_e(rule_id)}' data-count='{count}'><td>{_e(rule_id)}</td><td>{_e(title)}</td>"
        f"<td class='n'>{count}</td></tr>"
        for rule_id, title, count in rule_counts(result, pack)
    )
    totals = allowance_totals(result)
    grand = sum((t[3] for t in totals), Decimal("0.00"))
    money_rows = "".join(
        f"<tr data-allowance-rule='{_e(rule_id)}' data-amount='{total}'><td>{_e(rule_id)}</td><td>{_e(title)}</td>"
        f"<td class='n'>{payees}</td><td class='n'>{_money(total)}</td>"
        f"<td>{_e(amount_text(pack, rule_id, lang) if pack else '')}</td></tr>"
        for rule_id, title, payees, total in totals
    )
    head = (f"<p class='lead'>{_e(word('pack', lang))} {_e(result.pack)} {_e(result.pack_version)} · "
            f"{_e(word('outcomes', lang))} <b id='outcome-count' data-value='{len(result.outcomes)}'>"
            f"{len(result.outcomes)}</b> · {_e(_t('total_money', lang))} "
            f"<b id='allowance-total' data-value='{grand}'>{_money(grand)}</b></p>")
    return (
        f"<section><h2>{_e(_t('summary', lang))}</h2>{head}<h3>{_e(_t('per_rule', lang))}</h3>"
        f"<table><thead><tr><th>{_e(word('rule', lang))}</th><th>{_e(word('rule_title', lang))}</th>"
        f"<th>{_e(word('outcomes', lang))}</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<h3>{_e(_t('money', lang))}</h3><table><thead><tr><th>{_e(word('rule', lang))}</th>"
        f"<th>{_e(word('rule_title', lang))}</th><th>{_e(word('payees', lang))}</th>"
        f"<th>{_e(word('amount', lang))}</th><th>{_e(word('formula', lang))}</th></tr></thead>"
        f"<tbody>{money_rows}<tr class='total'><td>{_e(word('total', lang))}</td><td></td><td></td>"
        f"<td class='n'>{_money(grand)}</td><td></td></tr></tbody></table></section>"
    )


def _per_community(result: Result) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: {"reprimand": 0, "compliance": 0, "allowance": Decimal("0.00"),
                                                           "outcomes": 0})
    for o in result.outcomes:
        row = rows[o.community]
        row["outcomes"] += 1
        if isinstance(o, Reprimand):
            row["reprimand"] += 1
        elif isinstance(o, ComplianceFinding):
            row["compliance"] += 1
        elif isinstance(o, Allowance) and o.kind == "allowance":
            row["allowance"] += o.amount
    return dict(sorted(rows.items()))


def _communities(result: Result, lang: Lang) -> str:
    rows = "".join(
        f"<tr data-community='{_e(c)}'><td>{_e(c)}</td><td class='n'>{r['outcomes']}</td>"
        f"<td class='n'>{r['reprimand']}</td><td class='n'>{r['compliance']}</td>"
        f"<td class='n'>{_money(r['allowance'])}</td></tr>"
        for c, r in _per_community(result).items()
    )
    heads = [word(k, lang) for k in ("community", "outcomes", "reprimand", "compliance", "amount")]
    return (f"<section><h2>{_e(_t('communities', lang))}</h2><table><thead><tr>"
            + "".join(f"<th>{_e(h)}</th>" for h in heads) + f"</tr></thead><tbody>{rows}</tbody></table></section>")


def _kind_table(table: Table, result: Result, lang: Lang) -> str:
    outcomes = [o for o in result.outcomes if o.kind == table.kind]
    shown = [0, 3, 4, 5, 7, 8]  # rule, subject, name, community, period, outcome
    head = "".join(f"<th>{_e(table.headers[i])}</th>" for i in shown) + f"<th>{_e(_t('why', lang))}</th>"
    lines = []
    for outcome, row in zip(outcomes, table.rows):
        only = result.model_copy(update={"outcomes": (outcome,)})
        why = explain(only, outcome.subject)
        cells = "".join(f"<td>{_e(row[i] if row[i] is not None else '')}</td>" for i in shown)
        lines.append(f"<tr data-rule='{_e(outcome.rule_id)}'>{cells}<td><details><summary>"
                     f"{_e(_t('why', lang))}</summary><pre>{_e(why)}</pre></details></td></tr>")
    return (f"<h3 data-kind='{table.kind}'>{_e(table.title)}（{len(outcomes)}）</h3>"
            f"<table class='outcomes'><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>")


# -- charts --------------------------------------------------------------------------------


def _charts(result: Result, data: Dataset | None, lang: Lang) -> list[tuple[str, str, str]]:
    """(element id, caption, plotly figure JSON) of each chart."""
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    charts: list[tuple[str, str, str]] = []
    layout = dict(margin=dict(l=50, r=20, t=20, b=60), height=320, template="plotly_white",
                  font=dict(family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"))
    if data is not None:
        months = _participation(data, result.year)
        by_community = sorted({c for c, _ in months})
        labels = [f"{result.year}-{m:02d}" for m in range(1, 13)]
        figure = go.Figure(
            [go.Bar(name=c, x=labels, y=[months.get((c, m), 0) for m in range(1, 13)]) for c in by_community],
            layout=dict(layout, barmode="stack", xaxis=dict(type="category", title=_t("month", lang)),
                        yaxis_title=_t("participations", lang)),
        )
        charts.append(("chart-participation", _t("participation", lang), figure.to_json()))
    per = _per_community(result)
    communities = list(per)
    figure = go.Figure(
        [go.Bar(name=word("reprimand", lang), x=communities, y=[per[c]["reprimand"] for c in communities]),
         go.Bar(name=word("compliance", lang), x=communities, y=[per[c]["compliance"] for c in communities])],
        layout=dict(layout, barmode="group"),
    )
    charts.append(("chart-communities", _t("per_community", lang), figure.to_json()))
    totals = allowance_totals(result)
    figure = go.Figure(
        [go.Bar(x=[t[0] for t in totals], y=[float(t[3]) for t in totals],
                text=[_money(t[3]) for t in totals], textposition="auto")],
        layout=dict(layout),
    )
    charts.append(("chart-allowances", _t("by_rule", lang), figure.to_json()))
    return charts


def _participation(data: Dataset, year: int) -> Counter[tuple[str, int]]:
    """联学共建 participations (members taking part) per community and month of ``year``."""
    counts: Counter[tuple[str, int]] = Counter()
    for event in data.events:
        if isinstance(event, Activity) and event.co_building and event.date.year == year:
            counts[(event.community, event.date.month)] += len(event.participants)
    return counts


_WATCH = """window.__renderErrors = [];
window.addEventListener('error', function (e) { window.__renderErrors.push(String(e.message || e)); });
(function () { var original = console.error; console.error = function () {
  window.__renderErrors.push(Array.prototype.join.call(arguments, ' ')); return original.apply(console, arguments); }; })();"""

_STATUS = """window.addEventListener('load', function () {
  var status = document.getElementById('render-status');
  var charts = document.querySelectorAll('.chart');
  var rendered = 0;
  charts.forEach(function (c) { if (c.querySelector('svg.main-svg') && c._fullLayout) { rendered += 1; } });
  status.dataset.chartsRendered = String(rendered);
  status.dataset.errors = window.__renderErrors.join(' | ');
  var ok = rendered === charts.length && window.__renderErrors.length === 0;
  status.dataset.state = ok ? 'ok' : 'failed';
  status.textContent = (ok ? %s : %s) + ' (' + rendered + '/' + charts.length + ')';
});"""

_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 24px auto;
       max-width: 1200px; color: #222; }
h1 { color: #b00000; border-bottom: 3px solid #b00000; padding-bottom: 6px; }
h2 { color: #b00000; margin-top: 28px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f4e3e3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; }
.lead { font-size: 16px; }
figure { margin: 12px 0; page-break-inside: avoid; }
figcaption { font-weight: bold; margin-bottom: 4px; }
.chart { width: 100%; height: 320px; }
details pre { white-space: pre-wrap; font-size: 12px; background: #fafafa; padding: 6px; }
footer { margin-top: 24px; color: #666; font-size: 12px; }
@media print {
  body { margin: 0; max-width: none; }
  details { display: block; }
  details > summary { list-style: none; }
  details:not([open]) pre { display: none; }
  h2 { page-break-after: avoid; }
  tr { page-break-inside: avoid; }
  footer { display: none; }
}
"""
