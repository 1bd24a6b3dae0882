// Talks to the host's /api/chat/ui with the Vercel AI SDK (ai@6) under Node, as useChat does in a page:
// DefaultChatTransport sends and reconnects, readUIMessageStream builds the assistant message, and every chunk is also
// checked with the SDK's own uiMessageChunkSchema through parseJsonEventStream. Prints one JSON object.
// Usage: node ai-sdk-client.mjs NODE_MODULES API_URL MODE ARGS_JSON
//   MODE ask         ARGS {chatId, text, headers, body}
//        disconnect  ARGS {chatId, text, headers, body, afterDeltas}: drops the connection, then reconnectToStream
//        reconnect   ARGS {chatId, headers}
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [, , nodeModules, api, mode, argsJson] = process.argv;
const args = JSON.parse(argsJson);
const require = createRequire(join(nodeModules, 'noop.js'));
const { DefaultChatTransport, readUIMessageStream, parseJsonEventStream, uiMessageChunkSchema } = require('ai');

const giveUp = setTimeout(() => { console.log(JSON.stringify({ timeout: true })); process.exit(2); }, 30000);
const chunks = [];
const schemaFailures = [];
const checks = [];

// A fetch that hands the transport the body and checks a copy of it against the SDK's chunk schema.
const checkingFetch = async (url, init) => {
  const response = await fetch(url, init);
  if (!response.body) {
    return response;
  }
  const [forTransport, forCheck] = response.body.tee();
  checks.push((async () => {
    const reader = parseJsonEventStream({ stream: forCheck, schema: uiMessageChunkSchema }).getReader();
    for (;;) {
      const { done, value } = await reader.read().catch((error) => ({ done: true, error }));
      if (done) break;
      if (value.success) chunks.push(value.value); else schemaFailures.push(String(value.error));
    }
  })());
  return new Response(forTransport, { status: response.status, headers: response.headers });
};

const transport = new DefaultChatTransport({ api, headers: args.headers ?? {}, body: args.body ?? {}, fetch: checkingFetch });

async function read(stream, stopAfterDeltas, abort) {
  let message;
  let deltas = 0;
  const errors = [];
  const counted = stream.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      if (chunk.type === 'text-delta' && ++deltas === stopAfterDeltas) abort();
    },
  }));
  try {
    for await (const snapshot of readUIMessageStream({ stream: counted, onError: (e) => errors.push(String(e && e.message || e)) })) {
      message = snapshot;
    }
  } catch (error) {
    errors.push('stream: ' + String(error && error.message || error));
  }
  return { message, errors, deltas };
}

const userMessage = { id: 'u-' + Date.now(), role: 'user', parts: [{ type: 'text', text: args.text ?? '' }] };
let result;
if (mode === 'ask') {
  const controller = new AbortController();
  const stream = await transport.sendMessages({ chatId: args.chatId, messages: [userMessage], trigger: 'submit-message', messageId: undefined, abortSignal: controller.signal });
  result = await read(stream);
} else if (mode === 'disconnect') {
  const controller = new AbortController();
  const stream = await transport.sendMessages({ chatId: args.chatId, messages: [userMessage], trigger: 'submit-message', messageId: undefined, abortSignal: controller.signal });
  const first = await read(stream, args.afterDeltas, () => controller.abort());
  const again = await transport.reconnectToStream({ chatId: args.chatId });
  result = { first, resumed: again ? await read(again) : null };
} else if (mode === 'reconnect') {
  const again = await transport.reconnectToStream({ chatId: args.chatId });
  result = { resumed: again ? await read(again) : null };
}

await Promise.all(checks);
clearTimeout(giveUp);
console.log(JSON.stringify({ ...result, chunks, schemaFailures }));
