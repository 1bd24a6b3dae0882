// Runs the host's /api/chat/agui with @ag-ui/client's HttpAgent under Node, as a CopilotKit page would: runAgent applies
// and verifies every event (its verifier rejects any that break AG-UI's order). Prints one JSON object.
// Usage: node ag-ui-client.mjs NODE_MODULES URL ARGS_JSON   (ARGS {threadId, text, headers, forwardedProps})
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [, , nodeModules, url, argsJson] = process.argv;
const args = JSON.parse(argsJson);
const require = createRequire(join(nodeModules, 'noop.js'));
const { HttpAgent } = require('@ag-ui/client');

const giveUp = setTimeout(() => { console.log(JSON.stringify({ timeout: true })); process.exit(2); }, 30000);
const agent = new HttpAgent({ url, headers: args.headers ?? {}, threadId: args.threadId, initialMessages: [{ id: 'u-' + Date.now(), role: 'user', content: args.text }] });
const events = [];
let failure = null;
let result = null;
try {
  result = await agent.runAgent({ forwardedProps: args.forwardedProps ?? {} }, {
    onEvent: ({ event }) => { events.push(event); },
    onRunErrorEvent: ({ event }) => { failure = { message: event.message, code: event.code }; },
  });
} catch (error) {
  failure = failure ?? { thrown: String(error && error.message || error) };
}

clearTimeout(giveUp);
console.log(JSON.stringify({ events, failure, newMessages: result ? result.newMessages : null }));
