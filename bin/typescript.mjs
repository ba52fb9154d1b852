// Lets Node.js 20 run the TypeScript sources with no build step: `node --import ./bin/typescript.mjs file.ts`, or an
// import of this file before the first import of a .ts file (the executable, each ensemble worker thread).
//
// Not tsx, which compiles with esbuild's keepNames: that wraps every function in a call that redefines its `name`
// each time a closure is created, and the engine's hot loops create closures — measured in alternated runs, it cost
// about 5% of a solve of the default world and about 6% of an ensemble draw. Without minification esbuild renames
// nothing, so names are kept all the same.
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./typescript-hooks.mjs', import.meta.url);
