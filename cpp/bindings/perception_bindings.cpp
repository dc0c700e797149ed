#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <memory>

#include "array_checks.h"
#include "bindings.h"
#include "ilrs/perception/costmap.h"
#include "ilrs/perception/elevation_map.h"
#include "ilrs/perception/hazard_layers.h"

namespace ilrs::bindings {

using perception::CameraPose;
using perception::CostmapParams;
using perception::ElevationMap;
using perception::FusionParams;
using perception::HazardParams;
using perception::PinholeIntrinsics;

namespace {

// A read-only numpy view of one of the map's layers. Lifetime rule: the array's base is the
// Python ElevationMap object, so the map (and its storage, which never reallocates) lives at
// least as long as any view of it.
py::array LayerView(const GridView<const float>& layer, py::handle owner) {
  py::array view(py::dtype::of<float>(), {layer.rows(), layer.cols()},
                 {static_cast<py::ssize_t>(sizeof(float)) * layer.cols(),
                  static_cast<py::ssize_t>(sizeof(float))},
                 layer.data(), owner);
  py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return view;
}

}  // namespace

void DeclarePerception(py::module_& m) {
  py::class_<HazardParams>(m, "HazardParams");
  py::class_<CostmapParams>(m, "CostmapParams");
  py::class_<FusionParams>(m, "FusionParams");
  py::class_<PinholeIntrinsics>(m, "PinholeIntrinsics");
  py::class_<ElevationMap>(m, "ElevationMap");
  m.attr("LETHAL_COST") = perception::kLethalCost;
}

void DefinePerception(py::module_& m) {
  static_cast<py::class_<HazardParams>>(m.attr("HazardParams"))
      .def(py::init<>())
      .def_readwrite("resolution_m", &HazardParams::resolution_m)
      .def_readwrite("plane_window_radius_m", &HazardParams::plane_window_radius_m)
      .def_readwrite("step_window_radius_m", &HazardParams::step_window_radius_m)
      .def_readwrite("belly_half_width_m", &HazardParams::belly_half_width_m)
      .def_readwrite("min_known_fraction", &HazardParams::min_known_fraction)
      .def("validate", &HazardParams::Validate)
      .def_property_readonly("plane_radius_cells", &HazardParams::plane_radius_cells)
      .def_property_readonly("step_radius_cells", &HazardParams::step_radius_cells)
      .def_property_readonly("belly_radius_cells", &HazardParams::belly_radius_cells);

  static_cast<py::class_<CostmapParams>>(m.attr("CostmapParams"))
      .def(py::init<>())
      .def_readwrite("max_slope_deg", &CostmapParams::max_slope_deg)
      .def_readwrite("max_roughness_m", &CostmapParams::max_roughness_m)
      .def_readwrite("max_step_m", &CostmapParams::max_step_m)
      .def_readwrite("slope_weight", &CostmapParams::slope_weight)
      .def_readwrite("roughness_weight", &CostmapParams::roughness_weight)
      .def_readwrite("step_weight", &CostmapParams::step_weight)
      .def_readwrite("max_belly_m", &CostmapParams::max_belly_m)
      .def_readwrite("belly_weight", &CostmapParams::belly_weight)
      .def("validate", &CostmapParams::Validate);

  static_cast<py::class_<FusionParams>>(m.attr("FusionParams"))
      .def(py::init<>())
      .def_readwrite("noise_floor_m", &FusionParams::noise_floor_m)
      .def_readwrite("noise_per_range2", &FusionParams::noise_per_range2)
      .def_readwrite("min_variance_m2", &FusionParams::min_variance_m2);

  static_cast<py::class_<PinholeIntrinsics>>(m.attr("PinholeIntrinsics"))
      .def(py::init<>())
      .def_readwrite("width_px", &PinholeIntrinsics::width_px)
      .def_readwrite("height_px", &PinholeIntrinsics::height_px)
      .def_readwrite("fx", &PinholeIntrinsics::fx)
      .def_readwrite("fy", &PinholeIntrinsics::fy)
      .def_readwrite("cx", &PinholeIntrinsics::cx)
      .def_readwrite("cy", &PinholeIntrinsics::cy);

  m.def(
      "compute_hazard_layers",
      [](const CArray<float>& elevation_m, const HazardParams& params,
         std::tuple<int, int, int, int> region, py::array slope_deg, py::array roughness_m,
         py::array step_m, py::array belly_m) {
        const GridView<const float> z = ConstGrid(elevation_m, "elevation_m");
        const perception::HazardLayerViews out{
            MutableGrid(slope_deg, "slope_deg", z.rows(), z.cols()),
            MutableGrid(roughness_m, "roughness_m", z.rows(), z.cols()),
            MutableGrid(step_m, "step_m", z.rows(), z.cols()),
            MutableGrid(belly_m, "belly_m", z.rows(), z.cols())};
        py::gil_scoped_release release;
        perception::ComputeHazardLayers(z, params, RegionFromTuple(region), out);
      },
      py::arg("elevation_m"), py::arg("params"), py::arg("region"), py::arg("slope_deg"),
      py::arg("roughness_m"), py::arg("step_m"), py::arg("belly_m"));

  m.def(
      "compute_costmap",
      [](const CArray<float>& slope_deg, const CArray<float>& roughness_m,
         const CArray<float>& step_m, const CArray<float>& belly_m, const CostmapParams& params,
         std::tuple<int, int, int, int> region, py::array cost) {
        const GridView<const float> s = ConstGrid(slope_deg, "slope_deg");
        const GridView<const float> r = ConstGrid(roughness_m, "roughness_m");
        const GridView<const float> t = ConstGrid(step_m, "step_m");
        const GridView<const float> b = ConstGrid(belly_m, "belly_m");
        const GridView<float> out = MutableGrid(cost, "cost", s.rows(), s.cols());
        py::gil_scoped_release release;
        perception::ComputeCostmap(s, r, t, b, params, RegionFromTuple(region), out);
      },
      py::arg("slope_deg"), py::arg("roughness_m"), py::arg("step_m"), py::arg("belly_m"),
      py::arg("params"), py::arg("region"), py::arg("cost"));

  m.def(
      "shift_grid",
      [](py::array grid, std::tuple<int, int> shift, float fill) {
        if (grid.ndim() != 2) {
          throw py::value_error("grid must be a 2D array, got " + std::to_string(grid.ndim()) +
                                " dimensions");
        }
        const GridView<float> view = MutableGrid(grid, "grid", static_cast<int>(grid.shape(0)),
                                                 static_cast<int>(grid.shape(1)));
        py::gil_scoped_release release;
        perception::ShiftGrid(view, {std::get<0>(shift), std::get<1>(shift)}, fill);
      },
      py::arg("grid"), py::arg("shift"), py::arg("fill"));

  static_cast<py::class_<ElevationMap>>(m.attr("ElevationMap"))
      .def(py::init([](int rows, int cols, double resolution_m, std::tuple<int, int> origin) {
             return std::make_unique<ElevationMap>(
                 rows, cols, resolution_m, Cell{std::get<0>(origin), std::get<1>(origin)});
           }),
           py::arg("rows"), py::arg("cols"), py::arg("resolution_m"),
           py::arg("origin") = std::tuple<int, int>{0, 0})
      .def_property_readonly("origin",
                             [](const ElevationMap& map) {
                               return py::make_tuple(map.origin().row, map.origin().col);
                             })
      .def(
          "move_origin",
          [](ElevationMap& map, std::tuple<int, int> origin) {
            Cell shift;
            {
              py::gil_scoped_release release;
              shift = map.MoveOrigin({std::get<0>(origin), std::get<1>(origin)});
            }
            return py::make_tuple(shift.row, shift.col);
          },
          py::arg("origin"))
      .def_property_readonly("resolution_m", &ElevationMap::resolution_m)
      .def_property_readonly("shape",
                             [](const ElevationMap& map) {
                               return py::make_tuple(map.rows(), map.cols());
                             })
      .def(
          "set_prior",
          [](ElevationMap& map, const CArray<float>& heights_m, double variance_m2) {
            const GridView<const float> heights = ConstGrid(heights_m, "heights_m");
            py::gil_scoped_release release;
            map.SetPrior(heights, variance_m2);
          },
          py::arg("heights_m"), py::arg("variance_m2"))
      .def(
          "fuse_points",
          [](ElevationMap& map, const CArray<float>& points_xyz_m,
             const CArray<double>& sensor_xyz_m, const FusionParams& params) {
            if (points_xyz_m.ndim() != 2 || points_xyz_m.shape(1) != 3) {
              throw py::value_error("points_xyz_m must have shape (N, 3), got " +
                                    std::to_string(points_xyz_m.ndim()) + " dimensions" +
                                    (points_xyz_m.ndim() == 2
                                         ? " with " + std::to_string(points_xyz_m.shape(1)) +
                                               " columns"
                                         : std::string()));
            }
            if (sensor_xyz_m.size() != 3) {
              throw py::value_error("sensor_xyz_m must have 3 values, got " +
                                    std::to_string(sensor_xyz_m.size()));
            }
            Region changed;
            {
              py::gil_scoped_release release;
              changed = map.FusePoints(points_xyz_m.data(),
                                       static_cast<std::size_t>(points_xyz_m.shape(0)),
                                       sensor_xyz_m.data(), params);
            }
            return RegionToTuple(changed);
          },
          py::arg("points_xyz_m"), py::arg("sensor_xyz_m"), py::arg("params"))
      .def(
          "fuse_depth",
          [](ElevationMap& map, const CArray<float>& depth_m, const PinholeIntrinsics& intrinsics,
             const CArray<double>& position_m, const CArray<double>& rotation,
             const FusionParams& params) {
            const GridView<const float> depth = ConstGrid(depth_m, "depth_m");
            const CameraPose pose = PoseFromArrays(position_m, rotation);
            Region changed;
            {
              py::gil_scoped_release release;
              changed = map.FuseDepth(depth, intrinsics, pose, params);
            }
            return RegionToTuple(changed);
          },
          py::arg("depth_m"), py::arg("intrinsics"), py::arg("position_m"), py::arg("rotation"),
          py::arg("params"))
      .def_property_readonly("height_m",
                             [](py::object self) {
                               return LayerView(self.cast<const ElevationMap&>().height_m(), self);
                             })
      .def_property_readonly("variance_m2",
                             [](py::object self) {
                               return LayerView(self.cast<const ElevationMap&>().variance_m2(),
                                                self);
                             })
      .def_property_readonly("max_height_m", [](py::object self) {
        return LayerView(self.cast<const ElevationMap&>().max_height_m(), self);
      });

  m.def(
      "depth_to_points",
      [](const CArray<float>& depth_m, const PinholeIntrinsics& intrinsics,
         const CArray<double>& position_m, const CArray<double>& rotation) {
        const GridView<const float> depth = ConstGrid(depth_m, "depth_m");
        const CameraPose pose = PoseFromArrays(position_m, rotation);
        std::vector<float> xyz(depth.size() * 3);
        std::size_t n = 0;
        {
          py::gil_scoped_release release;
          n = perception::DepthToPoints(depth, intrinsics, pose, xyz.data());
        }
        py::array_t<float> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(3)});
        std::copy(xyz.begin(), xyz.begin() + static_cast<std::ptrdiff_t>(3 * n),
                  out.mutable_data());
        return out;
      },
      py::arg("depth_m"), py::arg("intrinsics"), py::arg("position_m"), py::arg("rotation"));
}

}  // namespace ilrs::bindings
