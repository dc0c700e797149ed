#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <tuple>

#include "array_checks.h"
#include "bindings.h"
#include "ilrs/sim/heightfield_raycast.h"
#include "ilrs/sim/horizon.h"

namespace ilrs::bindings {

using sim::HorizonParams;
using sim::RaycastParams;

namespace {

// A (N, 4) observers array: x_m, y_m, eye height_m, map azimuth of local north in degrees.
GridView<const double> ObserversView(const CArray<double>& observers) {
  if (observers.ndim() != 2 || observers.shape(1) != 4) {
    throw py::value_error(
        "observers must have shape (N, 4) (x_m, y_m, eye_height_m, north_map_azimuth_deg), got " +
        std::string(observers.ndim() == 2 ? "(" + std::to_string(observers.shape(0)) + ", " +
                                                std::to_string(observers.shape(1)) + ")"
                                          : std::to_string(observers.ndim()) + " dimensions"));
  }
  return {observers.data(), static_cast<int>(observers.shape(0)), 4};
}

sim::HeightGrid HeightGridFrom(const CArray<float>& heights_m, double resolution_m,
                               const std::tuple<double, double>& origin_xy_m) {
  return {ConstGrid(heights_m, "heights_m"), resolution_m, std::get<0>(origin_xy_m),
          std::get<1>(origin_xy_m)};
}

}  // namespace

void DeclareSim(py::module_& m) {
  py::class_<RaycastParams>(m, "RaycastParams");
  py::class_<HorizonParams>(m, "HorizonParams");
}

void DefineSim(py::module_& m) {
  static_cast<py::class_<RaycastParams>>(m.attr("RaycastParams"))
      .def(py::init<>())
      .def_readwrite("resolution_m", &RaycastParams::resolution_m)
      .def_readwrite("min_range_m", &RaycastParams::min_range_m)
      .def_readwrite("max_range_m", &RaycastParams::max_range_m)
      .def_readwrite("step_fraction", &RaycastParams::step_fraction)
      .def_readwrite("bisection_steps", &RaycastParams::bisection_steps);

  m.def(
      "render_depth",
      [](const CArray<float>& heights_m, const perception::PinholeIntrinsics& intrinsics,
         const CArray<double>& position_m, const CArray<double>& rotation,
         const RaycastParams& params) {
        const GridView<const float> heights = ConstGrid(heights_m, "heights_m");
        const perception::CameraPose pose = PoseFromArrays(position_m, rotation);
        intrinsics.Validate();
        py::array_t<float> depth({intrinsics.height_px, intrinsics.width_px});
        const GridView<float> out(depth.mutable_data(), intrinsics.height_px,
                                  intrinsics.width_px);
        {
          py::gil_scoped_release release;
          sim::RenderDepth(heights, intrinsics, pose, params, out);
        }
        return depth;
      },
      py::arg("heights_m"), py::arg("intrinsics"), py::arg("position_m"), py::arg("rotation"),
      py::arg("params"));

  static_cast<py::class_<HorizonParams>>(m.attr("HorizonParams"))
      .def(py::init<>())
      .def_readwrite("sectors", &HorizonParams::sectors)
      .def_readwrite("rays_per_sector", &HorizonParams::rays_per_sector)
      .def_readwrite("step_m", &HorizonParams::step_m)
      .def_readwrite("min_distance_m", &HorizonParams::min_distance_m)
      .def_readwrite("max_distance_m", &HorizonParams::max_distance_m)
      .def_readwrite("body_radius_m", &HorizonParams::body_radius_m)
      .def("validate", &HorizonParams::Validate);

  m.def(
      "compute_horizons",
      [](const CArray<float>& heights_m, double resolution_m,
         const std::tuple<double, double>& origin_xy_m, const CArray<double>& observers,
         const HorizonParams& params) {
        const sim::HeightGrid grid = HeightGridFrom(heights_m, resolution_m, origin_xy_m);
        const GridView<const double> obs = ObserversView(observers);
        params.Validate();
        py::array_t<float> horizon({obs.rows(), params.sectors});
        const GridView<float> out(horizon.mutable_data(), obs.rows(), params.sectors);
        {
          py::gil_scoped_release release;
          sim::ComputeHorizons(grid, obs, params, out);
        }
        return horizon;
      },
      py::arg("heights_m"), py::arg("resolution_m"), py::arg("origin_xy_m"),
      py::arg("observers"), py::arg("params"));

  m.def(
      "compute_horizons_along",
      [](const CArray<float>& heights_m, double resolution_m,
         const std::tuple<double, double>& origin_xy_m, const CArray<double>& observers,
         const CArray<double>& azimuth_deg, const HorizonParams& params) {
        const sim::HeightGrid grid = HeightGridFrom(heights_m, resolution_m, origin_xy_m);
        const GridView<const double> obs = ObserversView(observers);
        if (azimuth_deg.ndim() != 1 || azimuth_deg.shape(0) != obs.rows()) {
          throw py::value_error("azimuth_deg must have shape (" + std::to_string(obs.rows()) +
                                ",) like observers, got " + std::to_string(azimuth_deg.size()) +
                                " values in " + std::to_string(azimuth_deg.ndim()) +
                                " dimensions");
        }
        params.Validate();
        py::array_t<float> horizon(obs.rows());
        const GridView<const double> az(azimuth_deg.data(), obs.rows(), 1);
        const GridView<float> out(horizon.mutable_data(), obs.rows(), 1);
        {
          py::gil_scoped_release release;
          sim::ComputeHorizonsAlong(grid, obs, az, params, out);
        }
        return horizon;
      },
      py::arg("heights_m"), py::arg("resolution_m"), py::arg("origin_xy_m"),
      py::arg("observers"), py::arg("azimuth_deg"), py::arg("params"));
}

}  // namespace ilrs::bindings
