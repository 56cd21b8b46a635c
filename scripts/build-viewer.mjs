// `npm run build`'s second half: bundle the viewer page (after tsc has built dist/).
import { bundlePage } from '../dist/viewer/bundle.js';

try {
  const { outdir, bytes } = await bundlePage();
  process.stderr.write(`viewer: bundled ${(bytes / 1e6).toFixed(1)} MB into ${outdir}\n`);
} catch (err) {
  process.stderr.write(`viewer: ${err.message}\n`);
  process.exit(1);
}
