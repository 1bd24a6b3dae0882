// Asks the host one question with @microsoft/fetch-event-source, the SSE client many chat pages use, run under Node
// as a page would run it, and prints what the library hands the application: one JSON line per message.
// Usage: node fetch-event-source-client.mjs PACKAGE_DIR URL BODY [HEADERS_JSON] [retry]
// With "retry", it reconnects as a page should when the connection drops before the answer ended: onclose throws, and
// onerror lets the library retry (it sends Last-Event-ID); otherwise any error ends it.
import { createRequire } from 'node:module';

const [, , packageDir, url, body, headersJson, mode] = process.argv;
const retry = mode === 'retry';
let ended = false;
let retries = 0;
const require = createRequire(import.meta.url);

// The library reads window.setTimeout/clearTimeout and the page's visibility; Node has neither.
globalThis.window = globalThis;
globalThis.document = { hidden: false, addEventListener() {}, removeEventListener() {} };
const { fetchEventSource } = require(`${packageDir}/lib/cjs/index.js`);

const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const controller = new AbortController();
const giveUp = setTimeout(() => { print({ kind: 'timeout' }); controller.abort(); process.exit(2); }, 30000);

await fetchEventSource(url, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...JSON.parse(headersJson || '{}') },
  body,
  openWhenHidden: true,
  signal: controller.signal,
  async onopen(response) {
    print({ kind: 'open', status: response.status, sessionKey: response.headers.get('x-session-key') });
    if (!response.ok) {
      throw new Error(`status ${response.status}`);
    }
  },
  onmessage(message) {
    print({ kind: 'message', id: message.id, event: message.event, data: message.data });
    if (message.event === 'done' || message.event === 'error') {
      ended = true;
      controller.abort();
    }
  },
  onclose() {
    if (retry && !ended) {
      throw new Error('closed before the answer ended');
    }
  },
  onerror(error) {
    if (!retry || ++retries > 5) {
      throw error;
    }
    print({ kind: 'retry', reason: String(error && error.message) });
    // returning lets the library retry after the server's retry interval, with Last-Event-ID
  },
});

clearTimeout(giveUp);
