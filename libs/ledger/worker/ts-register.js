'use strict';
/**
 * Development loader: lets a plain Node process (a signing worker thread, a test's child process) run the
 * TypeScript sources of this repository directly, the way jest does — `@corridor/<lib>` resolves to
 * `libs/<lib>/src`, and `.ts` files are compiled on load with SWC. Only used when the ledger itself runs from
 * its sources; a built ledger loads the built protocol and never touches this file.
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const swc = require('@swc/core');

const libsDir = path.resolve(__dirname, '..', '..');
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolveCorridorSources(request, parent, isMain, options) {
  const m = /^@corridor\/([a-z-]+)$/.exec(request);
  if (m) {
    const candidate = path.join(libsDir, m[1], 'src', 'index.ts');
    if (fs.existsSync(candidate)) return candidate;
  }
  return originalResolve.call(this, request, parent, isMain, options);
};

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = swc.transformSync(source, {
    filename,
    sourceMaps: 'inline',
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
