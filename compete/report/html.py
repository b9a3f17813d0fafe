"""The page's HTML: escaped text, tables, sections and the page itself, with its style inline.

No script, no web font, no link to anything: the page is one file a browser opens from disk.

Examples
--------
>>> table(["model", "cv"], [["lightgbm", fmt(0.912346)]])
'<table><thead><tr><th>model</th><th>cv</th></tr></thead><tbody><tr><td>lightgbm</td><td>0.91235</td></tr></tbody></table>'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Html", "Section", "esc", "fmt", "table", "keyvalues", "para", "page", "details"]


class Html(str):
    """Markup that is already safe: :func:`table` and :func:`esc` leave it as it is."""


def esc(value: object) -> Html:
    """``value`` as text in HTML (markup passes through unchanged)."""
    return value if isinstance(value, Html) else Html(escape(str(value)))


def fmt(value: object, digits: int = 5) -> str:
    """A score or number for a table cell: floats to ``digits`` places, ``None`` as an empty cell.

    >>> fmt(1 / 3), fmt(None), fmt(12), fmt(float("nan"))
    ('0.33333', '', '12', '')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else f"{value:.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = ()) -> Html:
    """An HTML table; columns whose index is in ``numeric`` are right-aligned."""
    head = _cells("th", headers, numeric)
    body = "".join(f"<tr>{_cells('td', row, numeric)}</tr>" for row in rows)
    return Html(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _cells(tag: str, values: Sequence[object], numeric: Sequence[int]) -> str:
    """One row's cells; ``None`` is an empty cell."""
    return "".join(f"<{tag}{' class=num' if i in numeric else ''}>{esc('' if v is None else v)}</{tag}>"
                   for i, v in enumerate(values))  # fmt: skip


def keyvalues(pairs: Iterable[tuple[str, object]]) -> Html:
    """A two-column table of names and values (pairs whose value is empty are left out)."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in pairs if v not in (None, ""))
    return Html(f'<table class="kv"><tbody>{rows}</tbody></table>')


def para(text: object, cls: str = "") -> Html:
    """A paragraph (``cls``: ``note`` for a hint in grey, ``warn`` for a warning); text between
    backticks is set as code.

    >>> para("run `compete explain` <now>", "note")
    '<p class=note>run <code>compete explain</code> &lt;now&gt;</p>'
    """
    body = re.sub(r"`([^`]+)`", r"<code>\1</code>", esc(text))
    return Html(f"<p{f' class={cls}' if cls else ''}>{body}</p>")


def details(summary: str, body: object) -> Html:
    """A section the reader unfolds (HTML's own ``<details>``: no script)."""
    return Html(f"<details><summary>{esc(summary)}</summary>{esc(body)}</details>")


@dataclass
class Section:
    """One part of the page: its anchor, its heading and its markup."""

    anchor: str
    title: str
    body: list[Html]

    def html(self) -> str:
        inner = "\n".join(self.body)
        return f'<section id="{self.anchor}">\n<h2>{esc(self.title)}</h2>\n{inner}\n</section>'


def page(title: str, subtitle: Html, sections: list[Section], footer: str) -> str:
    """The whole document: a title, a table of contents, the sections, a footer."""
    nav = " · ".join(f'<a href="#{s.anchor}">{esc(s.title)}</a>' for s in sections)
    body = "\n".join(s.html() for s in sections)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{esc(title)}</title>\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<header>\n<h1>{esc(title)}</h1>\n{subtitle}\n"
        f"<nav>{nav}</nav>\n</header>\n{body}\n<footer>{esc(footer)}</footer>\n</main>\n</body>\n</html>\n"
    )


STYLE = """
body { margin: 0; background: #f6f7f9; color: #1d232b; font: 14px/1.45 system-ui, -apple-system, "Segoe UI",
       Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 28px 40px; }
header { border-bottom: 2px solid #d8dde4; margin-bottom: 8px; }
h1 { font-size: 24px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 0 0 10px; }
nav { margin: 8px 0 12px; font-size: 13px; }
nav a { color: #2b5fab; text-decoration: none; }
section { background: white; border: 1px solid #dde2e8; border-radius: 6px; padding: 14px 18px; margin: 14px 0; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e6e9ee; text-align: left; vertical-align: top; }
thead th { background: #eef1f5; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { font-weight: 600; color: #4a5562; background: none; }
.sub { color: #4a5562; margin: 0 0 4px; }
.big { font-size: 20px; font-weight: 600; color: #1d232b; }
p.note { color: #5c6773; }
p.warn { color: #9a3412; background: #fff4ec; padding: 4px 8px; border-radius: 4px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
svg.chart { max-width: 100%; height: auto; }
code { background: #eef1f5; padding: 1px 4px; border-radius: 3px; }
details { margin: 6px 0; }
summary { cursor: pointer; color: #2b5fab; }
h4 { margin: 10px 0 2px; font-size: 13px; }
pre { font-size: 12px; background: #f3f5f8; padding: 8px; overflow-x: auto; }
footer { color: #7a8490; font-size: 12px; margin-top: 18px; }
"""
