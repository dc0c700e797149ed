#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <cstdint>
#include <tuple>
#include <vector>

#include "array_checks.h"
#include "bindings.h"
#include "ilrs/sim/heightfield_raycast.h"
#include "ilrs/sim/horizon.h"
#include "ilrs/sim/stereo_render.h"
#include "ilrs/sim/tube_raycast.h"
#include "ilrs/sim/tube_render.h"

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


// A 3-vector property of a struct's double[3] member, as a tuple.
template <typename T, double (T::*Member)[3]>
std::tuple<double, double, double> GetVec3(const T& self) {
  const double* v = self.*Member;
  return {v[0], v[1], v[2]};
}

template <typename T, double (T::*Member)[3]>
void SetVec3(T& self, const std::tuple<double, double, double>& value) {
  double* v = self.*Member;
  v[0] = std::get<0>(value);
  v[1] = std::get<1>(value);
  v[2] = std::get<2>(value);
}

// Shaded rendering and sun visibility (stereo_render.h).
void DefineSceneRendering(py::module_& m) {
  using sim::SceneLighting;
  using sim::SurfaceParams;
  static_cast<py::class_<SceneLighting>>(m.attr("SceneLighting"))
      .def(py::init<>())
      .def_property("sun_direction", &GetVec3<SceneLighting, &SceneLighting::sun_direction>,
                    &SetVec3<SceneLighting, &SceneLighting::sun_direction>)
      .def_readwrite("sun_irradiance", &SceneLighting::sun_irradiance)
      .def_readwrite("cast_shadows", &SceneLighting::cast_shadows)
      .def_readwrite("shadow_max_distance_m", &SceneLighting::shadow_max_distance_m)
      .def_property("light_position_m", &GetVec3<SceneLighting, &SceneLighting::light_position_m>,
                    &SetVec3<SceneLighting, &SceneLighting::light_position_m>)
      .def_readwrite("light_intensity", &SceneLighting::light_intensity)
      .def("validate", &SceneLighting::Validate);

  static_cast<py::class_<SurfaceParams>>(m.attr("SurfaceParams"))
      .def(py::init<>())
      .def_readwrite("base_albedo", &SurfaceParams::base_albedo)
      .def_readwrite("texture_contrast", &SurfaceParams::texture_contrast)
      .def_readwrite("texture_cell_m", &SurfaceParams::texture_cell_m)
      .def_readwrite("texture_seed", &SurfaceParams::texture_seed)
      .def("validate", &SurfaceParams::Validate);

  m.def(
      "render_scene",
      [](const CArray<float>& heights_m, const perception::PinholeIntrinsics& intrinsics,
         const CArray<double>& position_m, const CArray<double>& rotation,
         const RaycastParams& params, const SceneLighting& lighting,
         const SurfaceParams& surface, bool with_radiance) {
        const GridView<const float> heights = ConstGrid(heights_m, "heights_m");
        const perception::CameraPose pose = PoseFromArrays(position_m, rotation);
        intrinsics.Validate();
        const int rows = intrinsics.height_px, cols = intrinsics.width_px;
        py::array_t<float> depth({rows, cols}), irradiance({rows, cols});
        py::array_t<float> radiance(with_radiance ? std::vector<py::ssize_t>{rows, cols}
                                                  : std::vector<py::ssize_t>{0, 0});
        const sim::SceneImages out{
            {depth.mutable_data(), rows, cols},
            {irradiance.mutable_data(), rows, cols},
            {radiance.mutable_data(), with_radiance ? rows : 0, with_radiance ? cols : 0}};
        {
          py::gil_scoped_release release;
          sim::RenderScene(heights, intrinsics, pose, params, lighting, surface, out);
        }
        return py::make_tuple(depth, irradiance, radiance);
      },
      py::arg("heights_m"), py::arg("intrinsics"), py::arg("position_m"), py::arg("rotation"),
      py::arg("params"), py::arg("lighting"), py::arg("surface"), py::arg("with_radiance") = true);

  m.def(
      "sun_visibility",
      [](const CArray<float>& heights_m, double resolution_m, const CArray<double>& points_m,
         const SceneLighting& lighting) {
        const GridView<const float> heights = ConstGrid(heights_m, "heights_m");
        if (points_m.ndim() != 2 || points_m.shape(1) != 3) {
          throw py::value_error("points_m must have shape (N, 3), got " + ShapeText(points_m));
        }
        const int n = static_cast<int>(points_m.shape(0));
        py::array_t<std::uint8_t> visible(n);
        const GridView<const double> points(points_m.data(), n, 3);
        const GridView<std::uint8_t> out(visible.mutable_data(), n, 1);
        {
          py::gil_scoped_release release;
          sim::SunVisibility(heights, resolution_m, points, lighting, out);
        }
        return visible;
      },
      py::arg("heights_m"), py::arg("resolution_m"), py::arg("points_m"), py::arg("lighting"));
}

