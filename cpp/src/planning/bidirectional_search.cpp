#include "bidirectional_search.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dial_queue.h"
#include "grid_search_common.h"
#include "search_buffer.h"

// How the search works, and why its stopping rule gives the optimum.
//
// Labels: the forward side labels a cell with the cost of the cheapest path from the start to
// it, the backward side with that from it to the goal, each plus the map's smallest cost (so
// that no label is zero, the mark of "unlabelled"). A scan adds the cost of one move (Step):
// forwards, the move from the scanned cell into its neighbour; backwards, the move from the
// neighbour into the scanned cell. A path through a cell m labelled from both ends costs
// forward(m) + backward(m) in label units, the path's cost plus twice the smallest cost.
//
// Each side is a Dijkstra search on a Dial bucket queue (dial_queue.h) whose buckets are
// narrower than the cheapest move: the cells of a bucket reach only later buckets, so a
// cell's label is final once its bucket is drained, and the first non-empty bucket's start,
// the side's front, bounds every label still to come. (Where costs span too wide a range
// for that, buckets are wider, a cell whose label drops within the bucket being drained is
// queued and scanned again, and the same holds once the bucket is empty.) Each label
// remembers the move that set it, and the path is walked back along those moves.
//
// Stopping: the sides stop when front(forward) + front(backward) >= mu, the best meeting
// seen (in label units). Suppose an optimal path P = s = p0, ..., pk = t were cheaper. For
// each move p(i) -> p(i+1) on it, forward(p(i)) + backward(p(i+1)) is P's cost in label
// units less that move's, below both fronts' sum, so p(i) was scanned forwards or p(i+1)
// backwards. Take the first p(j) not scanned forwards. If there is none, or it is t, t was
// labelled forwards (by p(k-1)), and it is labelled backwards from the outset: a meeting as
// cheap as P. If j = 0, p1 was scanned backwards, labelling s, which is labelled forwards
// from the outset. Otherwise p(j-1) was scanned forwards and p(j+1) backwards, so p(j)
// carries both exact labels. Every cell labelled from both ends is offered as a meeting when its second label
// arrives (or drops), so in each case mu would be P's cost: a contradiction.
//
// With two threads each side writes only its own labels and reads the other's; a cell both
// sides label at the same instant can be missed as a meeting by both, so after the threads
// join every cell the backward side labelled is offered once more, which restores the
// argument.

namespace ilrs::planning::internal {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr double kUnlabelled = 0.0;  // every label is at least the map's smallest cost, > 0
constexpr double kNever = std::numeric_limits<double>::infinity();
constexpr double kSqrt2 = 1.4142135623730951;
constexpr int kNoMove = -1;
constexpr int kPollEvery = 4096;  // cells taken between deadline/cancel checks (at least)
static_assert(std::atomic<double>::is_always_lock_free);

// The cost of the move between a scanned cell and its neighbour k (straight for k < 4,
// diagonal after), given both cells' costs: forwards the move is into the neighbour,
// backwards it is from the neighbour into the scanned cell.
template <MoveCostModel kModel, bool kForward>
struct Step {
  static double Cost(float scanned, float neighbour, int k) {
    constexpr double kLength[8] = {1.0, 1.0, 1.0, 1.0, kSqrt2, kSqrt2, kSqrt2, kSqrt2};
    const float entered = kForward ? neighbour : scanned;
    if constexpr (kModel == MoveCostModel::kEnteredCell) {
      return entered;
    } else if constexpr (kModel == MoveCostModel::kGeometric) {
      return kLength[k] * entered;
    } else {
      return kLength[k] * 0.5 * (static_cast<double>(scanned) + neighbour);
    }
  }
};

// The costmap with unknown cells resolved and a +inf border, so neighbours need no bounds
// checks; and the moves: four straight, then four diagonal, each diagonal legal only if the
// two straight moves beside it are (unless corners may be cut).
class BorderedMap {
 public:
  // With threads == 2 the rows are copied in two halves at once.
  BorderedMap(GridView<const float> map, float unknown_cost, bool corners, int threads)
      : stride_(map.cols() + 2),
        corners_(corners),
        cost_(static_cast<std::size_t>(map.rows() + 2) * stride_) {
    std::fill(cost_.data(), cost_.data() + stride_, kInf);
    std::fill(cost_.data() + cost_.size() - stride_, cost_.data() + cost_.size(), kInf);
    float low[2] = {kInf, kInf}, high[2] = {0.0f, 0.0f};
    const int half = threads == 2 ? map.rows() / 2 : map.rows();
    if (half < map.rows()) {
      std::thread helper(&BorderedMap::CopyRows, this, map, unknown_cost, half, map.rows(),
                         &low[1], &high[1]);
      CopyRows(map, unknown_cost, 0, half, &low[0], &high[0]);
      helper.join();
    } else {
      CopyRows(map, unknown_cost, 0, half, &low[0], &high[0]);
    }
    min_cost_ = std::min(low[0], low[1]);
    max_cost_ = std::max(high[0], high[1]);
    if (!(min_cost_ >= kMinCellCost)) {  // throws for the first such cell in row order
      for (int r = 0; r < map.rows(); ++r) {
        for (int c = 0; c < map.cols(); ++c) EnterCost(map({r, c}), unknown_cost, r, c);
      }
    }
    const std::int32_t s = stride_;
    const std::int32_t offset[8] = {s, -s, 1, -1, s + 1, s - 1, -s + 1, -s - 1};
    std::copy(offset, offset + 8, offset_);
  }

