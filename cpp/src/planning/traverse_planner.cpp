#include "ilrs/planning/traverse_planner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <queue>
#include <string>

namespace ilrs::planning {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kDegToRad = 0.017453292519943295;
constexpr int kPollEvery = 4096;
constexpr int kDRow[8] = {1, -1, 0, 0, 1, 1, -1, -1};
constexpr int kDCol[8] = {0, 0, 1, -1, 1, -1, 1, -1};

std::string CellText(const Cell& c) {
  return "(row " + std::to_string(c.row) + ", col " + std::to_string(c.col) + ")";
}

void RequirePositive(double value, const char* name) {
  ILRS_THROW_IF_NOT(std::isfinite(value) && value > 0.0,
                    std::string("EnergyModel.") + name + " must be > 0, got " +
                        std::to_string(value));
}

struct Entry {
  double f;
  std::int32_t index;
  bool operator<(const Entry& other) const { return f > other.f; }  // min-heap
};

}  // namespace

void EnergyModel::Validate() const {
  RequirePositive(mass_kg, "mass_kg");
  RequirePositive(gravity_mps2, "gravity_mps2");
  RequirePositive(speed_mps, "speed_mps");
  ILRS_THROW_IF_NOT(std::isfinite(rolling_resistance) && rolling_resistance >= 0.0,
                    "EnergyModel.rolling_resistance must be >= 0, got " +
                        std::to_string(rolling_resistance));
  ILRS_THROW_IF_NOT(std::isfinite(idle_power_w) && idle_power_w >= 0.0,
                    "EnergyModel.idle_power_w must be >= 0, got " + std::to_string(idle_power_w));
  ILRS_THROW_IF_NOT(max_slope_deg > 0.0 && max_slope_deg < 90.0,
                    "EnergyModel.max_slope_deg must be in (0, 90), got " +
                        std::to_string(max_slope_deg));
}

