#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <tuple>
#include <string>

#include "array_checks.h"
#include "bindings.h"
#include "ilrs/planning/d_star_lite.h"
#include "ilrs/planning/grid_a_star.h"
#include "ilrs/planning/hybrid_a_star.h"
#include "ilrs/planning/line_of_sight.h"
#include "ilrs/planning/traverse_planner.h"
#include "ilrs/planning/voxel_planner.h"
#include "ilrs/planning/planner_errors.h"

namespace ilrs::bindings {

using planning::CancelToken;
using planning::DStarLite;
using planning::PlanningFailure;
using planning::PlanningFailureKind;

namespace {

constexpr PlanningFailureKind kAllFailures[] = {
    PlanningFailureKind::kStartOutsideMap, PlanningFailureKind::kGoalOutsideMap,
    PlanningFailureKind::kStartOccupied,   PlanningFailureKind::kGoalOccupied,
    PlanningFailureKind::kNoPathFound,     PlanningFailureKind::kTimedOut,
    PlanningFailureKind::kCancelled,
};

planning::MoveCostModel CostModelFromName(const std::string& name) {
  if (name == "geometric") return planning::MoveCostModel::kGeometric;
  if (name == "entered_cell") return planning::MoveCostModel::kEnteredCell;
  if (name == "midpoint") return planning::MoveCostModel::kMidpoint;
  throw py::value_error("cost_model must be 'geometric', 'entered_cell' or 'midpoint', got '" +
                        name + "'");
}

planning::GridSearch SearchFromName(const std::string& name) {
  if (name == "auto") return planning::GridSearch::kAuto;
  if (name == "a_star") return planning::GridSearch::kAStar;
  if (name == "bidirectional") return planning::GridSearch::kBidirectional;
  throw py::value_error("search must be 'auto', 'a_star' or 'bidirectional', got '" + name + "'");
}

planning::GridAStarOptions RulesFrom(const std::string& cost_model, float unknown_cost,
                                     bool allow_corner_cutting) {
  planning::GridAStarOptions options;
  options.cost_model = CostModelFromName(cost_model);
  options.unknown_cost = unknown_cost;
  options.allow_corner_cutting = allow_corner_cutting;
  return options;
}

// (cells (N, 2) int32 as (row, col), cost, expansions, elapsed_s)
std::tuple<py::array_t<std::int32_t>, double, std::int64_t, double> PathTuple(
    const planning::GridPath& path) {
  py::array_t<std::int32_t> cells(
      {static_cast<py::ssize_t>(path.cells.size()), static_cast<py::ssize_t>(2)});
  auto out = cells.mutable_unchecked<2>();
  for (std::size_t i = 0; i < path.cells.size(); ++i) {
    out(i, 0) = path.cells[i].row;
    out(i, 1) = path.cells[i].col;
  }
  return {cells, path.cost, path.stats.expansions, path.stats.elapsed_s};
}

std::vector<Cell> CellsFromArray(const CArray<std::int32_t>& cells, const char* name) {
  if (cells.ndim() != 2 || cells.shape(1) != 2) {
    throw py::value_error(std::string(name) + " must have shape (N, 2) of (row, col), got " +
                          ShapeText(cells));
  }
  std::vector<Cell> out(static_cast<std::size_t>(cells.shape(0)));
  const std::int32_t* data = cells.data();
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = {data[2 * i], data[2 * i + 1]};
  return out;
}

py::array_t<std::int32_t> CellsToArray(const std::vector<Cell>& cells) {
  py::array_t<std::int32_t> out(
      {static_cast<py::ssize_t>(cells.size()), static_cast<py::ssize_t>(2)});
  auto view = out.mutable_unchecked<2>();
  for (std::size_t i = 0; i < cells.size(); ++i) {
    view(i, 0) = cells[i].row;
    view(i, 1) = cells[i].col;
  }
  return out;
}

py::array_t<std::int32_t> VoxelsToArray(const std::vector<Voxel>& voxels) {
  py::array_t<std::int32_t> out(
      {static_cast<py::ssize_t>(voxels.size()), static_cast<py::ssize_t>(3)});
  auto view = out.mutable_unchecked<2>();
  for (std::size_t i = 0; i < voxels.size(); ++i) {
    view(i, 0) = voxels[i].layer;
    view(i, 1) = voxels[i].row;
    view(i, 2) = voxels[i].col;
  }
  return out;
}

// A (layers, rows, cols) input of `geometry`'s shape, viewed without copying.
template <typename T, typename Out = T>
VoxelGridView<const Out> VoxelInput(const CArray<T>& array, const VoxelGeometry& geometry,
                                    const char* name) {
  if (array.ndim() != 3 || array.shape(0) != geometry.layers ||
      array.shape(1) != geometry.rows || array.shape(2) != geometry.cols) {
    throw py::value_error(std::string(name) + " must have the grid's shape (" +
                          std::to_string(geometry.layers) + ", " + std::to_string(geometry.rows) +
                          ", " + std::to_string(geometry.cols) + "), got " + ShapeText(array));
  }
  return {reinterpret_cast<const Out*>(array.data()), geometry.layers, geometry.rows,
          geometry.cols};
}

}  // namespace

void DeclarePlanning(py::module_& m) {
  // One Python exception class per failure kind, all deriving from PlanningError; each
  // instance carries `.cell` = (row, col) of the cell concerned, and a failure of the voxel
  // planner also `.voxel` = (layer, row, col).
  static py::exception<PlanningFailure> base(m, "PlanningError", PyExc_RuntimeError);
  for (PlanningFailureKind kind : kAllFailures) {
    const char* name = planning::FailureName(kind);
    m.attr(name) = py::reinterpret_steal<py::object>(
        PyErr_NewException((std::string("ilrs_auto._core.") + name).c_str(), base.ptr(),
                           nullptr));
  }
  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const planning::VoxelPlanningFailure& failure) {
      py::module_ core = py::module_::import("ilrs_auto._core");
      py::object type = core.attr(planning::FailureName(failure.kind()));
      py::object instance = type(failure.what());
      const Voxel& v = failure.voxel();
      instance.attr("cell") = py::make_tuple(v.row, v.col);
      instance.attr("voxel") = py::make_tuple(v.layer, v.row, v.col);
      PyErr_SetObject(type.ptr(), instance.ptr());
    } catch (const PlanningFailure& failure) {
      py::module_ core = py::module_::import("ilrs_auto._core");
      py::object type = core.attr(planning::FailureName(failure.kind()));
      py::object instance = type(failure.what());
      instance.attr("cell") = py::make_tuple(failure.cell().row, failure.cell().col);
      PyErr_SetObject(type.ptr(), instance.ptr());
    }
  });
  py::class_<CancelToken>(m, "CancelToken");
  py::class_<DStarLite>(m, "DStarLite");
  py::class_<planning::EnergyModel>(m, "EnergyModel");
  py::class_<planning::HybridAStarOptions>(m, "HybridAStarOptions");
}

