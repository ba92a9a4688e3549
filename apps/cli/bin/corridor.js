#!/usr/bin/env node
'use strict';
// Thin launcher: the compiled CLI lives in ../dist (built by `npm install` through the root `prepare` script).
require('../dist/main.js').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
