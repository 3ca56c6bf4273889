"""The scorecard appendix's table: rows of :func:`memgen.experiments.scorecard.evaluate` as HTML."""

from __future__ import annotations

from html import escape

#: Column widths of the appendix table: it must fit the page, so that "holds" is visible without
#: scrolling sideways (long ids wrap anywhere; targets do not wrap).
_HTML_COLUMNS = (("id", "24%"), ("claim", "46%"), ("value", "11%"), ("target", "10%"), ("holds", "9%"))


def _breakable(name: str) -> str:
    """``name`` escaped, with line-break opportunities after its dots and underscores."""
    return escape(name).replace(".", ".<wbr>").replace("_", "_<wbr>")


def to_html(rows: list[dict]) -> str:
    """An HTML table of the rows, for the book's appendix (fixed layout, fits the page width)."""
    cols = "".join(f'<col style="width: {w}">' for _, w in _HTML_COLUMNS)
    head = "<tr>" + "".join(f"<th>{name}</th>" for name, _ in _HTML_COLUMNS) + "</tr>"
    body = "".join(
        f'<tr><td><code style="overflow-wrap: anywhere">{_breakable(r["id"])}</code></td>'
        f'<td>{escape(r["claim"])}</td>'
        f'<td>{r["value"]:.4g}</td><td style="white-space: nowrap">{escape(r["target"])}</td>'
        f"<td>{'&#10004; yes' if r['holds'] else '&#10008; NO'}</td></tr>"
        for r in rows
    )
    return (f'<table class="table memgen-scorecard" style="table-layout: fixed; width: 100%">'
            f"<colgroup>{cols}</colgroup><thead>{head}</thead><tbody>{body}</tbody></table>")
