#include "ilrs/perception/hazard_layers.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

// The inner loops are written to be auto-vectorized, without branches. GCC if-converts their
// comparisons only when told that floating-point exceptions (and errno) are not observed,
// which changes no result. On x86-64 they are also compiled for AVX2 and picked at
// load time; without FMA contraction both versions do the same IEEE operations per cell in
// the same order, so the results are bit-identical.
#if defined(__GNUC__) && !defined(__clang__)
#if defined(__x86_64__)
#define ILRS_VECTOR_CLONES                                         \
  __attribute__((optimize("no-trapping-math", "no-math-errno"), \
                 target_clones("avx2", "default")))
#else
#define ILRS_VECTOR_CLONES __attribute__((optimize("no-trapping-math", "no-math-errno")))
#endif
#else
#define ILRS_VECTOR_CLONES
#endif

namespace ilrs::perception {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr double kRadToDeg = 57.29577951308232;

int RadiusCells(double radius_m, double resolution_m) {
  return std::max(1, static_cast<int>(std::lround(radius_m / resolution_m)));
}

// Inner loops over a run of `count` columns, as functions so the restrict promises hold.

// One input row with unknown heights replaced by 0, beside a 0/1 known mask and two masks to
// add to a residual (0 where known, +inf or -inf where not) so that an unknown never wins a
// minimum or a maximum; the loops below then need no branches.
struct LoadedRow {
  float* known;
  float* height_or_0;
  float* hide_from_min;
  float* hide_from_max;
};

ILRS_VECTOR_CLONES
void LoadRow(int count, const float* __restrict row, float* __restrict known,
             float* __restrict h0, float* __restrict hide_from_min,
             float* __restrict hide_from_max) {
  for (int i = 0; i < count; ++i) {
    const float h = row[i];
    const bool is_known = h == h;  // false for NaN
    known[i] = is_known ? 1.0f : 0.0f;
    h0[i] = is_known ? h : 0.0f;
    hide_from_min[i] = is_known ? 0.0f : kInf;
    hide_from_max[i] = is_known ? 0.0f : -kInf;
  }
}

// Adds one row's known cells (mask k, heights z with 0 where unknown) at offset y to the
// column moments.
ILRS_VECTOR_CLONES
void AddRowToColumns(int count, double y, const float* __restrict k, const float* __restrict z,
                     double* __restrict n, double* __restrict sy, double* __restrict syy,
                     double* __restrict sz, double* __restrict syz) {
  for (int i = 0; i < count; ++i) {
    const double ki = k[i], zi = z[i];
    n[i] += ki;
    sy[i] += ki * y;
    syy[i] += ki * y * y;
    sz[i] += zi;
    syz[i] += zi * y;
  }
}

// Adds the columns k to the right (v_right) and k to the left (v_left) of each cell:
// out0 += both, out1 += k * (right - left), out2 += k^2 * both.
ILRS_VECTOR_CLONES
void AddColumnPair3(int count, double k, const double* __restrict v_right,
                    const double* __restrict v_left, double* __restrict out0,
                    double* __restrict out1, double* __restrict out2) {
  for (int i = 0; i < count; ++i) {
    const double both = v_right[i] + v_left[i];
    out0[i] += both;
    out1[i] += k * (v_right[i] - v_left[i]);
    out2[i] += k * k * both;
  }
}

// As AddColumnPair3 for v (out0, out1), plus out2 += w_right + w_left.
ILRS_VECTOR_CLONES
void AddColumnPair2(int count, double k, const double* __restrict v_right,
                    const double* __restrict v_left, const double* __restrict w_right,
                    const double* __restrict w_left, double* __restrict out0,
                    double* __restrict out1, double* __restrict out2) {
  for (int i = 0; i < count; ++i) {
    out0[i] += v_right[i] + v_left[i];
    out1[i] += k * (v_right[i] - v_left[i]);
    out2[i] += w_right[i] + w_left[i];
  }
}

// Window moments of each output cell (x, y in cells from the cell; z absolute heights).
struct Moments {
  const double* n;
  const double* sx;
  const double* sy;
  const double* sz;
  const double* sxx;
  const double* syy;
  const double* sxy;
  const double* sxz;
  const double* syz;
};

// Plane of each output cell: height h0 plus offset d, rising ax per cell along x and by along
// y; h0 is NaN where the cell is not assessed.
struct PlaneRow {
  float* h0;
  float* ax;
  float* by;
  float* d;
  float* tan2_slope;  // squared tangent of the slope
};

// Solves each cell's least-squares plane from its moments. The window of each cell has
// `window_rows` x `window_cols` in-map cells; `centre` holds the cells' own heights.
ILRS_VECTOR_CLONES
void SolvePlanes(int count, double res, double min_known_fraction, double window_rows,
                 const double* __restrict window_cols, const float* __restrict centre,
                 const Moments& m, const PlaneRow& out) {
  float* __restrict h0_out = out.h0;
  float* __restrict ax_out = out.ax;
  float* __restrict by_out = out.by;
  float* __restrict d_out = out.d;
  float* __restrict tan2_out = out.tan2_slope;
  const double* __restrict mn = m.n;
  const double* __restrict msx = m.sx;
  const double* __restrict msy = m.sy;
  const double* __restrict msz = m.sz;
  const double* __restrict msxx = m.sxx;
  const double* __restrict msyy = m.syy;
  const double* __restrict msxy = m.sxy;
  const double* __restrict msxz = m.sxz;
  const double* __restrict msyz = m.syz;
  for (int i = 0; i < count; ++i) {
    const double n = mn[i];
    const double h0 = centre[i];
    const bool assessed =
        (h0 == h0) & (n >= min_known_fraction * (window_rows * window_cols[i])) & (n >= 3);
    const double sx = res * msx[i], sy = res * msy[i];
    const double sxx = res * res * msxx[i], syy = res * res * msyy[i];
    const double sxy = res * res * msxy[i];
    const double sz = msz[i] - h0 * n;
    const double sxz = res * (msxz[i] - h0 * msx[i]);
    const double syz = res * (msyz[i] - h0 * msy[i]);
    // Normal equations of the plane z = a*x + b*y + d, solved by Cramer's rule through the
    // cofactors of the symmetric matrix {{sxx, sxy, sx}, {sxy, syy, sy}, {sx, sy, n}}.
    const double c00 = syy * n - sy * sy, c01 = sx * sy - sxy * n, c02 = sxy * sy - syy * sx;
    const double c11 = sxx * n - sx * sx, c12 = sxy * sx - sxx * sy;
    const double c22 = sxx * syy - sxy * sxy;
    const double det = sxx * c00 + sxy * c01 + sx * c02;
    // Degenerate (collinear) windows have det ~ 0 relative to its scale sxx * syy * n: they
    // get the horizontal plane through the mean.
    const bool solvable = (det < 0 ? -det : det) > 1e-9 * sxx * syy * n;
    const double inv_det = 1.0 / (solvable ? det : 1.0);
    const double safe_n = n > 0 ? n : 1.0;
    const double a = solvable ? (c00 * sxz + c01 * syz + c02 * sz) * inv_det : 0.0;
    const double b = solvable ? (c01 * sxz + c11 * syz + c12 * sz) * inv_det : 0.0;
    const double d = solvable ? (c02 * sxz + c12 * syz + c22 * sz) * inv_det : sz / safe_n;
    h0_out[i] = assessed ? static_cast<float>(h0) : kNaN;
    ax_out[i] = assessed ? static_cast<float>(a * res) : 0.0f;
    by_out[i] = assessed ? static_cast<float>(b * res) : 0.0f;
    d_out[i] = assessed ? static_cast<float>(d) : 0.0f;
    tan2_out[i] = static_cast<float>(a * a + b * b);
  }
}

// The residuals at offset (fx, fy) of a loaded row from each cell's plane, which are added
// squared to sum_sq (if not null) and lower lo and raise hi (if not null).
ILRS_VECTOR_CLONES
void AddResiduals(int count, float fx, float fy, const PlaneRow& p, const LoadedRow& row,
                  float* __restrict sum_sq, float* __restrict lo, float* __restrict hi) {
  const float* __restrict h0 = p.h0;
  const float* __restrict ax = p.ax;
  const float* __restrict by = p.by;
  const float* __restrict d = p.d;
  const float* __restrict k = row.known;
  const float* __restrict z = row.height_or_0;
  const float* __restrict hide_min = row.hide_from_min;
  const float* __restrict hide_max = row.hide_from_max;
  if (lo == nullptr) {
    for (int i = 0; i < count; ++i) {
      const float e = (z[i] - h0[i]) - (ax[i] * fx + by[i] * fy + d[i]);
      sum_sq[i] += k[i] * (e * e);
    }
  } else if (sum_sq == nullptr) {
    for (int i = 0; i < count; ++i) {
      const float e = (z[i] - h0[i]) - (ax[i] * fx + by[i] * fy + d[i]);
      const float e_lo = e + hide_min[i], e_hi = e + hide_max[i];
      lo[i] = e_lo < lo[i] ? e_lo : lo[i];
      hi[i] = e_hi > hi[i] ? e_hi : hi[i];
    }
  } else {
    for (int i = 0; i < count; ++i) {
      const float e = (z[i] - h0[i]) - (ax[i] * fx + by[i] * fy + d[i]);
      sum_sq[i] += k[i] * (e * e);
      const float e_lo = e + hide_min[i], e_hi = e + hide_max[i];
      lo[i] = e_lo < lo[i] ? e_lo : lo[i];
      hi[i] = e_hi > hi[i] ? e_hi : hi[i];
    }
  }
}

// Wheel plane of each output cell (heights relative to the cell's own): rising ax per cell
// along x and by along y, offset d at the cell; d is NaN where a wheel stands on unknown ground.
struct WheelPlaneRow {
  float* ax;
  float* by;
  float* d;
};

// Raises belly_hi by the residuals at offset (fx, fy) of a loaded row above each cell's wheel
// plane (unknown heights never win).
ILRS_VECTOR_CLONES
void AddBellyResiduals(int count, float fx, float fy, const float* __restrict h0,
                       const WheelPlaneRow& p, const LoadedRow& row, float* __restrict belly_hi) {
  const float* __restrict ax = p.ax;
  const float* __restrict by = p.by;
  const float* __restrict d = p.d;
  const float* __restrict z = row.height_or_0;
  const float* __restrict hide_max = row.hide_from_max;
  for (int i = 0; i < count; ++i) {
    const float e = (z[i] - h0[i]) - (ax[i] * fx + by[i] * fy + d[i]) + hide_max[i];
    belly_hi[i] = e > belly_hi[i] ? e : belly_hi[i];
  }
}

// AddResiduals (squared sum and extremes) and AddBellyResiduals in one pass, for offsets in
// every window: the same operations per cell, so the same bits.
ILRS_VECTOR_CLONES
void AddAllResiduals(int count, float fx, float fy, const PlaneRow& p, const WheelPlaneRow& w,
                     const LoadedRow& row, float* __restrict sum_sq, float* __restrict lo,
                     float* __restrict hi, float* __restrict belly_hi) {
  const float* __restrict h0 = p.h0;
  const float* __restrict ax = p.ax;
  const float* __restrict by = p.by;
  const float* __restrict d = p.d;
  const float* __restrict wax = w.ax;
  const float* __restrict wby = w.by;
  const float* __restrict wd = w.d;
  const float* __restrict k = row.known;
  const float* __restrict z = row.height_or_0;
  const float* __restrict hide_min = row.hide_from_min;
  const float* __restrict hide_max = row.hide_from_max;
  for (int i = 0; i < count; ++i) {
    const float rel = z[i] - h0[i];
    const float e = rel - (ax[i] * fx + by[i] * fy + d[i]);
    sum_sq[i] += k[i] * (e * e);
    const float e_lo = e + hide_min[i], e_hi = e + hide_max[i];
    lo[i] = e_lo < lo[i] ? e_lo : lo[i];
    hi[i] = e_hi > hi[i] ? e_hi : hi[i];
    const float eb = rel - (wax[i] * fx + wby[i] * fy + wd[i]) + hide_max[i];
    belly_hi[i] = eb > belly_hi[i] ? eb : belly_hi[i];
  }
}

// Wheel planes of `count` consecutive cells whose clipped footprints all have the same corner
// offsets: x from x_lo to x_hi, y from y_lo to y_hi (cells); z00..z11 are the corner heights
// (low row, low column first), h0 the cells' own heights. Relative to h0; NaN corners or h0
// give a NaN offset.
ILRS_VECTOR_CLONES
void SolveWheelPlaneRun(int count, double x_lo, double x_hi, double y_lo, double y_hi,
                        const float* __restrict z00, const float* __restrict z01,
                        const float* __restrict z10, const float* __restrict z11,
                        const float* __restrict h0, float* __restrict ax_out,
                        float* __restrict by_out, float* __restrict d_out) {
  // A side of zero width has no tilt along it.
  const double kx = x_hi > x_lo ? 1.0 / (2.0 * (x_hi - x_lo)) : 0.0;
  const double ky = y_hi > y_lo ? 1.0 / (2.0 * (y_hi - y_lo)) : 0.0;
  const double xm = 0.5 * (x_lo + x_hi), ym = 0.5 * (y_lo + y_hi);
  for (int i = 0; i < count; ++i) {
    const double a00 = z00[i], a01 = z01[i], a10 = z10[i], a11 = z11[i];
    const double a = ((a01 + a11) - (a00 + a10)) * kx;
    const double b = ((a10 + a11) - (a00 + a01)) * ky;
    const double mean = 0.25 * ((a00 + a01) + (a10 + a11)) - h0[i];
    ax_out[i] = static_cast<float>(a);
    by_out[i] = static_cast<float>(b);
    d_out[i] = static_cast<float>(mean - a * xm - b * ym);
  }
}

// The wheel plane of each cell of row r over columns [ca, cb): the least-squares plane through
// the four corner cells of its footprint [r - b, r + b] x [c - b, c + b] clipped to the grid.
// Interior columns share their corner offsets and go in one run; edge columns one at a time.
void SolveWheelPlanes(GridView<const float> z, int r, int ca, int cb, int b, const float* h0,
                      const WheelPlaneRow& out) {
  const int rows = z.rows(), cols = z.cols();
  const int ra = std::max(0, r - b), rb = std::min(rows - 1, r + b);
  const double y_lo = ra - r, y_hi = rb - r;
  auto run = [&](int c, int count) {
    const int cl = std::max(0, c - b), cr = std::min(cols - 1, c + b);
    SolveWheelPlaneRun(count, cl - c, cr - c, y_lo, y_hi, &z(ra, cl), &z(ra, cr), &z(rb, cl),
                       &z(rb, cr), h0 + c, out.ax + c, out.by + c, out.d + c);
  };
  // Columns whose footprint is not clipped: [b, cols - b).
  const int inner_begin = std::max(ca, b), inner_end = std::min(cb, cols - b);
  for (int c = ca; c < std::min(cb, inner_begin); ++c) run(c, 1);
  if (inner_begin < inner_end) run(inner_begin, inner_end - inner_begin);
  for (int c = std::max(ca, std::max(inner_end, inner_begin)); c < cb; ++c) run(c, 1);
}

// Scratch of one call, grown to the largest (window, width) seen on this thread and never
// shrunk, so later calls allocate nothing.
class HazardScratch {
 public:
  // Sizes the buffers for `cols` columns and `ring_rows` loaded rows, forgets loaded rows, and
  // zeroes `pad` columns of column moments beyond each edge (out of map: no known cells).
  void Prepare(int cols, int ring_rows, int pad) {
    const std::size_t c = static_cast<std::size_t>(cols);
    const std::size_t padded = c + 2 * static_cast<std::size_t>(pad);
    for (std::vector<double>* v : {&col_n_, &col_y_, &col_yy_, &col_z_, &col_yz_}) {
      if (v->size() < padded) v->resize(padded);
      std::fill(v->begin(), v->begin() + pad, 0.0);
      std::fill(v->begin() + pad + cols, v->begin() + padded, 0.0);
    }
    pad_ = pad;
    for (std::vector<double>* v : {&n, &sx, &sy, &sz, &sxx, &syy, &sxy, &sxz, &syz,
                                   &window_cols}) {
      if (v->size() < c) v->resize(c);
    }
    for (std::vector<float>* v : {&h0, &ax, &by, &d, &tan2_slope, &sum_sq, &lo, &hi, &wheel_ax,
                                  &wheel_by, &wheel_d, &belly_hi}) {
      if (v->size() < c) v->resize(c);
    }
    const std::size_t ring = c * static_cast<std::size_t>(ring_rows);
    if (ring_.size() < 4 * ring) ring_.resize(4 * ring);
    if (ring_row_.size() < static_cast<std::size_t>(ring_rows)) ring_row_.resize(ring_rows);
    std::fill(ring_row_.begin(), ring_row_.begin() + ring_rows, -1);
    cols_ = cols;
    ring_rows_ = ring_rows;
  }

