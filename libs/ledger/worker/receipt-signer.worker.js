'use strict';
/**
 * Signing worker: receives sealed receipts, returns their proofs and the canonical text of the signed
 * receipts. Everything protocol-specific comes from @corridor/protocol (addProof, canonicalize); this file only
 * moves data between threads.
 */
const { parentPort, workerData } = require('node:worker_threads');

const protocol = require(workerData.protocolEntry);
const key = protocol.keyPairFromJwk(workerData.jwk);
const verificationMethod = workerData.verificationMethod;

parentPort.on('message', (msg) => {
  try {
    const results = new Array(msg.receipts.length);
    for (let i = 0; i < msg.receipts.length; i++) {
      const signed = protocol.addProof(msg.receipts[i], key, { created: msg.created[i], verificationMethod });
      results[i] = { proof: signed.proof, text: protocol.canonicalize(signed) };
    }
    parentPort.postMessage({ id: msg.id, results });
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
