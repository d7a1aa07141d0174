"""Charts drawn on the server as SVG with pygal: nothing is loaded from the internet (no
pygal JavaScript; tooltips are SVG titles). Every chart has a title and axis titles, and
every page shows its table beside it.

The page's Content-Security-Policy runs no inline script and applies no inline style
without the response's nonce: each chart leaves out pygal's config script and the
tooltip layer only that script drives, and its <style> element carries the nonce.
"""

import pygal
from flask import current_app
from markupsafe import Markup
from pygal.style import Style

from shop.money import format_money
from shop.security_headers import style_nonce

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#222222",
    foreground_strong="#111111",
    foreground_subtle="#666666",
    colors=("#2f6f4f", "#b0703a", "#3a62b0", "#a33b3b", "#7a5aa6"),
    font_family="system-ui, sans-serif",
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=11,
)
COMMON = {
    "style": STYLE,
    "js": [],  # pygal would otherwise load its tooltip script from the internet
    "disable_xml_declaration": True,
    "width": 900,
    "height": 360,
    "explicit_size": False,  # scales to the page's width
    "legend_at_bottom": True,
    "print_values": False,
    "show_minor_x_labels": False,
}


def money_text(minor) -> str:
    config = current_app.config
    return format_money(int(round(minor)), config["BASE_CURRENCY"], config["LOCALE"])


def _formatter(money: bool):
    if money:
        return money_text
    return lambda v: f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.1f}"


def _fit_for_the_policy(root):
    """Drop pygal's inline script and its tooltip layer; give the <style> the nonce."""
    for parent in root.iter():
        for node in list(parent):
            if node.tag == "script" or "tooltip-overlay" in (node.get("class") or ""):
                parent.remove(node)
            elif node.tag == "style":
                node.set("nonce", style_nonce())
    return root


def _render(chart) -> Markup:
    chart.add_xml_filter(_fit_for_the_policy)
    return Markup(chart.render(is_unicode=True))


def line_chart(
    *,
    title: str,
    x_title: str,
    y_title: str,
    labels: list[str],
    series,
    money: bool = False,
    every: int = 1,
) -> Markup:
    """series: [(name, [value or None per label]), ...]; every: show one x label in so many."""
    chart = pygal.Line(
        title=title, x_title=x_title, y_title=y_title, value_formatter=_formatter(money),
        x_label_rotation=30, dots_size=2, include_x_axis=True, **COMMON,
    )  # fmt: skip
    chart.x_labels = labels
    chart.x_labels_major = labels[::every] if every > 1 else None
    for name, values in series:
        chart.add(name, values)
    return _render(chart)


def bar_chart(
    *,
    title: str,
    value_title: str,
    labels: list[str],
    series,
    money: bool = False,
    label_title: str = "",
) -> Markup:
    """Horizontal bars, one group per label; series: [(name, [value per label]), ...].
    The values run along the bottom axis (value_title), the labels down the left."""
    height = max(260, 90 + 30 * len(labels) * len(series))
    chart = pygal.HorizontalBar(
        title=title, x_title=value_title, y_title=label_title, value_formatter=_formatter(money),
        show_legend=len(series) > 1, truncate_label=40,
        **{**COMMON, "width": 640, "height": height},
    )  # fmt: skip
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, values)
    return _render(chart)
