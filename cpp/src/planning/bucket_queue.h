// A monotone bucket queue for Dijkstra-like searches (private to the planning sources).
//
// Keys pushed are never below the last key popped (up to rounding, which lands them in the
// current bucket) and never more than `span` above it, as with a consistent heuristic or no
// heuristic. Keys are bucketed by width span / (kBuckets - 2); only the bucket being popped is
// kept as a binary heap, so a push is O(1) and a pop O(log bucket size). Each bucket keeps its
// storage when drained, so after the first laps of the ring the queue stops allocating.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ilrs/core/check.h"

namespace ilrs::planning::internal {

struct QueueEntry {
  double f;
  std::int32_t index;
};

class BucketQueue {
 public:
  static constexpr int kBuckets = 1024;

  void Reset(double span) {
    width_ = std::max(span / (kBuckets - 2), 1e-12);
    buckets_.resize(kBuckets);
    for (auto& b : buckets_) b.clear();
    current_bucket_ = 0;
    size_ = 0;
  }

  // The first key to be pushed, so that buckets count from there.
  void StartAt(double f) { current_bucket_ = static_cast<std::int64_t>(f / width_); }

  void Push(const QueueEntry& entry) {
    const auto bucket = static_cast<std::int64_t>(entry.f / width_);
    if (bucket <= current_bucket_) {
      auto& current = Slot(current_bucket_);
      current.push_back(entry);
      std::push_heap(current.begin(), current.end(), LaterFirst{});
    } else {
      ILRS_ASSERT(bucket - current_bucket_ < kBuckets);
      Slot(bucket).push_back(entry);
    }
    ++size_;
  }

  bool Pop(QueueEntry* out) {
    if (size_ == 0) return false;
    while (Slot(current_bucket_).empty()) {
      ++current_bucket_;
      auto& next = Slot(current_bucket_);
      std::make_heap(next.begin(), next.end(), LaterFirst{});
    }
    auto& current = Slot(current_bucket_);
    std::pop_heap(current.begin(), current.end(), LaterFirst{});
    *out = current.back();
    current.pop_back();
    --size_;
    return true;
  }

 private:
  // Heap order: the smallest key on top.
  struct LaterFirst {
    bool operator()(const QueueEntry& a, const QueueEntry& b) const { return a.f > b.f; }
  };

  std::vector<QueueEntry>& Slot(std::int64_t bucket) {
    return buckets_[static_cast<std::size_t>(bucket % kBuckets)];
  }

  double width_ = 1.0;
  std::vector<std::vector<QueueEntry>> buckets_;
  std::int64_t current_bucket_ = 0;
  std::size_t size_ = 0;
};

}  // namespace ilrs::planning::internal
