// Runs the host's /api/chat/agui with @ag-ui/client@1.0.4's HttpAgent under Node 22, as a CopilotKit page would, for answers
// with more than text: runAgent applies and verifies every event (its verifier rejects any that break AG-UI's order). A
// question that pauses for an approval ends its run with an interrupt outcome; the next run answers it with `resume`; a
// run with no message of its own gets the thread's messages (MESSAGES_SNAPSHOT).
// Prints one JSON object.
// Usage: node ag-ui-rich-client.mjs NODE_MODULES URL ARGS_JSON   (ARGS {threadId, headers, forwardedProps, approve})
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [, , nodeModules, url, argsJson] = process.argv;
const args = JSON.parse(argsJson);
const require = createRequire(join(nodeModules, 'noop.js'));
const { HttpAgent } = require('@ag-ui/client');

const giveUp = setTimeout(() => { console.log(JSON.stringify({ timeout: true })); process.exit(2); }, 45000);
const agent = new HttpAgent({ url, headers: args.headers ?? {}, threadId: args.threadId });

async function run(parameters) {
  const events = [];
  let failure = null;
  let result = null;
  try {
    result = await agent.runAgent({ forwardedProps: args.forwardedProps ?? {}, ...parameters }, {
      onEvent: ({ event }) => { events.push(event); },
      onRunErrorEvent: ({ event }) => { failure = { message: event.message, code: event.code }; },
    });
  } catch (error) {
    failure = failure ?? { thrown: String(error && error.message || error) };
  }
  return { events, failure, newMessages: result ? result.newMessages : null };
}

const say = (text) => agent.addMessage({ id: 'u-' + Math.random().toString(36).slice(2), role: 'user', content: text });

say('What time is it?');
const time = await run({});
say('Open a ticket: the printer is jammed');
const paused = await run({});
const finished = paused.events.find((e) => e.type === 'RUN_FINISHED');
const interrupt = finished && finished.outcome && finished.outcome.type === 'interrupt' ? finished.outcome.interrupts[0] : null;
const resumed = interrupt
  ? await run({ resume: [{ interruptId: interrupt.id, status: args.approve === false ? 'cancelled' : 'resolved', payload: { approved: args.approve !== false } }] })
  : null;

// A page that opens the thread again, with no message of its own: the run gives the thread's messages as a snapshot.
const reopened = new HttpAgent({ url, headers: args.headers ?? {}, threadId: args.threadId });
const snapshotEvents = [];
let snapshotFailure = null;
try {
  await reopened.runAgent({ forwardedProps: args.forwardedProps ?? {} }, { onEvent: ({ event }) => { snapshotEvents.push(event); } });
} catch (error) {
  snapshotFailure = String(error && error.message || error);
}

clearTimeout(giveUp);
console.log(JSON.stringify({ time, paused, interrupt, resumed, messages: agent.messages, snapshot: { events: snapshotEvents, failure: snapshotFailure, messages: reopened.messages } }));
