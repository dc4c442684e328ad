"""Theory: the ideas of the two articles, from the minimax game to the gradient penalty.

A page a student reads top to bottom; its prose is content/<language>/theory.md. The formulas are
the ones ganlib/gans.py implements, and every section ends with a "try it" box whose links
open the page that shows its idea live, already set up (preset, line-up, playground data
and rule: the URL parameters of ui/links.py). The one chart (the generator's two losses and the gradients they pass
back) is a plot of formulas, computed here with numpy; it involves no training.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from ganlib import palette
from ui import content
from ui.i18n import _, number_separators
from ui.pages import require_entry_point

require_entry_point()

# Grey for the minimax loss (the one to avoid), the generator's orange for the non-saturating.
MINIMAX_COLOR, NON_SATURATING_COLOR = palette.REFERENCE, palette.GENERATOR


def try_it(markdown: str) -> None:
    """Close a section: where the idea can be watched live, and the setting to choose."""
    with st.container(border=True):
        content.show(markdown)


def saturation_figure() -> go.Figure:
    """The minimax and non-saturating generator losses against D(G(z)), and the size of the
    gradient each passes back through the discriminator's sigmoid."""
    d_fake = np.linspace(0.005, 0.995, 199, dtype=np.float32)     # D(G(z))
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        _("Generator loss (G pushes it down)"), _("Gradient reaching G, |∂loss/∂a|")))
    curves = (
        (_("minimax: log(1 − D(G(z)))"), MINIMAX_COLOR, np.log1p(-d_fake), d_fake),
        (_("non-saturating: −log D(G(z))"), NON_SATURATING_COLOR, -np.log(d_fake), 1 - d_fake),
    )
    for name, color, loss, slope in curves:
        line = dict(color=color, width=4)
        figure.add_trace(go.Scatter(x=d_fake, y=loss, name=name, line=line,
                                    legendgroup=name), row=1, col=1)
        figure.add_trace(go.Scatter(x=d_fake, y=slope, name=name, line=line,
                                    legendgroup=name, showlegend=False), row=1, col=2)
    figure.update_annotations(font_size=18)                      # the two subplot titles
    figure.add_vrect(x0=0, x1=0.15, fillcolor=palette.DISCRIMINATOR, opacity=0.12, line_width=0,
                     row="all", col="all")
    for axis in ("", "2"):
        figure.add_annotation(x=0.16, y=0.97, xref=f"x{axis}", yref=f"y{axis} domain",
                              text=_("← early training: D rejects the fakes"), showarrow=False,
                              xanchor="left", font=dict(size=14, color=palette.NAVY))
    figure.update_xaxes(title_text=_("D(G(z)): how real D finds the fakes"), range=[0, 1],
                        tickfont_size=15, title_font_size=16)
    figure.update_yaxes(tickfont_size=15, title_font_size=16)
    figure.update_yaxes(title_text=_("loss"), row=1, col=1)
    figure.update_yaxes(title_text=_("gradient size"), range=[0, 1.1], row=1, col=2)
    figure.update_layout(height=460, font=dict(size=16), margin=dict(l=10, r=10, t=60, b=10),
                         separators=number_separators(),
                         legend=dict(orientation="h", yanchor="top", y=-0.2, x=0,
                                     font_size=16),
                         hovermode="x unified", uirevision="theory-saturation")
    return figure


# content/<language>/theory.md in its order; three kinds of section are drawn with more than
# Markdown.
for name, markdown in content.sections("theory").items():
    if name == "contents":
        st.markdown(f"{markdown}\n\n{content.table_of_contents('theory')}")
    elif name == "saturation-caption":                # the chart, then its caption
        st.plotly_chart(saturation_figure(), key="theory-saturation", width="stretch")
        st.caption(markdown)
    elif name.endswith("-try"):
        try_it(markdown)
    else:
        content.show(markdown)
