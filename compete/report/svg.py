"""Matplotlib figures as inline SVG: imported here, when a report is written, and nowhere else.

``compete run`` never draws with matplotlib (its binary plots are written by
:mod:`compete.scoring.plots`, which needs none): importing it costs a fraction of a second that a
report can afford and a run should not. Figures are made with :class:`matplotlib.figure.Figure`,
not pyplot, so no window backend is chosen and no global figure is left behind.

Every chart marks the artists that carry data with an id ``data-<n>`` (:func:`mark`), so a test can
tell a chart with something drawn from an empty frame.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from compete.errors import RunError

__all__ = ["INSTALL_HINT", "require_matplotlib", "figure", "mark", "to_svg", "STATUS_COLORS", "PALETTE"]

INSTALL_HINT = "pip install 'compete[report]'"
PALETTE = ("#2b6cb0", "#dd6b20", "#2f855a", "#9b2c2c", "#6b46c1", "#b7791f", "#2c7a7b", "#97266d")
STATUS_COLORS = {"done": "#2f855a", "no better fit": "#a0aec0", "error": "#c53030"}
_IDS = itertools.count(1)
_RC: dict[Any, Any] = {"svg.fonttype": "none", "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
       "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": "#e6e9ee",
       "axes.axisbelow": True, "font.family": "sans-serif"}  # fmt: skip
_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def require_matplotlib() -> None:
    """Raise :class:`~compete.errors.RunError` naming the extra to install when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise RunError(f"compete report draws its charts with matplotlib, which is not installed: "
                       f"{INSTALL_HINT}") from None  # fmt: skip


@contextmanager
def figure(width: float = 5.6, height: float = 3.6) -> Iterator[Any]:
    """A matplotlib figure (inches) under the report's style; yields it, to be passed to :func:`to_svg`."""
    require_matplotlib()
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        yield Figure(figsize=(width, height), layout="constrained")


def mark(*artists: Any) -> None:
    """Give each artist that draws data an id ``data-<n>`` (written into the SVG as ``<g id=...>``)."""
    for artist in artists:
        for one in artist if isinstance(artist, list | tuple) else [artist]:
            one.set_gid(f"data-{next(_IDS)}")


def to_svg(fig: Any) -> str:
    """The figure as an ``<svg>`` element to put in an HTML page.

    The XML prolog, the metadata and the namespace declarations are left out: an HTML parser puts
    an inline ``<svg>`` (and its ``xlink:href``) in the right namespaces itself, and the page then
    holds no URL at all. Text stays text (``svg.fonttype = none``), drawn in the page's font.

    Examples
    --------
    >>> with figure(2, 1.5) as fig:
    ...     ax = fig.add_subplot()
    ...     mark(ax.plot([0, 1], [1, 0]))
    ...     svg = to_svg(fig)
    >>> svg.startswith('<svg class="chart"'), "http" in svg, 'id="data-' in svg
    (True, False, True)
    """
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata=_METADATA)
    text = buf.getvalue().decode("utf-8")
    text = text[text.index("<svg") :]
    text = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", text)
    width = re.search(r'width="([\d.]+)pt"', text)
    px = float(width.group(1)) * 4 / 3 if width else 560.0
    text = re.sub(r'\s(?:width|height)="[\d.]+pt"', "", text, count=2)
    return text.replace("<svg", f'<svg class="chart" role="img" style="width: {px:.0f}px"', 1).strip()
