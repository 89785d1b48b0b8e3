"""The meeting deck as one self-contained HTML file: it opens offline in any browser, on the
projector's laptop or from an e-mail, with nothing fetched from anywhere.

plotly.js is inlined once, each chart's figure (`rete.meeting.figures.slide_figure`) travels as
JSON and is drawn when its slide is first shown (a chart drawn in a hidden slide would take a
default size). One `<section>` per slide in a 16:9 area; the arrow keys and Page Up/Down, or the
«Precedente»/«Successiva» buttons, move between slides, with a counter "3 / 11". Printed, every
slide takes a landscape page of its own.

Every text of the deck is escaped (`html.escape`) and the charts write names as plain text, so a
label such as "<img src=x onerror=…>" shows as those characters. The speaker notes are left out:
the file is handed to the partners.
"""

from __future__ import annotations

from html import escape
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

from rete import formats
from rete.charts.base import FONT_FAMILY, TEXT_COLOUR
from rete.meeting.figures import slide_figure
from rete.meeting.model import Deck, Slide, Tile

PREVIOUS = "Precedente"
NEXT = "Successiva"
# The figure's JSON sits in a <script> element: plotly writes <, > and / as \u escapes, so no
# text of the deck can close it.
_PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": False}

_CSS = """
:root { --u: min(1vw, calc(16 / 9 * 1vh)); }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body {
  display: flex; align-items: center; justify-content: center;
  background: #2b3038; color: TEXT; font-family: FONT;
}
main {
  position: relative; overflow: hidden; background: #fff;
  width: calc(100 * var(--u)); height: calc(56.25 * var(--u));
}
section.slide {
  display: none; flex-direction: column; gap: calc(1 * var(--u));
  width: 100%; height: 100%; padding: calc(2.5 * var(--u)) calc(3.5 * var(--u));
}
section.slide.current { display: flex; }
h1 { margin: 0; font-size: calc(2.6 * var(--u)); line-height: 1.15; }
.headline { margin: 0; font-size: calc(1.9 * var(--u)); line-height: 1.25; font-weight: 600; }
.chart { flex: 1 1 auto; min-height: 0; }
.tiles {
  flex: 1 1 auto; display: grid; gap: calc(1.5 * var(--u)); align-content: center;
  grid-template-columns: repeat(auto-fit, minmax(calc(24 * var(--u)), 1fr));
}
.tile {
  border: 2px solid #c9d3df; border-radius: calc(1 * var(--u));
  padding: calc(1.5 * var(--u)); font-size: calc(1.4 * var(--u));
}
.tile p { margin: 0 0 calc(0.6 * var(--u)); }
.tile .value { font-size: calc(4 * var(--u)); font-weight: 700; line-height: 1.1; }
.tile .change { font-weight: 600; }
.lines { flex: 1 1 auto; display: flex; flex-direction: column; justify-content: center; }
.lines p { margin: 0 0 calc(1 * var(--u)); font-size: calc(2 * var(--u)); }
.footnote {
  margin: 0; padding-right: calc(24 * var(--u)); min-height: calc(3 * var(--u));
  font-size: calc(1.3 * var(--u));
}
nav {
  position: absolute; right: calc(2 * var(--u)); bottom: calc(1.5 * var(--u));
  display: flex; align-items: center; gap: calc(1 * var(--u)); font-size: calc(1.3 * var(--u));
}
nav button {
  font: inherit; color: inherit; background: #eef2f7; cursor: pointer;
  border: 2px solid #c9d3df; border-radius: 6px; padding: 0.2em 0.7em;
}
nav button:disabled { opacity: 0.45; cursor: default; }
@page { size: A4 landscape; margin: 10mm; }
html.printing body, html.printing main { display: block; width: auto; height: auto; }
html.printing section.slide { display: flex; width: 277mm; height: 155mm; --u: 2.77mm; }
html.printing section.slide + section.slide { break-before: page; }
html.printing nav { display: none; }
@media print {
  body, main { display: block; width: auto; height: auto; background: #fff; }
  section.slide { display: flex; width: 277mm; height: 155mm; --u: 2.77mm; }
  section.slide + section.slide { break-before: page; }
  nav { display: none; }
}
""".replace("TEXT", TEXT_COLOUR).replace("FONT", FONT_FAMILY)