  std::size_t size() const { return cost_.size(); }
  // The range of finite costs (1, 1 on a map without any).
  double min_cost() const { return max_cost_ > 0.0f ? min_cost_ : 1.0; }
  double max_cost() const { return max_cost_ > 0.0f ? max_cost_ : 1.0; }
  float cost(std::int32_t i) const { return cost_[static_cast<std::size_t>(i)]; }
  const float* cost_data() const { return cost_.data(); }
  std::int32_t offset(int k) const { return offset_[k]; }
  const std::int32_t* offsets() const { return offset_; }
  std::int32_t Index(const Cell& c) const { return (c.row + 1) * stride_ + c.col + 1; }
  Cell CellAt(std::int32_t i) const { return {i / stride_ - 1, i % stride_ - 1}; }
  // The index k of the move by (d_row, d_col), each -1, 0 or 1 and not both 0.
  static int MoveIndex(int d_row, int d_col) {
    constexpr int kIndex[3][3] = {{7, 1, 6}, {3, -1, 2}, {5, 0, 4}};
    return kIndex[d_row + 1][d_col + 1];
  }

  // Bit k set: move k from `from` is legal (its cell can be entered, and for a diagonal
  // without corner cutting, both cells beside it too).
  unsigned LegalMoves(std::int32_t from) const {
    const float* cost = cost_.data();
    unsigned open = 0;
    for (int k = 0; k < 8; ++k) open |= static_cast<unsigned>(cost[from + offset_[k]] != kInf) << k;
    return Legal(open);
  }

  // The legal moves among those whose cells can be entered (bit k: move k's cell).
  unsigned Legal(unsigned open) const {
    if (corners_) return open;
    // Diagonal 4 (+row +col) lies between straight moves 0 (+row) and 2 (+col), 5 between 0
    // and 3, 6 between 1 and 2, 7 between 1 and 3.
    const unsigned beside = (open & open >> 2 & 1u) << 4 | (open & open >> 3 & 1u) << 5 |
                            (open >> 1 & open >> 2 & 1u) << 6 | (open >> 1 & open >> 3 & 1u) << 7;
    return open & (0x0Fu | beside);
  }

 private:
  // Copies rows [begin, end) with unknown cells resolved, and finds their cost range (the
  // smallest cost including +inf and values below the minimum, the largest finite one).
  void CopyRows(GridView<const float> map, float unknown_cost, int begin, int end,
                float* lowest, float* highest) {
    // On the bits: for floats that are not NaN, comparing bit patterns as signed integers
    // orders them as the values (negatives below every positive), and integer min/max
    // vectorise where float ones do not.
    const std::int32_t unknown = Bits(std::isnan(unknown_cost) ? kInf : unknown_cost);
    const std::int32_t inf = Bits(kInf);
    std::int32_t low = inf, high = 0;
    for (int r = begin; r < end; ++r) {
      const float* in = map.data() + static_cast<std::size_t>(r) * map.cols();
      float* out = cost_.data() + static_cast<std::size_t>(r + 1) * stride_ + 1;
      out[-1] = out[map.cols()] = kInf;
      std::int32_t row_low = inf, row_high = 0;
      for (int c = 0; c < map.cols(); ++c) {
        std::int32_t v;
        std::memcpy(&v, in + c, sizeof v);
        v = (v & 0x7fffffff) > inf ? unknown : v;  // NaN: unknown
        std::memcpy(out + c, &v, sizeof v);
        row_low = std::min(row_low, v);
        row_high = std::max(row_high, v == inf ? 0 : v);
      }
      low = std::min(low, row_low);
      high = std::max(high, row_high);
    }
    std::memcpy(lowest, &low, sizeof low);
    std::memcpy(highest, &high, sizeof high);
  }

