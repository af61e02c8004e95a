"""`bot.suppression` by itself: what it withholds in the plainest sums, and that it ends."""

from __future__ import annotations

from bot.suppression import Sum, protected, withheld_cells

ROW = Sum("total", ("a", "b", "c"))


def test_nothing_small_nothing_withheld() -> None:
    assert withheld_cells({"total": 30, "a": 10, "b": 0, "c": 20}, [ROW], 5) == set()


def test_one_small_cell_withholds_the_total() -> None:
    assert withheld_cells({"total": 33, "a": 10, "b": 3, "c": 20}, [ROW], 5) == {"total"}


def test_small_cells_that_add_up_to_a_small_number_withhold_the_total() -> None:
    assert withheld_cells({"total": 23, "a": 1, "b": 2, "c": 20}, [ROW], 5) == {"total"}


def test_small_cells_that_pin_each_other_withhold_the_total() -> None:
    assert withheld_cells({"total": 28, "a": 4, "b": 4, "c": 20}, [ROW], 5) == {"total"}
    assert withheld_cells({"total": 26, "a": 3, "b": 3, "c": 20}, [ROW], 5) == set()


def test_a_withheld_total_that_another_sum_recovers_withholds_there_too() -> None:
    """The team's total is withheld in its row; the programme's total less the other team's
    would bring it back, so the programme's total is withheld as well."""
    counts = {"total": 33, "a": 10, "b": 3, "c": 20, "programme": 83, "other": 50}
    column = Sum("programme", ("total", "other"))
    assert withheld_cells(counts, [ROW, column], 5) == {"total", "programme"}


def test_a_total_alone_unknown_withholds_its_smallest_part() -> None:
    """When the total is withheld already and its parts are all shown, the smallest part goes
    (never a part no output shows)."""
    counts = {"total": 33, "a": 10, "b": 3, "c": 20, "programme": 83, "other": 50}
    column = Sum("programme", ("total", "other"))
    row = Sum("total", ("a", "c", "b"))
    found = withheld_cells(counts, [row, column], 5, unseen=["other"])
    assert "other" not in found
    assert "b" not in found  # hidden already
    assert {"total", "programme"} <= found


def test_any_threshold_ends() -> None:
    counts = {"total": 6, "a": 1, "b": 1, "c": 4}
    for min_count in (1, 2, 3, 5, 1000):
        figures = protected(counts, [ROW], min_count)
        assert set(figures) == set(counts)
    # with a threshold of 2, "< 2" is 1 by itself: withholding the total would hide nothing
    assert withheld_cells({"total": 21, "a": 1, "c": 20}, [Sum("total", ("a", "c"))], 2) == set()
