/** PNG encoding of rendered images (Node: sharp). */

/** Encode an H×W×3 uint8 RGB image (top-left first) as PNG bytes. */
export async function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  if (rgb.length !== width * height * 3) {
    throw new Error(`encodePng: ${rgb.length} bytes is not ${width}×${height}×3`);
  }
  // Loaded on first use: sharp is a native module that most commands never need.
  const { default: sharp } = await import('sharp');
  return sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