  // Row `row` of `elevation` with its unknowns replaced, over columns [begin, end); loaded at
  // most once while it stays among the last `ring_rows` rows asked for.
  LoadedRow Row(GridView<const float> elevation, int row, int begin, int end) {
    const int slot = row % ring_rows_;
    const std::size_t stride = static_cast<std::size_t>(cols_) * ring_rows_;
    float* base = ring_.data() + static_cast<std::size_t>(slot) * cols_;
    const LoadedRow loaded{base, base + stride, base + 2 * stride, base + 3 * stride};
    if (ring_row_[slot] != row) {
      LoadRow(end - begin, &elevation(row, begin), loaded.known + begin,
              loaded.height_or_0 + begin, loaded.hide_from_min + begin,
              loaded.hide_from_max + begin);
      ring_row_[slot] = row;
    }
    return loaded;
  }

  // Column moments of the plane window's rows (y in cells from the output row), indexed by
  // grid column from -pad to cols + pad.
  double* col_n() { return col_n_.data() + pad_; }
  double* col_y() { return col_y_.data() + pad_; }
  double* col_yy() { return col_yy_.data() + pad_; }
  double* col_z() { return col_z_.data() + pad_; }
  double* col_yz() { return col_yz_.data() + pad_; }
  // Window moments per output cell, and the in-map columns of its window.
  std::vector<double> n, sx, sy, sz, sxx, syy, sxy, sxz, syz, window_cols;
  // Plane per output cell, and the residual sums and extremes.
  std::vector<float> h0, ax, by, d, tan2_slope, sum_sq, lo, hi;
  // Wheel plane per output cell, and the highest residual above it.
  std::vector<float> wheel_ax, wheel_by, wheel_d, belly_hi;

