#include "ilrs/perception/voxel_map.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "ilrs/core/voxel_ray.h"

namespace ilrs::perception {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

constexpr std::uint8_t kUntouched = 0;
constexpr std::uint8_t kMissed = 1;
constexpr std::uint8_t kHit = 2;

// Strided lines of the distance transform are gathered this many at a time.
constexpr int kDistanceBlock = 16;

void CheckFinite(float value, const char* field) {
  ILRS_THROW_IF_NOT(std::isfinite(value), std::string("OccupancyParams.") + field +
                                              " must be finite, got " + std::to_string(value));
}

// Exact 1D squared Euclidean distance transform (Felzenszwalb & Huttenlocher, "Distance
// Transforms of Sampled Functions", Theory of Computing 8, 2012): out[q] = min_p (q - p)^2 +
// f[p], as the lower envelope of the parabolas rooted at the finite samples. v and z are
// scratch of n and n + 1 entries.
void SquaredDistance1D(const double* f, int n, double* out, int* v, double* z) {
  int k = -1;
  for (int q = 0; q < n; ++q) {
    if (std::isinf(f[q])) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -kInf;
      z[1] = kInf;
      continue;
    }
    double s;
    while (true) {
      const int p = v[k];
      s = ((f[q] + static_cast<double>(q) * q) - (f[p] + static_cast<double>(p) * p)) /
          (2.0 * (q - p));
      if (s > z[k]) break;
      --k;  // never below 0: z[0] is -inf
    }
    ++k;
    v[k] = q;
    z[k] = s;
    z[k + 1] = kInf;
  }
  if (k < 0) {
    std::fill(out, out + n, kInf);
    return;
  }
  k = 0;
  for (int q = 0; q < n; ++q) {
    while (z[k + 1] < q) ++k;
    const double dq = q - v[k];
    out[q] = dq * dq + f[v[k]];
  }
}

// The first axis of the transform, where every sample is 0 or +inf: the squared distance to
// the nearest 0 on the line, in place, by a sweep each way.
void SquaredDistanceToZeros1D(float* line, int n) {
  int last = -1;  // the nearest zero so far, sweeping up
  for (int q = 0; q < n; ++q) {
    if (line[q] == 0.0f) {
      last = q;
    } else if (last >= 0) {
      line[q] = static_cast<float>(q - last) * static_cast<float>(q - last);
    }
  }
  last = -1;  // sweeping down
  for (int q = n - 1; q >= 0; --q) {
    if (line[q] == 0.0f) {
      last = q;
    } else if (last >= 0) {
      line[q] = std::min(line[q], static_cast<float>(last - q) * static_cast<float>(last - q));
    }
  }
}

}  // namespace

void OccupancyParams::Validate() const {
  CheckFinite(hit_log_odds, "hit_log_odds");
  CheckFinite(miss_log_odds, "miss_log_odds");
  CheckFinite(min_log_odds, "min_log_odds");
  CheckFinite(max_log_odds, "max_log_odds");
  CheckFinite(occupied_above_log_odds, "occupied_above_log_odds");
  ILRS_THROW_IF_NOT(hit_log_odds > 0.0f, "OccupancyParams.hit_log_odds must be > 0, got " +
                                             std::to_string(hit_log_odds));
  ILRS_THROW_IF_NOT(miss_log_odds < 0.0f, "OccupancyParams.miss_log_odds must be < 0, got " +
                                              std::to_string(miss_log_odds));
  ILRS_THROW_IF_NOT(min_log_odds < occupied_above_log_odds &&
                        occupied_above_log_odds < max_log_odds,
                    "OccupancyParams: need min_log_odds < occupied_above_log_odds < "
                    "max_log_odds, got " +
                        std::to_string(min_log_odds) + ", " +
                        std::to_string(occupied_above_log_odds) + ", " +
                        std::to_string(max_log_odds));
}

VoxelMap::VoxelMap(const VoxelGeometry& geometry, const OccupancyParams& params)
    : geometry_(geometry), params_(params) {
  geometry_.Validate();
  params_.Validate();
  const std::size_t n = geometry_.voxel_count();
  log_odds_.assign(n, kNaN);
  occupied_mask_.assign(n, 0);
  free_mask_.assign(n, 0);
  scan_mark_.assign(n, kUntouched);
}

