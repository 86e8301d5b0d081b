import type { BlockSummary } from '../../../node-core/src/api/methods.ts';

export interface BlockSeries {
  heights: number[];
  /** Seconds since the block before; the oldest block listed has no predecessor to compare with. */
  intervals: (number | null)[];
  txCounts: number[];
}

/** Chart data from blocks in any order, oldest first. */
export function blockSeries(blocks: readonly BlockSummary[]): BlockSeries {
  const ordered = [...blocks].sort((a, b) => a.header.height - b.header.height);
  return {
    heights: ordered.map((block) => block.header.height),
    intervals: ordered.map((block, i) => {
      const before = ordered[i - 1];
      return before !== undefined && before.header.height === block.header.height - 1 ? (block.header.time - before.header.time) / 1000 : null;
    }),
    txCounts: ordered.map((block) => block.txCount),
  };
}