  static std::int32_t Bits(float v) {
    std::int32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return bits;
  }

  std::int32_t stride_;
  bool corners_;
  SearchBuffer<float> cost_;
  float min_cost_ = kInf;
  float max_cost_ = 0.0f;
  std::int32_t offset_[8];
};

// The cheapest meeting found so far: a cell labelled from both ends, and its path's cost.
class Meeting {
 public:
  double cost() const { return cost_.load(std::memory_order_relaxed); }
  std::int32_t cell() const { return cell_; }

  void Offer(double cost, std::int32_t cell) {
    if (!(cost < this->cost())) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (cost < this->cost()) {
      cost_.store(cost, std::memory_order_relaxed);
      cell_ = cell;
    }
  }

 private:
  // Read by both threads before every bucket, written only when a meeting improves.
  alignas(64) std::atomic<double> cost_{kNever};
  std::int32_t cell_ = -1;
  std::mutex mutex_;
};

// One of the two searches, with its move costs (a Step): its labels, its queue of labelled
// cells not yet scanned, and a lower bound on the queued labels, published for the other
// side's thread.
template <typename MoveStep>
class Side {
 public:
  // A move costs between min_step and max_step.
  Side(const BorderedMap& map, std::int32_t origin, double origin_label, double min_step,
       double max_step, bool keep_log)
      : map_(map),
        labels_(map.size()),
        moves_(map.size()),
        labelled_((map.size() + 63) / 64),
        keep_log_(keep_log) {
    queue_.Reset(origin_label, min_step, max_step);
    Label(origin, kUnlabelled, origin_label, kNoMove);
  }

  double label(std::int32_t i) const {
    return labels_[static_cast<std::size_t>(i)].load(std::memory_order_relaxed);
  }
  // Whether the cell has a label (a bit map small enough to stay in cache, read by the other
  // side before it looks for a meeting in the far larger label array).
  bool labelled(std::int32_t i) const {
    const auto word = static_cast<std::size_t>(i) >> 6;
    return (labelled_[word].load(std::memory_order_relaxed) >> (i & 63) & 1u) != 0;
  }
  // The cells scanned so far (read by the other thread for its messages).
  std::int64_t scans() const { return scans_.load(std::memory_order_relaxed); }
  // The move (index into BorderedMap's moves) by which the cell's label was last set, from
  // the cell scanned; kNoMove for the origin and unlabelled cells.
  int move(std::int32_t i) const { return moves_[static_cast<std::size_t>(i)] - 1; }
  const std::vector<std::int32_t>& log() const { return log_; }

  // A lower bound on the labels still to scan, or false when nothing is left.
  bool Front(double* lower) { return queue_.Front(lower); }
  // Written only when it changes (once a bucket), on a cache line of its own: the other
  // thread reads it before each of its buckets.
  void Publish(double lower) {
    if (lower != published_front_.load(std::memory_order_relaxed)) {
      published_front_.store(lower, std::memory_order_relaxed);
    }
  }
  double published_front() const { return published_front_.load(std::memory_order_relaxed); }

  // Scans every cell of the first bucket (call after Front() returned true) and returns how
  // many cells it took from the queue.
  template <typename Other>
  std::int64_t DrainBucket(const Other& other, Meeting* meeting) {
    std::int64_t pops = 0;
    for (; !queue_.FrontBucketEmpty(); ++pops) ScanNext(other, meeting);
    return pops;
  }

