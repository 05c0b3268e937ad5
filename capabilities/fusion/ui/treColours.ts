/** Colours of the predicted-TRE map on the skin (fraction of the range → RGB), shared by the 3D view's lookup table and its legend. */
export const TRE_COLOURS: [number, number, number, number][] = [
  [0, 0.18, 0.7, 0.36],
  [0.5, 0.95, 0.8, 0.15],
  [1, 0.86, 0.2, 0.18],
];
