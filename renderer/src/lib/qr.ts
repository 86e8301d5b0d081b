import encodeQR from '@paulmillr/qr';
import decodeQR from '@paulmillr/qr/decode.js';

/** Pixels of an image as the browser's ImageData has them: RGBA, row by row. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray | Uint8Array;
}

/**
 * The dark (true) and light modules of a QR code for `text`, without the quiet zone. Medium error
 * correction: an invite code (~700 characters) still fits comfortably, and a photographed screen
 * with a glare reads.
 */
export function qrModules(text: string): boolean[][] {
  return encodeQR(text, 'raw', { ecc: 'medium', border: 0 });
}

/** The text of the QR code in an image, or undefined when none can be read. */
export function readQr(pixels: Pixels): string | undefined {
  try {
    return decodeQR({ width: pixels.width, height: pixels.height, data: pixels.data });
  } catch {
    return undefined;
  }
}

/** Modules drawn black on white, `scale` pixels each, with a quiet zone of four modules. */
export function rasterise(modules: readonly (readonly boolean[])[], scale: number): Pixels {
  const size = (modules.length + 8) * scale;
  const data = new Uint8ClampedArray(size * size * 4).fill(255);
  modules.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (!dark) return;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const offset = (((y + 4) * scale + dy) * size + (x + 4) * scale + dx) * 4;
          data.fill(0, offset, offset + 3);
        }
      }
    }),
  );
  return { width: size, height: size, data };
}
