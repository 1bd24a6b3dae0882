import { store, chatHeaders, keepSessionKey, getJson, readEvents, el, formatNumber } from '../../assets/console.js';
import { reasoningOf, toolOf, showResult, showSource } from './parts.js';
import { addThumbs } from './thumbs.js';

const $ = id => document.getElementById(id);
const historyView = $('history');
const form = $('ask');
const question = $('question');
const sendButton = $('send');
const stopButton = $('stop');
const statusLine = $('status');
const chatbotSelect = $('chatbot');
const sessionInput = $('session');
const tokenInput = $('token');
const ttsBox = $('tts');

/** The answer this page is reading now, if any. */
let running = null;
const audioQueue = [];
let audioPlaying = false;

function currentSession() {
  let id = store.get('session');
  if (!id) {
    id = crypto.randomUUID();
    store.set('session', id);
  }
  return id;
}

function say(text) { statusLine.textContent = text; }

function addTurn(role, text, { status, messageId } = {}) {
  const body = el('span', { class: 'text' }, text);
  const meta = el('span', { class: 'meta' });
  // Reasoning (folded), tool calls with their input and output, approvals and sources go here, above the answer's text.
  const extras = el('div', { class: 'extras' });
  const node = el('article', { class: `turn ${role}${status && status !== 'complete' ? ' ' + status : ''}`, 'data-message-id': messageId ?? null, 'data-status': status ?? null },
    el('span', { class: 'who' }, role === 'user' ? 'You' : 'Answer'), extras, body, meta);
  if (status && status !== 'complete' && role === 'assistant') meta.textContent = status;
  historyView.append(node);
  node.scrollIntoView({ block: 'end' });
  return { node, body, meta, extras, tools: new Map(), reasoning: null };
}

/** Approve and Deny for a call that waits; either one answers the approval and reads the continuation as the next answer. */
function showApproval(bubble, sessionId, messageId, { approvalId, toolCallId, toolName, input }) {
  const tool = toolOf(bubble, toolCallId, toolName, input);
  tool.node.open = true;
  tool.summary.textContent = `Tool ${toolName}: waits for your approval`;
  const decide = approved => async () => {
    buttons.remove();
    await answerApproval(sessionId, messageId, approvalId, approved);
  };
  const buttons = el('span', { class: 'approval' },
    el('button', { type: 'button', class: 'approve' }, 'Approve'),
    el('button', { type: 'button', class: 'deny' }, 'Deny'));
  buttons.children[0].addEventListener('click', decide(true));
  buttons.children[1].addEventListener('click', decide(false));
  tool.node.append(buttons);
}

/** Reads a new answer's stream into its bubble, or shows the refusal (problem details) there. */
async function readAnswer(bubble, sessionId, response) {
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    bubble.node.classList.add('failed');
    bubble.meta.textContent = `${problem.detail ?? problem.title ?? response.statusText} (${problem.code ?? response.status})`;
    say('');
    return;
  }
  await consume({ bubble, sessionId, location: response.headers.get('Location'), lastId: -1, ended: false }, response);
}

