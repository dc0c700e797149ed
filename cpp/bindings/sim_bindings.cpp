#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "array_checks.h"
#include "bindings.h"
#include "ilrs/sim/heightfield_raycast.h"

namespace ilrs::bindings {

using sim::RaycastParams;

void DeclareSim(py::module_& m) { py::class_<RaycastParams>(m, "RaycastParams"); }

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
}

}  // namespace ilrs::bindings
