"""A slide's chart as a native PowerPoint chart (bar, hbar, stacked_hbar, line), carrying its
data: the presenter can restyle it or read its numbers with «Modifica dati». A hidden value is
a blank in the chart's data, never a number: its text ("< 5", "n.d.") goes into the category
label of a one-series chart (a chart with several series lists it in the slide's footnote).

Numbers read in Italian whatever the viewer's locale. A plain `#,##0` follows the viewer
(1,234 in an English LibreOffice, 1 234 in a French one), so:
- counts and days use literal dots, `[>=1000]#"."###`: a literal is drawn as it is by every
  program;
- rates and shares need a decimal comma, which no literal can give: `[$-410]` (Italian) pins
  the format's locale, and LibreOffice then draws 12,3 and 45,6% in any locale. PowerPoint
  keeps its own separators under `[$-410]` (an English Office shows 12.3).

The layout (`pptx_chart_layout.plan_chart`) is written into the chart as manual positions,
and every category label is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import cast

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pptx.chart.axis import CategoryAxis
from pptx.chart.chart import Chart as PptxChart
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
)
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.oxml.xmlchemy import BaseOxmlElement, OxmlElement
from pptx.shapes.graphfrm import GraphicFrame
from pptx.slide import Slide as PptxSlide
from pptx.util import Emu, Pt

from rete.export import append_xlsx_row
from rete.meeting.model import Chart, ChartKind, NumberKind
from rete.meeting.pptx_chart_layout import Plan, Rect, plan_chart
from rete.meeting.pptx_style import (
    CHART_PT,
    CONTENT_WIDTH,
    INK,
    MARGIN,
    MUTED,
    PAD,
    Box,
    readable_on,
    rgb,
    set_font,
    solid_fill,
)
from rete.meeting.pptx_text import points, text_width

# Counts and days: literal dots (1.234, 1.234.567) that no locale can change.
COUNT_FORMAT = '[>=1000000]#"."###"."###;[>=1000]#"."###;0'
NUMBER_FORMATS: dict[NumberKind, str] = {
    "count": COUNT_FORMAT,
    "days": COUNT_FORMAT,
    "rate": "[$-410]#,##0.0",
    "percent": "[$-410]#,##0.0%",  # Value.number is a share (0.456), as formats.percent takes
}

CHART_TYPES: dict[ChartKind, XL_CHART_TYPE] = {
    "bar": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "hbar": XL_CHART_TYPE.BAR_CLUSTERED,
    "stacked_hbar": XL_CHART_TYPE.BAR_STACKED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
}

GRID = "D9D9D9"  # the value axis's gridlines
BAR_GAP = 40  # the gap between bars, in percent of a bar's thickness
STACKED_GAP = 25


def add_chart(page: PptxSlide, chart: Chart, body: Box) -> None:
    """`chart` drawn across the page in the band `body`."""
    # A control character (a name written straight into the database) has no place in the
    # chart's XML: python-pptx would fail on it, as openpyxl does (`append_xlsx_row`).
    labels = [ILLEGAL_CHARACTERS_RE.sub("", label) for label in _category_labels(chart)]
    width, height = points(CONTENT_WIDTH), points(body.height)
    plan = plan_chart(chart, labels, width, height)
    number_format = NUMBER_FORMATS[chart.number_kind]
    data = CategoryChartData(number_format=number_format)  # type: ignore[no-untyped-call]
    data.categories = labels
    for series in chart.series:
        values = [value.number for value in series.values]
        data.add_series(series.name, values)  # type: ignore[no-untyped-call]
    # python-pptx annotates add_chart as taking its deprecated ChartData alias and returning
    # the chart; it takes any CategoryChartData and returns the frame holding the chart.
    frame = cast(
        GraphicFrame,
        page.shapes.add_chart(
            CHART_TYPES[plan.kind],
            MARGIN,
            Emu(body.top),
            CONTENT_WIDTH,
            Emu(body.height),
            data,  # type: ignore[arg-type]
        ),
    )
    frame.chart_part.chart_workbook.update_from_xlsx_blob(_workbook(chart, labels, number_format))
    drawn = frame.chart
    drawn.has_title = False  # the slide's title and headline say it; LibreOffice adds one
    set_font(drawn.font, CHART_PT)
    _axes(drawn, chart, number_format, plan)
    _legend(drawn, multi=len(chart.series) > 1)
    if plan.kind == "line":
        _lines(drawn, chart)
    else:
        _bars(drawn, chart, number_format, plan)
    _place(drawn, plan, width, height)


def _category_labels(chart: Chart) -> list[str]:
    """The categories; with one series, a hidden value's text joins its label
    ("Bosto · Varese (n.d.)"), as the chart's bar is blank, unless the label already ends
    with it."""
    if len(chart.series) != 1:
        return list(chart.categories)
    values = chart.series[0].values
    return [
        f"{category} ({value.text})"
        if value.hidden and not category.endswith(f"({value.text})")
        else category
        for category, value in zip(chart.categories, values, strict=True)
    ]


def _workbook(chart: Chart, labels: Sequence[str], number_format: str) -> bytes:
    """The chart's data sheet, where «Modifica dati» opens. python-pptx writes it through
    XlsxWriter, which turns a label starting with "=" into a formula; this one goes through
    `append_xlsx_row`, so every label stays text. Same layout (Sheet1, categories from A2)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    append_xlsx_row(sheet, [chart.category_title, *(series.name for series in chart.series)])
    for label, (_, values) in zip(labels, chart.rows(), strict=True):
        append_xlsx_row(sheet, [label, *(value.number for value in values)])
    for row in sheet.iter_rows(min_row=2, min_col=2):
        for cell in row:
            cell.number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _axes(drawn: PptxChart, chart: Chart, number_format: str, plan: Plan) -> None:
    categories = drawn.category_axis
    set_font(categories.tick_labels.font, plan.label_pt)
    categories.format.line.color.rgb = rgb(MUTED)
    _label_categories(categories, plan)
    values = drawn.value_axis
    if plan.kind in ("hbar", "stacked_hbar"):
        # The first category on top; the value axis then crosses the categories at the last
        # one, the bottom ("at maximum category": the value axis's own c:crosses, which
        # python-pptx's `crosses` setters never write).
        categories.reverse_order = True
        values._element.find(qn("c:crosses")).set("val", "max")
    values.minimum_scale = 0
    values.maximum_scale = plan.axis.maximum
    values.major_unit = plan.axis.step
    values.has_major_gridlines = True
    values.major_gridlines.format.line.color.rgb = rgb(GRID)
    values.format.line.fill.background()
    values.tick_labels.number_format = number_format
    values.tick_labels.number_format_is_linked = False
    set_font(values.tick_labels.font, CHART_PT)
    values.has_title = True
    title = values.axis_title.text_frame
    title.text = chart.value_title
    set_font(title.paragraphs[0].runs[0].font, CHART_PT)