# Slides move with the keys and buttons; a chart is drawn the first time its slide shows, at
# the size its box has then, and again after a resize. Before printing every slide is laid out
# at the page's size and every chart drawn there.
_SCRIPT = """
(function () {
  "use strict";
  var slides = Array.prototype.slice.call(document.querySelectorAll("section.slide"));
  var figures = JSON.parse(document.getElementById("figures").textContent);
  var config = JSON.parse(document.getElementById("plotly-config").textContent);
  var counter = document.getElementById("counter");
  var previous = document.getElementById("previous");
  var next = document.getElementById("next");
  var current = 0;

  function fit(div) {
    var size = {width: div.clientWidth, height: div.clientHeight};
    if (div.dataset.drawn) {
      Plotly.relayout(div, size);
    } else {
      var figure = figures[div.id];
      Plotly.newPlot(div, figure.data, Object.assign({}, figure.layout, size), config);
      div.dataset.drawn = "1";
    }
  }
  function fitCharts(slide) {
    slide.querySelectorAll("div.chart").forEach(fit);
  }
  function show(index) {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach(function (slide, i) {
      slide.classList.toggle("current", i === current);
    });
    counter.textContent = (current + 1) + " / " + slides.length;
    previous.disabled = current === 0;
    next.disabled = current === slides.length - 1;
    fitCharts(slides[current]);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "ArrowRight" || event.key === "PageDown") {
      show(current + 1);
      event.preventDefault();
    } else if (event.key === "ArrowLeft" || event.key === "PageUp") {
      show(current - 1);
      event.preventDefault();
    }
  });
  previous.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  window.addEventListener("resize", function () { fitCharts(slides[current]); });
  window.addEventListener("beforeprint", function () {
    document.documentElement.classList.add("printing");
    slides.forEach(fitCharts);
  });
  window.addEventListener("afterprint", function () {
    document.documentElement.classList.remove("printing");
    fitCharts(slides[current]);
  });
  show(0);
})();
"""


def deck_html(deck: Deck) -> bytes:
    """The deck as one HTML file (UTF-8) that opens offline, plotly.js inlined."""
    figures: dict[str, Any] = {}
    sections = []
    for number, slide in enumerate(deck.slides, start=1):
        chart_id = f"chart-{number}"
        figure = slide_figure(slide)
        if figure is not None:
            figures[chart_id] = figure.to_plotly_json()
        sections.append(_section(slide, number, chart_id))
    title = escape(f"{deck.network} · {deck.period_label}")
    page = f"""<!DOCTYPE html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{escape(_description(deck))}">
<title>{title}</title>
<style>{_CSS}</style>
<script>{_plotly_js()}</script>
</head>
<body>
<main>
{"".join(sections)}
<nav aria-label="Slide">
<button type="button" id="previous">{PREVIOUS}</button>
<span id="counter" aria-live="polite">1 / {len(deck.slides)}</span>
<button type="button" id="next">{NEXT}</button>
</nav>
</main>
<script type="application/json" id="figures">{pio.json.to_json_plotly(figures)}</script>
<script type="application/json" id="plotly-config">{pio.json.to_json_plotly(_PLOTLY_CONFIG)}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""
    return page.encode("utf-8")


def _plotly_js() -> str:
    """plotly.js to inline in a <script> element (none of its text may end the element)."""
    return str(get_plotlyjs()).replace("</script", "<\\/script")


def _description(deck: Deck) -> str:
    return (
        f"{deck.network}, {deck.territory_label}, {deck.period_label}: "
        f"dati al {formats.date(deck.data_date)}. {deck.suppression_note}"
    )


def _section(slide: Slide, number: int, chart_id: str) -> str:
    """A slide: title, headline, its chart, tiles or lines, and its footnote."""
    if slide.chart is not None:
        body = f'<div class="chart" id="{chart_id}" role="img" aria-label="{escape(slide.title)}"></div>'
    elif slide.tiles:
        body = '<div class="tiles">' + "".join(_tile(tile) for tile in slide.tiles) + "</div>"
    else:
        body = '<div class="lines">' + "".join(_paragraph(line) for line in slide.lines) + "</div>"
    footnote = _paragraph(slide.footnote or "", "footnote")
    return (
        f'<section class="slide" id="slide-{number}" aria-label="{escape(slide.title)}">'
        f"<h1>{escape(slide.title)}</h1>{_paragraph(slide.headline, 'headline')}"
        f"{body}{footnote}</section>\n"
    )


def _tile(tile: Tile) -> str:
    change = _paragraph(tile.change, "change") if tile.change else ""
    return (
        f'<div class="tile">{_paragraph(tile.label, "label")}{_paragraph(tile.value, "value")}'
        f"{change}{_paragraph(tile.definition, 'definition')}</div>"
    )


def _paragraph(text: str, css_class: str | None = None) -> str:
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<p{attribute}>{escape(text)}</p>"
