'use strict';
/**
 * Writer thread of the SQLite event store: owns the write connection and runs the group commits, so that a
 * commit's fsync never blocks the event loop. The SQL lives in sqlite-writer (loaded from workerData.modulePath);
 * this file only moves batches and outcomes between threads.
 */
const { parentPort, workerData } = require('node:worker_threads');

const { openLedgerDatabase, SqliteWriter } = require(workerData.modulePath);
const db = openLedgerDatabase(workerData.path, workerData.options);
const writer = new SqliteWriter(db);

parentPort.on('message', (msg) => {
  if (msg.close) {
    db.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  try {
    parentPort.postMessage({ id: msg.id, outcomes: writer.commit(msg.batch) });
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: e instanceof Error ? `${e.code ? `${e.code}: ` : ''}${e.message}` : String(e) });
  }
});
parentPort.postMessage({ ready: true });
