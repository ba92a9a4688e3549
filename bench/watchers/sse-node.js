'use strict';
// A stand-in node for bench/watchers: serves one corridor's pre-built chain (a JSON file: did, view, texts) as the
// watcher contract's SSE stream, honouring Last-Event-ID / ?after= and socket back-pressure. Prints its port.
const fs = require('node:fs');
const http = require('node:http');

const { did, vm, view, texts } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const corridor = `/corridors/${view.corridor_id}`;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/node') return res.end(JSON.stringify({ jurisdiction: 'ZZ', did, verification_method: vm }));
  if (url.pathname === corridor) return res.end(JSON.stringify(view));
  if (url.pathname === `${corridor}/stream`) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = Number(req.headers['last-event-id'] ?? url.searchParams.get('after') ?? -1) + 1;
    const pump = () => {
      while (i < texts.length) {
        const ok = res.write(`event: receipt\nid: ${i}\ndata: ${texts[i]}\n\n`);
        i += 1;
        if (!ok) return void res.once('drain', pump);
      }
    };
    pump();
    return;
  }
  res.writeHead(404).end('{}');
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
