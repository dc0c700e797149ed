// Bounded 3D voxel grids: their geometry, non-owning views of their data, and the boxes of
// voxels they are updated over. The 3D counterpart of core/grid.h.
//
// Convention: the map frame of core/grid.h (x east, y north, z up, metres). A grid of
// `layers x rows x cols` voxels of edge `resolution_m` has its lowest corner at `origin_m`;
// voxel (layer, row, col) covers
//   x in origin_m[0] + [col, col + 1) * resolution_m,
//   y in origin_m[1] + [row, row + 1) * resolution_m,
//   z in origin_m[2] + [layer, layer + 1) * resolution_m,
// so layers grow upwards and each layer is a 2D grid of core/grid.h (row 0 south). Data are
// stored layer-major, then row, then col (col fastest): the C order of a numpy array of shape
// (layers, rows, cols) indexed [layer, row, col].
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

#include "ilrs/core/check.h"

namespace ilrs {

struct Voxel {
  int layer = 0;  // along z
  int row = 0;    // along y
  int col = 0;    // along x
  bool operator==(const Voxel& other) const {
    return layer == other.layer && row == other.row && col == other.col;
  }
  bool operator!=(const Voxel& other) const { return !(*this == other); }
};

// Half-open box of voxels [layer_begin, layer_end) x [row_begin, row_end) x [col_begin, col_end).
struct VoxelBox {
  int layer_begin = 0;
  int row_begin = 0;
  int col_begin = 0;
  int layer_end = 0;
  int row_end = 0;
  int col_end = 0;

  bool empty() const {
    return layer_end <= layer_begin || row_end <= row_begin || col_end <= col_begin;
  }
  long long voxel_count() const {
    return empty() ? 0
                   : static_cast<long long>(layer_end - layer_begin) * (row_end - row_begin) *
                         (col_end - col_begin);
  }
  bool Contains(const Voxel& v) const {
    return v.layer >= layer_begin && v.layer < layer_end && v.row >= row_begin &&
           v.row < row_end && v.col >= col_begin && v.col < col_end;
  }
  // The smallest box holding both (an empty box is the identity).
  VoxelBox United(const VoxelBox& other) const {
    if (empty()) return other;
    if (other.empty()) return *this;
    return {std::min(layer_begin, other.layer_begin), std::min(row_begin, other.row_begin),
            std::min(col_begin, other.col_begin),     std::max(layer_end, other.layer_end),
            std::max(row_end, other.row_end),         std::max(col_end, other.col_end)};
  }
  // Grown by `margin` voxels on every side and clipped to a layers x rows x cols grid.
  VoxelBox Dilated(int margin, int layers, int rows, int cols) const {
    if (empty()) return *this;
    return {std::max(0, layer_begin - margin), std::max(0, row_begin - margin),
            std::max(0, col_begin - margin),   std::min(layers, layer_end + margin),
            std::min(rows, row_end + margin),  std::min(cols, col_end + margin)};
  }
  static VoxelBox Single(const Voxel& v) {
    return {v.layer, v.row, v.col, v.layer + 1, v.row + 1, v.col + 1};
  }
  static VoxelBox Whole(int layers, int rows, int cols) { return {0, 0, 0, layers, rows, cols}; }
};

// Where a voxel grid lies in the map frame, and how to go between points and voxels.
struct VoxelGeometry {
  double origin_m[3] = {0.0, 0.0, 0.0};  // map-frame (x, y, z) of the grid's lowest corner
  double resolution_m = 0.0;             // voxel edge
  int layers = 0;                        // voxels along z
  int rows = 0;                          // voxels along y
  int cols = 0;                          // voxels along x

