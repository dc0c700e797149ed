#include "ilrs/planning/line_of_sight.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace ilrs::planning {
namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();
constexpr double kTie = 1e-9;  // parameter distance under which two crossings coincide

// Walks the segment between the centres of a and b cell by cell (Amanatides & Woo), calling
// visit(cell, length_in_cells) for each stretch inside a cell and corner(side1, side2) when it
// passes exactly through a grid corner. Stops early when a callback returns false.
template <typename Visit, typename Corner>
bool Walk(Cell a, Cell b, Visit visit, Corner corner) {
  const int dx = b.col - a.col, dy = b.row - a.row;
  const double length = std::hypot(static_cast<double>(dx), static_cast<double>(dy));
  const int step_x = (dx > 0) - (dx < 0), step_y = (dy > 0) - (dy < 0);
  const double delta_x = dx != 0 ? 1.0 / std::abs(dx) : kNever;
  const double delta_y = dy != 0 ? 1.0 / std::abs(dy) : kNever;
  double next_x = 0.5 * delta_x, next_y = 0.5 * delta_y, t = 0.0;
  Cell cell = a;
  while (true) {
    const double t_next = std::min({next_x, next_y, 1.0});
    if (!visit(cell, (t_next - t) * length)) return false;
    if (t_next >= 1.0 - kTie) return true;
    t = t_next;
    if (std::abs(next_x - next_y) <= kTie) {
      if (!corner(Cell{cell.row, cell.col + step_x}, Cell{cell.row + step_y, cell.col})) {
        return false;
      }
      cell = {cell.row + step_y, cell.col + step_x};
      next_x += delta_x;
      next_y += delta_y;
    } else if (next_x < next_y) {
      cell.col += step_x;
      next_x += delta_x;
    } else {
      cell.row += step_y;
      next_y += delta_y;
    }
  }
}

}  // namespace

double SegmentCost(GridView<const float> costmap, Cell a, Cell b, float unknown_cost) {
  ILRS_THROW_IF_NOT(costmap.Contains(a) && costmap.Contains(b),
                    "segment end outside the " + std::to_string(costmap.rows()) + " x " +
                        std::to_string(costmap.cols()) + " costmap");
  auto enter = [&](const Cell& c) {
    const float v = costmap(c);
    return std::isnan(v) ? unknown_cost : v;
  };
  double total = 0.0;
  const bool open = Walk(
      a, b,
      [&](const Cell& c, double inside) {
        const float v = enter(c);
        if (!std::isfinite(v)) return false;
        total += inside * v;
        return true;
      },
      [&](const Cell& s1, const Cell& s2) {
        return std::isfinite(enter(s1)) && std::isfinite(enter(s2));
      });
  return open ? total : kNever;
}

void SegmentCells(Cell a, Cell b, std::vector<Cell>* out) {
  Walk(
      a, b,
      [&](const Cell& c, double) {
        out->push_back(c);
        return true;
      },
      [&](const Cell& s1, const Cell& s2) {
        out->push_back(s1);
        out->push_back(s2);
        return true;
      });
}

std::vector<Cell> SmoothPath(GridView<const float> costmap, const std::vector<Cell>& path,
                             float unknown_cost) {
  const std::size_t n = path.size();
  if (n <= 2) return path;
  // The path's own cost, step by step, in the same integral as the shortcuts.
  std::vector<double> prefix(n, 0.0);
  for (std::size_t i = 1; i < n; ++i) {
    prefix[i] = prefix[i - 1] + SegmentCost(costmap, path[i - 1], path[i], unknown_cost);
  }
  std::vector<Cell> waypoints{path.front()};
  std::size_t anchor = 0;
  while (anchor < n - 1) {
    std::size_t best = anchor + 1;
    for (std::size_t j = anchor + 2; j < n; ++j) {
      const double shortcut = SegmentCost(costmap, path[anchor], path[j], unknown_cost);
      const double replaced = prefix[j] - prefix[anchor];
      if (!std::isfinite(shortcut) || shortcut > replaced + 1e-9 * replaced) break;
      best = j;
    }
    waypoints.push_back(path[best]);
    anchor = best;
  }
  return waypoints;
}

}  // namespace ilrs::planning