 private:
  std::vector<double> col_n_, col_y_, col_yy_, col_z_, col_yz_;
  int pad_ = 0;
  int cols_ = 0;
  int ring_rows_ = 1;
  std::vector<float> ring_;    // 4 planes of ring_rows_ x cols_, one per LoadedRow field
  std::vector<int> ring_row_;  // grid row held by each ring slot, -1 for none
};

}  // namespace

int HazardParams::plane_radius_cells() const {
  return RadiusCells(plane_window_radius_m, resolution_m);
}
int HazardParams::step_radius_cells() const {
  return RadiusCells(step_window_radius_m, resolution_m);
}
int HazardParams::belly_radius_cells() const {
  return RadiusCells(belly_half_width_m, resolution_m);
}

void HazardParams::Validate() const {
  ILRS_THROW_IF_NOT(std::isfinite(resolution_m) && resolution_m > 0.0,
                    "HazardParams.resolution_m must be > 0, got " + std::to_string(resolution_m));
  ILRS_THROW_IF_NOT(std::isfinite(plane_window_radius_m) && plane_window_radius_m > 0.0,
                    "HazardParams.plane_window_radius_m must be > 0, got " +
                        std::to_string(plane_window_radius_m));
  ILRS_THROW_IF_NOT(std::isfinite(step_window_radius_m) && step_window_radius_m > 0.0,
                    "HazardParams.step_window_radius_m must be > 0, got " +
                        std::to_string(step_window_radius_m));
  ILRS_THROW_IF_NOT(std::isfinite(belly_half_width_m) && belly_half_width_m > 0.0,
                    "HazardParams.belly_half_width_m must be > 0, got " +
                        std::to_string(belly_half_width_m));
  ILRS_THROW_IF_NOT(min_known_fraction > 0.0 && min_known_fraction <= 1.0,
                    "HazardParams.min_known_fraction must be in (0, 1], got " +
                        std::to_string(min_known_fraction));
  ILRS_THROW_IF_NOT(plane_radius_cells() <= 64 && step_radius_cells() <= 64 &&
                        belly_radius_cells() <= 64,
                    "HazardParams: a window is wider than 64 cells at this resolution");
}