def _label_categories(axis: CategoryAxis, plan: Plan) -> None:
    """Every category labelled (or every `label_every`-th, when even turned they would
    overlap): PowerPoint reads c:tickLblSkip; LibreOffice hides labels it finds crowded unless
    their rotation is stated, upright (0) or turned (-45°)."""
    element = axis._element
    follower = element.find(qn("c:noMultiLvlLbl"))
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        skip = OxmlElement(tag)
        skip.set("val", str(plan.label_every))
        if follower is not None:
            follower.addprevious(skip)
        else:
            element.append(skip)
    body = element.find(qn("c:txPr")).find(qn("a:bodyPr"))
    body.set("rot", "-2700000" if plan.turned else "0")
    body.set("vert", "horz")


def _legend(drawn: PptxChart, multi: bool) -> None:
    """A legend at the bottom for several series; one series needs none (the axis says it)."""
    drawn.has_legend = multi
    if multi:
        drawn.legend.position = XL_LEGEND_POSITION.BOTTOM
        drawn.legend.include_in_layout = False
        set_font(drawn.legend.font, CHART_PT)


def _bars(drawn: PptxChart, chart: Chart, number_format: str, plan: Plan) -> None:
    """Bars in the areas' colours, each labelled with its number in Italian; a stacked
    segment only when its number fits inside it."""
    plot = drawn.plots[0]
    plot.vary_by_categories = False
    stacked = plan.kind == "stacked_hbar"
    plot.gap_width = STACKED_GAP if stacked else BAR_GAP
    if stacked:
        plot.overlap = 100
    for index, (drawn_series, series) in enumerate(zip(plot.series, chart.series, strict=True)):
        if stacked:
            solid_fill(drawn_series.format.fill, series.colour)
        else:
            colours = chart.point_colours or (series.colour,) * len(chart.categories)
            for point, colour in enumerate(colours):
                solid_fill(drawn_series.points[point].format.fill, colour)
        labels = drawn_series.data_labels
        labels.number_format = number_format
        labels.number_format_is_linked = False
        labels.show_value = True
        labels.position = XL_LABEL_POSITION.CENTER if stacked else XL_LABEL_POSITION.OUTSIDE_END
        set_font(labels.font, CHART_PT, readable_on(series.colour) if stacked else INK)
        if stacked:
            for point in _unlabelled_segments(chart, index, plan):
                _delete_label(drawn_series._element, point)


