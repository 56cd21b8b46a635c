/**
 * Every plot in pincer goes one way: a vega-lite spec, compiled to vega,
 * drawn as SVG without a browser, then rasterised by resvg to PNG.
 */

/** A vega-lite spec (kept loose: vega-lite's own types are checked when it compiles). */
export type PlotSpec = Record<string, unknown>;

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** The SVG of a vega-lite spec. */
export async function renderSvg(spec: PlotSpec): Promise<string> {
  // Loaded on use: vega and vega-lite are large, and most commands never plot.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The PNG of a vega-lite spec at `scale` × its size, on white. */
export async function renderPng(spec: PlotSpec, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  return new Resvg(await renderSvg(spec), { background: 'white', fitTo: { mode: 'zoom', value: scale } }).render().asPng();
}

/** A panel that has nothing to show says so, with what it would need. */
export function noDataSpec(title: string, missing: string): PlotSpec {
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    width: 420,
    height: 120,
    data: { values: [{ text: `no data: ${missing}` }] },
    mark: { type: 'text', fontSize: 14, color: '#666' },
    encoding: { text: { field: 'text', type: 'nominal' } },
  };
}
