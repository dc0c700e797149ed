#include "ilrs/planning/planner_errors.h"

namespace ilrs::planning {

const char* FailureName(PlanningFailureKind kind) {
  switch (kind) {
    case PlanningFailureKind::kStartOutsideMap: return "StartOutsideMap";
    case PlanningFailureKind::kGoalOutsideMap: return "GoalOutsideMap";
    case PlanningFailureKind::kStartOccupied: return "StartOccupied";
    case PlanningFailureKind::kGoalOccupied: return "GoalOccupied";
    case PlanningFailureKind::kNoPathFound: return "NoPathFound";
    case PlanningFailureKind::kTimedOut: return "PlannerTimedOut";
    case PlanningFailureKind::kCancelled: return "PlanCancelled";
  }
  ILRS_ASSERT(false);
}

PlanningFailure::PlanningFailure(PlanningFailureKind kind, Cell cell, const std::string& detail)
    : std::runtime_error(detail), kind_(kind), cell_(cell) {}

}  // namespace ilrs::planning
