#!/usr/bin/env node
// Ingot runs its TypeScript sources directly (Node 24 strips the types), so there is no build step.
import { main } from '../src/cli/main.ts';

await main(process.argv.slice(2));