void VoxelMap::SetVoxel(std::size_t index, float log_odds) {
  const bool was_occupied = occupied_mask_[index] != 0;
  const bool was_free = free_mask_[index] != 0;
  const bool known = !std::isnan(log_odds);
  const bool occupied = known && log_odds > params_.occupied_above_log_odds;
  const bool is_free = known && !occupied;
  log_odds_[index] = log_odds;
  occupied_mask_[index] = occupied ? 1 : 0;
  free_mask_[index] = is_free ? 1 : 0;
  occupied_count_ += static_cast<std::size_t>(occupied) - static_cast<std::size_t>(was_occupied);
  free_count_ += static_cast<std::size_t>(is_free) - static_cast<std::size_t>(was_free);
}

InsertionResult VoxelMap::InsertPointCloud(const float* xyz_m, std::size_t count,
                                           const double sensor_xyz_m[3], double max_range_m) {
  ILRS_THROW_IF_NOT(xyz_m != nullptr || count == 0, "VoxelMap.InsertPointCloud: null points");
  for (int axis = 0; axis < 3; ++axis) {
    ILRS_THROW_IF_NOT(std::isfinite(sensor_xyz_m[axis]),
                      "VoxelMap.InsertPointCloud: sensor_xyz_m[" + std::to_string(axis) +
                          "] must be finite, got " + std::to_string(sensor_xyz_m[axis]));
  }
  ILRS_THROW_IF_NOT(std::isfinite(max_range_m) && max_range_m > 0.0,
                    "VoxelMap.InsertPointCloud: max_range_m must be > 0, got " +
                        std::to_string(max_range_m));

  // Mark: every voxel a ray passes through is missed, the voxel holding its point is hit.
  InsertionResult result;
  const auto mark_missed = [this](const Voxel&, std::size_t index, double, double) {
    if (scan_mark_[index] == kUntouched) {
      scan_mark_[index] = kMissed;
      scan_touched_.push_back(static_cast<std::uint32_t>(index));
    }
    return true;
  };
  for (std::size_t i = 0; i < count; ++i) {
    const double point[3] = {xyz_m[3 * i], xyz_m[3 * i + 1], xyz_m[3 * i + 2]};
    if (!std::isfinite(point[0]) || !std::isfinite(point[1]) || !std::isfinite(point[2])) {
      ++result.skipped_nonfinite;
      continue;
    }
    ++result.points_used;
    const double ray[3] = {point[0] - sensor_xyz_m[0], point[1] - sensor_xyz_m[1],
                           point[2] - sensor_xyz_m[2]};
    const double range_m = std::sqrt(ray[0] * ray[0] + ray[1] * ray[1] + ray[2] * ray[2]);
    if (range_m > max_range_m) {
      ++result.beyond_max_range;
      const double scale = max_range_m / range_m;
      const double end[3] = {sensor_xyz_m[0] + ray[0] * scale, sensor_xyz_m[1] + ray[1] * scale,
                             sensor_xyz_m[2] + ray[2] * scale};
      WalkSegment(geometry_, sensor_xyz_m, end, mark_missed);
      continue;
    }
    WalkSegment(geometry_, sensor_xyz_m, point, mark_missed);
    Voxel hit;
    if (!geometry_.VoxelOf(point, &hit)) {
      ++result.hits_outside_grid;
      continue;
    }
    const std::size_t index = geometry_.Index(hit);
    if (scan_mark_[index] == kUntouched) scan_touched_.push_back(static_cast<std::uint32_t>(index));
    scan_mark_[index] = kHit;
  }

  // Update each touched voxel once, and clear the marks for the next scan.
  for (const std::uint32_t index : scan_touched_) {
    const float old = log_odds_[index];
    const float base = std::isnan(old) ? 0.0f : old;
    const float delta = scan_mark_[index] == kHit ? params_.hit_log_odds : params_.miss_log_odds;
    const float updated = std::clamp(base + delta, params_.min_log_odds, params_.max_log_odds);
    scan_mark_[index] = kUntouched;
    if (updated == old) continue;
    SetVoxel(index, updated);
    result.changed = result.changed.United(VoxelBox::Single(geometry_.VoxelAtIndex(index)));
  }
  scan_touched_.clear();
  if (!result.changed.empty()) distance_valid_ = false;
  return result;
}

void VoxelMap::SetLogOdds(VoxelGridView<const float> log_odds) {
  ILRS_THROW_IF_NOT(log_odds.layers() == geometry_.layers && log_odds.rows() == geometry_.rows &&
                        log_odds.cols() == geometry_.cols,
                    "VoxelMap.SetLogOdds: log_odds shape (" + std::to_string(log_odds.layers()) +
                        ", " + std::to_string(log_odds.rows()) + ", " +
                        std::to_string(log_odds.cols()) + ") differs from the grid's (" +
                        std::to_string(geometry_.layers) + ", " + std::to_string(geometry_.rows) +
                        ", " + std::to_string(geometry_.cols) + ")");
  for (std::size_t i = 0; i < log_odds_.size(); ++i) {
    const float value = log_odds.data()[i];
    SetVoxel(i, std::isnan(value)
                    ? kNaN
                    : std::clamp(value, params_.min_log_odds, params_.max_log_odds));
  }
  distance_valid_ = false;
}

