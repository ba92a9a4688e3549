'use strict';
/**
 * Development loader: lets a plain Node process (a signing worker thread, a test's child process) run the
 * TypeScript sources of this repository directly, the way jest does — `@corridor/<lib>` resolves to
 * `libs/<lib>/src`, and `.ts` files are compiled on load with SWC. Only used when the ledger itself runs from
 * its sources; a built ledger loads the built protocol and never touches this file.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Module = require('node:module');
const swc = require('@swc/core');

// Compiled output is cached on disk by content, so processes and threads that load the same sources (a test's
// child processes, each worker thread) compile them once.
const cacheDir = path.join(os.tmpdir(), 'corridor-ts-cache');

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

function compile(source, filename) {
  const key = crypto.createHash('sha256').update(swc.version).update('\0').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  const { code } = swc.transformSync(source, {
    filename,
    sourceMaps: 'inline',
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}.${Math.random().toString(16).slice(2)}`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, cached);
  } catch {
    // a cache that cannot be written only costs time
  }
  return code;
}

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  module._compile(compile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