async function answerApproval(sessionId, messageId, approvalId, approved) {
  const bubble = addTurn('assistant', '');
  say(approved ? 'Approved; continuing…' : 'Denied; continuing…');
  const response = await fetch(`/api/chat/answers/${encodeURIComponent(messageId)}/approvals/${encodeURIComponent(approvalId)}`, {
    method: 'POST',
    headers: chatHeaders(sessionId, { 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
    body: JSON.stringify({ approved }),
  });
  await readAnswer(bubble, sessionId, response);
}

/** A stored answer's parts, as the live events would have drawn them. */
function showParts(bubble, sessionId, messageId, parts) {
  for (const part of parts ?? []) {
    if (part.type === 'reasoning') reasoningOf(bubble).textContent += part.text;
    else if (part.type === 'source') showSource(bubble, part);
    else if (part.type === 'tool') {
      toolOf(bubble, part.toolCallId, part.toolName, part.input);
      if (part.state === 'approval-requested') showApproval(bubble, sessionId, messageId, part);
      else if (part.state === 'output-available' || part.state === 'output-error') showResult(bubble, part);
    }
  }
}

function setRunning(on) {
  sendButton.disabled = on;
  stopButton.disabled = !on;
  if (!on) store.set('running', null);
}

function playNext() {
  if (audioPlaying || audioQueue.length === 0) return;
  audioPlaying = true;
  const audio = new Audio(audioQueue.shift());
  const next = () => { audioPlaying = false; playNext(); };
  audio.addEventListener('ended', next);
  audio.addEventListener('error', next);
  audio.play().catch(next);
}

function onEvent(answer, e) {
  if (e.id !== null) answer.lastId = Number(e.id);
  const data = JSON.parse(e.data);
  switch (e.event) {
    case 'start':
      answer.messageId = data.messageId;
      answer.bubble.node.dataset.messageId = data.messageId;
      store.set('running', JSON.stringify({ messageId: data.messageId, sessionId: answer.sessionId }));
      break;
    case 'token':
      answer.bubble.body.textContent += data.text;
      break;
    case 'reasoning':
      reasoningOf(answer.bubble).textContent += data.text;
      break;
    case 'tool-call':
      toolOf(answer.bubble, data.toolCallId, data.toolName, data.input).summary.textContent = `Tool ${data.toolName}: running`;
      break;
    case 'tool-result':
      showResult(answer.bubble, data);
      break;
    case 'approval-request':
      showApproval(answer.bubble, answer.sessionId, answer.messageId, data);
      break;
    case 'source':
      showSource(answer.bubble, data);
      break;
    case 'audio':
      if (ttsBox.checked && data.data) {
        audioQueue.push(`data:audio/${data.format};base64,${data.data}`);
        playNext();
      }
      break;
    case 'done': {
      answer.ended = true;
      const stopped = data.finishReason === 'stopped';
      if (data.finishReason === 'approval_required') say('Waiting for your approval.');
      answer.bubble.node.dataset.status = stopped ? 'stopped' : 'complete';
      if (stopped) answer.bubble.node.classList.add('stopped');
      const parts = [stopped ? 'Stopped' : null,
        data.firstTokenMs !== null && data.firstTokenMs !== undefined ? `first token ${formatNumber(data.firstTokenMs)} ms` : null,
        data.usage?.outputTokens !== null && data.usage?.outputTokens !== undefined
          ? `${data.usage?.inputTokens ? formatNumber(data.usage.inputTokens) + ' tokens in, ' : ''}${formatNumber(data.usage.outputTokens)} out` : null,
        data.totalMs ? `${formatNumber(data.totalMs)} ms in all` : null];
      answer.bubble.meta.textContent = parts.filter(Boolean).join(' · ');
      if (data.finishReason !== 'approval_required') say(stopped ? 'Stopped.' : 'Answered.');
      addThumbs(answer.bubble, answer.sessionId, answer.messageId, null, say);
      break;
    }
    case 'error':
      answer.ended = true;
      answer.bubble.node.dataset.status = 'failed';
      answer.bubble.node.classList.add('failed');
      answer.bubble.meta.textContent = `${data.message} (${data.code})`;
      say('The answer failed.');
      break;
  }
}

/** Reads the answer to its end; a connection that drops is resumed from the last event this page has. */
async function consume(answer, response) {
  running = answer;
  setRunning(true);
  for (let attempt = 0; ; attempt++) {
    if (response?.ok && response.status === 200) {
      try {
        await readEvents(response, e => onEvent(answer, e));
      } catch {
        // dropped: resumed below
      }
    }
    if (answer.ended || response?.status === 204 || attempt >= 6 || !answer.messageId) break;
    say('Connection lost; resuming…');
    await new Promise(resolve => setTimeout(resolve, Math.min(4000, 300 * 2 ** attempt)));
    try {
      response = await fetch(answer.location ?? `/api/chat/answers/${encodeURIComponent(answer.messageId)}/stream`,
        { headers: chatHeaders(answer.sessionId, { Accept: 'text/event-stream', 'Last-Event-ID': String(answer.lastId) }) });
    } catch {
      response = null;
    }
  }
  if (!answer.ended) say('The answer could not be read to its end; reload to try again.');
  running = null;
  setRunning(false);
}

async function ask(query) {
  const sessionId = currentSession();
  addTurn('user', query);
  const bubble = addTurn('assistant', '');
  say('Answering…');
  let response;
  try {
    response = await fetch('/api/chat/query/stream', {
      method: 'POST',
      headers: chatHeaders(sessionId, { 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
      body: JSON.stringify({ query, chatbotId: chatbotSelect.value, sessionId, enableTTS: ttsBox.checked }),
    });
  } catch {
    bubble.meta.textContent = 'The service could not be reached.';
    say('');
    return;
  }
  keepSessionKey(sessionId, response);
  await readAnswer(bubble, sessionId, response);
}

/** The session's stored turns, then the answer still running (from its start), so a reload shows each answer once. */
async function loadSession() {
  historyView.replaceChildren();
  const sessionId = currentSession();
  const { status, body } = await getJson(`/api/chat/sessions/${encodeURIComponent(sessionId)}`, chatHeaders(sessionId));
  if (status !== 200) return;
  if (body.chatbotId && [...chatbotSelect.options].some(o => o.value === body.chatbotId)) chatbotSelect.value = body.chatbotId;
  for (const turn of body.messages) {
    if (turn.messageId === body.activeMessageId) continue;
    const bubble = addTurn(turn.role, turn.content, { status: turn.status, messageId: turn.messageId });
    if (turn.role === 'assistant') {
      showParts(bubble, sessionId, turn.messageId, turn.parts?.filter(p => p.type !== 'text'));
      if (turn.status === 'complete' || turn.status === 'stopped') addThumbs(bubble, sessionId, turn.messageId, turn.feedback?.rating ?? null, say);
    }
  }
  if (body.activeMessageId) {
    say('Resuming the running answer…');
    const bubble = addTurn('assistant', '', { messageId: body.activeMessageId });
    const answer = { bubble, sessionId, messageId: body.activeMessageId, lastId: -1, ended: false };
    const response = await fetch(`/api/chat/answers/${encodeURIComponent(body.activeMessageId)}/stream`, { headers: chatHeaders(sessionId, { Accept: 'text/event-stream' }) });
    consume(answer, response); // read on while the page is used
  }
}

async function loadChatbots() {
  const { ok, body } = await getJson('chatbots.json');
  const chatbots = ok && Array.isArray(body) && body.length ? body : [{ id: 'demo', name: 'demo' }];
  chatbotSelect.replaceChildren(...chatbots.map(c => el('option', { value: c.id }, c.name && c.name !== c.id ? `${c.name} (${c.id})` : c.id)));
  const kept = store.get('chatbot');
  if (chatbots.some(c => c.id === kept)) chatbotSelect.value = kept;
}

form.addEventListener('submit', async event => {
  event.preventDefault();
  const query = question.value.trim();
  if (!query || running) return;
  question.value = '';
  await ask(query);
  question.focus();
});
question.addEventListener('keydown', event => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});
stopButton.addEventListener('click', async () => {
  const answer = running;
  if (!answer?.messageId) return;
  stopButton.disabled = true;
  say('Stopping…');
  const response = await fetch(`/api/chat/answers/${encodeURIComponent(answer.messageId)}/stop`, { method: 'POST', headers: chatHeaders(answer.sessionId) });
  if (!response.ok) say('The answer could not be stopped.');
});
chatbotSelect.addEventListener('change', () => store.set('chatbot', chatbotSelect.value));
sessionInput.addEventListener('change', () => { store.set('session', sessionInput.value.trim()); loadSession(); });
$('new-session').addEventListener('click', () => {
  store.set('session', crypto.randomUUID());
  sessionInput.value = currentSession();
  historyView.replaceChildren();
  say('A new session.');
  question.focus();
});
tokenInput.value = store.get('token');
tokenInput.addEventListener('change', () => store.set('token', tokenInput.value.trim()));
ttsBox.checked = store.get('tts') === '1';
ttsBox.addEventListener('change', () => store.set('tts', ttsBox.checked ? '1' : null));

const tokenFromUrl = new URLSearchParams(location.hash.slice(1)).get('token');
if (tokenFromUrl) {
  store.set('token', tokenFromUrl); // a page given a token (#token=…) keeps it, and the address bar forgets it
  tokenInput.value = tokenFromUrl;
  history.replaceState(null, '', location.pathname + location.search);
}

sessionInput.value = currentSession();
await loadChatbots();
await loadSession();
document.body.dataset.ready = '1';
