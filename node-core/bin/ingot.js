#!/usr/bin/env -S node --max-semi-space-size=32
// The flags on the first line are NODE_PROCESS_FLAGS (node-core/src/host/node-process-flags.ts).
// Ingot runs its TypeScript sources directly (Node 24 strips the types), so there is no build step.
import { main } from '../src/cli/main.ts';

await main(process.argv.slice(2));
