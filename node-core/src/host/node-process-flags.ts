/**
 * V8 flags for every process that runs a node: the `ingot` command (its first line), the desktop
 * app's node process, and the processes tests and benchmarks start.
 *
 * V8 sizes the young generation from the machine's memory: 64 MB semi-spaces on a 24 GB
 * workstation. A node allocates steadily in short-lived pieces (decoded messages, encodings,
 * promises), and 32 MB kept its pauses shorter: with four validators on two cores at 2,100 tx/s,
 * p99 finality 0.77-0.94 s and the longest gap between blocks 0.54-0.57 s, against 1.0-1.5 s and
 * 0.64-0.90 s with V8's sizing, and peak memory per node about 480 MB instead of 590 MB.
 */
export const NODE_PROCESS_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
