// A bucket queue after Dial for Dijkstra searches whose step costs lie in [min, max]
// (private to the planning sources).
//
// Labels are bucketed by a width just under `min`, so a label pushed while a bucket is being
// drained always lands in a later bucket: the cells of one bucket can be taken in any order
// and a cell's label is final when its bucket is drained. Labels pushed must lie in
// [drained bucket, drained bucket + max]; buckets are kept on a ring just long enough for
// that. Push and pop are O(1).
//
// The queue holds cell indices, not labels: the caller keeps the labels, re-queues a cell
// only when its label moves to another bucket (Moves), and takes a popped cell as live only
// if its label is still in the bucket being drained (Live); so a cell is scanned once, in
// the bucket of its final label. If max / min would need more than kMaxSlots buckets, the
// width grows to fit and a bucket may receive labels while it is drained: Moves() then
// re-queues any cell whose label drops within the bucket being drained, and the search
// re-scans it and stays exact.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "ilrs/core/check.h"

namespace ilrs::planning::internal {

class DialQueue {
 public:
  static constexpr std::int64_t kMaxSlots = std::int64_t{1} << 16;

  // `first`: the first label to be pushed; steps cost between `min_step` and `max_step`.
  void Reset(double first, double min_step, double max_step) {
    ILRS_ASSERT(min_step > 0.0 && max_step >= min_step);
    double width = min_step * (1.0 - 1e-6);
    if (max_step / width > kMaxSlots - 2) width = max_step / (kMaxSlots - 2);
    inverse_width_ = 1.0 / width;
    width_ = width;
    std::int64_t slots = 1;
    while (slots < static_cast<std::int64_t>(std::ceil(max_step / width)) + 2) slots *= 2;
    mask_ = slots - 1;
    buckets_.resize(static_cast<std::size_t>(slots));
    for (auto& b : buckets_) b.clear();
    current_ = BucketOf(first);
    size_ = 0;
  }

  // Whether a cell whose label drops from `before` to `after` must be queued again.
  bool Moves(double before, double after) const {
    const std::int64_t bucket = BucketOf(after);
    return bucket != BucketOf(before) || bucket == current_;
  }

  // Whether a popped cell with this label is to be scanned now (else a later label of it
  // was queued in an earlier bucket, and it has been or will be scanned there).
  bool Live(double label) const { return BucketOf(label) == current_; }

  void Push(double label, std::int32_t index) {
    const std::int64_t bucket = BucketOf(label);
    ILRS_ASSERT(bucket >= current_ && bucket - current_ <= mask_);
    buckets_[static_cast<std::size_t>(bucket & mask_)].push_back(index);
    ++size_;
  }

  // A lower bound on every queued label (the start of the first bucket that is not empty),
  // or false if the queue is empty.
  bool Front(double* lower) {
    if (size_ == 0) return false;
    while (buckets_[static_cast<std::size_t>(current_ & mask_)].empty()) ++current_;
    *lower = static_cast<double>(current_) * width_;
    return true;
  }

  // Whether the bucket Front() settled on has been drained.
  bool FrontBucketEmpty() const {
    return buckets_[static_cast<std::size_t>(current_ & mask_)].empty();
  }

  // Takes any cell of the bucket Front() settled on; call while it is not empty.
  std::int32_t Pop() {
    auto& bucket = buckets_[static_cast<std::size_t>(current_ & mask_)];
    const std::int32_t index = bucket.back();
    bucket.pop_back();
    --size_;
    return index;
  }

 private:
  std::int64_t BucketOf(double label) const {
    return static_cast<std::int64_t>(label * inverse_width_);
  }

  double width_ = 1.0;
  double inverse_width_ = 1.0;
  std::int64_t mask_ = 0;
  std::vector<std::vector<std::int32_t>> buckets_;
  std::int64_t current_ = 0;
  std::size_t size_ = 0;
};

}  // namespace ilrs::planning::internal
