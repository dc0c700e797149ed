// Shared checks for arrays crossing into the core: dtype and C order are enforced by the
// py::array_t flags (with no silent copy where we write), shapes here, each message naming
// the argument and both sizes.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <string>
#include <tuple>

#include "ilrs/core/grid.h"
#include "ilrs/perception/elevation_map.h"

namespace ilrs::bindings {

namespace py = pybind11;

// "(a, b, ...)" for an array's shape, for error messages.
inline std::string ShapeText(const py::array& array) {
  std::string text = "(";
  for (py::ssize_t i = 0; i < array.ndim(); ++i) {
    text += (i ? ", " : "") + std::to_string(array.shape(i));
  }
  return text + (array.ndim() == 1 ? ",)" : ")");
}

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

// A 2D float32 input, viewed without copying when it is already float32 and C-ordered.
inline GridView<const float> ConstGrid(const CArray<float>& array, const char* name) {
  if (array.ndim() != 2) {
    throw py::value_error(std::string(name) + " must be a 2D array, got " +
                          std::to_string(array.ndim()) + " dimensions");
  }
  return {array.data(), static_cast<int>(array.shape(0)), static_cast<int>(array.shape(1))};
}

// A 2D float32 output written in place: it must already be float32, C-ordered, writeable and
// of the given shape (no conversion, so writes land in the caller's array).
inline GridView<float> MutableGrid(py::array& array, const char* name, int rows, int cols) {
  if (!py::isinstance<py::array_t<float>>(array) ||
      !(array.flags() & py::array::c_style) || !array.writeable()) {
    throw py::type_error(std::string(name) +
                         " must be a writeable C-contiguous float32 array");
  }
  if (array.ndim() != 2 || array.shape(0) != rows || array.shape(1) != cols) {
    throw py::value_error(std::string(name) + " must have shape (" + std::to_string(rows) +
                          ", " + std::to_string(cols) + "), got " + ShapeText(array));
  }
  return {static_cast<float*>(array.mutable_data()), rows, cols};
}

inline Region RegionFromTuple(const std::tuple<int, int, int, int>& t) {
  return {std::get<0>(t), std::get<1>(t), std::get<2>(t), std::get<3>(t)};
}

inline std::tuple<int, int, int, int> RegionToTuple(const Region& r) {
  return {r.row_begin, r.col_begin, r.row_end, r.col_end};
}

// A camera pose from a position (3,) and a camera-to-map rotation (3, 3).
inline perception::CameraPose PoseFromArrays(const CArray<double>& position_m,
                                             const CArray<double>& rotation) {
  if (position_m.size() != 3) {
    throw py::value_error("position_m must have 3 values, got " +
                          std::to_string(position_m.size()));
  }
  if (rotation.ndim() != 2 || rotation.shape(0) != 3 || rotation.shape(1) != 3) {
    throw py::value_error("rotation must have shape (3, 3), got " + ShapeText(rotation));
  }
  perception::CameraPose pose;
  std::copy(position_m.data(), position_m.data() + 3, pose.position_m);
  std::copy(rotation.data(), rotation.data() + 9, pose.rotation);
  return pose;
}

}  // namespace ilrs::bindings
