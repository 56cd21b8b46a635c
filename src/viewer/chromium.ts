/** Headless Chromium for the viewer's tests and benchmark: Debian's package, never a downloaded browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
/**
 * Chromium as a user's browser runs here, without a GPU: WebGL on SwiftShader
 * and the page composited in software (chrome://gpu: "Compositing: Software
 * only"), plus none of Chromium's background traffic. `--enable-unsafe-swiftshader`
 * keeps the SwiftShader WebGL fallback on in builds that gate it (Debian's 156
 * gives it without the flag too). No `--use-angle=swiftshader`: it makes Chromium
 * treat SwiftShader as a GPU and composite on it, redrawing and reading back the
 * whole viewport every frame, which cost 2.5× the CPU per viewer frame
 * (docs/benchmarks.md, "Viewer").
 */
export const CHROMIUM_ARGS = ['--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
