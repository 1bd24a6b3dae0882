// Talks to the host's /api/chat/ui with the Vercel AI SDK ai@7 under Node 22, as useChat does in a page, for answers with
// more than text: every chunk is checked with the SDK's own uiMessageChunkSchema, readUIMessageStream builds the message,
// an approval is answered as addToolApprovalResponse answers it (the messages posted back with the tool part
// approval-responded), and the session's stored turns, rendered as UIMessages, go through validateUIMessages.
// Prints one JSON object.
// Usage: node ai7-rich-client.mjs NODE_MODULES BASE_URL ARGS_JSON   (ARGS {chatId, headers, body})
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [, , nodeModules, base, argsJson] = process.argv;
const args = JSON.parse(argsJson);
const require = createRequire(join(nodeModules, 'noop.js'));
const { DefaultChatTransport, readUIMessageStream, parseJsonEventStream, uiMessageChunkSchema, validateUIMessages } = require('ai');

const giveUp = setTimeout(() => { console.log(JSON.stringify({ timeout: true })); process.exit(2); }, 45000);
const schemaFailures = [];
const chunkTypes = [];
const checks = [];
const headers = args.headers ?? {};

const checkingFetch = async (url, init) => {
  const response = await fetch(url, init);
  if (!response.body) return response;
  const [forTransport, forCheck] = response.body.tee();
  checks.push((async () => {
    const reader = parseJsonEventStream({ stream: forCheck, schema: uiMessageChunkSchema }).getReader();
    for (;;) {
      const { done, value } = await reader.read().catch((error) => ({ done: true, error }));
      if (done) break;
      if (value.success) chunkTypes.push(value.value.type); else schemaFailures.push(String(value.error));
    }
  })());
  return new Response(forTransport, { status: response.status, headers: response.headers });
};

const transport = new DefaultChatTransport({ api: base + '/api/chat/ui', headers, body: args.body ?? {}, fetch: checkingFetch });

async function read(stream, message, stopAfter, abort) {
  let last;
  const errors = [];
  const watched = stream.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      if (stopAfter && chunk.type === stopAfter) abort();
    },
  }));
  try {
    for await (const snapshot of readUIMessageStream({ stream: watched, message, onError: (e) => errors.push(String(e && e.message || e)) })) {
      last = snapshot;
    }
  } catch (error) {
    errors.push('stream: ' + String(error && error.message || error));
  }
  return { message: last, errors };
}

const user = (text) => ({ id: 'u-' + Math.random().toString(36).slice(2), role: 'user', parts: [{ type: 'text', text }] });
const send = (messages, abortSignal) => transport.sendMessages({ chatId: args.chatId, messages, trigger: 'submit-message', messageId: undefined, abortSignal });

// 1. A tool, reasoning and a source, read straight through.
const timeQuestion = user('What time is it?');
const straight = await read(await send([timeQuestion]));

// 2. The same kind of answer, the connection dropped right after the tool's output, then resumed as useChat does on load.
const cut = new AbortController();
const secondQuestion = user('What time is it now?');
const dropped = await read(await send([straight.message ? timeQuestion : timeQuestion, straight.message, secondQuestion].filter(Boolean), cut.signal), undefined, 'tool-output-available', () => cut.abort());
const again = await transport.reconnectToStream({ chatId: args.chatId });
const resumed = again ? await read(again) : null;

// 3. A ticket: the answer pauses for approval; approved as addToolApprovalResponse does, the continuation runs the tool.
const ticketQuestion = user('Open a ticket: the printer is jammed');
const history = [timeQuestion, straight.message, secondQuestion, resumed && resumed.message, ticketQuestion].filter(Boolean);
const paused = await read(await send(history));
const approvalPart = paused.message && paused.message.parts.find((p) => p.state === 'approval-requested');
let continued = null;
if (approvalPart) {
  const answered = {
    ...paused.message,
    parts: paused.message.parts.map((p) => p === approvalPart ? { ...p, state: 'approval-responded', approval: { ...p.approval, approved: true, reason: 'yes' } } : p),
  };
  continued = await read(await send([...history, answered]), structuredClone(answered));
}

// 4. The session as stored, each turn rendered as a UIMessage, validated by the SDK.
const session = await (await fetch(base + '/api/chat/sessions/' + args.chatId, { headers })).json();
const toPart = (part) => {
  switch (part.type) {
    case 'text': return { type: 'text', text: part.text, state: 'done' };
    case 'reasoning': return { type: 'reasoning', text: part.text, state: 'done' };
    case 'source': return { type: 'source-url', sourceId: part.sourceId, url: part.url, ...(part.title ? { title: part.title } : {}) };
    case 'tool': {
      const tool = { type: 'tool-' + part.toolName, toolCallId: part.toolCallId, state: part.state, input: part.input ?? {} };
      if (part.approvalId) tool.approval = part.state === 'approval-requested' ? { id: part.approvalId } : { id: part.approvalId, approved: part.approved ?? true };
      if (part.state === 'output-available') tool.output = part.output;
      if (part.state === 'output-error') tool.errorText = part.error;
      return tool;
    }
    default: return { type: 'data-unknown', data: part };
  }
};
const rendered = session.messages.map((m) => ({
  id: m.messageId,
  role: m.role,
  parts: m.role === 'user' ? [{ type: 'text', text: m.content }] : (m.parts ?? []).map(toPart),
})).filter((m) => m.parts.length > 0);
let validation = 'ok';
try {
  await validateUIMessages({ messages: rendered });
} catch (error) {
  validation = String(error && error.message || error);
}

await Promise.all(checks);
clearTimeout(giveUp);
console.log(JSON.stringify({ straight, dropped, resumed, paused, continued, chunkTypes, schemaFailures, rendered, validation }));