void ComputeHazardLayers(GridView<const float> elevation_m, const HazardParams& params,
                         Region region, const HazardLayerViews& out) {
  params.Validate();
  const int rows = elevation_m.rows();
  const int cols = elevation_m.cols();
  for (const GridView<float>* layer : {&out.slope_deg, &out.roughness_m, &out.step_m,
                                       &out.belly_m}) {
    ILRS_THROW_IF_NOT(layer->rows() == rows && layer->cols() == cols,
                      "hazard layer shape (" + std::to_string(layer->rows()) + ", " +
                          std::to_string(layer->cols()) + ") differs from elevation shape (" +
                          std::to_string(rows) + ", " + std::to_string(cols) + ")");
  }
  const Region area = region.Dilated(0, rows, cols);
  if (area.empty()) return;
  const int pr = params.plane_radius_cells();
  const int sr = params.step_radius_cells();
  const int br = params.belly_radius_cells();
  const int reach = std::max({pr, sr, br});
  const double res = params.resolution_m;
  const int ca = area.col_begin, cb = area.col_end;  // output columns
  // Columns read by the windows of the output columns.
  const int wa = std::max(0, ca - reach), wb = std::min(cols, cb + reach);

  thread_local HazardScratch scratch;
  HazardScratch& s = scratch;
  s.Prepare(cols, 2 * reach + 1, pr);
  for (int c = ca; c < cb; ++c) {
    s.window_cols[c] = std::min(cols - 1, c + pr) - std::max(0, c - pr) + 1;
  }
  const Moments moments{s.n.data() + ca,   s.sx.data() + ca,  s.sy.data() + ca,
                        s.sz.data() + ca,  s.sxx.data() + ca, s.syy.data() + ca,
                        s.sxy.data() + ca, s.sxz.data() + ca, s.syz.data() + ca};

  for (int r = area.row_begin; r < area.row_end; ++r) {
    const int r0 = std::max(0, r - pr), r1 = std::min(rows - 1, r + pr);

    // Column moments over the plane window's rows, every read column.
    double* const cn = s.col_n();
    double* const cy = s.col_y();
    double* const cyy = s.col_yy();
    double* const cz = s.col_z();
    double* const cyz = s.col_yz();
    for (double* v : {cn, cy, cyy, cz, cyz}) std::fill(v + wa, v + wb, 0.0);
    for (int rr = r0; rr <= r1; ++rr) {
      const LoadedRow row = s.Row(elevation_m, rr, wa, wb);
      AddRowToColumns(wb - wa, rr - r, row.known + wa, row.height_or_0 + wa, cn + wa, cy + wa,
                      cyy + wa, cz + wa, cyz + wa);
    }

    // Window moments: the column moments of the window's columns, weighted by x, a pair of
    // columns at a time (columns beyond the edges hold zeros).
    const int out_count = cb - ca;
    std::copy(cn + ca, cn + cb, s.n.begin() + ca);
    std::copy(cy + ca, cy + cb, s.sy.begin() + ca);
    std::copy(cyy + ca, cyy + cb, s.syy.begin() + ca);
    std::copy(cz + ca, cz + cb, s.sz.begin() + ca);
    std::copy(cyz + ca, cyz + cb, s.syz.begin() + ca);
    for (std::vector<double>* v : {&s.sx, &s.sxx, &s.sxy, &s.sxz}) {
      std::fill(v->begin() + ca, v->begin() + cb, 0.0);
    }
    for (int k = 1; k <= pr; ++k) {
      AddColumnPair3(out_count, k, cn + ca + k, cn + ca - k, s.n.data() + ca, s.sx.data() + ca,
                     s.sxx.data() + ca);
      AddColumnPair2(out_count, k, cy + ca + k, cy + ca - k, cyy + ca + k, cyy + ca - k,
                     s.sy.data() + ca, s.sxy.data() + ca, s.syy.data() + ca);
      AddColumnPair2(out_count, k, cz + ca + k, cz + ca - k, cyz + ca + k, cyz + ca - k,
                     s.sz.data() + ca, s.sxz.data() + ca, s.syz.data() + ca);
    }

    // Plane of each cell (heights relative to the cell), and its slope.
    const PlaneRow planes{s.h0.data(), s.ax.data(), s.by.data(), s.d.data(), s.tan2_slope.data()};
    const PlaneRow out_planes{planes.h0 + ca, planes.ax + ca, planes.by + ca, planes.d + ca,
                              planes.tan2_slope + ca};
    SolvePlanes(cb - ca, res, params.min_known_fraction, r1 - r0 + 1, s.window_cols.data() + ca,
                &elevation_m(r, ca), moments, out_planes);
    const WheelPlaneRow wheels{s.wheel_ax.data(), s.wheel_by.data(), s.wheel_d.data()};
    SolveWheelPlanes(elevation_m, r, ca, cb, br, s.h0.data(), wheels);

    // Residuals to each cell's plane over its windows: squared sum over the plane window
    // (roughness), extremes over the step window (step).
    std::fill(s.sum_sq.begin() + ca, s.sum_sq.begin() + cb, 0.0f);
    std::fill(s.lo.begin() + ca, s.lo.begin() + cb, kInf);
    std::fill(s.hi.begin() + ca, s.hi.begin() + cb, -kInf);
    std::fill(s.belly_hi.begin() + ca, s.belly_hi.begin() + cb, -kInf);
    // Blocks of columns, so that one block's planes and sums stay in the L1 cache over all
    // the window offsets.
    constexpr int kBlock = 256;
    for (int block = ca; block < cb; block += kBlock) {
      const int block_end = std::min(cb, block + kBlock);
      for (int dy = -reach; dy <= reach; ++dy) {
        const int rr = r + dy;
        if (rr < 0 || rr >= rows) continue;
        const LoadedRow row = s.Row(elevation_m, rr, wa, wb);
        for (int dx = -reach; dx <= reach; ++dx) {
          const bool in_plane = std::abs(dy) <= pr && std::abs(dx) <= pr;
          const bool in_step = std::abs(dy) <= sr && std::abs(dx) <= sr;
          const bool in_belly = std::abs(dy) <= br && std::abs(dx) <= br;
          const int c_lo = std::max(block, -dx), c_hi = std::min(block_end, cols - dx);
          if ((!in_plane && !in_step && !in_belly) || c_lo >= c_hi) continue;
          const int in = c_lo + dx;
          const PlaneRow plane{planes.h0 + c_lo, planes.ax + c_lo, planes.by + c_lo,
                               planes.d + c_lo, nullptr};
          const LoadedRow at{row.known + in, row.height_or_0 + in, row.hide_from_min + in,
                             row.hide_from_max + in};
          if (in_plane && in_step && in_belly) {
            const WheelPlaneRow wheel{wheels.ax + c_lo, wheels.by + c_lo, wheels.d + c_lo};
            AddAllResiduals(c_hi - c_lo, static_cast<float>(dx), static_cast<float>(dy), plane,
                            wheel, at, s.sum_sq.data() + c_lo, s.lo.data() + c_lo,
                            s.hi.data() + c_lo, s.belly_hi.data() + c_lo);
            continue;
          }
          if (in_plane || in_step) {
            AddResiduals(c_hi - c_lo, static_cast<float>(dx), static_cast<float>(dy), plane, at,
                         in_plane ? s.sum_sq.data() + c_lo : nullptr,
                         in_step ? s.lo.data() + c_lo : nullptr,
                         in_step ? s.hi.data() + c_lo : nullptr);
          }
          if (in_belly) {
            const WheelPlaneRow wheel{wheels.ax + c_lo, wheels.by + c_lo, wheels.d + c_lo};
            AddBellyResiduals(c_hi - c_lo, static_cast<float>(dx), static_cast<float>(dy),
                              planes.h0 + c_lo, wheel, at, s.belly_hi.data() + c_lo);
          }
        }
      }
    }

    for (int c = ca; c < cb; ++c) {
      if (std::isnan(s.h0[c])) {
        out.slope_deg(r, c) = out.roughness_m(r, c) = out.step_m(r, c) = out.belly_m(r, c) = kNaN;
        continue;
      }
      out.belly_m(r, c) = std::isnan(s.wheel_d[c]) ? kNaN : s.belly_hi[c];
      out.slope_deg(r, c) = static_cast<float>(std::atan(std::sqrt(s.tan2_slope[c])) * kRadToDeg);
      out.roughness_m(r, c) = std::sqrt(s.sum_sq[c] / static_cast<float>(s.n[c]));
      out.step_m(r, c) = s.hi[c] - s.lo[c];
    }
  }
}

}  // namespace ilrs::perception
