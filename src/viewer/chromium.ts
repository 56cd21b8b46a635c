/** Headless Chromium for the viewer's tests and benchmark: Debian's package, never a downloaded browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
/** WebGL without a GPU (SwiftShader), and none of Chromium's background traffic. */
export const CHROMIUM_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
