// Non-owning views of row-major 2D grids, and the rectangles they are updated over.
//
// Convention used across the core: a grid holds `rows x cols` cells, cell (row, col)
// covers map x in [col, col + 1) * resolution_m and map y in [row, row + 1) * resolution_m,
// so row 0 is the SOUTH edge and rows grow northwards. Data are owned by the caller
// (a numpy array, a std::vector); a view never outlives them.
#pragma once

#include <algorithm>
#include <cstddef>

#include "ilrs/core/check.h"

namespace ilrs {

struct Cell {
  int row = 0;
  int col = 0;
  bool operator==(const Cell& other) const { return row == other.row && col == other.col; }
  bool operator!=(const Cell& other) const { return !(*this == other); }
};

// Half-open rectangle of cells [row_begin, row_end) x [col_begin, col_end).
struct Region {
  int row_begin = 0;
  int col_begin = 0;
  int row_end = 0;
  int col_end = 0;

  bool empty() const { return row_end <= row_begin || col_end <= col_begin; }
  long long cell_count() const {
    return empty() ? 0 : static_cast<long long>(row_end - row_begin) * (col_end - col_begin);
  }
  // The smallest region holding both (an empty region is the identity).
  Region United(const Region& other) const {
    if (empty()) return other;
    if (other.empty()) return *this;
    return {std::min(row_begin, other.row_begin), std::min(col_begin, other.col_begin),
            std::max(row_end, other.row_end), std::max(col_end, other.col_end)};
  }
  // Grown by `margin` cells on every side and clipped to a rows x cols grid.
  Region Dilated(int margin, int rows, int cols) const {
    if (empty()) return *this;
    return {std::max(0, row_begin - margin), std::max(0, col_begin - margin),
            std::min(rows, row_end + margin), std::min(cols, col_end + margin)};
  }
  static Region Whole(int rows, int cols) { return {0, 0, rows, cols}; }
};

template <typename T>
class GridView {
 public:
  GridView(T* data, int rows, int cols) : data_(data), rows_(rows), cols_(cols) {
    ILRS_ASSERT(rows >= 0 && cols >= 0);
    ILRS_ASSERT(data != nullptr || rows * static_cast<long long>(cols) == 0);
  }

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  std::size_t size() const { return static_cast<std::size_t>(rows_) * cols_; }
  T* data() const { return data_; }

  bool Contains(int row, int col) const {
    return row >= 0 && col >= 0 && row < rows_ && col < cols_;
  }
  bool Contains(const Cell& c) const { return Contains(c.row, c.col); }
  std::size_t Index(int row, int col) const {
    return static_cast<std::size_t>(row) * cols_ + col;
  }
  T& operator()(int row, int col) const { return data_[Index(row, col)]; }
  T& operator()(const Cell& c) const { return data_[Index(c.row, c.col)]; }

  // A read-only view of the same cells.
  GridView<const T> AsConst() const { return GridView<const T>(data_, rows_, cols_); }

 private:
  T* data_;
  int rows_;
  int cols_;
};

}  // namespace ilrs