// Ray casting against a lava tube (tube_raycast.h).
void DefineTubeRaycast(py::module_& m) {
  m.def(
      "cast_tube_rays",
      [](const CArray<double>& knots_x_m, const CArray<double>& radii_m, double axis_y_m,
         double axis_z_m, const CArray<double>& origin_m, const py::array& directions,
         double max_range_m) {
        if (knots_x_m.ndim() != 1 || radii_m.ndim() != 1) {
          throw py::value_error("knots_x_m and radii_m must be 1D, got " +
                                ShapeText(knots_x_m) + " and " + ShapeText(radii_m));
        }
        const sim::TubeProfile tube(
            std::vector<double>(knots_x_m.data(), knots_x_m.data() + knots_x_m.size()),
            std::vector<double>(radii_m.data(), radii_m.data() + radii_m.size()), axis_y_m,
            axis_z_m);
        if (origin_m.size() != 3) {
          throw py::value_error("origin_m must have 3 values, got " +
                                std::to_string(origin_m.size()));
        }
        if (!py::isinstance<py::array_t<double>>(directions) ||
            !(directions.flags() & py::array::c_style)) {
          throw py::type_error(
              "directions must be a C-contiguous float64 array, got a " +
              std::string(directions.flags() & py::array::c_style ? "" : "non-C-contiguous ") +
              std::string(py::str(directions.dtype())) + " array");
        }
        if (directions.ndim() != 2 || directions.shape(1) != 3) {
          throw py::value_error("directions must have shape (N, 3), got " +
                                ShapeText(directions));
        }
        const int n = static_cast<int>(directions.shape(0));
        const double origin[3] = {origin_m.data()[0], origin_m.data()[1], origin_m.data()[2]};
        const GridView<const double> dirs(static_cast<const double*>(directions.data()), n, 3);
        py::array_t<double> ranges(n);
        double* out = ranges.mutable_data();
        {
          py::gil_scoped_release release;
          tube.CastRays(origin, dirs, max_range_m, out);
        }
        return ranges;
      },
      py::arg("knots_x_m"), py::arg("radii_m"), py::arg("axis_y_m"), py::arg("axis_z_m"),
      py::arg("origin_m"), py::arg("directions"), py::arg("max_range_m"));
}


// Shaded rendering inside a lava tube (tube_render.h).
void DefineTubeRendering(py::module_& m) {
  m.def(
      "render_tube_scene",
      [](const CArray<double>& knots_x_m, const CArray<double>& radii_m, double axis_y_m,
         double axis_z_m, const perception::PinholeIntrinsics& intrinsics,
         const CArray<double>& position_m, const CArray<double>& rotation, double max_range_m,
         const sim::SurfaceParams& surface,
         const std::tuple<double, double, double>& light_position_m,
         double light_intensity, const std::tuple<double, double, double>& sun_direction,
         double sun_irradiance, const std::tuple<double, double, double, double>& skylight,
         double min_irradiance) {
        if (knots_x_m.ndim() != 1 || radii_m.ndim() != 1) {
          throw py::value_error("knots_x_m and radii_m must be 1D, got " +
                                ShapeText(knots_x_m) + " and " + ShapeText(radii_m));
        }
        const sim::TubeWall wall(
            std::vector<double>(knots_x_m.data(), knots_x_m.data() + knots_x_m.size()),
            std::vector<double>(radii_m.data(), radii_m.data() + radii_m.size()), axis_y_m,
            axis_z_m);
        const perception::CameraPose pose = PoseFromArrays(position_m, rotation);
        sim::TubeLighting lighting;
        lighting.light_position_m[0] = std::get<0>(light_position_m);
        lighting.light_position_m[1] = std::get<1>(light_position_m);
        lighting.light_position_m[2] = std::get<2>(light_position_m);
        lighting.light_intensity = light_intensity;
        lighting.sun_direction[0] = std::get<0>(sun_direction);
        lighting.sun_direction[1] = std::get<1>(sun_direction);
        lighting.sun_direction[2] = std::get<2>(sun_direction);
        lighting.sun_irradiance = sun_irradiance;
        lighting.skylight = {std::get<0>(skylight), std::get<1>(skylight), std::get<2>(skylight),
                             std::get<3>(skylight)};
        lighting.min_irradiance = min_irradiance;
        intrinsics.Validate();
        const int rows = intrinsics.height_px, cols = intrinsics.width_px;
        py::array_t<float> depth({rows, cols}), irradiance({rows, cols}), radiance({rows, cols});
        const sim::TubeImages out{{depth.mutable_data(), rows, cols},
                                  {irradiance.mutable_data(), rows, cols},
                                  {radiance.mutable_data(), rows, cols}};
        {
          py::gil_scoped_release release;
          sim::RenderTubeScene(wall, intrinsics, pose, max_range_m, lighting, surface, out);
        }
        return py::make_tuple(depth, irradiance, radiance);
      },
      py::arg("knots_x_m"), py::arg("radii_m"), py::arg("axis_y_m"), py::arg("axis_z_m"),
      py::arg("intrinsics"), py::arg("position_m"), py::arg("rotation"), py::arg("max_range_m"),
      py::arg("surface"), py::arg("light_position_m"), py::arg("light_intensity"),
      py::arg("sun_direction") = std::make_tuple(0.0, 0.0, 1.0), py::arg("sun_irradiance") = 0.0,
      py::arg("skylight") = std::make_tuple(0.0, 0.0, 0.0, 0.0),
      py::arg("min_irradiance") = 1e-3);
}
}  // namespace

void DeclareSim(py::module_& m) {
  py::class_<RaycastParams>(m, "RaycastParams");
  py::class_<HorizonParams>(m, "HorizonParams");
  py::class_<sim::SceneLighting>(m, "SceneLighting");
  py::class_<sim::SurfaceParams>(m, "SurfaceParams");
}

void DefineSim(py::module_& m) {
  static_cast<py::class_<RaycastParams>>(m.attr("RaycastParams"))
      .def(py::init<>())
      .def_readwrite("resolution_m", &RaycastParams::resolution_m)
      .def_readwrite("min_range_m", &RaycastParams::min_range_m)
      .def_readwrite("max_range_m", &RaycastParams::max_range_m)
      .def("validate", &RaycastParams::Validate);

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

  DefineSceneRendering(m);
  DefineTubeRaycast(m);
  DefineTubeRendering(m);
}

}  // namespace ilrs::bindings
