/** Small DOM helpers for the viewer page. */

/** The element with `id`; a missing one is a bug in index.html, reported as such. */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`viewer page: index.html has no #${id}`);
  return el as T;
}

/** Show an error as text at the top of the page (never a blank screen). */
export function showError(err: unknown): void {
  const box = byId<HTMLPreElement>('error');
  const message = err instanceof Error ? err.message : String(err);
  box.hidden = false;
  box.textContent = box.textContent ? `${box.textContent}\n${message}` : message;
  document.body.dataset.state = 'error';
  console.error(err);
}

/** Set an element's text only if it differs: unchanged text then costs the frame no layout or paint. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * Fill a <dl> with label/value pairs. With the same labels already there (the
 * live view refills its lists every step) only the changed values are set.
 */
export function fillList(dl: HTMLElement, pairs: [string, string][]): void {
  const cells = dl.children;
  if (cells.length === 2 * pairs.length && pairs.every(([k], i) => cells[2 * i].textContent === k)) {
    pairs.forEach(([, v], i) => setText(cells[2 * i + 1] as HTMLElement, v));
    return;
  }
  dl.replaceChildren(
    ...pairs.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

/** A table row of text cells. */
export function row(cells: string[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  return tr;
}

/** Draw an H×W×3 RGB image (top row first) onto a 2D canvas at its native size. */
export function drawRgb(canvas: HTMLCanvasElement, rgb: Uint8Array, width: number, height: number): void {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('viewer page: no 2D canvas context');
  const image = ctx.createImageData(width, height);
  for (let p = 0, q = 0; p < width * height * 3; p += 3, q += 4) {
    image.data[q] = rgb[p];
    image.data[q + 1] = rgb[p + 1];
    image.data[q + 2] = rgb[p + 2];
    image.data[q + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** Fetch JSON from the viewer's server; a failed request becomes an error naming the URL. */
export async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${(await res.text()).trim()}`);
  return (await res.json()) as T;
}

export const fmt = (x: number, digits = 3): string => x.toFixed(digits);
