// The planning failure taxonomy, declared once. Each failure carries the cell it concerns
// (or (-1, -1) where none does) and a message with the offending values. The Python layer
// registers one exception class per kind, and ilrs_auto/mission maps each to a mission event.
#pragma once

#include <stdexcept>
#include <string>

#include "ilrs/core/grid.h"

namespace ilrs::planning {

enum class PlanningFailureKind {
  kStartOutsideMap,
  kGoalOutsideMap,
  kStartOccupied,
  kGoalOccupied,
  kNoPathFound,
  kTimedOut,
  kCancelled,
};

const char* FailureName(PlanningFailureKind kind);

class PlanningFailure : public std::runtime_error {
 public:
  PlanningFailure(PlanningFailureKind kind, Cell cell, const std::string& detail);

  PlanningFailureKind kind() const { return kind_; }
  const Cell& cell() const { return cell_; }

 private:
  PlanningFailureKind kind_;
  Cell cell_;
};

}  // namespace ilrs::planning
