// 3D occupancy for pits and lava tubes: a bounded voxel grid of log-odds occupancy fused from
// range points (depth or lidar) by ray casting, frontiers for exploration, and a Euclidean
// distance field for planning with a clearance radius.
//
// Frame and units: core/voxel_grid.h (map frame x east, y north, z up, metres; voxel
// (layer, row, col) along (z, y, x); layer-major storage).
//
// Occupancy. Each voxel holds the log-odds L = ln(p / (1 - p)) that it is occupied, or NaN
// while it is unknown (never observed): unknown is kept apart from free. An observed voxel is
// occupied when L > occupied_above_log_odds and free otherwise.
//
// Fusion of one point cloud (one scan). The segment from the sensor to each point is walked
// exactly (core/voxel_ray.h): the voxels it passes through are missed, the voxel holding the
// point is hit. A point farther than max_range_m is cut there: its segment is free up to
// max_range_m and hits nothing. Then every voxel the scan touched is updated once:
//   L <- clamp(L + hit_log_odds)  if any point of the scan hit it (hits win over misses, so a
//                                 wall seen at a grazing angle is not eroded by the rays that
//                                 pass through its voxels on their way to the next hits),
//   L <- clamp(L + miss_log_odds) otherwise,
// an unknown voxel starting from L = 0 (p = 0.5), clamp() to [min_log_odds, max_log_odds].
// Points that are not finite are skipped and counted; parts of segments outside the grid are
// ignored (the sensor and the points may lie outside it).
//
// Frontiers are the free voxels with at least one unknown face neighbour (6-neighbourhood)
// inside the grid; the grid's outside is not unknown, as nothing can be explored there.
//
// Distance field: for every voxel, the Euclidean distance in metres between its centre and the
// centre of the nearest obstacle voxel (occupied ones, and unknown ones if asked): 0 at
// obstacles, +inf when there is none. Voxels outside the grid are not obstacles. Since any
// point of voxel v is within sqrt(3)/2 * resolution_m of its centre, a body of radius r placed
// anywhere in v clears every obstacle voxel entirely if distance(v) >= r + sqrt(3) *
// resolution_m, and a body at the centre of v does if distance(v) >= r + sqrt(3)/2 *
// resolution_m.
//
// Memory: 7 bytes per voxel, 11 once a distance field has been computed. All storage is
// allocated at construction (the distance field at its first computation) and never
// reallocated, so views stay valid for the map's lifetime. Not thread-safe: one writer, and
// no reader while it writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ilrs/core/voxel_grid.h"

namespace ilrs::perception {

enum class VoxelState : std::uint8_t { kUnknown = 0, kFree = 1, kOccupied = 2 };

// Neighbourhood of a voxel for grouping frontiers: faces only (6), or faces, edges and
// corners (26).
enum class Connectivity { kFaces6 = 6, kFull26 = 26 };

// Log-odds increments and limits. The defaults are the usual lidar sensor model (OctoMap's):
// p(hit) = 0.7, p(miss) = 0.4, clamped to p in [0.12, 0.97], occupied above p = 0.5.
struct OccupancyParams {
  float hit_log_odds = 0.847298f;     // ln(0.7 / 0.3), > 0
  float miss_log_odds = -0.405465f;   // ln(0.4 / 0.6), < 0
  float min_log_odds = -1.99243f;     // ln(0.12 / 0.88)
  float max_log_odds = 3.47610f;      // ln(0.97 / 0.03)
  float occupied_above_log_odds = 0.0f;

  // Throws std::invalid_argument naming the field: finite values, hit > 0 > miss,
  // min < occupied_above < max.
  void Validate() const;
};

struct InsertionResult {
  VoxelBox changed;                    // voxels whose log-odds changed (unknown -> known too)
  std::size_t points_used = 0;         // finite points, each cast as one ray
  std::size_t skipped_nonfinite = 0;   // points with a NaN or infinite coordinate
  std::size_t beyond_max_range = 0;    // points cut at max_range_m (no hit)
  std::size_t hits_outside_grid = 0;   // points within range but outside the grid
};

struct FrontierCluster {
  std::vector<Voxel> voxels;        // members, in storage order
  double centroid_m[3] = {0, 0, 0};  // mean of the members' centres (map frame)
  Voxel goal;                       // the member nearest the centroid (first in storage order
                                    // on a tie): a free voxel to head for, since the centroid
                                    // itself may lie in unknown or occupied space
  VoxelBox bounds;                  // smallest box holding the members
  std::size_t size() const { return voxels.size(); }
};

struct DistanceFieldParams {
  bool unknown_is_obstacle = false;
};

class VoxelMap {
 public:
  // Throws std::invalid_argument naming the field if `geometry` or `params` is invalid.
  explicit VoxelMap(const VoxelGeometry& geometry, const OccupancyParams& params = {});

