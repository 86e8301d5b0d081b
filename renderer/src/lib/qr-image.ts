import { readQr } from './qr.ts';

/** Larger pictures are scaled down first: a QR code needs far fewer pixels, and decoding is O(pixels). */
const MAX_SIDE = 1600;

/**
 * The text of the QR code in an image file or a pasted image, read in the page: nothing leaves it.
 * Throws when the file is no image the browser can decode; undefined when it holds no readable code.
 */
export async function readQrFromImage(blob: Blob): Promise<string | undefined> {
  const bitmap = await createImageBitmap(blob);
  try {
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (context === null) return undefined;
    // Transparent pixels count as white, as on paper.
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, height);
    context.drawImage(bitmap, 0, 0, width, height);
    return readQr(context.getImageData(0, 0, width, height));
  } finally {
    bitmap.close();
  }
}

/** The first image among pasted or dropped items. */
export function imageOf(data: DataTransfer | null): File | undefined {
  return [...(data?.files ?? [])].find((file) => file.type.startsWith('image/'));
}
