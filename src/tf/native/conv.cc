// Native convolution (and max-pool gradient) kernels for the tfjs wasm backend (NHWC, filters
// [KH,KW,CI,CO]).
//
// They read and write the wasm heap in place: every array argument is a Float32Array view
// of tfjs-wasm's memory, so nothing is copied in or out. Compiled for the machine it is built
// on (scripts/build-native.sh: -O3 -march=native), so the vector types below become AVX-512,
// AVX2 or SSE as the CPU allows. One thread per call: the learner's data-parallel instances
// supply the second core.
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
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace {

typedef float v16 __attribute__((vector_size(64)));

inline v16 load(const float* p) {
  v16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, v16 v) { std::memcpy(p, &v, sizeof v); }

struct Dims {
  int n, h, w, ci, oh, ow, co, kh, kw, sh, sw, pt, pl;
  int hp() const { return (oh - 1) * sh + kh; }
  int wp() const { return (ow - 1) * sw + kw; }
};

thread_local std::vector<float> padded;
thread_local std::vector<float> scratch;

// x [N,H,W,CI] into padded [N,HP,WP,CI]: rows and columns outside the input are zero;
// input rows and columns no tap reaches are left out.
const float* pad_input(const float* x, const Dims& d) {
  const int hp = d.hp(), wp = d.wp();
  padded.assign(static_cast<size_t>(d.n) * hp * wp * d.ci, 0.0f);
  for (int b = 0; b < d.n; b++) {
    for (int y = 0; y < hp; y++) {
      const int iy = y - d.pt;
      if (iy < 0 || iy >= d.h) continue;
      const int x0 = std::max(0, d.pl), ix0 = std::max(0, -d.pl);
      const int count = std::min(wp - x0, d.w - ix0);
      if (count <= 0) continue;
      std::memcpy(&padded[((static_cast<size_t>(b) * hp + y) * wp + x0) * d.ci], x + ((static_cast<size_t>(b) * d.h + iy) * d.w + ix0) * d.ci,
                  sizeof(float) * count * d.ci);
    }
  }
  return padded.data();
}

// ---------------------------------------------------------------------------------------------
// Forward: out[n,oy,ox,:] = act(bias + Σ_ky Σ_j xp[n, oy·SH+ky, ox·SW·CI + j] · w[ky, j, :])

template <int NV, int PB>
void forward_block(const float* xp, const float* w, const float* bias, float* out, const Dims& d, int b, int oy, int ox0, int pixels,
                   bool relu) {
  const int j_count = d.kw * d.ci, wp = d.wp(), hp = d.hp();
  v16 acc[PB][NV];
  for (int p = 0; p < PB; p++)
    for (int v = 0; v < NV; v++) acc[p][v] = bias ? load(bias + 16 * v) : v16{};
  for (int ky = 0; ky < d.kh; ky++) {
    const float* row = xp + ((static_cast<size_t>(b) * hp + oy * d.sh + ky) * wp + static_cast<size_t>(ox0) * d.sw) * d.ci;
    const float* wk = w + static_cast<size_t>(ky) * j_count * d.co;
    const int step = d.sw * d.ci;
    for (int j = 0; j < j_count; j++) {
      v16 wv[NV];
      for (int v = 0; v < NV; v++) wv[v] = load(wk + static_cast<size_t>(j) * d.co + 16 * v);
      for (int p = 0; p < PB; p++) {
        const float s = p < pixels ? row[p * step + j] : 0.0f;
        for (int v = 0; v < NV; v++) acc[p][v] += s * wv[v];
      }
    }
  }
  float* o = out + ((static_cast<size_t>(b) * d.oh + oy) * d.ow + ox0) * d.co;
  for (int p = 0; p < pixels; p++)
    for (int v = 0; v < NV; v++) {
      v16 r = acc[p][v];
      if (relu) r = r > 0.0f ? r : v16{};
      store(o + static_cast<size_t>(p) * d.co + 16 * v, r);
    }
}

// Output pixels per register block: NV·PB accumulators (16 for NV = 1–2) plus NV filter vectors.
constexpr int forward_pixels(int nv) { return nv == 1 ? 12 : nv == 2 ? 8 : nv == 3 ? 6 : 4; }

template <int NV>
void forward(const float* x, const float* w, const float* bias, float* out, const Dims& d, bool relu) {
  const float* xp = pad_input(x, d);
  for (int b = 0; b < d.n; b++)
    for (int oy = 0; oy < d.oh; oy++)
      for (int ox = 0; ox < d.ow; ox += forward_pixels(NV))
        forward_block<NV, forward_pixels(NV)>(xp, w, bias, out, d, b, oy, ox, std::min(forward_pixels(NV), d.ow - ox), relu);
}

// ---------------------------------------------------------------------------------------------
// Filter gradient: dw[ky, j, :] = Σ_{n,oy,ox} xp[n, oy·SH+ky, ox·SW·CI + j] · dy[n,oy,ox,:]

constexpr int FILTER_ROWS = 8;     // j values per register block
constexpr int FILTER_PIXELS = 64;  // output pixels per tile, so the tile of dy stays in L1

template <int NV>
void filter_grad(const float* x, const float* dy, float* dw, const Dims& d) {
  const float* xp = pad_input(x, d);
  const int j_count = d.kw * d.ci, wp = d.wp(), hp = d.hp();
  std::fill(dw, dw + static_cast<size_t>(d.kh) * j_count * d.co, 0.0f);
  const long total = static_cast<long>(d.n) * d.oh * d.ow;
  std::vector<const float*> origin(FILTER_PIXELS);
  for (long t0 = 0; t0 < total; t0 += FILTER_PIXELS) {
    const int tile = static_cast<int>(std::min<long>(FILTER_PIXELS, total - t0));
    for (int t = 0; t < tile; t++) {
      const long q = t0 + t;
      const int ox = static_cast<int>(q % d.ow), oy = static_cast<int>((q / d.ow) % d.oh), b = static_cast<int>(q / (static_cast<long>(d.ow) * d.oh));
      origin[t] = xp + ((static_cast<size_t>(b) * hp + oy * d.sh) * wp + static_cast<size_t>(ox) * d.sw) * d.ci;
    }
    const float* dyt = dy + t0 * d.co;
    for (int ky = 0; ky < d.kh; ky++) {
      const size_t row_offset = static_cast<size_t>(ky) * wp * d.ci;
      for (int j0 = 0; j0 < j_count; j0 += FILTER_ROWS) {
        const int rows = std::min(FILTER_ROWS, j_count - j0);
        float* dwk = dw + (static_cast<size_t>(ky) * j_count + j0) * d.co;
        v16 acc[FILTER_ROWS][NV];
        for (int r = 0; r < FILTER_ROWS; r++)
          for (int v = 0; v < NV; v++) acc[r][v] = r < rows ? load(dwk + static_cast<size_t>(r) * d.co + 16 * v) : v16{};
        for (int t = 0; t < tile; t++) {
          v16 g[NV];
          for (int v = 0; v < NV; v++) g[v] = load(dyt + static_cast<size_t>(t) * d.co + 16 * v);
          const float* xr = origin[t] + row_offset + j0;
          for (int r = 0; r < FILTER_ROWS; r++) {
            const float s = r < rows ? xr[r] : 0.0f;
            for (int v = 0; v < NV; v++) acc[r][v] += s * g[v];
          }
        }
        for (int r = 0; r < rows; r++)
          for (int v = 0; v < NV; v++) store(dwk + static_cast<size_t>(r) * d.co + 16 * v, acc[r][v]);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Input gradient: dxp[n, oy·SH+ky, ox·SW·CI + j] += Σ_co dy[n,oy,ox,co] · w[ky, j, co], then dx
// is dxp without its padding. wt[ky, co, j] (j padded to JV·16) makes j the vector axis.

template <int JV, int PB>
void input_grad_impl(const float* dy, const float* w, float* dx, const Dims& d) {
  const int j_count = d.kw * d.ci, wp = d.wp(), hp = d.hp(), jp = JV * 16;
  std::vector<float> wt(static_cast<size_t>(d.kh) * d.co * jp, 0.0f);
  for (int ky = 0; ky < d.kh; ky++)
    for (int j = 0; j < j_count; j++)
      for (int c = 0; c < d.co; c++) wt[(static_cast<size_t>(ky) * d.co + c) * jp + j] = w[(static_cast<size_t>(ky) * j_count + j) * d.co + c];
  padded.assign(static_cast<size_t>(d.n) * hp * wp * d.ci, 0.0f);
  float* dxp = padded.data();
  float tmp[16 * JV];
  for (int b = 0; b < d.n; b++)
    for (int oy = 0; oy < d.oh; oy++)
      for (int ox0 = 0; ox0 < d.ow; ox0 += PB) {
        const int pixels = std::min(PB, d.ow - ox0);
        const float* g = dy + ((static_cast<size_t>(b) * d.oh + oy) * d.ow + ox0) * d.co;
        for (int ky = 0; ky < d.kh; ky++) {
          v16 acc[PB][JV];
          for (int p = 0; p < PB; p++)
            for (int v = 0; v < JV; v++) acc[p][v] = v16{};
          const float* wk = wt.data() + static_cast<size_t>(ky) * d.co * jp;
          for (int c = 0; c < d.co; c++) {
            v16 wv[JV];
            for (int v = 0; v < JV; v++) wv[v] = load(wk + static_cast<size_t>(c) * jp + 16 * v);
            for (int p = 0; p < PB; p++) {
              const float s = p < pixels ? g[static_cast<size_t>(p) * d.co + c] : 0.0f;
              for (int v = 0; v < JV; v++) acc[p][v] += s * wv[v];
            }
          }
          float* row = dxp + ((static_cast<size_t>(b) * hp + oy * d.sh + ky) * wp + static_cast<size_t>(ox0) * d.sw) * d.ci;
          for (int p = 0; p < pixels; p++) {
            for (int v = 0; v < JV; v++) store(tmp + 16 * v, acc[p][v]);
            float* target = row + static_cast<size_t>(p) * d.sw * d.ci;
            for (int j = 0; j < j_count; j++) target[j] += tmp[j];
          }
        }
      }
  for (int b = 0; b < d.n; b++)
    for (int iy = 0; iy < d.h; iy++)
      for (int ix = 0; ix < d.w; ix++) {
        const int y = iy + d.pt, xx = ix + d.pl;
        float* o = dx + ((static_cast<size_t>(b) * d.h + iy) * d.w + ix) * d.ci;
        if (y < hp && xx < wp) std::memcpy(o, dxp + ((static_cast<size_t>(b) * hp + y) * wp + xx) * d.ci, sizeof(float) * d.ci);
        else std::fill(o, o + d.ci, 0.0f);
      }
}

// ---------------------------------------------------------------------------------------------
// ReLU mask and bias gradient: dz = dy·[y > 0], db[c] = Σ_rows dz[row, c] (C = 16·NV). Partial
// sums over blocks of rows in float vectors, the total in double, as the JS kernel it replaces.

constexpr int BIAS_ROWS = 64;

template <int NV>
void relu_bias_grad(const float* dy, const float* y, float* dz, float* db, size_t rows) {
  constexpr int c = 16 * NV;
  double total[c] = {};
  for (size_t r0 = 0; r0 < rows; r0 += BIAS_ROWS) {
    const size_t r1 = std::min(rows, r0 + BIAS_ROWS);
    v16 sum[NV] = {};
    for (size_t r = r0; r < r1; r++)
      for (int v = 0; v < NV; v++) {
        const size_t i = r * c + 16 * v;
        const v16 g = load(dy + i);
        const v16 m = load(y + i) > 0.0f ? g : v16{};
        store(dz + i, m);
        sum[v] += m;
      }
    for (int v = 0; v < NV; v++)
      for (int k = 0; k < 16; k++) total[16 * v + k] += sum[v][k];
  }
  for (int k = 0; k < c; k++) db[k] = static_cast<float>(total[k]);
}

// ---------------------------------------------------------------------------------------------
// Max-pool gradient for windows that tile the input (window = stride): each window's dy goes to
// the first position of its maximum in row-major order, as tfjs's reference kernel does.

void max_pool_grad(const float* dy, const float* x, float* dx, const int* v) {
  const int n = v[0], h = v[1], w = v[2], c = v[3], oh = v[4], ow = v[5], kh = v[6], kw = v[7], pt = v[8], pl = v[9];
  // Positions no window covers ('valid' on an odd size) get no gradient.
  std::fill(dx, dx + static_cast<size_t>(n) * h * w * c, 0.0f);
  std::vector<float> best_store(c);
  std::vector<int> at_store(c);
  float* best = best_store.data();
  int* at = at_store.data();
  std::vector<size_t> bases;
  for (int b = 0; b < n; b++)
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
}

// ---------------------------------------------------------------------------------------------
// N-API glue. Each function takes Float32Array views and an Int32Array of the 13 Dims fields.

// Calls f(std::integral_constant<int, NV>) with NV = c / 16 for the channel counts the kernels are
// built for (16, 32, 48, 64); false for any other.
template <typename F>
bool by_channels(int c, F&& f) {
  switch (c) {
    case 16: f(std::integral_constant<int, 1>{}); return true;
    case 32: f(std::integral_constant<int, 2>{}); return true;
    case 48: f(std::integral_constant<int, 3>{}); return true;
    case 64: f(std::integral_constant<int, 4>{}); return true;
    default: return false;
  }
}

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
  const int jv = (d.kw * d.ci + 15) / 16;
  switch (jv) {
    case 1: input_grad_impl<1, 12>(dy, w, dx, d); break;
    case 2: input_grad_impl<2, 8>(dy, w, dx, d); break;
    case 3: input_grad_impl<3, 6>(dy, w, dx, d); break;
    case 4: input_grad_impl<4, 5>(dy, w, dx, d); break;
    case 5: input_grad_impl<5, 4>(dy, w, dx, d); break;
    case 6: input_grad_impl<6, 4>(dy, w, dx, d); break;
    case 7: case 8: input_grad_impl<8, 3>(dy, w, dx, d); break;
    case 9: case 10: case 11: case 12: input_grad_impl<12, 2>(dy, w, dx, d); break;
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

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor methods[] = {
      {"conv2d", nullptr, Conv2d, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"filterGrad", nullptr, FilterGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inputGrad", nullptr, InputGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reluBiasGrad", nullptr, ReluBiasGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  return exports;
}
