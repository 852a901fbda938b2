"""The Figure class the plots return: a plain matplotlib Figure that also shows itself in Jupyter.

The plots never use pyplot (no global state), so Jupyter's inline backend may not know about their figures; the
figure therefore carries its own ``_repr_png_`` (the same deterministic bytes as :func:`fmtrials.plots.save_figure`),
and a notebook cell ending in a plot call displays the picture. :func:`new_figure` makes every figure. Imported
only when a figure is made (a function-level import), so ``import fmtrials.plots`` stays free of matplotlib.
"""

from __future__ import annotations

from matplotlib.figure import Figure

__all__ = ["PlotFigure", "new_figure"]

#: resolution of the picture shown in a notebook (files are written at the dpi asked of save_figure)
NOTEBOOK_DPI = 110


class PlotFigure(Figure):
    """A :class:`matplotlib.figure.Figure` with a PNG representation for IPython/Jupyter."""

    def _repr_png_(self) -> bytes:
        from .export import figure_bytes

        return figure_bytes(self, "png", dpi=NOTEBOOK_DPI)


def new_figure(width: float, height: float):
    """A new :class:`PlotFigure` (a matplotlib Figure that displays itself in Jupyter)
    with an Agg canvas, outside pyplot's figure manager.

    Nothing global changes: no backend switch, no pyplot state; the figure is garbage-collected like any
    object.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = PlotFigure(figsize=(width, height), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    return fig
