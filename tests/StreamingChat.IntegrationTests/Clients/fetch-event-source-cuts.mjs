// Asks one question per cut with @microsoft/fetch-event-source, through a proxy that cuts each first connection after
// N bytes of the response's body (the X-Cut-After header), and lets the library resume by itself as a page would
// (Last-Event-ID on its retry). Prints one JSON line per question: the session, the connections opened, and the events
// the library handed the application, each with the connection it came on.
// Usage: node fetch-event-source-cuts.mjs PACKAGE_DIR BASE_URL CUTS_JSON
import { createRequire } from 'node:module';

const [, , packageDir, baseUrl, cutsJson] = process.argv;
const require = createRequire(import.meta.url);

// The library reads window.setTimeout/clearTimeout and the page's visibility; Node has neither.
globalThis.window = globalThis;
globalThis.document = { hidden: false, addEventListener() {}, removeEventListener() {} };
const { fetchEventSource } = require(`${packageDir}/lib/cjs/index.js`);

const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const giveUp = setTimeout(() => { print({ kind: 'timeout' }); process.exit(2); }, 240000);

for (const cut of JSON.parse(cutsJson)) {
  const created = await fetch(new URL('/api/chat/sessions', baseUrl), { method: 'POST' });
  const { sessionId, sessionKey } = await created.json();
  const events = [];
  let opens = 0;
  let ended = false;
  let retries = 0;
  const controller = new AbortController();
  await fetchEventSource(new URL('/api/chat/query/stream', baseUrl).toString(), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Session-Key': sessionKey, 'X-Cut-After': String(cut) },
    body: JSON.stringify({ query: 'Count', chatbotId: 'demo', sessionId }),
    openWhenHidden: true,
    signal: controller.signal,
    async onopen(response) {
      opens++;
      if (!response.ok) {
        throw new Error(`status ${response.status}`);
      }
    },
    onmessage(message) {
      events.push({ id: message.id, event: message.event, data: message.data, connection: opens });
      if (message.event === 'done' || message.event === 'error') {
        ended = true;
        controller.abort();
      }
    },
    onclose() {
      if (!ended) {
        throw new Error('closed before the answer ended');
      }
    },
    onerror(error) {
      if (++retries > 5) {
        throw error;
      }
      // returning lets the library retry after the server's retry interval, with Last-Event-ID
    },
  });
  print({ cut, sessionId, opens, events });
}

clearTimeout(giveUp);