VoxelState VoxelMap::State(const Voxel& voxel) const {
  if (!geometry_.Contains(voxel)) return VoxelState::kUnknown;
  const std::size_t index = geometry_.Index(voxel);
  if (occupied_mask_[index]) return VoxelState::kOccupied;
  if (free_mask_[index]) return VoxelState::kFree;
  return VoxelState::kUnknown;
}

bool VoxelMap::IsFrontier(std::size_t index, const Voxel& v) const {
  if (!free_mask_[index]) return false;
  const auto unknown = [this](std::size_t j) { return !occupied_mask_[j] && !free_mask_[j]; };
  const std::size_t row_stride = static_cast<std::size_t>(geometry_.cols);
  const std::size_t layer_stride = row_stride * geometry_.rows;
  return (v.col > 0 && unknown(index - 1)) ||
         (v.col + 1 < geometry_.cols && unknown(index + 1)) ||
         (v.row > 0 && unknown(index - row_stride)) ||
         (v.row + 1 < geometry_.rows && unknown(index + row_stride)) ||
         (v.layer > 0 && unknown(index - layer_stride)) ||
         (v.layer + 1 < geometry_.layers && unknown(index + layer_stride));
}

std::vector<Voxel> VoxelMap::Frontiers(const VoxelBox& within) const {
  const VoxelBox box = {std::max(within.layer_begin, 0), std::max(within.row_begin, 0),
                        std::max(within.col_begin, 0),   std::min(within.layer_end, geometry_.layers),
                        std::min(within.row_end, geometry_.rows),
                        std::min(within.col_end, geometry_.cols)};
  std::vector<Voxel> out;
  if (box.empty()) return out;
  for (int l = box.layer_begin; l < box.layer_end; ++l) {
    for (int r = box.row_begin; r < box.row_end; ++r) {
      for (int c = box.col_begin; c < box.col_end; ++c) {
        const Voxel v{l, r, c};
        if (IsFrontier(geometry_.Index(v), v)) out.push_back(v);
      }
    }
  }
  return out;
}

std::vector<FrontierCluster> VoxelMap::FrontierClusters(Connectivity connectivity,
                                                        std::size_t min_size) const {
  // The neighbour offsets of the chosen connectivity.
  std::vector<Voxel> offsets;
  for (int dl = -1; dl <= 1; ++dl) {
    for (int dr = -1; dr <= 1; ++dr) {
      for (int dc = -1; dc <= 1; ++dc) {
        const int nonzero = (dl != 0) + (dr != 0) + (dc != 0);
        if (nonzero == 0) continue;
        if (connectivity == Connectivity::kFaces6 && nonzero != 1) continue;
        offsets.push_back({dl, dr, dc});
      }
    }
  }

  // 1 marks a frontier voxel not yet in a cluster, 2 one already in a cluster.
  const std::vector<Voxel> frontiers = Frontiers();
  std::vector<std::uint8_t> mark(geometry_.voxel_count(), 0);
  for (const Voxel& v : frontiers) mark[geometry_.Index(v)] = 1;

  // Flood each cluster from its first voxel in storage order.
  std::vector<FrontierCluster> clusters;
  std::vector<Voxel> queue;
  for (const Voxel& seed : frontiers) {
    if (mark[geometry_.Index(seed)] != 1) continue;
    mark[geometry_.Index(seed)] = 2;
    queue.assign(1, seed);
    for (std::size_t head = 0; head < queue.size(); ++head) {
      const Voxel v = queue[head];
      for (const Voxel& d : offsets) {
        const Voxel n{v.layer + d.layer, v.row + d.row, v.col + d.col};
        if (!geometry_.Contains(n)) continue;
        std::uint8_t& m = mark[geometry_.Index(n)];
        if (m != 1) continue;
        m = 2;
        queue.push_back(n);
      }
    }
    if (queue.size() < min_size) continue;

    // Members in storage order, their centroid, the member nearest it, and their bounds.
    FrontierCluster cluster;
    cluster.voxels = queue;
    std::sort(cluster.voxels.begin(), cluster.voxels.end(), [this](const Voxel& a, const Voxel& b) {
      return geometry_.Index(a) < geometry_.Index(b);
    });
    double sum[3] = {0.0, 0.0, 0.0};
    for (const Voxel& v : cluster.voxels) {
      double c[3];
      geometry_.CenterOf(v, c);
      for (int axis = 0; axis < 3; ++axis) sum[axis] += c[axis];
      cluster.bounds = cluster.bounds.United(VoxelBox::Single(v));
    }
    for (int axis = 0; axis < 3; ++axis) {
      cluster.centroid_m[axis] = sum[axis] / static_cast<double>(cluster.voxels.size());
    }
    double best = kInf;
    for (const Voxel& v : cluster.voxels) {
      double c[3];
      geometry_.CenterOf(v, c);
      const double d2 = (c[0] - cluster.centroid_m[0]) * (c[0] - cluster.centroid_m[0]) +
                        (c[1] - cluster.centroid_m[1]) * (c[1] - cluster.centroid_m[1]) +
                        (c[2] - cluster.centroid_m[2]) * (c[2] - cluster.centroid_m[2]);
      if (d2 < best) {
        best = d2;
        cluster.goal = v;
      }
    }
    clusters.push_back(std::move(cluster));
  }
  std::stable_sort(clusters.begin(), clusters.end(),
                   [](const FrontierCluster& a, const FrontierCluster& b) {
                     return a.size() > b.size();
                   });
  return clusters;
}

