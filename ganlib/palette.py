"""The colours of every chart and picture, in one place.

A colour keeps its meaning from page to page: blue for the discriminator (or critic) and the
real data, orange for the generator and what it makes, grey for a line to compare with. A
student who learnt them on one chart reads the next one right, and the benchmark report's
plots match the app's. Each algorithm's own colour (its line on the Compare page and in the
report) is a fact of the algorithm, in ganlib.algorithms.ALGORITHM_INFO, picked from here.

Plain strings, no plotting library: the app draws with Plotly, the report with matplotlib.
Two files cannot import them and repeat theirs: .streamlit/config.toml (its primaryColor is
INDIGO) and ui/live_grid.css (a caption grey).
"""

from __future__ import annotations

# Hues (Tailwind's 600 shades, legible on white; lighter and darker ones where a picture
# needs them).
BLUE = "#2563eb"
DARK_BLUE = "#1d4ed8"
NAVY = "#1e40af"
LIGHT_BLUE = "#93c5fd"
ORANGE = "#ea580c"
LIGHT_ORANGE = "#fdba74"
AMBER = "#f59e0b"
GREEN = "#16a34a"
RED = "#dc2626"
PURPLE = "#9333ea"
INDIGO = "#4f46e5"          # the app's theme colour
GREY = "#6b7280"
LIGHT_GREY = "#9ca3af"
SLATE = "#64748b"
LIGHT_SLATE = "#94a3b8"
INK = "#111827"
WHITE = "#ffffff"

# What the hues mean on every chart.
DISCRIMINATOR = BLUE        # the discriminator or critic, and the real data it judges
GENERATOR = ORANGE          # the generator, and the samples it makes
REFERENCE = GREY            # a line to compare with (real vs real, an even share), or to avoid
