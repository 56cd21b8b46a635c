// Native convolution (and max-pool gradient) kernels for the tfjs wasm backend (NHWC, filters
// [KH,KW,CI,CO]).
//
// They read and write the wasm heap in place: every array argument is a Float32Array view
// of tfjs-wasm's memory, so nothing is copied in or out. Compiled for the machine it is built
// on (scripts/build-native.sh: -O3 -march=native): `vec` is the CPU's own vector (AVX-512, AVX2
// or SSE/NEON), and register blocks are sized to its register file.
//
// Threads: setThreads(k) gives the calling thread k − 1 helpers (a pool per calling thread, so
// each tfjs instance has its own). Work is split into units whose arithmetic does not depend on
// which thread runs them or on how many there are, and reductions are added in a fixed order, so
// every kernel gives the same bits on 1 thread as on k. A calling thread may claim a core for a
// stretch of work (claimCore … releaseCore): while another thread's claim stands, a pool's kernels
// run on their caller alone, so the helpers leave that core to the claimer.
//
// Every kernel first copies its input into a zero-padded buffer covering exactly the rows and
// columns the taps reach, so the inner loops have no bounds checks. Along a padded row, the
// KW·CI values a filter row reads at one output column are contiguous (index j = kx·CI + ci),
// and so are the filter's [KW,CI,CO] rows for one ky: each kernel is a sum over ky of small
// dense products over j, blocked so accumulators stay in registers.
//
// Shape legend: N batch, H W input, OH OW output, HP WP padded input, KH KW filter, CI CO
// channels, SH SW strides, PT PL top/left padding, J = KW·CI.
#include <node_api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

// Helper threads of one calling thread. for_each(count, f) runs f(0 … count−1) on the caller
// and the helpers, handing out indices as they free up, and returns when all are done;
// for_ranges(count, per_unit, f) hands out f(lo, hi) over [0, count) in ranges of per_unit, for
// items too small to hand out one at a time. Inside f
// on a helper, `pool` is that helper's own empty pool: read the caller's thread count outside f.
//
// A train step calls the kernels every few tens of microseconds, and waking a thread blocked
// on a condition variable took ~65 µs here (a trivial product took 132 µs on 2 threads against
// 0.6 µs on 1). So a helper spins for SPIN_NS after each job before it blocks, and the caller
// spins until the helpers are done; the mutex and condition variable are only for the blocked.
//
// Cores claimed by calling threads, process-wide (a static: the addon's file is loaded once per
// process, whatever the number of tfjs instances). The QT-Opt learner's Bellman updater claims one
// while it computes targets. Its gradient's kernels beside it on two threads would make three
// threads on two cores, so the learner used to drop to one thread for every step whose targets the
// updater computed, and the second core idled whenever the updater did. Now a pool shares out units
// only while no other thread holds a claim, and its helpers stop spinning as soon as one does
// (spinning, they would take the core anyway). Which threads run the units never changes the bits.
std::atomic<int> claimed_cores{0};

class Pool {
 public:
  ~Pool() { resize(1); }

  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

  // This pool's calling thread claims a core (once: a second claim changes nothing) or gives it back.
  void claim_core() {
    if (!claims_core_.exchange(true)) claimed_cores.fetch_add(1);
  }
  void release_core() {
    if (claims_core_.exchange(false)) claimed_cores.fetch_sub(1);
  }
  bool claims_core() const { return claims_core_.load(); }

  // Calls with helpers to share them: those shared out, and those run on the caller alone because
  // another thread held a core.
  uint64_t shared_calls() const { return shared_calls_; }
  uint64_t alone_calls() const { return alone_calls_; }

  void resize(int threads) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_.store(true);
    }
    wake_.notify_all();
    for (auto& t : helpers_) t.join();
    helpers_.clear();
    stop_.store(false);
    // A helper starts from the generation current now: one begun later must not skip a job.
    for (int i = 1; i < threads; i++) helpers_.emplace_back([this, seen = generation_.load()] { serve(seen); });
  }

  template <typename F>
  void for_ranges(size_t count, size_t per_unit, F&& f) {
    for_each(static_cast<int>((count + per_unit - 1) / per_unit), [&](int unit) {
      const size_t lo = static_cast<size_t>(unit) * per_unit;
      f(lo, std::min(count, lo + per_unit));
    });
  }

  template <typename F>
  void for_each(int count, F&& f) {
    const bool alone = helpers_.empty() || count <= 1 || core_claimed_elsewhere();
    if (!helpers_.empty() && count > 1) (alone ? alone_calls_ : shared_calls_)++;
    if (alone) {
      for (int i = 0; i < count; i++) f(i);
      return;
    }
    job_ = [](void* context, int i) { (*static_cast<F*>(context))(i); };
    context_ = &f;
    count_ = count;
    next_.store(0);
    busy_.store(static_cast<int>(helpers_.size()));
    // seq_cst on both sides: a helper that saw the old generation has counted itself asleep
    // before we read sleeping_, so it is notified (under the mutex, so not before it waits).
    generation_.fetch_add(1);
    if (sleeping_.load() > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    work();
    for (int spins = 0; busy_.load(std::memory_order_acquire) != 0; spins++)
      if (spins > 1000) std::this_thread::yield();
  }

 private:
  static constexpr int64_t SPIN_NS = 200'000;

  // Read by the caller and by its helpers: a claim by this pool's own caller does not count.
  bool core_claimed_elsewhere() const { return claimed_cores.load(std::memory_order_relaxed) > (claims_core_.load(std::memory_order_relaxed) ? 1 : 0); }

  void work() {
    for (int i = next_.fetch_add(1); i < count_; i = next_.fetch_add(1)) job_(context_, i);
  }

  void serve(uint64_t seen) {
    for (;;) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(SPIN_NS);
      int spins = 0;
      while (generation_.load() == seen && !stop_.load()) {
        if (core_claimed_elsewhere() || (++spins % 64 == 0 && std::chrono::steady_clock::now() > until)) {
          std::unique_lock<std::mutex> lock(mutex_);
          sleeping_.fetch_add(1);
          wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
          sleeping_.fetch_sub(1);
        }
      }
      if (stop_.load()) return;
      seen = generation_.load();
      work();
      busy_.fetch_sub(1, std::memory_order_release);
    }
  }

  std::vector<std::thread> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> sleeping_{0};
  void (*job_)(void*, int) = nullptr;
  void* context_ = nullptr;
  int count_ = 0;
  std::atomic<int> next_{0};
  std::atomic<int> busy_{0};
  std::atomic<bool> claims_core_{false};
  uint64_t shared_calls_ = 0, alone_calls_ = 0;
};

thread_local Pool pool;

// The CPU's vector: LANES floats, REGISTERS of them. A wider vector than the CPU has (these
// kernels once used 16 floats everywhere) is lowered through the stack on AVX2: 30x slower.
// PINCER_LANES forces another width, for the test that every width gives the same bits.
#if defined(PINCER_LANES)
constexpr int LANES = PINCER_LANES, REGISTERS = 16;
#elif defined(__AVX512F__)
constexpr int LANES = 16, REGISTERS = 32;
#elif defined(__AVX__)
constexpr int LANES = 8, REGISTERS = 16;
#elif defined(__aarch64__)
constexpr int LANES = 4, REGISTERS = 32;
#else
constexpr int LANES = 4, REGISTERS = 16;
#endif
typedef float vec __attribute__((vector_size(4 * LANES)));

// Accumulators a register block may hold, leaving room for the vectors it multiplies. With 16
// registers (AVX2 on Zen 3, the default agent's convolutions), 10 beat 4, 6, 8, 12, 16, 20 and 24.
constexpr int ACCUMULATORS = REGISTERS == 32 ? 16 : 10;
// Items per register block when each needs nv accumulators: as many as fit, from 1 to at most.
constexpr int block_of(int nv, int at_most) { return std::max(1, std::min(at_most, ACCUMULATORS / nv)); }

inline vec load(const float* p) {
  vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, vec v) { std::memcpy(p, &v, sizeof v); }

// Calls f(std::integral_constant<int, NV>) with NV = c / LANES, the vectors across c channels, for
// the channel counts the kernels are built for (16, 32, 48, 64); false for any other.
template <typename F>
bool by_channels(int c, F&& f) {
  switch (c) {
    case 16: f(std::integral_constant<int, 16 / LANES>{}); return true;
    case 32: f(std::integral_constant<int, 32 / LANES>{}); return true;
    case 48: f(std::integral_constant<int, 48 / LANES>{}); return true;
    case 64: f(std::integral_constant<int, 64 / LANES>{}); return true;
    default: return false;
  }
}