  // Throws std::invalid_argument naming the field: a finite origin, a finite resolution > 0,
  // positive counts, and at most 2^31 voxels in all.
  void Validate() const {
    for (int axis = 0; axis < 3; ++axis) {
      ILRS_THROW_IF_NOT(std::isfinite(origin_m[axis]),
                        "VoxelGeometry.origin_m[" + std::to_string(axis) +
                            "] must be finite, got " + std::to_string(origin_m[axis]));
    }
    ILRS_THROW_IF_NOT(std::isfinite(resolution_m) && resolution_m > 0.0,
                      "VoxelGeometry.resolution_m must be > 0, got " +
                          std::to_string(resolution_m));
    ILRS_THROW_IF_NOT(layers > 0 && rows > 0 && cols > 0,
                      "VoxelGeometry: (layers, rows, cols) must be positive, got (" +
                          std::to_string(layers) + ", " + std::to_string(rows) + ", " +
                          std::to_string(cols) + ")");
    ILRS_THROW_IF_NOT(voxel_count() <= (std::size_t{1} << 31),
                      "VoxelGeometry: " + std::to_string(voxel_count()) +
                          " voxels is more than the 2^31 supported");
  }

  std::size_t voxel_count() const {
    return static_cast<std::size_t>(layers) * rows * cols;
  }
  VoxelBox whole() const { return VoxelBox::Whole(layers, rows, cols); }
  bool Contains(const Voxel& v) const {
    return v.layer >= 0 && v.row >= 0 && v.col >= 0 && v.layer < layers && v.row < rows &&
           v.col < cols;
  }
  std::size_t Index(const Voxel& v) const {
    return (static_cast<std::size_t>(v.layer) * rows + v.row) * cols + v.col;
  }
  Voxel VoxelAtIndex(std::size_t index) const {
    const std::size_t per_layer = static_cast<std::size_t>(rows) * cols;
    return {static_cast<int>(index / per_layer), static_cast<int>(index % per_layer / cols),
            static_cast<int>(index % cols)};
  }
  // The voxel holding map-frame point `xyz_m`; false (and `out` untouched) if it lies outside
  // the grid or is not finite.
  bool VoxelOf(const double xyz_m[3], Voxel* out) const {
    const double c = std::floor((xyz_m[0] - origin_m[0]) / resolution_m);
    const double r = std::floor((xyz_m[1] - origin_m[1]) / resolution_m);
    const double l = std::floor((xyz_m[2] - origin_m[2]) / resolution_m);
    if (!(c >= 0 && r >= 0 && l >= 0 && c < cols && r < rows && l < layers)) return false;
    *out = {static_cast<int>(l), static_cast<int>(r), static_cast<int>(c)};
    return true;
  }
  // Map-frame centre of voxel `v` (which need not lie inside the grid).
  void CenterOf(const Voxel& v, double xyz_m[3]) const {
    xyz_m[0] = origin_m[0] + (v.col + 0.5) * resolution_m;
    xyz_m[1] = origin_m[1] + (v.row + 0.5) * resolution_m;
    xyz_m[2] = origin_m[2] + (v.layer + 0.5) * resolution_m;
  }
};

// A non-owning view of a grid's per-voxel data, laid out as described at the top.
template <typename T>
class VoxelGridView {
 public:
  VoxelGridView(T* data, int layers, int rows, int cols)
      : data_(data), layers_(layers), rows_(rows), cols_(cols) {
    ILRS_ASSERT(layers >= 0 && rows >= 0 && cols >= 0);
    ILRS_ASSERT(data != nullptr || size() == 0);
  }

  int layers() const { return layers_; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  std::size_t size() const { return static_cast<std::size_t>(layers_) * rows_ * cols_; }
  T* data() const { return data_; }

  bool Contains(const Voxel& v) const {
    return v.layer >= 0 && v.row >= 0 && v.col >= 0 && v.layer < layers_ && v.row < rows_ &&
           v.col < cols_;
  }
  std::size_t Index(const Voxel& v) const {
    return (static_cast<std::size_t>(v.layer) * rows_ + v.row) * cols_ + v.col;
  }
  T& operator()(const Voxel& v) const { return data_[Index(v)]; }
  T& operator()(int layer, int row, int col) const { return data_[Index({layer, row, col})]; }

  VoxelGridView<const T> AsConst() const {
    return VoxelGridView<const T>(data_, layers_, rows_, cols_);
  }

 private:
  T* data_;
  int layers_;
  int rows_;
  int cols_;
};

}  // namespace ilrs