 private:
  // Scans a cell of the first bucket (skipping it if its label has since dropped into an
  // earlier bucket): lowers the label of every legal neighbour it reaches more cheaply and offers
  // each that the other side has labelled as a meeting.
  template <typename Other>
  void ScanNext(const Other& other, Meeting* meeting) {
    const std::int32_t here = queue_.Pop();
    const double g = label(here);
    if (!queue_.Live(g)) return;
    scans_.store(scans_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    // Which legal moves improve on their cell's label, found without branching on each.
    // (Pointers are taken once: the compiler reloads members after every atomic load.)
    const float* cost = map_.cost_data();
    const std::atomic<double>* labels = labels_.data();
    const std::int32_t* offset = map_.offsets();
    const float here_cost = cost[here];
    unsigned open = 0, better = 0;
    double reached[8], before[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      const std::int32_t next = here + offset[k];
      const float c = cost[next];
      reached[k] = g + MoveStep::Cost(here_cost, c, k);
      before[k] = labels[next].load(std::memory_order_relaxed);
      open |= static_cast<unsigned>(c != kInf) << k;
      better |= static_cast<unsigned>((before[k] == kUnlabelled) | (reached[k] < before[k])) << k;
    }
    for (better &= map_.Legal(open); better != 0; better &= better - 1) {
      const int k = __builtin_ctz(better);
      const std::int32_t next = here + offset[k];
      Label(next, before[k], reached[k], k);
      if (!other.labelled(next)) continue;
      const double theirs = other.label(next);
      if (theirs != kUnlabelled) meeting->Offer(reached[k] + theirs, next);
    }
  }

  void Label(std::int32_t i, double before, double value, int move) {
    const bool first = before == kUnlabelled;
    labels_[static_cast<std::size_t>(i)].store(value, std::memory_order_relaxed);
    moves_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(move + 1);
    if (first || queue_.Moves(before, value)) queue_.Push(value, i);
    if (first) {
      // Only this side writes its bit map, so a plain read-modify-write is enough.
      auto& word = labelled_[static_cast<std::size_t>(i) >> 6];
      word.store(word.load(std::memory_order_relaxed) | std::uint64_t{1} << (i & 63),
                 std::memory_order_relaxed);
      if (keep_log_) log_.push_back(i);
    }
  }

  const BorderedMap& map_;
  SearchBuffer<std::atomic<double>> labels_;  // zero-filled: all unlabelled
  SearchBuffer<std::uint8_t> moves_;            // move + 1; read only after the search
  SearchBuffer<std::atomic<std::uint64_t>> labelled_;
  DialQueue queue_;
  alignas(64) std::atomic<double> published_front_{0.0};
  alignas(64) std::atomic<std::int64_t> scans_{0};
  bool keep_log_;
  std::vector<std::int32_t> log_;
};

// Alternates the sides on one thread, always draining the bucket of the side with the
// smaller front. (Checking the stopping rule between buckets rather than between scans only
// lets a search finish the bucket it is in.)
template <typename Forward, typename Backward>
void SearchOnOneThread(Forward* forward, Backward* backward, Meeting* meeting,
                       const StopCheck& stop) {
  double f_front = 0.0, b_front = 0.0;
  std::int64_t pops = 0, next_poll = 0;
  while (forward->Front(&f_front) && backward->Front(&b_front) &&
         f_front + b_front < meeting->cost()) {
    if (pops >= next_poll) {  // before the first bucket, then every kPollEvery pops or more
      stop.ThrowIfDue(forward->scans() + backward->scans());
      next_poll = pops + kPollEvery;
    }
    if (f_front <= b_front) {
      pops += forward->DrainBucket(*backward, meeting);
    } else {
      pops += backward->DrainBucket(*forward, meeting);
    }
  }
}

// Runs one side until its front plus the other's published front reaches the best meeting,
// its queue empties, or the other side failed. A failure (cancel, deadline) is kept for the
// caller and stops both.
template <typename Mine, typename Theirs>
void SearchOneSide(Mine* mine, const Theirs& theirs, Meeting* meeting, const StopCheck& stop,
                   std::atomic<bool>* failed, std::exception_ptr* failure) {
  try {
    double front = 0.0;
    std::int64_t pops = 0, next_poll = 0;
    while (!failed->load(std::memory_order_relaxed)) {
      if (!mine->Front(&front)) {
        mine->Publish(kNever);
        return;
      }
      mine->Publish(front);
      if (front + theirs.published_front() >= meeting->cost()) return;
      if (pops >= next_poll) {
        stop.ThrowIfDue(mine->scans() + theirs.scans());
        next_poll = pops + kPollEvery;
      }
      pops += mine->DrainBucket(theirs, meeting);
    }
  } catch (...) {
    *failure = std::current_exception();
    failed->store(true, std::memory_order_relaxed);
  }
}

template <typename Forward, typename Backward>
void SearchOnTwoThreads(Forward* forward, Backward* backward, Meeting* meeting,
                        const StopCheck& stop) {
  std::atomic<bool> failed{false};
  std::exception_ptr forward_failure, backward_failure;
  std::thread helper(SearchOneSide<Backward, Forward>, backward, std::cref(*forward), meeting,
                     std::cref(stop), &failed, &backward_failure);
  SearchOneSide(forward, *backward, meeting, stop, &failed, &forward_failure);
  helper.join();
  if (forward_failure) std::rethrow_exception(forward_failure);
  if (backward_failure) std::rethrow_exception(backward_failure);
  // A cell both threads labelled at the same instant may have been missed as a meeting by both.
  for (const std::int32_t i : backward->log()) {
    const double f = forward->label(i);
    if (f != kUnlabelled) meeting->Offer(f + backward->label(i), i);
  }
}

// The cells of the optimal path through the meeting: back to the start along the forward
// side's recorded moves, on to the goal along the backward side's.
template <typename Forward, typename Backward>
std::vector<Cell> PathThrough(const BorderedMap& map, const Forward& forward,
                              const Backward& backward, std::int32_t meeting) {
  const auto walk = [&](const auto& side, std::vector<Cell>* cells) {
    std::int32_t here = meeting;
    for (int move = side.move(here); move != kNoMove; move = side.move(here)) {
      here -= map.offset(move);  // back to the cell scanned
      cells->push_back(map.CellAt(here));
      ILRS_ASSERT(cells->size() <= map.size());  // a cycle would be a bug
    }
  };
  std::vector<Cell> cells{map.CellAt(meeting)};
  walk(forward, &cells);
  std::reverse(cells.begin(), cells.end());
  walk(backward, &cells);
  return cells;
}

template <MoveCostModel kModel>
GridPath Search(const BorderedMap& map, const PlanRequest& request, int threads,
                std::chrono::steady_clock::time_point t0) {
  using Forward = Side<Step<kModel, true>>;
  using Backward = Side<Step<kModel, false>>;
  const std::int32_t start = map.Index(request.start), goal = map.Index(request.goal);
  const bool threaded = threads == 2;
  // Moves cost at least the smallest cell cost and at most a diagonal into the dearest cell.
  const double min_step = map.min_cost();
  const double max_step =
      (kModel == MoveCostModel::kEnteredCell ? 1.0 : kSqrt2) * map.max_cost();
  // Labels start from the smallest cost rather than zero (zero marks "unlabelled"), so a
  // meeting's cost is the path's plus twice that; the path's own is summed once it is known.
  const double origin = map.min_cost();
  Forward forward(map, start, origin, min_step, max_step, false);
  Backward backward(map, goal, origin, min_step, max_step, threaded);
  Meeting meeting;
  if (start == goal) meeting.Offer(2 * origin, start);
  const StopCheck stop(request, t0);
  if (threaded) {
    SearchOnTwoThreads(&forward, &backward, &meeting, stop);
  } else {
    SearchOnOneThread(&forward, &backward, &meeting, stop);
  }

  GridPath path;
  path.stats.expansions = forward.scans() + backward.scans();
  if (meeting.cell() < 0) {
    throw PlanningFailure(PlanningFailureKind::kNoPathFound, request.goal,
                          "no path from " + CellText(request.start) + " to " +
                              CellText(request.goal) + " after " +
                              std::to_string(path.stats.expansions) + " expansions");
  }
  path.cells = PathThrough(map, forward, backward, meeting.cell());
  ILRS_ASSERT(path.cells.front() == request.start && path.cells.back() == request.goal);
  for (std::size_t i = 1; i < path.cells.size(); ++i) {
    const Cell a = path.cells[i - 1], b = path.cells[i];
    const int k = map.MoveIndex(b.row - a.row, b.col - a.col);
    path.cost += Step<kModel, true>::Cost(map.cost(map.Index(a)), map.cost(map.Index(b)), k);
  }
  path.stats.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return path;
}

}  // namespace

GridPath PlanBidirectional(GridView<const float> costmap, const PlanRequest& request,
                           const GridAStarOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  CheckEnds(costmap, options.unknown_cost, request.start, request.goal);
  const BorderedMap map(costmap, options.unknown_cost, options.allow_corner_cutting,
                        options.threads);
  switch (options.cost_model) {
    case MoveCostModel::kEnteredCell:
      return Search<MoveCostModel::kEnteredCell>(map, request, options.threads, t0);
    case MoveCostModel::kGeometric:
      return Search<MoveCostModel::kGeometric>(map, request, options.threads, t0);
    case MoveCostModel::kMidpoint:
      return Search<MoveCostModel::kMidpoint>(map, request, options.threads, t0);
  }
  ILRS_ASSERT(false);
  return {};
}

}  // namespace ilrs::planning::internal
