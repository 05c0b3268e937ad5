/** Pixel checks of screenshots for the end-to-end tests. */
import { PNG } from 'pngjs';

/**
 * How much of a screenshot is not its background (the top-left pixel's
 * colour): the fraction of pixels differing from it by more than 30 (sum of
 * |ΔR|+|ΔG|+|ΔB|), and the number of distinct colours (5 bits per channel).
 */
export function screenshotContent(png: Buffer): { fraction: number; colours: number; width: number; height: number } {
  const img = PNG.sync.read(png);
  const bg = [img.data[0]!, img.data[1]!, img.data[2]!];
  let differing = 0;
  const colours = new Set<number>();
  for (let q = 0; q < img.data.length; q += 4) {
    const d = Math.abs(img.data[q]! - bg[0]!) + Math.abs(img.data[q + 1]! - bg[1]!) + Math.abs(img.data[q + 2]! - bg[2]!);
    if (d > 30) differing++;
    colours.add((img.data[q]! >> 3) * 1024 + (img.data[q + 1]! >> 3) * 32 + (img.data[q + 2]! >> 3));
  }
  return { fraction: differing / (img.width * img.height), colours: colours.size, width: img.width, height: img.height };
}