VoxelGridView<const float> VoxelMap::DistanceField(const DistanceFieldParams& params) {
  if (distance_valid_ && params.unknown_is_obstacle == distance_params_.unknown_is_obstacle) {
    return View(distance_m_);
  }
  const int layers = geometry_.layers, rows = geometry_.rows, cols = geometry_.cols;
  const std::size_t n = geometry_.voxel_count();
  if (distance_m_.empty()) {
    distance_m_.resize(n);
    const int longest = std::max({layers, rows, cols});
    block_in_.resize(static_cast<std::size_t>(kDistanceBlock) * longest);
    line_out_.resize(longest);
    envelope_v_.resize(longest);
    envelope_z_.resize(longest + 1);
  }

  // Obstacles at 0, the rest at infinity (squared distances in voxel units until the end).
  for (std::size_t i = 0; i < n; ++i) {
    const bool obstacle = occupied_mask_[i] || (params.unknown_is_obstacle && !free_mask_[i]);
    distance_m_[i] = obstacle ? 0.0f : std::numeric_limits<float>::infinity();
  }

  // One exact 1D transform along every line of the grid, axis after axis: x (where samples are
  // still 0 or infinite), y, then z. Lines along y and z are strided, so they are gathered kDistanceBlock neighbours at a time, which
  // reads whole runs of memory instead of one float per cache line.
  const auto transform_block = [this](std::size_t first, int count, int length,
                                      std::size_t stride) {
    float* data = distance_m_.data() + first;
    for (int q = 0; q < length; ++q) {
      for (int b = 0; b < count; ++b) block_in_[b * length + q] = data[q * stride + b];
    }
    for (int b = 0; b < count; ++b) {
      SquaredDistance1D(&block_in_[b * length], length, line_out_.data(), envelope_v_.data(),
                        envelope_z_.data());
      for (int q = 0; q < length; ++q) data[q * stride + b] = static_cast<float>(line_out_[q]);
    }
  };
  const std::size_t layer_size = static_cast<std::size_t>(rows) * cols;
  for (std::size_t line = 0; line < static_cast<std::size_t>(layers) * rows; ++line) {
    SquaredDistanceToZeros1D(distance_m_.data() + line * cols, cols);
  }
  for (int l = 0; l < layers; ++l) {
    for (int c = 0; c < cols; c += kDistanceBlock) {
      transform_block(l * layer_size + c, std::min(kDistanceBlock, cols - c), rows,
                      static_cast<std::size_t>(cols));
    }
  }
  for (std::size_t rc = 0; rc < layer_size; rc += kDistanceBlock) {
    transform_block(rc, static_cast<int>(std::min<std::size_t>(kDistanceBlock, layer_size - rc)),
                    layers, layer_size);
  }

  const float resolution = static_cast<float>(geometry_.resolution_m);
  for (float& d : distance_m_) d = std::sqrt(d) * resolution;
  distance_valid_ = true;
  distance_params_ = params;
  return View(distance_m_);
}

double VoxelMap::Clearance(const double xyz_m[3], const DistanceFieldParams& params) {
  Voxel v;
  if (!geometry_.VoxelOf(xyz_m, &v)) return std::numeric_limits<double>::quiet_NaN();
  return DistanceField(params)(v);
}

}  // namespace ilrs::perception