def _unlabelled_segments(chart: Chart, index: int, plan: Plan) -> list[int]:
    """The segments of series `index` too short for their number (empty ones included)."""
    points_per_unit = plan.plot.width / plan.axis.maximum
    return [
        point
        for point, value in enumerate(chart.series[index].values)
        if value.number is not None
        and value.number * points_per_unit < text_width(value.text, CHART_PT) + 2 * PAD
    ]


def _delete_label(series: BaseOxmlElement, point: int) -> None:
    """Hide one data label of a series: its c:dLbl holds only c:idx and c:delete."""
    label = series.get_or_add_dLbls().get_or_add_dLbl_for_point(point)
    for child in list(label):
        if child.tag != qn("c:idx"):
            label.remove(child)
    delete = OxmlElement("c:delete")
    delete.set("val", "1")
    label.append(delete)


def _lines(drawn: PptxChart, chart: Chart) -> None:
    """One line per series in its colour, with round markers; a blank value is a gap."""
    for drawn_series, series in zip(drawn.plots[0].series, chart.series, strict=True):
        colour = rgb(series.colour)
        drawn_series.smooth = False
        drawn_series.format.line.color.rgb = colour
        drawn_series.format.line.width = Pt(3)
        drawn_series.marker.style = XL_MARKER_STYLE.CIRCLE
        drawn_series.marker.size = 9
        drawn_series.marker.format.fill.solid()
        drawn_series.marker.format.fill.fore_color.rgb = colour
        drawn_series.marker.format.line.color.rgb = colour


def _manual_layout(rect: Rect, width: float, height: float, inner: bool) -> BaseOxmlElement:
    """A `c:layout` placing a chart part at `rect`, as fractions of the chart's frame; `inner`
    for the plot area without its axes' labels."""
    target = '<c:layoutTarget val="inner"/>' if inner else ""
    return cast(
        BaseOxmlElement,
        parse_xml(
            f"<c:layout {nsdecls('c')}><c:manualLayout>{target}"
            '<c:xMode val="edge"/><c:yMode val="edge"/>'
            f'<c:x val="{rect.left / width:.4f}"/><c:y val="{rect.top / height:.4f}"/>'
            f'<c:w val="{rect.width / width:.4f}"/><c:h val="{rect.height / height:.4f}"/>'
            "</c:manualLayout></c:layout>"
        ),
    )


def _place(drawn: PptxChart, plan: Plan, width: float, height: float) -> None:
    """Write the plan's plot area and legend into the chart."""
    plot_area = drawn._chartSpace.chart.plotArea
    for old in plot_area.findall(qn("c:layout")):
        plot_area.remove(old)
    plot_area.insert(0, _manual_layout(plan.plot, width, height, inner=True))
    if plan.legend is not None:
        legend = drawn.legend._element
        legend._remove_layout()
        legend.find(qn("c:legendPos")).addnext(
            _manual_layout(plan.legend, width, height, inner=False)
        )