TraverseRoute PlanTraverse(GridView<const float> elevation_m, double resolution_m,
                           GridView<const std::uint8_t> blocked, Cell start, Cell goal,
                           const EnergyModel& model, double timeout_s,
                           const CancelToken* cancel) {
  model.Validate();
  const int rows = elevation_m.rows(), cols = elevation_m.cols();
  ILRS_THROW_IF_NOT(rows > 0 && cols > 0, "elevation_m must not be empty");
  ILRS_THROW_IF_NOT(std::isfinite(resolution_m) && resolution_m > 0.0,
                    "resolution_m must be > 0, got " + std::to_string(resolution_m));
  const bool has_mask = blocked.rows() != 0 || blocked.cols() != 0;
  ILRS_THROW_IF_NOT(!has_mask || (blocked.rows() == rows && blocked.cols() == cols),
                    "blocked has shape (" + std::to_string(blocked.rows()) + ", " +
                        std::to_string(blocked.cols()) + ") but elevation_m has (" +
                        std::to_string(rows) + ", " + std::to_string(cols) + ")");
  for (std::size_t i = 0; i < elevation_m.size(); ++i) {
    if (!std::isfinite(elevation_m.data()[i])) {
      const Cell c{static_cast<int>(i / cols), static_cast<int>(i % cols)};
      throw std::invalid_argument("elevation_m is not finite at " + CellText(c));
    }
  }
  const std::string size = std::to_string(rows) + " x " + std::to_string(cols) + " DEM";
  if (!elevation_m.Contains(start)) {
    throw PlanningFailure(PlanningFailureKind::kStartOutsideMap, start,
                          "start " + CellText(start) + " is outside the " + size);
  }
  if (!elevation_m.Contains(goal)) {
    throw PlanningFailure(PlanningFailureKind::kGoalOutsideMap, goal,
                          "goal " + CellText(goal) + " is outside the " + size);
  }
  auto is_blocked = [&](int r, int c) { return has_mask && blocked(r, c) != 0; };
  if (is_blocked(start.row, start.col)) {
    throw PlanningFailure(PlanningFailureKind::kStartOccupied, start,
                          "start " + CellText(start) + " is on a blocked post");
  }
  if (is_blocked(goal.row, goal.col)) {
    throw PlanningFailure(PlanningFailureKind::kGoalOccupied, goal,
                          "goal " + CellText(goal) + " is on a blocked post");
  }

  const double mg = model.mass_kg * model.gravity_mps2;
  const double idle_per_m = model.idle_power_w / model.speed_mps;  // J per metre driven
  const double tan_limit = std::tan(model.max_slope_deg * kDegToRad);
  const double z_goal = elevation_m(goal);
  auto heuristic = [&](int r, int c) {
    const double dr = std::abs(r - goal.row), dc = std::abs(c - goal.col);
    const double octile_m = ((std::max(dr, dc) - std::min(dr, dc)) + kSqrt2 * std::min(dr, dc)) *
                            resolution_m;
    return std::max(0.0, mg * (model.rolling_resistance * octile_m + z_goal - elevation_m(r, c))) +
           idle_per_m * octile_m;
  };

  const std::size_t n = elevation_m.size();
  std::vector<double> g(n, std::numeric_limits<double>::infinity());
  std::vector<std::int32_t> parent(n, -1);
  std::vector<std::uint8_t> closed(n, 0);
  std::priority_queue<Entry> open;
  const auto index = [&](int r, int c) { return static_cast<std::int32_t>(r * cols + c); };
  g[index(start.row, start.col)] = 0.0;
  open.push({heuristic(start.row, start.col), index(start.row, start.col)});

  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(timeout_s));
  TraverseRoute route;
  const std::int32_t goal_index = index(goal.row, goal.col);
  while (!open.empty()) {
    const Entry top = open.top();
    open.pop();
    if (closed[top.index]) continue;
    closed[top.index] = 1;
    if (top.index == goal_index) break;
    if (++route.expansions % kPollEvery == 1) {
      if (cancel != nullptr && cancel->cancelled()) {
        throw PlanningFailure(PlanningFailureKind::kCancelled, start,
                              "traverse planning from " + CellText(start) + " was cancelled");
      }
      if (timeout_s > 0.0 && std::chrono::steady_clock::now() > deadline) {
        throw PlanningFailure(PlanningFailureKind::kTimedOut, start,
                              "traverse planning from " + CellText(start) + " exceeded its " +
                                  std::to_string(timeout_s) + " s deadline");
      }
    }
    const int r = top.index / cols, c = top.index % cols;
    const double z = elevation_m(r, c);
    for (int k = 0; k < 8; ++k) {
      const int nr = r + kDRow[k], nc = c + kDCol[k];
      if (nr < 0 || nc < 0 || nr >= rows || nc >= cols || is_blocked(nr, nc)) continue;
      const bool diagonal = k >= 4;
      if (diagonal && (is_blocked(r, nc) || is_blocked(nr, c))) continue;
      const std::int32_t ni = index(nr, nc);
      if (closed[ni]) continue;
      const double d = (diagonal ? kSqrt2 : 1.0) * resolution_m;
      const double dz = elevation_m(nr, nc) - z;
      if (std::abs(dz) > tan_limit * d) continue;
      const double s = std::sqrt(d * d + dz * dz);
      const double energy =
          std::max(0.0, mg * (model.rolling_resistance * d + dz)) + idle_per_m * s;
      const double candidate = g[top.index] + energy;
      if (candidate < g[ni]) {
        g[ni] = candidate;
        parent[ni] = top.index;
        open.push({candidate + heuristic(nr, nc), ni});
      }
    }
  }
  if (!closed[goal_index]) {
    throw PlanningFailure(PlanningFailureKind::kNoPathFound, goal,
                          "no traverse from " + CellText(start) + " to " + CellText(goal) +
                              " within " + std::to_string(model.max_slope_deg) +
                              " deg slopes after " + std::to_string(route.expansions) +
                              " expansions");
  }
  route.energy_j = g[goal_index];
  for (std::int32_t i = goal_index; i != -1; i = parent[i]) {
    route.cells.push_back({i / cols, i % cols});
  }
  std::reverse(route.cells.begin(), route.cells.end());
  for (std::size_t i = 1; i < route.cells.size(); ++i) {
    const Cell& a = route.cells[i - 1];
    const Cell& b = route.cells[i];
    const double d = std::hypot(a.row - b.row, a.col - b.col) * resolution_m;
    const double dz = static_cast<double>(elevation_m(b)) - elevation_m(a);
    route.distance_m += std::sqrt(d * d + dz * dz);
    route.max_slope_deg = std::max(route.max_slope_deg, std::atan(std::abs(dz) / d) / kDegToRad);
  }
  return route;
}

}  // namespace ilrs::planning