void DefinePlanning(py::module_& m) {
  static_cast<py::class_<CancelToken>>(m.attr("CancelToken"))
      .def(py::init<>())
      .def("cancel", &CancelToken::Cancel)
      .def("reset", &CancelToken::Reset)
      .def_property_readonly("cancelled", &CancelToken::cancelled);

  // Returns (cells (N, 2) int32 as (row, col), cost, expansions, elapsed_s). The GIL is
  // released while searching; the costmap must not be written by another thread meanwhile.
  m.def(
      "plan_grid_astar",
      [](const CArray<float>& costmap, std::pair<int, int> start, std::pair<int, int> goal,
         double timeout_s, std::optional<const CancelToken*> cancel, const std::string& cost_model,
         float unknown_cost, bool allow_corner_cutting, const std::string& search, int threads) {
        const GridView<const float> map = ConstGrid(costmap, "costmap");
        planning::PlanRequest request;
        request.start = {start.first, start.second};
        request.goal = {goal.first, goal.second};
        request.timeout_s = timeout_s;
        request.cancel = cancel.value_or(nullptr);
        planning::GridAStarOptions options =
            RulesFrom(cost_model, unknown_cost, allow_corner_cutting);
        options.search = SearchFromName(search);
        options.threads = threads;
        planning::GridPath path;
        {
          py::gil_scoped_release release;
          path = planning::PlanGridAStar(map, request, options);
        }
        return PathTuple(path);
      },
      py::arg("costmap"), py::arg("start"), py::arg("goal"), py::arg("timeout_s") = 0.0,
      py::arg("cancel") = std::nullopt, py::arg("cost_model") = "geometric",
      py::arg("unknown_cost") = std::numeric_limits<float>::infinity(),
      py::arg("allow_corner_cutting") = false, py::arg("search") = "auto",
      py::arg("threads") = 1);

  static_cast<py::class_<planning::EnergyModel>>(m.attr("EnergyModel"))
      .def(py::init<>())
      .def_readwrite("mass_kg", &planning::EnergyModel::mass_kg)
      .def_readwrite("gravity_mps2", &planning::EnergyModel::gravity_mps2)
      .def_readwrite("rolling_resistance", &planning::EnergyModel::rolling_resistance)
      .def_readwrite("idle_power_w", &planning::EnergyModel::idle_power_w)
      .def_readwrite("speed_mps", &planning::EnergyModel::speed_mps)
      .def_readwrite("max_slope_deg", &planning::EnergyModel::max_slope_deg);

  // Returns (cells (N, 2) int32, energy_j, distance_m, max_slope_deg, expansions).
  m.def(
      "plan_traverse",
      [](const CArray<float>& elevation_m, double resolution_m,
         std::optional<CArray<std::uint8_t>> blocked, std::pair<int, int> start,
         std::pair<int, int> goal, const planning::EnergyModel& model, double timeout_s,
         std::optional<const CancelToken*> cancel) {
        const GridView<const float> z = ConstGrid(elevation_m, "elevation_m");
        GridView<const std::uint8_t> mask(nullptr, 0, 0);
        if (blocked.has_value()) {
          if (blocked->ndim() != 2) {
            throw py::value_error("blocked must be a 2D array, got shape " + ShapeText(*blocked));
          }
          mask = GridView<const std::uint8_t>(blocked->data(),
                                              static_cast<int>(blocked->shape(0)),
                                              static_cast<int>(blocked->shape(1)));
        }
        planning::TraverseRoute route;
        {
          py::gil_scoped_release release;
          route = planning::PlanTraverse(z, resolution_m, mask, {start.first, start.second},
                                         {goal.first, goal.second}, model, timeout_s,
                                         cancel.value_or(nullptr));
        }
        return std::make_tuple(CellsToArray(route.cells), route.energy_j, route.distance_m,
                               route.max_slope_deg, route.expansions);
      },
      py::arg("elevation_m"), py::arg("resolution_m"), py::arg("blocked"), py::arg("start"),
      py::arg("goal"), py::arg("model"), py::arg("timeout_s") = 0.0,
      py::arg("cancel") = std::nullopt);

  static_cast<py::class_<planning::HybridAStarOptions>>(m.attr("HybridAStarOptions"))
      .def(py::init<>())
      .def_readwrite("min_turn_radius_cells", &planning::HybridAStarOptions::min_turn_radius_cells)
      .def_readwrite("step_cells", &planning::HybridAStarOptions::step_cells)
      .def_readwrite("headings", &planning::HybridAStarOptions::headings)
      .def_readwrite("allow_turn_in_place", &planning::HybridAStarOptions::allow_turn_in_place)
      .def_readwrite("turn_in_place_cost", &planning::HybridAStarOptions::turn_in_place_cost)
      .def_readwrite("goal_tolerance_cells", &planning::HybridAStarOptions::goal_tolerance_cells)
      .def_readwrite("goal_heading_tolerance_rad",
                     &planning::HybridAStarOptions::goal_heading_tolerance_rad)
      .def_readwrite("unknown_cost", &planning::HybridAStarOptions::unknown_cost)
      .def_readwrite("grid_heuristic_scale",
                     &planning::HybridAStarOptions::grid_heuristic_scale);

  // Returns (poses (N, 3) float64 of (x, y, heading) in cell units, motions (N,) uint8 with
  // 0 start, 1 straight, 2 left arc, 3 right arc, 4 turn left on the spot, 5 turn right,
  // cost, expansions, elapsed_s).
  m.def(
      "plan_hybrid_astar",
      [](const CArray<float>& costmap, std::tuple<double, double, double> start,
         std::tuple<double, double, double> goal, const planning::HybridAStarOptions& options,
         double timeout_s, std::optional<const CancelToken*> cancel) {
        const GridView<const float> map = ConstGrid(costmap, "costmap");
        const planning::Pose2 s{std::get<0>(start), std::get<1>(start), std::get<2>(start)};
        const planning::Pose2 g{std::get<0>(goal), std::get<1>(goal), std::get<2>(goal)};
        planning::HybridPath path;
        {
          py::gil_scoped_release release;
          path = planning::PlanHybridAStar(map, s, g, options, timeout_s,
                                           cancel.value_or(nullptr));
        }
        py::array_t<double> poses(
            {static_cast<py::ssize_t>(path.poses.size()), static_cast<py::ssize_t>(3)});
        py::array_t<std::uint8_t> motions(static_cast<py::ssize_t>(path.motions.size()));
        auto pv = poses.mutable_unchecked<2>();
        auto mv = motions.mutable_unchecked<1>();
        for (std::size_t i = 0; i < path.poses.size(); ++i) {
          pv(i, 0) = path.poses[i].x;
          pv(i, 1) = path.poses[i].y;
          pv(i, 2) = path.poses[i].heading;
          mv(i) = static_cast<std::uint8_t>(path.motions[i]);
        }
        return std::make_tuple(poses, motions, path.cost, path.expansions, path.elapsed_s);
      },
      py::arg("costmap"), py::arg("start"), py::arg("goal"), py::arg("options"),
      py::arg("timeout_s") = 0.0, py::arg("cancel") = std::nullopt);

  // Returns (voxels (N, 3) int32 lattice path, waypoints (M, 3) int32 as (layer, row, col),
  // lattice_length_m, length_m, expansions, elapsed_s). The arrays are read in place (bool
  // masks, float32 clearance, each of the grid's shape); the GIL is released while planning,
  // so they must not be written by another thread meanwhile.
  m.def(
      "plan_voxel_path",
      [](const VoxelGeometry& geometry, const CArray<bool>& free_mask,
         const CArray<bool>& occupied_mask, const CArray<float>& clearance_m,
         std::tuple<double, double, double> start_m, std::tuple<double, double, double> goal_m,
         double clearance_radius_m, double timeout_s, std::optional<const CancelToken*> cancel) {
        const auto free = VoxelInput<bool, std::uint8_t>(free_mask, geometry, "free_mask");
        const auto occupied =
            VoxelInput<bool, std::uint8_t>(occupied_mask, geometry, "occupied_mask");
        const auto clearance = VoxelInput<float>(clearance_m, geometry, "clearance_m");
        planning::VoxelPlanRequest request;
        request.start_m[0] = std::get<0>(start_m);
        request.start_m[1] = std::get<1>(start_m);
        request.start_m[2] = std::get<2>(start_m);
        request.goal_m[0] = std::get<0>(goal_m);
        request.goal_m[1] = std::get<1>(goal_m);
        request.goal_m[2] = std::get<2>(goal_m);
        request.clearance_radius_m = clearance_radius_m;
        request.timeout_s = timeout_s;
        request.cancel = cancel.value_or(nullptr);
        planning::VoxelPath path;
        {
          py::gil_scoped_release release;
          path = planning::PlanVoxelPath(geometry, free, occupied, clearance, request);
        }
        return std::make_tuple(VoxelsToArray(path.voxels), VoxelsToArray(path.waypoints),
                               path.lattice_length_m, path.length_m, path.expansions,
                               path.elapsed_s);
      },
      py::arg("geometry"), py::arg("free_mask"), py::arg("occupied_mask"),
      py::arg("clearance_m"), py::arg("start_m"), py::arg("goal_m"),
      py::arg("clearance_radius_m"), py::arg("timeout_s") = 0.0,
      py::arg("cancel") = std::nullopt);

  m.def(
      "segment_cost",
      [](const CArray<float>& costmap, std::pair<int, int> a, std::pair<int, int> b,
         float unknown_cost) {
        return planning::SegmentCost(ConstGrid(costmap, "costmap"), {a.first, a.second},
                                     {b.first, b.second}, unknown_cost);
      },
      py::arg("costmap"), py::arg("a"), py::arg("b"),
      py::arg("unknown_cost") = std::numeric_limits<float>::infinity());

  m.def(
      "smooth_path",
      [](const CArray<float>& costmap, const CArray<std::int32_t>& cells, float unknown_cost) {
        const GridView<const float> map = ConstGrid(costmap, "costmap");
        const std::vector<Cell> path = CellsFromArray(cells, "cells");
        for (const Cell& c : path) {
          if (!map.Contains(c)) {
            throw py::value_error("cells: (" + std::to_string(c.row) + ", " +
                                  std::to_string(c.col) + ") is outside the costmap");
          }
        }
        std::vector<Cell> smooth;
        {
          py::gil_scoped_release release;
          smooth = planning::SmoothPath(map, path, unknown_cost);
        }
        return CellsToArray(smooth);
      },
      py::arg("costmap"), py::arg("cells"),
      py::arg("unknown_cost") = std::numeric_limits<float>::infinity());

  m.def(
      "polyline_cells",
      [](const CArray<std::int32_t>& waypoints) {
        const std::vector<Cell> points = CellsFromArray(waypoints, "waypoints");
        std::vector<Cell> cells;
        for (std::size_t i = 1; i < points.size(); ++i) {
          planning::SegmentCells(points[i - 1], points[i], &cells);
          if (i + 1 < points.size()) cells.pop_back();  // the next segment starts there
        }
        if (points.size() == 1) cells.push_back(points[0]);
        return CellsToArray(cells);
      },
      py::arg("waypoints"));

  // The planner copies the costmap in; plan and update_costs release the GIL, so one planner
  // must not be used from two threads at once.
  static_cast<py::class_<DStarLite>>(m.attr("DStarLite"))
      .def(py::init([](const CArray<float>& costmap, std::pair<int, int> goal,
                       const std::string& cost_model, float unknown_cost,
                       bool allow_corner_cutting) {
             const GridView<const float> map = ConstGrid(costmap, "costmap");
             const planning::GridAStarOptions rules =
                 RulesFrom(cost_model, unknown_cost, allow_corner_cutting);
             py::gil_scoped_release release;  // copying and checking a big map takes a while
             return std::make_unique<DStarLite>(map, Cell{goal.first, goal.second}, rules);
           }),
           py::arg("costmap"), py::arg("goal"), py::arg("cost_model") = "geometric",
           py::arg("unknown_cost") = std::numeric_limits<float>::infinity(),
           py::arg("allow_corner_cutting") = false)
      .def(
          "plan",
          [](DStarLite& planner, std::pair<int, int> start, double timeout_s,
             std::optional<const CancelToken*> cancel) {
            planning::GridPath path;
            {
              py::gil_scoped_release release;
              path = planner.Plan({start.first, start.second}, timeout_s,
                                  cancel.value_or(nullptr));
            }
            return PathTuple(path);
          },
          py::arg("start"), py::arg("timeout_s") = 0.0, py::arg("cancel") = std::nullopt)
      .def(
          "update_costs",
          [](DStarLite& planner, const CArray<float>& costmap,
             std::tuple<int, int, int, int> region) {
            const GridView<const float> map = ConstGrid(costmap, "costmap");
            py::gil_scoped_release release;
            return planner.UpdateCosts(map, RegionFromTuple(region));
          },
          py::arg("costmap"), py::arg("region"))
      .def_property_readonly("goal", [](const DStarLite& planner) {
        return py::make_tuple(planner.goal().row, planner.goal().col);
      });
}

}  // namespace ilrs::bindings
