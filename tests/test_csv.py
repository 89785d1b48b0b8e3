"""CSV for Italian Excel: every text cell that a spreadsheet could run is written as text."""

import csv
import io

import pandas as pd
import pytest

from rete.export import to_csv


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\0"])
def test_a_text_that_could_run_as_a_formula_is_quoted(start):
    frame = pd.DataFrame({"name": [f'{start}HYPERLINK("x")'], "count": [3]})
    rows = read_back(to_csv(frame, {"name": "Nome", "count": "Numero"}))
    assert rows[1][0].startswith("'" + start)


def test_ordinary_text_and_numbers_are_left_as_they_are():
    frame = pd.DataFrame({"name": ["Biumo"], "count": [-3], "share": [1234.5]})
    rows = read_back(to_csv(frame, {"name": "Nome", "count": "Numero", "share": "Quota"}))
    assert rows == [["Nome", "Numero", "Quota"], ["Biumo", "-3", "1234,5"]]


def test_whole_numbers_stay_whole_even_beside_an_empty_cell():
    frame = pd.DataFrame({"homes": [310.0, float("nan")], "rate": [58.06451612903226, 1.25]})
    rows = read_back(to_csv(frame, {"homes": "Alloggi", "rate": "Tasso"}, {"rate": 1}))
    assert rows == [["Alloggi", "Tasso"], ["310", "58,1"], ["", "1,3"]]  # as on screen: 1,3


def test_a_rounded_column_keeps_its_decimal_even_when_whole():
    frame = pd.DataFrame({"share": [50.0, 66.66666]})
    rows = read_back(to_csv(frame, {"share": "Quota (%)"}, {"share": 1}))
    assert rows == [["Quota (%)"], ["50,0"], ["66,7"]]


def test_a_file_rounds_as_the_screen_does():
    """56,25% is 56,3% on the tile and in the chart: the file must not say 56,2."""
    frame = pd.DataFrame({"share": [56.25, 2.25, 0.05, float("nan")]})
    rows = read_back(to_csv(frame, {"share": "Quota (%)"}, {"share": 1}))
    assert [row[0] for row in rows[1:]] == ["56,3", "2,3", "0,1", ""]