  const VoxelGeometry& geometry() const { return geometry_; }
  const OccupancyParams& params() const { return params_; }
  std::size_t occupied_count() const { return occupied_count_; }
  std::size_t free_count() const { return free_count_; }

  // Fuses `count` points (rows x, y, z of `xyz_m`, map frame) seen from `sensor_xyz_m`, as
  // described at the top. Throws std::invalid_argument (map untouched) if the sensor is not
  // finite or max_range_m is not finite and > 0. O(voxels crossed by the rays); no heap
  // allocation once the scratch list of touched voxels has grown to the scan size.
  InsertionResult InsertPointCloud(const float* xyz_m, std::size_t count,
                                   const double sensor_xyz_m[3], double max_range_m);

  // Replaces every voxel's log-odds (NaN for unknown; known values are clamped). Throws if the
  // shape differs from the grid's. Meant for priors, simulation and tests.
  void SetLogOdds(VoxelGridView<const float> log_odds);

  // Unknown for voxels outside the grid.
  VoxelState State(const Voxel& voxel) const;

  // Views of the layers (layer-major, see core/voxel_grid.h); valid as long as this map lives.
  // The masks hold 0 or 1; a voxel in neither is unknown.
  VoxelGridView<const float> log_odds() const { return View(log_odds_); }
  VoxelGridView<const std::uint8_t> occupied_mask() const { return View(occupied_mask_); }
  VoxelGridView<const std::uint8_t> free_mask() const { return View(free_mask_); }

  // Frontier voxels inside `within` (clipped to the grid), in storage order. O(voxels in it).
  std::vector<Voxel> Frontiers(const VoxelBox& within) const;
  std::vector<Voxel> Frontiers() const { return Frontiers(geometry_.whole()); }

  // Frontier voxels grouped into connected clusters; largest first, ties in the storage order
  // of their first voxel. Clusters smaller than `min_size` are dropped. O(voxels).
  std::vector<FrontierCluster> FrontierClusters(Connectivity connectivity,
                                                std::size_t min_size = 1) const;

  // The distance field described at the top, computed when first asked for and again only
  // after the map has changed or with other params: O(voxels). The view shows the latest
  // computation and stays valid as long as this map lives.
  VoxelGridView<const float> DistanceField(const DistanceFieldParams& params);

  // The distance field at the voxel holding `xyz_m` (map frame); NaN outside the grid.
  double Clearance(const double xyz_m[3], const DistanceFieldParams& params);

 private:
  template <typename T>
  VoxelGridView<const T> View(const std::vector<T>& data) const {
    return {data.data(), geometry_.layers, geometry_.rows, geometry_.cols};
  }
  bool IsFrontier(std::size_t index, const Voxel& voxel) const;
  void SetVoxel(std::size_t index, float log_odds);

  VoxelGeometry geometry_;
  OccupancyParams params_;
  std::vector<float> log_odds_;         // NaN while unknown
  std::vector<std::uint8_t> occupied_mask_;  // 0 / 1
  std::vector<std::uint8_t> free_mask_;      // 0 / 1
  std::size_t occupied_count_ = 0;
  std::size_t free_count_ = 0;

  std::vector<std::uint8_t> scan_mark_;       // scratch: 0 untouched, 1 missed, 2 hit
  std::vector<std::uint32_t> scan_touched_;   // scratch: indices marked in this scan

  std::vector<float> distance_m_;  // empty until first computed
  bool distance_valid_ = false;
  DistanceFieldParams distance_params_;
  std::vector<double> block_in_, line_out_, envelope_z_;  // scratch for the distance transform
  std::vector<int> envelope_v_;
};

}  // namespace ilrs::perception
