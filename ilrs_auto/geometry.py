"""Grid geometry shared by perception, planning and simulation.

Site frame: x east, y north, metres, from the south-west corner of the map. Cell (row, col)
covers x in [col, col + 1) * resolution_m and y in [row, row + 1) * resolution_m, so row 0 is
the southern edge (arrays are drawn with ``origin="lower"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple


class Cell(NamedTuple):
    row: int
    col: int


class Region(NamedTuple):
    """Half-open block of cells [row_begin, row_end) x [col_begin, col_end)."""

    row_begin: int
    col_begin: int
    row_end: int
    col_end: int

    @property
    def empty(self) -> bool:
        return self.row_end <= self.row_begin or self.col_end <= self.col_begin

    def dilated(self, margin: int, shape: tuple[int, int]) -> Region:
        """Grown by ``margin`` cells on each side, clipped to ``shape``."""
        if self.empty:
            return self
        return Region(
            max(0, self.row_begin - margin),
            max(0, self.col_begin - margin),
            min(shape[0], self.row_end + margin),
            min(shape[1], self.col_end + margin),
        )

    def contains(self, cell: Cell) -> bool:
        return (
            self.row_begin <= cell.row < self.row_end and self.col_begin <= cell.col < self.col_end
        )


@dataclass(frozen=True)
class GridGeometry:
    rows: int
    cols: int
    resolution_m: float

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    @property
    def width_m(self) -> float:
        return self.cols * self.resolution_m

    @property
    def height_m(self) -> float:
        return self.rows * self.resolution_m

    def whole(self) -> Region:
        return Region(0, 0, self.rows, self.cols)

    def contains_xy(self, x_m: float, y_m: float) -> bool:
        return 0.0 <= x_m < self.width_m and 0.0 <= y_m < self.height_m

    def cell_of(self, x_m: float, y_m: float) -> Cell:
        """The cell holding a point (may lie outside the grid: check ``contains``)."""
        return Cell(math.floor(y_m / self.resolution_m), math.floor(x_m / self.resolution_m))

    def contains(self, cell: Cell) -> bool:
        return 0 <= cell.row < self.rows and 0 <= cell.col < self.cols

    def centre_of(self, cell: Cell) -> tuple[float, float]:
        return ((cell.col + 0.5) * self.resolution_m, (cell.row + 0.5) * self.resolution_m)
