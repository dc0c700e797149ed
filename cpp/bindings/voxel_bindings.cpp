// Bindings of the 3D occupancy map (perception/voxel_map.h) and the voxel traversal
// (core/voxel_ray.h).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "array_checks.h"
#include "bindings.h"
#include "ilrs/core/voxel_grid.h"
#include "ilrs/core/voxel_ray.h"
#include "ilrs/perception/voxel_map.h"

namespace ilrs::bindings {

using perception::Connectivity;
using perception::DistanceFieldParams;
using perception::FrontierCluster;
using perception::InsertionResult;
using perception::OccupancyParams;
using perception::VoxelMap;

namespace {

using BoxTuple = std::tuple<int, int, int, int, int, int>;
using VoxelTuple = std::tuple<int, int, int>;

BoxTuple BoxToTuple(const VoxelBox& b) {
  return {b.layer_begin, b.row_begin, b.col_begin, b.layer_end, b.row_end, b.col_end};
}

VoxelTuple VoxelToTuple(const Voxel& v) { return {v.layer, v.row, v.col}; }

// A read-only numpy view of one of the map's per-voxel arrays, shape (layers, rows, cols).
// Lifetime rule: the array's base is the Python VoxelMap object, so the map (whose storage
// never reallocates once allocated) lives at least as long as any view of it.
template <typename T>
py::array ReadOnlyView(const VoxelGridView<const T>& grid, const py::dtype& dtype,
                       py::handle owner) {
  const auto item = static_cast<py::ssize_t>(sizeof(T));
  py::array view(dtype, {grid.layers(), grid.rows(), grid.cols()},
                 {item * grid.rows() * grid.cols(), item * grid.cols(), item}, grid.data(),
                 owner);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

// A new (N, 3) int32 array of (layer, row, col).
py::array_t<int> VoxelArray(const std::vector<Voxel>& voxels) {
  py::array_t<int> out({static_cast<py::ssize_t>(voxels.size()), static_cast<py::ssize_t>(3)});
  int* data = out.mutable_data();
  for (std::size_t i = 0; i < voxels.size(); ++i) {
    data[3 * i] = voxels[i].layer;
    data[3 * i + 1] = voxels[i].row;
    data[3 * i + 2] = voxels[i].col;
  }
  return out;
}

template <typename T>
void CheckRows3(const CArray<T>& array, const char* name) {
  if (array.ndim() != 2 || array.shape(1) != 3) {
    throw py::value_error(std::string(name) + " must have shape (N, 3), got " +
                          std::to_string(array.ndim()) + " dimensions" +
                          (array.ndim() == 2
                               ? " with " + std::to_string(array.shape(1)) + " columns"
                               : std::string()));
  }
}

void CheckPoint3(const CArray<double>& array, const char* name) {
  if (array.size() != 3) {
    throw py::value_error(std::string(name) + " must have 3 values, got " +
                          std::to_string(array.size()));
  }
}

Connectivity ConnectivityFromInt(int connectivity) {
  if (connectivity == 6) return Connectivity::kFaces6;
  if (connectivity == 26) return Connectivity::kFull26;
  throw py::value_error("connectivity must be 6 or 26, got " + std::to_string(connectivity));
}

}  // namespace

void DeclareVoxels(py::module_& m) {
  py::class_<VoxelGeometry>(m, "VoxelGeometry");
  py::class_<OccupancyParams>(m, "OccupancyParams");
  py::class_<InsertionResult>(m, "VoxelInsertion");
  py::class_<FrontierCluster>(m, "FrontierCluster");
  py::class_<VoxelMap>(m, "VoxelMap");
}

void DefineVoxels(py::module_& m) {
  static_cast<py::class_<VoxelGeometry>>(m.attr("VoxelGeometry"))
      .def(py::init([](const std::tuple<double, double, double>& origin_m, double resolution_m,
                       const VoxelTuple& shape) {
             VoxelGeometry g;
             g.origin_m[0] = std::get<0>(origin_m);
             g.origin_m[1] = std::get<1>(origin_m);
             g.origin_m[2] = std::get<2>(origin_m);
             g.resolution_m = resolution_m;
             g.layers = std::get<0>(shape);
             g.rows = std::get<1>(shape);
             g.cols = std::get<2>(shape);
             g.Validate();
             return g;
           }),
           py::arg("origin_m"), py::arg("resolution_m"), py::arg("shape"))
      .def_property_readonly("origin_m",
                             [](const VoxelGeometry& g) {
                               return std::make_tuple(g.origin_m[0], g.origin_m[1],
                                                      g.origin_m[2]);
                             })
      .def_readonly("resolution_m", &VoxelGeometry::resolution_m)
      .def_property_readonly("shape", [](const VoxelGeometry& g) {
        return VoxelTuple{g.layers, g.rows, g.cols};
      });

  static_cast<py::class_<OccupancyParams>>(m.attr("OccupancyParams"))
      .def(py::init<>())
      .def_readwrite("hit_log_odds", &OccupancyParams::hit_log_odds)
      .def_readwrite("miss_log_odds", &OccupancyParams::miss_log_odds)
      .def_readwrite("min_log_odds", &OccupancyParams::min_log_odds)
      .def_readwrite("max_log_odds", &OccupancyParams::max_log_odds)
      .def_readwrite("occupied_above_log_odds", &OccupancyParams::occupied_above_log_odds)
      .def("validate", &OccupancyParams::Validate);

  static_cast<py::class_<InsertionResult>>(m.attr("VoxelInsertion"))
      .def_property_readonly("changed",
                             [](const InsertionResult& r) { return BoxToTuple(r.changed); })
      .def_readonly("points_used", &InsertionResult::points_used)
      .def_readonly("skipped_nonfinite", &InsertionResult::skipped_nonfinite)
      .def_readonly("beyond_max_range", &InsertionResult::beyond_max_range)
      .def_readonly("hits_outside_grid", &InsertionResult::hits_outside_grid);

  static_cast<py::class_<FrontierCluster>>(m.attr("FrontierCluster"))
      .def_property_readonly("voxels",
                             [](const FrontierCluster& c) { return VoxelArray(c.voxels); })
      .def_property_readonly("centroid_m",
                             [](const FrontierCluster& c) {
                               return std::make_tuple(c.centroid_m[0], c.centroid_m[1],
                                                      c.centroid_m[2]);
                             })
      .def_property_readonly("goal",
                             [](const FrontierCluster& c) { return VoxelToTuple(c.goal); })
      .def_property_readonly("bounds",
                             [](const FrontierCluster& c) { return BoxToTuple(c.bounds); });

  static_cast<py::class_<VoxelMap>>(m.attr("VoxelMap"))
      .def(py::init<const VoxelGeometry&, const OccupancyParams&>(), py::arg("geometry"),
           py::arg("params"))
      .def_property_readonly("geometry", &VoxelMap::geometry)
      .def_property_readonly("params", &VoxelMap::params)
      .def_property_readonly("occupied_count", &VoxelMap::occupied_count)
      .def_property_readonly("free_count", &VoxelMap::free_count)
      .def(
          "insert_point_cloud",
          [](VoxelMap& map, const CArray<float>& points_xyz_m, const CArray<double>& sensor_xyz_m,
             double max_range_m) {
            CheckRows3(points_xyz_m, "points_xyz_m");
            CheckPoint3(sensor_xyz_m, "sensor_xyz_m");
            py::gil_scoped_release release;
            return map.InsertPointCloud(points_xyz_m.data(),
                                        static_cast<std::size_t>(points_xyz_m.shape(0)),
                                        sensor_xyz_m.data(), max_range_m);
          },
          py::arg("points_xyz_m"), py::arg("sensor_xyz_m"), py::arg("max_range_m"))
      .def(
          "set_log_odds",
          [](VoxelMap& map, const CArray<float>& log_odds) {
            if (log_odds.ndim() != 3) {
              throw py::value_error("log_odds must be a 3D array, got " +
                                    std::to_string(log_odds.ndim()) + " dimensions");
            }
            map.SetLogOdds({log_odds.data(), static_cast<int>(log_odds.shape(0)),
                            static_cast<int>(log_odds.shape(1)),
                            static_cast<int>(log_odds.shape(2))});
          },
          py::arg("log_odds"))
      .def(
          "states",
          [](const VoxelMap& map, const CArray<int>& voxels) {
            CheckRows3(voxels, "voxels");
            const auto n = static_cast<std::size_t>(voxels.shape(0));
            py::array_t<std::uint8_t> out(static_cast<py::ssize_t>(n));
            const int* v = voxels.data();
            std::uint8_t* data = out.mutable_data();
            for (std::size_t i = 0; i < n; ++i) {
              data[i] = static_cast<std::uint8_t>(map.State({v[3 * i], v[3 * i + 1], v[3 * i + 2]}));
            }
            return out;
          },
          py::arg("voxels"))
      .def_property_readonly("log_odds",
                             [](py::object self) {
                               return ReadOnlyView(self.cast<const VoxelMap&>().log_odds(),
                                                   py::dtype::of<float>(), self);
                             })
      .def_property_readonly("occupied_mask",
                             [](py::object self) {
                               return ReadOnlyView(self.cast<const VoxelMap&>().occupied_mask(),
                                                   py::dtype::of<bool>(), self);
                             })
      .def_property_readonly("free_mask",
                             [](py::object self) {
                               return ReadOnlyView(self.cast<const VoxelMap&>().free_mask(),
                                                   py::dtype::of<bool>(), self);
                             })
      .def(
          "frontiers",
          [](const VoxelMap& map, const BoxTuple& within) {
            const VoxelBox box{std::get<0>(within), std::get<1>(within), std::get<2>(within),
                               std::get<3>(within), std::get<4>(within), std::get<5>(within)};
            std::vector<Voxel> frontiers;
            {
              py::gil_scoped_release release;
              frontiers = map.Frontiers(box);
            }
            return VoxelArray(frontiers);
          },
          py::arg("within"))
      .def(
          "frontier_clusters",
          [](const VoxelMap& map, int connectivity, std::size_t min_size) {
            const Connectivity c = ConnectivityFromInt(connectivity);
            py::gil_scoped_release release;
            return map.FrontierClusters(c, min_size);
          },
          py::arg("connectivity"), py::arg("min_size"))
      .def(
          "distance_field",
          [](py::object self, bool unknown_is_obstacle) {
            VoxelMap& map = self.cast<VoxelMap&>();
            VoxelGridView<const float> field(nullptr, 0, 0, 0);
            {
              py::gil_scoped_release release;
              field = map.DistanceField({unknown_is_obstacle});
            }
            return ReadOnlyView(field, py::dtype::of<float>(), self);
          },
          py::arg("unknown_is_obstacle"))
      .def(
          "clearance",
          [](VoxelMap& map, const CArray<double>& points_xyz_m, bool unknown_is_obstacle) {
            CheckRows3(points_xyz_m, "points_xyz_m");
            const auto n = static_cast<std::size_t>(points_xyz_m.shape(0));
            py::array_t<double> out(static_cast<py::ssize_t>(n));
            const double* p = points_xyz_m.data();
            double* data = out.mutable_data();
            {
              py::gil_scoped_release release;
              for (std::size_t i = 0; i < n; ++i) {
                data[i] = map.Clearance(p + 3 * i, {unknown_is_obstacle});
              }
            }
            return out;
          },
          py::arg("points_xyz_m"), py::arg("unknown_is_obstacle"));

  m.def(
      "voxels_on_segment",
      [](const VoxelGeometry& geometry, const CArray<double>& from_m,
         const CArray<double>& to_m) {
        CheckPoint3(from_m, "from_m");
        CheckPoint3(to_m, "to_m");
        std::vector<Voxel> voxels;
        std::vector<double> t;
        WalkSegment(geometry, from_m.data(), to_m.data(),
                    [&](const Voxel& v, std::size_t, double t_enter, double t_exit) {
                      voxels.push_back(v);
                      t.push_back(t_enter);
                      t.push_back(t_exit);
                      return true;
                    });
        py::array_t<double> t_out({static_cast<py::ssize_t>(voxels.size()),
                                   static_cast<py::ssize_t>(2)});
        std::copy(t.begin(), t.end(), t_out.mutable_data());
        return std::make_tuple(VoxelArray(voxels), t_out);
      },
      py::arg("geometry"), py::arg("from_m"), py::arg("to_m"));
}

}  // namespace ilrs::bindings