struct Dims {
  int n, h, w, ci, oh, ow, co, kh, kw, sh, sw, pt, pl;
  int hp() const { return (oh - 1) * sh + kh; }
  int wp() const { return (ow - 1) * sw + kw; }
};

thread_local std::vector<float> padded;

// x [N,H,W,CI] into padded [N,HP,WP,CI]: rows and columns outside the input are zero;
// input rows and columns no tap reaches are left out.
const float* pad_input(const float* x, const Dims& d) {
  const int hp = d.hp(), wp = d.wp();
  const size_t image = static_cast<size_t>(hp) * wp * d.ci;
  padded.resize(d.n * image);
  float* out = padded.data();
  pool.for_each(d.n, [&](int b) {
    std::fill(out + b * image, out + (b + 1) * image, 0.0f);
    for (int y = 0; y < hp; y++) {
      const int iy = y - d.pt;
      if (iy < 0 || iy >= d.h) continue;
      const int x0 = std::max(0, d.pl), ix0 = std::max(0, -d.pl);
      const int count = std::min(wp - x0, d.w - ix0);
      if (count <= 0) continue;
      std::memcpy(out + ((static_cast<size_t>(b) * hp + y) * wp + x0) * d.ci, x + ((static_cast<size_t>(b) * d.h + iy) * d.w + ix0) * d.ci,
                  sizeof(float) * count * d.ci);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Forward: out[n,oy,ox,:] = act(bias + Σ_ky Σ_j xp[n, oy·SH+ky, ox·SW·CI + j] · w[ky, j, :])

template <int NV, int PB>
void forward_block(const float* xp, const float* w, const float* bias, float* out, const Dims& d, int b, int oy, int ox0, int pixels,
                   bool relu) {
  const int j_count = d.kw * d.ci, wp = d.wp(), hp = d.hp();
  vec acc[PB][NV];
  for (int p = 0; p < PB; p++)
    for (int v = 0; v < NV; v++) acc[p][v] = bias ? load(bias + LANES * v) : vec{};
  for (int ky = 0; ky < d.kh; ky++) {
    const float* row = xp + ((static_cast<size_t>(b) * hp + oy * d.sh + ky) * wp + static_cast<size_t>(ox0) * d.sw) * d.ci;
    const float* wk = w + static_cast<size_t>(ky) * j_count * d.co;
    const int step = d.sw * d.ci;
    for (int j = 0; j < j_count; j++) {
      vec wv[NV];
      for (int v = 0; v < NV; v++) wv[v] = load(wk + static_cast<size_t>(j) * d.co + LANES * v);
      for (int p = 0; p < PB; p++) {
        const float s = p < pixels ? row[p * step + j] : 0.0f;
        for (int v = 0; v < NV; v++) acc[p][v] += s * wv[v];
      }
    }
  }
  float* o = out + ((static_cast<size_t>(b) * d.oh + oy) * d.ow + ox0) * d.co;
  for (int p = 0; p < pixels; p++)
    for (int v = 0; v < NV; v++) {
      vec r = acc[p][v];
      if (relu) r = r > 0.0f ? r : vec{};
      store(o + static_cast<size_t>(p) * d.co + LANES * v, r);
    }
}

// Output pixels per register block: NV·PB accumulators plus NV filter vectors.
constexpr int forward_pixels(int nv) { return block_of(nv, 12); }

constexpr int FORWARD_ROWS = 8;

template <int NV>
void forward(const float* x, const float* w, const float* bias, float* out, const Dims& d, bool relu) {
  const float* xp = pad_input(x, d);
  // One unit per FORWARD_ROWS output rows.
  pool.for_ranges(static_cast<size_t>(d.n) * d.oh, FORWARD_ROWS, [&](size_t first, size_t last) {
    for (size_t row = first; row < last; row++) {
      const int b = static_cast<int>(row / d.oh), oy = static_cast<int>(row % d.oh);
      for (int ox = 0; ox < d.ow; ox += forward_pixels(NV))
        forward_block<NV, forward_pixels(NV)>(xp, w, bias, out, d, b, oy, ox, std::min(forward_pixels(NV), d.ow - ox), relu);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Filter gradient: dw[ky, j, :] = Σ_{n,oy,ox} xp[n, oy·SH+ky, ox·SW·CI + j] · dy[n,oy,ox,:]

// j values per register block: NC·rows accumulators plus NC vectors of dy.
constexpr int filter_rows(int nv) { return block_of(nv, 8); }
constexpr int FILTER_PIXELS = 64;  // output pixels per tile, so the tile of dy stays in L1
// The pixels are split into this many chunks, whatever the thread count; each sums its own
// partial dw, and the partials are added in chunk order. A split over dw's rows instead had every
// thread read all of x and dy, and two threads, streaming twice the memory, gained 1.1×.
constexpr int FILTER_CHUNKS = 8;

thread_local std::vector<float> filter_partials;

template <int NV>
void filter_grad(const float* x, const float* dy, float* dw, const Dims& d) {
  const float* xp = pad_input(x, d);
  const int j_count = d.kw * d.ci, wp = d.wp(), hp = d.hp();
  const size_t size = static_cast<size_t>(d.kh) * j_count * d.co;
  const long total = static_cast<long>(d.n) * d.oh * d.ow, tiles = (total + FILTER_PIXELS - 1) / FILTER_PIXELS;
  // dy's NV vectors are taken NC at a time, so that more rows of x share each load of dy: on 16 registers
  // 2 vectors by 5 rows took 2.7 ms for the reference net's first two layers where 4 by 2 took 3.9–4.1
  // (one Zen 3 thread; 1 by 8 took 3.3–3.4).
  constexpr int NC = REGISTERS == 32 || NV % 2 != 0 ? NV : 2;
  constexpr int FILTER_ROWS = filter_rows(NC);
  const int blocks_per_row = (j_count + FILTER_ROWS - 1) / FILTER_ROWS, blocks = d.kh * blocks_per_row;
  filter_partials.assign(FILTER_CHUNKS * size, 0.0f);
  float* partials = filter_partials.data();
  pool.for_each(FILTER_CHUNKS, [&](int chunk) {
    float* part = partials + chunk * size;
    const long first = tiles * chunk / FILTER_CHUNKS * FILTER_PIXELS, last = std::min(total, tiles * (chunk + 1) / FILTER_CHUNKS * FILTER_PIXELS);
    // The next pixel's (b, oy, ox), counted on from the chunk's first: no divisions per pixel.
    int ox = static_cast<int>(first % d.ow), oy = static_cast<int>((first / d.ow) % d.oh), b = static_cast<int>(first / (static_cast<long>(d.ow) * d.oh));
    const float* origin[FILTER_PIXELS];
    for (long t0 = first; t0 < last; t0 += FILTER_PIXELS) {
      const int tile = static_cast<int>(std::min<long>(FILTER_PIXELS, last - t0));
      for (int t = 0; t < tile; t++) {
        origin[t] = xp + ((static_cast<size_t>(b) * hp + oy * d.sh) * wp + static_cast<size_t>(ox) * d.sw) * d.ci;
        if (++ox == d.ow) {
          ox = 0;
          if (++oy == d.oh) oy = 0, b++;
        }
      }
      const float* dyt = dy + t0 * d.co;
      for (int block = 0; block < blocks; block++) {
        const int ky = block / blocks_per_row, j0 = (block % blocks_per_row) * FILTER_ROWS;
        const size_t row_offset = static_cast<size_t>(ky) * wp * d.ci;
        const int rows = std::min(FILTER_ROWS, j_count - j0);
        for (int c0 = 0; c0 < NV; c0 += NC) {
          float* dwk = part + (static_cast<size_t>(ky) * j_count + j0) * d.co + LANES * c0;
          vec acc[FILTER_ROWS][NC];
          for (int r = 0; r < FILTER_ROWS; r++)
            for (int v = 0; v < NC; v++) acc[r][v] = r < rows ? load(dwk + static_cast<size_t>(r) * d.co + LANES * v) : vec{};
          for (int t = 0; t < tile; t++) {
            vec g[NC];
            for (int v = 0; v < NC; v++) g[v] = load(dyt + static_cast<size_t>(t) * d.co + LANES * (c0 + v));
            const float* xr = origin[t] + row_offset + j0;
            for (int r = 0; r < FILTER_ROWS; r++) {
              const float s = r < rows ? xr[r] : 0.0f;
              for (int v = 0; v < NC; v++) acc[r][v] += s * g[v];
            }
          }
          for (int r = 0; r < rows; r++)
            for (int v = 0; v < NC; v++) store(dwk + static_cast<size_t>(r) * d.co + LANES * v, acc[r][v]);
        }
      }
    }
  });
  // dw = Σ_chunk partial, in chunk order, a vector at a time (size is a multiple of CO = LANES·NV).
  pool.for_ranges(size / LANES, 4096 / LANES, [&](size_t first, size_t last) {
    for (size_t i = first; i < last; i++) {
      vec sum = load(partials + LANES * i);
      for (int c = 1; c < FILTER_CHUNKS; c++) sum += load(partials + c * size + LANES * i);
      store(dw + LANES * i, sum);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Input gradient: dxp[n, oy·SH+ky, ox·SW·CI + j] += Σ_co dy[n,oy,ox,co] · w[ky, j, co], then dx
// is dxp without its padding. wt[ky, co, j] (j padded to JV·LANES) makes j the vector axis.

template <int JV>
void input_grad(const float* dy, const float* w, float* dx, const Dims& d) {
  // The filter row's JV vectors are summed JC at a time, so that a block of PB pixels fits the
  // registers beside them (with 16 registers and JV = 12, all at once left room for one pixel).
  // (On Zen 3, J = 96: JC = 3 with 3 pixels took 4.0 ms where all 12 took 7.6; 1, 2, 4 and 6 took 4.6–6.2.)
  constexpr int JC = REGISTERS == 32 ? JV : JV % 3 == 0 ? 3 : JV % 2 == 0 ? 2 : 1;
  constexpr int PB = block_of(JC, 12);  // pixels per register block
  const int j_count = d.kw * d.ci, wp = d.wp(), hp = d.hp(), jp = JV * LANES;
  std::vector<float> wt(static_cast<size_t>(d.kh) * d.co * jp, 0.0f);
  for (int ky = 0; ky < d.kh; ky++)
    for (int j = 0; j < j_count; j++)
      for (int c = 0; c < d.co; c++) wt[(static_cast<size_t>(ky) * d.co + c) * jp + j] = w[(static_cast<size_t>(ky) * j_count + j) * d.co + c];
  const size_t image = static_cast<size_t>(hp) * wp * d.ci;
  padded.resize(d.n * image);
  float* dxp = padded.data();
  // One unit per image: images scatter into disjoint parts of dxp.
  pool.for_each(d.n, [&](int b) {
    std::fill(dxp + b * image, dxp + (b + 1) * image, 0.0f);
    float tmp[PB][LANES * JV];
    for (int oy = 0; oy < d.oh; oy++)
      for (int ox0 = 0; ox0 < d.ow; ox0 += PB) {
        const int pixels = std::min(PB, d.ow - ox0);
        const float* g = dy + ((static_cast<size_t>(b) * d.oh + oy) * d.ow + ox0) * d.co;
        for (int ky = 0; ky < d.kh; ky++) {
          const float* wk = wt.data() + static_cast<size_t>(ky) * d.co * jp;
          for (int j0 = 0; j0 < JV; j0 += JC) {
            vec acc[PB][JC];
            for (int p = 0; p < PB; p++)
              for (int v = 0; v < JC; v++) acc[p][v] = vec{};
            for (int c = 0; c < d.co; c++) {
              vec wv[JC];
              for (int v = 0; v < JC; v++) wv[v] = load(wk + static_cast<size_t>(c) * jp + LANES * (j0 + v));
              for (int p = 0; p < PB; p++) {
                const float s = p < pixels ? g[static_cast<size_t>(p) * d.co + c] : 0.0f;
                for (int v = 0; v < JC; v++) acc[p][v] += s * wv[v];
              }
            }
            for (int p = 0; p < pixels; p++)
              for (int v = 0; v < JC; v++) store(tmp[p] + LANES * (j0 + v), acc[p][v]);
          }
          float* row = dxp + ((static_cast<size_t>(b) * hp + oy * d.sh + ky) * wp + static_cast<size_t>(ox0) * d.sw) * d.ci;
          for (int p = 0; p < pixels; p++) {
            float* target = row + static_cast<size_t>(p) * d.sw * d.ci;
            for (int j = 0; j < j_count; j++) target[j] += tmp[p][j];
          }
        }
      }
    for (int iy = 0; iy < d.h; iy++)
      for (int ix = 0; ix < d.w; ix++) {
        const int y = iy + d.pt, xx = ix + d.pl;
        float* o = dx + ((static_cast<size_t>(b) * d.h + iy) * d.w + ix) * d.ci;
        if (y < hp && xx < wp) std::memcpy(o, dxp + ((static_cast<size_t>(b) * hp + y) * wp + xx) * d.ci, sizeof(float) * d.ci);
        else std::fill(o, o + d.ci, 0.0f);
      }
  });
}

// ---------------------------------------------------------------------------------------------
// ReLU mask and bias gradient: dz = dy·[y > 0], db[c] = Σ_rows dz[row, c] (C = LANES·NV). Partial
// sums over blocks of rows in float vectors, the total in double, as the JS kernel it replaces.

constexpr int BIAS_ROWS = 64;

constexpr int BIAS_BLOCKS_PER_UNIT = 16;

template <int NV>
void relu_bias_grad(const float* dy, const float* y, float* dz, float* db, size_t rows) {
  constexpr int c = LANES * NV;
  const size_t blocks = (rows + BIAS_ROWS - 1) / BIAS_ROWS;
  // Each block's float partial sums, added into the double totals in block order below.
  std::vector<float> partial(blocks * c);
  pool.for_ranges(blocks, BIAS_BLOCKS_PER_UNIT, [&](size_t first, size_t last) {
    for (size_t block = first; block < last; block++) {
      const size_t r0 = block * BIAS_ROWS, r1 = std::min(rows, r0 + BIAS_ROWS);
      vec sum[NV] = {};
      for (size_t r = r0; r < r1; r++)
        for (int v = 0; v < NV; v++) {
          const size_t i = r * c + LANES * v;
          const vec g = load(dy + i);
          const vec m = load(y + i) > 0.0f ? g : vec{};
          store(dz + i, m);
          sum[v] += m;
        }
      for (int v = 0; v < NV; v++) store(&partial[block * c + LANES * v], sum[v]);
    }
  });
  double total[c] = {};
  for (size_t block = 0; block < blocks; block++)
    for (int k = 0; k < c; k++) total[k] += partial[block * c + k];
  for (int k = 0; k < c; k++) db[k] = static_cast<float>(total[k]);
}

// ---------------------------------------------------------------------------------------------
// Max-pool gradient for windows that tile the input (window = stride): each window's dy goes to
// the first position of its maximum in row-major order, as tfjs's reference kernel does.

void max_pool_grad(const float* dy, const float* x, float* dx, const int* v) {
  const int n = v[0], h = v[1], w = v[2], c = v[3], oh = v[4], ow = v[5], kh = v[6], kw = v[7], pt = v[8], pl = v[9];
  const size_t image = static_cast<size_t>(h) * w * c;
  // One unit per image.
  pool.for_each(n, [&](int b) {
    // Positions no window covers ('valid' on an odd size) get no gradient.
    std::fill(dx + b * image, dx + (b + 1) * image, 0.0f);
    std::vector<float> best_store(c);
    std::vector<int> at_store(c);
    float* best = best_store.data();
    int* at = at_store.data();
    std::vector<size_t> bases;
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++) {
        bases.clear();
        for (int y = std::max(0, oy * kh - pt); y < std::min(h, oy * kh - pt + kh); y++)
          for (int xx = std::max(0, ox * kw - pl); xx < std::min(w, ox * kw - pl + kw); xx++)
            bases.push_back(((static_cast<size_t>(b) * h + y) * w + xx) * c);
        if (bases.empty()) continue;
        // Branch-free (the comparisons are data-dependent), so the channel loops vectorise.
        std::memcpy(best, x + bases[0], sizeof(float) * c);
        std::fill(at, at + c, 0);
        for (int p = 1; p < static_cast<int>(bases.size()); p++) {
          const float* xp = x + bases[p];
          for (int k = 0; k < c; k++) {
            const bool more = xp[k] > best[k];
            best[k] = more ? xp[k] : best[k];
            at[k] = more ? p : at[k];
          }
        }
        const float* g = dy + ((static_cast<size_t>(b) * oh + oy) * ow + ox) * c;
        for (int p = 0; p < static_cast<int>(bases.size()); p++) {
          float* d = dx + bases[p];
          for (int k = 0; k < c; k++) d[k] = at[k] == p ? g[k] : 0.0f;
        }
      }
  });
}

// ---------------------------------------------------------------------------------------------
// The Q-network's head at inference, what CEM ranks (src/tf/qnet.ts QNetwork.head):
//   q[r] = σ(bo + Σ_u wo[u] · relu(e[r / N, u] + Σ_k wah[k, u] · relu(ba[k] + Σ_d wa[d, k] · a[r, d])))
// for R = B·N candidate actions a [R, A] on embeddings e [B, U]; weights wa [A, Ua], ba [Ua],
// wah [Ua, U], wo [U], bo [1]. U = LANES·NV; head_rows(NV) rows share each loaded row of wah. One
// unit per HEAD_UNIT rows. Other U take head_scores_any, the same sums in plain loops.

constexpr int head_rows(int nv) { return block_of(nv, 4); }
// Rows per unit: CEM scores thousands of rows per call, and handing them out 4 at a time (with a
// buffer allocated each time) made two threads 4× slower than one.
constexpr int HEAD_UNIT = 64;

template <int NV>
void head_scores(const float* e, const float* a, const float* wa, const float* ba, const float* wah, const float* wo, float bo, float* q,
                 int b, int r, int ad, int ua) {
  constexpr int u = LANES * NV, HEAD_ROWS = head_rows(NV);
  const int n = r / b;
  pool.for_ranges(r, HEAD_UNIT, [&](size_t lo, size_t hi) {
    std::vector<float> hidden(static_cast<size_t>(HEAD_ROWS) * ua);
    for (int first = static_cast<int>(lo); first < static_cast<int>(hi); first += HEAD_ROWS) {
      const int rows = std::min(HEAD_ROWS, r - first);
      for (int p = 0; p < rows; p++) {
        float* h = hidden.data() + static_cast<size_t>(p) * ua;
        const float* action = a + static_cast<size_t>(first + p) * ad;
        for (int k = 0; k < ua; k++) h[k] = ba[k];
        for (int d = 0; d < ad; d++)
          for (int k = 0; k < ua; k++) h[k] += action[d] * wa[d * ua + k];
        for (int k = 0; k < ua; k++) h[k] = h[k] > 0.0f ? h[k] : 0.0f;
      }
      vec acc[HEAD_ROWS][NV];
      for (int p = 0; p < HEAD_ROWS; p++)
        for (int v = 0; v < NV; v++) acc[p][v] = p < rows ? load(e + static_cast<size_t>((first + p) / n) * u + LANES * v) : vec{};
      for (int k = 0; k < ua; k++) {
        vec w[NV];
        for (int v = 0; v < NV; v++) w[v] = load(wah + static_cast<size_t>(k) * u + LANES * v);
        for (int p = 0; p < HEAD_ROWS; p++) {
          const float hk = hidden[static_cast<size_t>(p) * ua + k];
          for (int v = 0; v < NV; v++) acc[p][v] += hk * w[v];
        }
      }
      for (int p = 0; p < rows; p++) {
        // Summed as 16-float groups whatever LANES is (group lane k over the groups, then k in
        // order), so every CPU adds in one order and gives the same bits.
        constexpr int PER_GROUP = LANES < 16 ? 16 / LANES : 1;
        vec sum[PER_GROUP] = {};
        for (int v = 0; v < NV; v++) sum[v % PER_GROUP] += (acc[p][v] > 0.0f ? acc[p][v] : vec{}) * load(wo + LANES * v);
        float logit = bo;
        for (int g = 0; g < PER_GROUP; g++)
          for (int k = 0; k < LANES; k++) logit += sum[g][k];
        q[first + p] = 1.0f / (1.0f + std::exp(-logit));
      }
    }
  });
}

void head_scores_any(const float* e, const float* a, const float* wa, const float* ba, const float* wah, const float* wo, float bo, float* q,
                     int b, int r, int ad, int ua, int u) {
  const int n = r / b;
  pool.for_ranges(r, HEAD_UNIT, [&](size_t lo, size_t hi) {
    std::vector<float> hidden(ua), acc(u);
    for (int row = static_cast<int>(lo); row < static_cast<int>(hi); row++) {
      std::copy(e + static_cast<size_t>(row / n) * u, e + static_cast<size_t>(row / n + 1) * u, acc.begin());
      const float* action = a + static_cast<size_t>(row) * ad;
      for (int k = 0; k < ua; k++) hidden[k] = ba[k];
      for (int d = 0; d < ad; d++)
        for (int k = 0; k < ua; k++) hidden[k] += action[d] * wa[d * ua + k];
      for (int k = 0; k < ua; k++) {
        const float h = hidden[k] > 0.0f ? hidden[k] : 0.0f;
        for (int j = 0; j < u; j++) acc[j] += h * wah[static_cast<size_t>(k) * u + j];
      }
      float logit = bo;
      for (int j = 0; j < u; j++) logit += (acc[j] > 0.0f ? acc[j] : 0.0f) * wo[j];
      q[row] = 1.0f / (1.0f + std::exp(-logit));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Matrix product: out[m, n] = act(bias[n] + Σ_k A(m, k) · B(k, n)), A(m, k) = a[m·K + k] or, with
// transpose_a, a[k·M + m]; B(k, n) = b[k·N + n] or, with transpose_b, b[n·K + k]. wasm's own
// BatchMatMul packs its right operand for XNNPACK on every call and takes a generic loop when an
// operand is transposed; a train step's dense layer and its two gradients spent ~3 ms there.
//
// The kernel loads vectors along one operand's columns and broadcasts the other's values, so the
// vector operand must be [K, C] in rows of C rounded up to 16. B is that operand unless it is
// transposed: then the product is computed as its transpose, Bᵀ's rows broadcast and A as the
// vector operand ([K, M]: a itself when transposed, else a small packed copy), written back
// transposed. So a large transposed weight (the dense layer's input gradient, dy · Wᵀ) is never
// repacked. A unit is MATMUL_ROWS or more rows by up to 64 columns and sums over k in order, so
// each output has one sum whatever the thread count.

constexpr int MATMUL_ROWS = 4;
// Columns per block: MATMUL_ROWS·NV accumulators, in whole 16-column groups (the operand's padding).
constexpr int MATMUL_COLS = std::max(16, ACCUMULATORS / MATMUL_ROWS * LANES / 16 * 16);
constexpr int MATMUL_WORK = 1 << 16;

thread_local std::vector<float> packed_v;

struct Product {
  const float* x;  // broadcast operand: X(r, kk) = x[r·xr + kk·xk]
  size_t xr, xk;
  const float* v;  // vector operand, [K, CP]
  int cp;
  int rows, cols, k;
  float* out;  // out[r·cols + c], or out[c·rows + r] when transposed
  bool transposed;
  const float* bias;  // by column, or by row when transposed (the product's rows are then N's)
  bool relu;
};

// Rows r0 … r0 + 3 by columns c0 … c0 + LANES·NV − 1 into dst (row i at dst + i·drow).
template <int NV>
void product_block(const Product& p, int r0, int c0, float* dst, size_t drow) {
  vec acc[MATMUL_ROWS][NV] = {};
  const int rows = std::min(MATMUL_ROWS, p.rows - r0);
  const float* xrow[MATMUL_ROWS];
  for (int i = 0; i < MATMUL_ROWS; i++) xrow[i] = p.x + static_cast<size_t>(r0 + std::min(i, rows - 1)) * p.xr;
  for (int kk = 0; kk < p.k; kk++) {
    vec vv[NV];
    for (int j = 0; j < NV; j++) vv[j] = load(p.v + static_cast<size_t>(kk) * p.cp + c0 + LANES * j);
    for (int i = 0; i < MATMUL_ROWS; i++) {
      const float s = xrow[i][kk * p.xk];
      for (int j = 0; j < NV; j++) acc[i][j] += s * vv[j];
    }
  }
  const int cols = std::min(LANES * NV, p.cols - c0);
  for (int i = 0; i < rows; i++) {
    float row[LANES * NV];
    for (int j = 0; j < NV; j++) store(row + LANES * j, acc[i][j]);
    for (int c = 0; c < cols; c++) {
      float value = row[c];
      if (p.bias) value += p.transposed ? p.bias[r0 + i] : p.bias[c0 + c];
      if (p.relu) value = value > 0.0f ? value : 0.0f;
      dst[i * drow + c] = value;
    }
  }
}

// src as [K, C] rows of CP (src itself when it is [K, C] with C a multiple of 16), or, with
// `transposed`, src [C, K] turned around.
const float* vector_operand(const float* src, int k, int c, bool transposed, int cp) {
  if (!transposed && cp == c) return src;
  packed_v.assign(static_cast<size_t>(k) * cp, 0.0f);
  float* dst = packed_v.data();
  for (int kk = 0; kk < k; kk++)
    for (int j = 0; j < c; j++) dst[static_cast<size_t>(kk) * cp + j] = transposed ? src[static_cast<size_t>(j) * k + kk] : src[static_cast<size_t>(kk) * c + j];
  return dst;
}

void matmul(const float* a, const float* b, const float* bias, float* out, int m, int n, int k, bool ta, bool tb, bool relu) {
  Product p;
  p.k = k;
  p.out = out;
  p.bias = bias;
  p.relu = relu;
  if (!tb) {
    p.x = a, p.xr = ta ? 1 : k, p.xk = ta ? m : 1;
    p.rows = m, p.cols = n, p.cp = (n + 15) / 16 * 16;
    p.v = vector_operand(b, k, n, false, p.cp);
    p.transposed = false;
  } else {
    p.x = b, p.xr = k, p.xk = 1;
    p.rows = n, p.cols = m, p.cp = (m + 15) / 16 * 16;
    p.v = vector_operand(a, k, m, !ta, p.cp);
    p.transposed = true;
  }
  // Units of at least MATMUL_WORK multiply-adds: handing out a few rows at a time costs more
  // than they do, and a small product runs on the caller alone.
  const int per_row = std::min(p.cp, MATMUL_COLS) * k;
  const int unit_rows = std::max(MATMUL_ROWS, (MATMUL_WORK / per_row + MATMUL_ROWS - 1) / MATMUL_ROWS * MATMUL_ROWS);
  const int row_units = (p.rows + unit_rows - 1) / unit_rows, col_blocks = (p.cp + MATMUL_COLS - 1) / MATMUL_COLS;
  pool.for_each(row_units * col_blocks, [&](int unit) {
    const int c0 = unit % col_blocks * MATMUL_COLS, first = unit / col_blocks * unit_rows;
    const int last = std::min(p.rows, first + unit_rows), width = std::min(MATMUL_COLS, p.cp - c0);
    // A transposed result goes through a tile: written straight, its stores would be N apart, and
    // N = 2,048 floats put all 32 of a row's lines in one L1 set.
    std::vector<float> tile(p.transposed ? static_cast<size_t>(unit_rows) * MATMUL_COLS : 0);
    for (int r0 = first; r0 < last; r0 += MATMUL_ROWS) {
      float* dst = p.transposed ? tile.data() + static_cast<size_t>(r0 - first) * MATMUL_COLS : p.out + static_cast<size_t>(r0) * p.cols + c0;
      const size_t drow = p.transposed ? MATMUL_COLS : p.cols;
      by_channels(width, [&](auto nv) { product_block<decltype(nv)::value>(p, r0, c0, dst, drow); });
    }
    if (p.transposed)
      for (int c = c0; c < std::min(p.cols, c0 + width); c++)
        for (int r = first; r < last; r++) p.out[static_cast<size_t>(c) * p.rows + r] = tile[static_cast<size_t>(r - first) * MATMUL_COLS + (c - c0)];
  });
}

// ---------------------------------------------------------------------------------------------
// Adam's update of one weight (src/tf/adam.ts): m and v in place, θ into out. In double and
// without fused multiply-adds, so it rounds as JsAdam's JavaScript does. Each value is its own,
// so blocks of ADAM_BLOCK go to the threads (the dense layer's 131,072 weights took 0.7 ms on one).

constexpr size_t ADAM_BLOCK = 16384;

// Its own function, never inlined: `optimize` does not reach a lambda inside the function it marks,
// and a block run through the pool's job pointer was compiled with fused multiply-adds while one
// called directly was not, so two threads rounded differently from one.
__attribute__((optimize("fp-contract=off"), noinline)) void adam_block(const float* theta, const float* g, float* m, float* v, float* out,
                                                                        size_t first, size_t last, const double* p) {
  const double lr = p[0], b1 = p[1], b2 = p[2], eps = p[3], c1 = p[4], c2 = p[5];
  for (size_t i = first; i < last; i++) {
    const double gi = g[i];
    const double mi = b1 * m[i] + (1 - b1) * gi;
    const double vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    out[i] = static_cast<float>(theta[i] - (lr * (mi / c1)) / (std::sqrt(vi / c2) + eps));
  }
}

void adam(const float* theta, const float* g, float* m, float* v, float* out, size_t n, const double* p) {
  pool.for_ranges(n, ADAM_BLOCK, [&](size_t first, size_t last) { adam_block(theta, g, m, v, out, first, last, p); });
}

// ---------------------------------------------------------------------------------------------
// N-API glue. Each function takes Float32Array views and an Int32Array of the 13 Dims fields.

bool float_array(napi_env env, napi_value value, float** data, size_t* length) {
  napi_typedarray_type type;
  void* raw;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, nullptr, nullptr) != napi_ok || type != napi_float32_array) return false;
  *data = static_cast<float*>(raw);
  return true;
}

bool read_dims(napi_env env, napi_value value, Dims* d) {
  napi_typedarray_type type;
  size_t length;
  void* raw;
  if (napi_get_typedarray_info(env, value, &type, &length, &raw, nullptr, nullptr) != napi_ok || type != napi_int32_array || length != 13) return false;
  const int32_t* v = static_cast<const int32_t*>(raw);
  *d = Dims{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]};
  return d->n > 0 && d->h > 0 && d->w > 0 && d->ci > 0 && d->oh > 0 && d->ow > 0 && d->co > 0 && d->kh > 0 && d->kw > 0 && d->sh > 0 && d->sw > 0;
}

napi_value fail(napi_env env, const char* message) {
  napi_throw_error(env, nullptr, message);
  return nullptr;
}

bool sizes_ok(const Dims& d, size_t x, size_t w, size_t out) {
  return x >= static_cast<size_t>(d.n) * d.h * d.w * d.ci && w >= static_cast<size_t>(d.kh) * d.kw * d.ci * d.co &&
         out >= static_cast<size_t>(d.n) * d.oh * d.ow * d.co;
}

// conv2d(x, w, bias | null, out, dims, relu)
napi_value Conv2d(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  Dims d;
  float *x, *w, *bias = nullptr, *out;
  size_t nx, nw, nb = 0, no;
  napi_valuetype bias_type;
  napi_typeof(env, args[2], &bias_type);
  bool relu = false;
  if (argc < 6 || !float_array(env, args[0], &x, &nx) || !float_array(env, args[1], &w, &nw) || !float_array(env, args[3], &out, &no) ||
      !read_dims(env, args[4], &d) || napi_get_value_bool(env, args[5], &relu) != napi_ok)
    return fail(env, "conv2d(x, w, bias, out, dims, relu): bad arguments");
  if (bias_type != napi_null && (!float_array(env, args[2], &bias, &nb) || nb < static_cast<size_t>(d.co))) return fail(env, "conv2d: bad bias");
  if (!sizes_ok(d, nx, nw, no)) return fail(env, "conv2d: arrays smaller than dims");
  if (!by_channels(d.co, [&](auto nv) { forward<decltype(nv)::value>(x, w, bias, out, d, relu); }))
    return fail(env, "conv2d: output channels must be 16, 32, 48 or 64");
  return nullptr;
}

// A call's arguments, the first `floats` of them read as Float32Arrays.
struct Call {
  size_t argc = 4;
  napi_value args[4];
  float* a[4] = {};
  size_t n[4] = {};
};

bool read_call(napi_env env, napi_callback_info info, int floats, Call* c) {
  if (napi_get_cb_info(env, info, &c->argc, c->args, nullptr, nullptr) != napi_ok || c->argc < 4) return false;
  for (int i = 0; i < floats; i++)
    if (!float_array(env, c->args[i], &c->a[i], &c->n[i])) return false;
  return true;
}

// filterGrad(x, dy, dw, dims)
napi_value FilterGrad(napi_env env, napi_callback_info info) {
  Call g;
  Dims d;
  if (!read_call(env, info, 3, &g) || !read_dims(env, g.args[3], &d)) return fail(env, "filterGrad(x, dy, dw, dims): bad arguments");
  if (!sizes_ok(d, g.n[0], g.n[2], g.n[1])) return fail(env, "filterGrad: arrays smaller than dims");
  float *x = g.a[0], *dy = g.a[1], *dw = g.a[2];
  if (!by_channels(d.co, [&](auto nv) { filter_grad<decltype(nv)::value>(x, dy, dw, d); }))
    return fail(env, "filterGrad: output channels must be 16, 32, 48 or 64");
  return nullptr;
}

// inputGrad(dy, w, dx, dims)
napi_value InputGrad(napi_env env, napi_callback_info info) {
  Call g;
  Dims d;
  if (!read_call(env, info, 3, &g) || !read_dims(env, g.args[3], &d)) return fail(env, "inputGrad(dy, w, dx, dims): bad arguments");
  if (!sizes_ok(d, g.n[2], g.n[1], g.n[0])) return fail(env, "inputGrad: arrays smaller than dims");
  float *dy = g.a[0], *w = g.a[1], *dx = g.a[2];
  // J in 16-float groups, rounded up to a count the kernel is built for; each is 16 / LANES vectors.
  constexpr int V = 16 / LANES;
  switch ((d.kw * d.ci + 15) / 16) {
    case 1: input_grad<1 * V>(dy, w, dx, d); break;
    case 2: input_grad<2 * V>(dy, w, dx, d); break;
    case 3: input_grad<3 * V>(dy, w, dx, d); break;
    case 4: input_grad<4 * V>(dy, w, dx, d); break;
    case 5: input_grad<5 * V>(dy, w, dx, d); break;
    case 6: input_grad<6 * V>(dy, w, dx, d); break;
    case 7: case 8: input_grad<8 * V>(dy, w, dx, d); break;
    case 9: case 10: case 11: case 12: input_grad<12 * V>(dy, w, dx, d); break;
    default: return fail(env, "inputGrad: KW·CI must be at most 192");
  }
  return nullptr;
}

// reluBiasGrad(dy, y, dz, db): rows of db.length channels
napi_value ReluBiasGrad(napi_env env, napi_callback_info info) {
  Call g;
  if (!read_call(env, info, 4, &g)) return fail(env, "reluBiasGrad(dy, y, dz, db): bad arguments");
  float *dy = g.a[0], *y = g.a[1], *dz = g.a[2], *db = g.a[3];
  const size_t ndy = g.n[0], c = g.n[3];
  if (g.n[1] != ndy || g.n[2] != ndy || c == 0 || ndy % c != 0) return fail(env, "reluBiasGrad: sizes disagree");
  if (!by_channels(static_cast<int>(c), [&](auto nv) { relu_bias_grad<decltype(nv)::value>(dy, y, dz, db, ndy / c); }))
    return fail(env, "reluBiasGrad: channels must be 16, 32, 48 or 64");
  return nullptr;
}

// maxPoolGrad(dy, x, dx, dims): dims [N, H, W, C, OH, OW, KH, KW, PT, PL], stride = window
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  Call g;
  napi_typedarray_type type;
  size_t nd;
  void* raw;
  if (!read_call(env, info, 3, &g) || napi_get_typedarray_info(env, g.args[3], &type, &nd, &raw, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array || nd != 10)
    return fail(env, "maxPoolGrad(dy, x, dx, dims): bad arguments");
  const int* v = static_cast<const int*>(raw);
  for (int i = 0; i < 8; i++)
    if (v[i] <= 0) return fail(env, "maxPoolGrad: sizes must be positive");
  const size_t in = static_cast<size_t>(v[0]) * v[1] * v[2] * v[3], out = static_cast<size_t>(v[0]) * v[4] * v[5] * v[3];
  if (g.n[1] < in || g.n[2] < in || g.n[0] < out) return fail(env, "maxPoolGrad: arrays smaller than dims");
  max_pool_grad(g.a[0], g.a[1], g.a[2], v);
  return nullptr;
}

// A call of N Float32Arrays (into p, len) and then one typed array of `tail_type` holding exactly
// `tail_length` values (into *tail).
template <int N>
bool read_arrays(napi_env env, napi_callback_info info, float* (&p)[N], size_t (&len)[N], napi_typedarray_type tail_type, size_t tail_length, void** tail) {
  size_t argc = N + 1;
  napi_value args[N + 1];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc != N + 1) return false;
  for (int i = 0; i < N; i++)
    if (!float_array(env, args[i], &p[i], &len[i])) return false;
  napi_typedarray_type type;
  size_t length;
  return napi_get_typedarray_info(env, args[N], &type, &length, tail, nullptr, nullptr) == napi_ok && type == tail_type && length == tail_length;
}

// headScores(e, a, wa, ba, wah, wo, bo, q, dims [B, R, A, Ua, U])
napi_value HeadScores(napi_env env, napi_callback_info info) {
  float* p[8];
  size_t len[8];
  void* raw;
  if (!read_arrays(env, info, p, len, napi_int32_array, 5, &raw)) return fail(env, "headScores(e, a, wa, ba, wah, wo, bo, q, dims): bad arguments");
  const int32_t* v = static_cast<const int32_t*>(raw);
  const int b = v[0], r = v[1], ad = v[2], ua = v[3], u = v[4];
  if (b < 1 || r < 1 || ad < 1 || ua < 1 || u < 1 || r % b != 0) return fail(env, "headScores: sizes must be positive, rows a multiple of the embeddings");
  const size_t need[8] = {static_cast<size_t>(b) * u, static_cast<size_t>(r) * ad, static_cast<size_t>(ad) * ua, static_cast<size_t>(ua),
                          static_cast<size_t>(ua) * u, static_cast<size_t>(u), 1, static_cast<size_t>(r)};
  for (int i = 0; i < 8; i++)
    if (len[i] < need[i]) return fail(env, "headScores: arrays smaller than dims");
  if (!by_channels(u, [&](auto nv) { head_scores<decltype(nv)::value>(p[0], p[1], p[2], p[3], p[4], p[5], p[6][0], p[7], b, r, ad, ua); }))
    head_scores_any(p[0], p[1], p[2], p[3], p[4], p[5], p[6][0], p[7], b, r, ad, ua, u);
  return nullptr;
}

// The four cells around point (u, v) (in [0, 1] of the image, cell (i, j)'s centre at
// ((j + ½)/w, (i + ½)/h)) of an h×w map, with their bilinear weights; 0 for cells outside it.
void bilinear_corners(float u, float v, int h, int w, int cell[4], float weight[4]) {
  // Clamped so that the casts below stay defined; a point this far out has all weights 0 anyway.
  const float fu = std::min(std::max(u * w - 0.5f, -2.f), static_cast<float>(w) + 1.f);
  const float fv = std::min(std::max(v * h - 0.5f, -2.f), static_cast<float>(h) + 1.f);
  const float j0 = std::floor(fu), i0 = std::floor(fv);
  const float tx = fu - j0, ty = fv - i0;
  for (int di = 0; di < 2; di++) {
    for (int dj = 0; dj < 2; dj++) {
      const int i = static_cast<int>(i0) + di, j = static_cast<int>(j0) + dj, c = di * 2 + dj;
      const bool inside = i >= 0 && i < h && j >= 0 && j < w;
      weight[c] = inside ? (di ? ty : 1.f - ty) * (dj ? tx : 1.f - tx) : 0.f;
      cell[c] = inside ? i * w + j : 0;
    }
  }
}

// out[0, k) = Σ over the corner cells of (u, v) of bilinear weight · an h×w×k map's k values there. Never
// inlined, so LookupSample and the fused head run one compiled loop and read the same bits.
__attribute__((noinline)) void read_point(const float* map, float u, float v, int h, int w, int k, float* out) {
  int cell[4];
  float weight[4];
  bilinear_corners(u, v, h, w, cell, weight);
  for (int c = 0; c < k; c++) out[c] = 0.f;
  for (int q = 0; q < 4; q++)
    for (int c = 0; c < k; c++) out[c] += weight[q] * map[static_cast<size_t>(cell[q]) * k + c];
}

// Reads (a, points, b, dims [B, R, H, W, K, E, O]): the embeddings [B, E] (each image's map, H·W·K values,
// starts at column O) are a when `embeddings_first`, else b; the other holds the rows [R, K]; points R·2.
bool lookup_call(napi_env env, napi_callback_info info, bool embeddings_first, float* (&p)[3], int32_t (&d)[7]) {
  size_t len[3];
  void* raw;
  if (!read_arrays(env, info, p, len, napi_int32_array, 7, &raw)) return false;
  std::memcpy(d, raw, sizeof d);
  for (int i = 0; i < 6; i++)
    if (d[i] < 1) return false;
  if (d[1] % d[0] != 0 || d[6] < 0 || static_cast<int64_t>(d[6]) + static_cast<int64_t>(d[2]) * d[3] * d[4] > d[5]) return false;
  const size_t embeddings = static_cast<size_t>(d[0]) * d[5], rows = static_cast<size_t>(d[1]) * d[4];
  return len[embeddings_first ? 0 : 2] >= embeddings && len[embeddings_first ? 2 : 0] >= rows && len[1] >= static_cast<size_t>(d[1]) * 2;
}

// lookupSample(embeddings, points, out, dims [B, R, H, W, K, E, O]): out[r] = Σ bilinear weight · the map of
// r's image at each corner cell, rows r of image b being b·R/B … (b+1)·R/B − 1.
napi_value LookupSample(napi_env env, napi_callback_info info) {
  float* p[3];
  int32_t d[7];
  if (!lookup_call(env, info, true, p, d)) return fail(env, "lookupSample(embeddings, points, out, dims [B, R, H, W, K, E, O]): bad arguments or sizes");
  const int per = d[1] / d[0], h = d[2], w = d[3], k = d[4];
  for (int r = 0; r < d[1]; r++)
    read_point(p[0] + static_cast<size_t>(r / per) * d[5] + d[6], p[1][2 * r], p[1][2 * r + 1], h, w, k, p[2] + static_cast<size_t>(r) * k);
  return nullptr;
}

// lookupSampleGrad(dy, points, dembeddings, dims [B, R, H, W, K, E, O]): zero outside the maps, and in them
// Σ over rows of weight · dy[r] at each corner cell, added row by row in order (one thread, so the sum's
// order never changes).
napi_value LookupSampleGrad(napi_env env, napi_callback_info info) {
  float* p[3];
  int32_t d[7];
  if (!lookup_call(env, info, false, p, d)) return fail(env, "lookupSampleGrad(dy, points, dembeddings, dims [B, R, H, W, K, E, O]): bad arguments or sizes");
  const float *dy = p[0], *points = p[1];
  float* grad = p[2];
  const int per = d[1] / d[0], h = d[2], w = d[3], k = d[4];
  std::fill(grad, grad + static_cast<size_t>(d[0]) * d[5], 0.f);
  for (int r = 0; r < d[1]; r++) {
    int cell[4];
    float weight[4];
    bilinear_corners(points[2 * r], points[2 * r + 1], h, w, cell, weight);
    float* map = grad + static_cast<size_t>(r / per) * d[5] + d[6];
    for (int q = 0; q < 4; q++)
      for (int c = 0; c < k; c++) map[static_cast<size_t>(cell[q]) * k + c] += weight[q] * dy[static_cast<size_t>(r) * k + c];
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// A lookup network's Q at inference, in one call (QNetwork.headScores with a lookup): what
// CEM ranks, for the policy and the Bellman targets. As tf ops it is ~40 small kernels per
// CEM iteration (the floor points, their projection, one read per map, a concat, a product),
// and their dispatch and allocations took as long as the arithmetic. The same operations
// run here in the same order: the tf ops' elementwise steps each rounded (fp-contract=off),
// the products through matmul and the reads through LookupSample's read_point, so the
// scores are the unfused path's bits.

// The floor points of each action before the camera, xy [R·P, 2] (QNetwork.floorPoints): the
// palm's x, y (columns U, U + 1 of its image's embedding, network units) · position_unit plus
// the action's dx, dy · move_scale; with P > 1, plus (along, across) turned by the yaw whose
// cosine and sine are cos[r], sin[r]. The grasp points' loop is over one row's P points, as
// tf's broadcasts run.
__attribute__((optimize("fp-contract=off"), noinline)) void floor_xy(const float* e, const float* a, const float* cos, const float* sin, const float* along,
                                                                      const float* across, float move_scale, float position_unit, float* xy, int b, int r,
                                                                      int ad, int u, int en, int points) {
  const int n = r / b;
  for (int row = 0; row < r; row++) {
    const float* palm = e + static_cast<size_t>(row / n) * en + u;
    const float fx = a[static_cast<size_t>(row) * ad] * move_scale + palm[0] * position_unit;
    const float fy = a[static_cast<size_t>(row) * ad + 1] * move_scale + palm[1] * position_unit;
    float* out = xy + static_cast<size_t>(row) * points * 2;
    if (points == 1) {
      out[0] = fx, out[1] = fy;
      continue;
    }
    for (int p = 0; p < points; p++) {
      const float dx = along[p] * cos[row] - across[p] * sin[row];
      const float dy = along[p] * sin[row] + across[p] * cos[row];
      out[2 * p] = dx + fx;
      out[2 * p + 1] = dy + fy;
    }
  }
}

// Clip coordinates [R·P, 3] (the camera's product, before its offset) → image positions uv [R·P, 2].
__attribute__((optimize("fp-contract=off"), noinline)) void clip_to_uv(const float* clip, const float* offset, float* uv, size_t count) {
  for (size_t i = 0; i < count; i++) {
    const float x = clip[3 * i] + offset[0], y = clip[3 * i + 1] + offset[1], w = clip[3 * i + 2] + offset[2];
    uv[2 * i] = (x / w + 1.0f) / 2.0f;
    uv[2 * i + 1] = (1.0f - y / w) / 2.0f;
  }
}

thread_local std::vector<float> lookup_xy, lookup_clip, lookup_uv, lookup_samples, lookup_term;

// lookupHeadScores(e, a, cos, sin, along, across, cameraXY, cameraOffset, kernel, wa, ba, wah, wo, bo,
// scalars [move_scale, position_unit], q, dims [B, R, A, Ua, U, E, K, P, L, then per map H, W, offset]).
// e [B, E] are the embeddings (dense U | palm x, y, yaw | each map's H·W·K); cos, sin [R] and along,
// across [P] are empty when P is 1 (the point below the palm alone); kernel [L·P·K, U].
napi_value LookupHeadScores(napi_env env, napi_callback_info info) {
  constexpr int ARRAYS = 16;
  size_t argc = ARRAYS + 1;
  napi_value args[ARRAYS + 1];
  float* p[ARRAYS];
  size_t len[ARRAYS];
  napi_typedarray_type type;
  size_t nd;
  void* raw;
  const char* usage = "lookupHeadScores(e, a, cos, sin, along, across, cameraXY, cameraOffset, kernel, wa, ba, wah, wo, bo, scalars, q, dims): bad arguments";
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc != ARRAYS + 1) return fail(env, usage);
  for (int i = 0; i < ARRAYS; i++)
    if (!float_array(env, args[i], &p[i], &len[i])) return fail(env, usage);
  if (napi_get_typedarray_info(env, args[ARRAYS], &type, &nd, &raw, nullptr, nullptr) != napi_ok || type != napi_int32_array || nd < 9) return fail(env, usage);
  const int32_t* d = static_cast<const int32_t*>(raw);
  const int b = d[0], r = d[1], ad = d[2], ua = d[3], u = d[4], en = d[5], k = d[6], points = d[7], maps = d[8];
  if (b < 1 || r < 1 || ad < 2 || ua < 1 || u < 1 || k < 1 || points < 1 || maps < 1 || r % b != 0 || nd != static_cast<size_t>(9 + 3 * maps))
    return fail(env, "lookupHeadScores: sizes must be positive, rows a multiple of the embeddings, 3 dims per map");
  if (en < u + 3) return fail(env, "lookupHeadScores: embeddings narrower than the head's units and the palm");
  for (int m = 0; m < maps; m++) {
    const int64_t h = d[9 + 3 * m], w = d[10 + 3 * m], o = d[11 + 3 * m];
    if (h < 1 || w < 1 || o < u + 3 || o + h * w * k > en) return fail(env, "lookupHeadScores: a map outside the embeddings");
  }
  const size_t rows = r, reads = rows * points, width = static_cast<size_t>(maps) * points * k;
  const size_t turned = points > 1 ? rows : 0, offsets = points > 1 ? points : 0;
  const size_t need[ARRAYS] = {static_cast<size_t>(b) * en, rows * ad, turned, turned, offsets, offsets, 6, 3, width * u,
                               static_cast<size_t>(ad) * ua, static_cast<size_t>(ua), static_cast<size_t>(ua) * u, static_cast<size_t>(u), 1, 2, rows};
  for (int i = 0; i < ARRAYS; i++)
    if (len[i] < need[i]) return fail(env, "lookupHeadScores: arrays smaller than dims");
  const float *e = p[0], *a = p[1];
  lookup_xy.resize(reads * 2);
  lookup_clip.resize(reads * 3);
  lookup_uv.resize(reads * 2);
  lookup_samples.resize(rows * width);
  lookup_term.resize(rows * u);
  floor_xy(e, a, p[2], p[3], p[4], p[5], p[14][0], p[14][1], lookup_xy.data(), b, r, ad, u, en, points);
  matmul(lookup_xy.data(), p[6], nullptr, lookup_clip.data(), static_cast<int>(reads), 3, 2, false, false, false);
  clip_to_uv(lookup_clip.data(), p[7], lookup_uv.data(), reads);
  // Each read by LookupSample's read_point, into the column its map's concat gives it.
  const int per = r / b;
  const float* uv = lookup_uv.data();
  float* samples = lookup_samples.data();
  pool.for_ranges(reads, HEAD_UNIT, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; i++) {
      const size_t row = i / points, point = i % points;
      for (int m = 0; m < maps; m++)
        read_point(e + (row / per) * en + d[11 + 3 * m], uv[2 * i], uv[2 * i + 1], d[9 + 3 * m], d[10 + 3 * m], k,
                   samples + row * width + (static_cast<size_t>(m) * points + point) * k);
    }
  });
  matmul(samples, p[8], nullptr, lookup_term.data(), r, u, static_cast<int>(width), false, false, false);
  float* term = lookup_term.data();
  for (size_t row = 0; row < rows; row++) {
    const float* dense = e + (row / per) * en;
    for (int j = 0; j < u; j++) term[row * u + j] += dense[j];
  }
  if (!by_channels(u, [&](auto nv) { head_scores<decltype(nv)::value>(term, a, p[9], p[10], p[11], p[12], p[13][0], p[15], r, r, ad, ua); }))
    head_scores_any(term, a, p[9], p[10], p[11], p[12], p[13][0], p[15], r, r, ad, ua, u);
  return nullptr;
}

// matMul(a, b, bias | null, out, dims [M, N, K, transposeA, transposeB, relu])
napi_value MatMul(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  float *a, *b, *bias = nullptr, *out;
  size_t na, nb, nbias = 0, no, nd;
  napi_valuetype bias_type;
  napi_typedarray_type dims_type;
  void* raw;
  if (argc < 5 || !float_array(env, args[0], &a, &na) || !float_array(env, args[1], &b, &nb) || !float_array(env, args[3], &out, &no) ||
      napi_typeof(env, args[2], &bias_type) != napi_ok ||
      napi_get_typedarray_info(env, args[4], &dims_type, &nd, &raw, nullptr, nullptr) != napi_ok || dims_type != napi_int32_array || nd != 6)
    return fail(env, "matMul(a, b, bias, out, dims): bad arguments");
  const int32_t* v = static_cast<const int32_t*>(raw);
  const int m = v[0], n = v[1], k = v[2];
  if (m < 1 || n < 1 || k < 1) return fail(env, "matMul: sizes must be positive");
  if (bias_type != napi_null && (!float_array(env, args[2], &bias, &nbias) || nbias < static_cast<size_t>(n))) return fail(env, "matMul: bad bias");
  if (na < static_cast<size_t>(m) * k || nb < static_cast<size_t>(k) * n || no < static_cast<size_t>(m) * n) return fail(env, "matMul: arrays smaller than dims");
  matmul(a, b, bias, out, m, n, k, v[3] != 0, v[4] != 0, v[5] != 0);
  return nullptr;
}

// unitImages(bytes Uint8Array, out Float32Array): out = bytes / 255 (a division, as tf.div does).
napi_value UnitImages(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  napi_typedarray_type type;
  size_t n;
  void* raw;
  float* out;
  size_t no;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc != 2 ||
      napi_get_typedarray_info(env, args[0], &type, &n, &raw, nullptr, nullptr) != napi_ok || type != napi_uint8_array || !float_array(env, args[1], &out, &no) ||
      no != n)
    return fail(env, "unitImages(bytes, out): bad arguments");
  const uint8_t* bytes = static_cast<const uint8_t*>(raw);
  for (size_t i = 0; i < n; i++) out[i] = static_cast<float>(bytes[i]) / 255.0f;
  return nullptr;
}

// adam(theta, grad, m, v, out, params Float64Array [lr, β1, β2, ε, 1 − β1^t, 1 − β2^t])
napi_value Adam(napi_env env, napi_callback_info info) {
  float* p[5];
  size_t len[5];
  void* raw;
  if (!read_arrays(env, info, p, len, napi_float64_array, 6, &raw)) return fail(env, "adam(theta, grad, m, v, out, params): bad arguments");
  for (int i = 1; i < 5; i++)
    if (len[i] != len[0]) return fail(env, "adam: arrays of different lengths");
  adam(p[0], p[1], p[2], p[3], p[4], len[0], static_cast<const double*>(raw));
  return nullptr;
}

// setThreads(k): this calling thread's kernels run on k threads (1 … 64) from now on.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  int32_t threads = 0;
  if (napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr) != napi_ok || argc < 1 || napi_get_value_int32(env, arg, &threads) != napi_ok ||
      threads < 1 || threads > 64)
    return fail(env, "setThreads(k): k must be an integer in 1 … 64");
  if (threads != pool.threads()) pool.resize(threads);
  return nullptr;
}

// claimCore(): this calling thread holds a core until releaseCore(), or until its tfjs instance (a
// worker thread's) is torn down; meanwhile other threads' kernels run without their helpers.
napi_value ClaimCore(napi_env, napi_callback_info) {
  pool.claim_core();
  return nullptr;
}

// releaseCore(): gives back this thread's claim, if it holds one.
napi_value ReleaseCore(napi_env, napi_callback_info) {
  pool.release_core();
  return nullptr;
}

// coreState(): { claimed: cores claimed in the process, mine: whether this thread holds one, shared,
// alone: this thread's kernel calls with helpers that shared them out, and that ran alone beside a claim }.
napi_value CoreState(napi_env env, napi_callback_info) {
  napi_value out, claimed, mine, shared, alone;
  napi_create_object(env, &out);
  napi_create_int32(env, claimed_cores.load(), &claimed);
  napi_get_boolean(env, pool.claims_core(), &mine);
  napi_create_double(env, static_cast<double>(pool.shared_calls()), &shared);
  napi_create_double(env, static_cast<double>(pool.alone_calls()), &alone);
  napi_set_named_property(env, out, "claimed", claimed);
  napi_set_named_property(env, out, "mine", mine);
  napi_set_named_property(env, out, "shared", shared);
  napi_set_named_property(env, out, "alone", alone);
  return out;
}

// A worker thread terminated while it held a claim (its JS `finally` never ran) would leave every
// other pool on one thread for good: its instance's teardown, on that thread, gives the claim back.
void release_on_teardown(void*) { pool.release_core(); }

}  // namespace

NAPI_MODULE_INIT() {
  napi_add_env_cleanup_hook(env, release_on_teardown, nullptr);
  const napi_property_descriptor methods[] = {
      {"conv2d", nullptr, Conv2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"filterGrad", nullptr, FilterGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inputGrad", nullptr, InputGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluBiasGrad", nullptr, ReluBiasGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matMul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unitImages", nullptr, UnitImages, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"headScores", nullptr, HeadScores, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lookupSample", nullptr, LookupSample, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lookupSampleGrad", nullptr, LookupSampleGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lookupHeadScores", nullptr, LookupHeadScores, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"claimCore", nullptr, ClaimCore, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"releaseCore", nullptr, ReleaseCore, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"coreState", nullptr, CoreState, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  napi_value lanes;
  napi_create_int32(env, LANES, &lanes);
  napi_set_named_property(env, exports, "lanes", lanes);
  return exports;
}
