#!/usr/bin/env node
// Runs the TypeScript sources directly (bin/typescript.mjs): no build step between a clone and a result.
import './v8-flags.mjs';
import './typescript.mjs';

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
