// Shared by the console's pages: the caller's credentials, JSON calls, and an event-stream reader over fetch.
// Written here (no package, nothing downloaded at run time): the page needs POST with headers, which EventSource cannot send.

export const store = {
  get(name, fallback = '') { try { return localStorage.getItem('streamingchat.' + name) ?? fallback; } catch { return fallback; } },
  set(name, value) { try { value === null || value === '' ? localStorage.removeItem('streamingchat.' + name) : localStorage.setItem('streamingchat.' + name, value); } catch { /* private mode */ } },
};

/** Headers every call of the chat page sends: the session's key and the bearer token when the page has them. */
export function chatHeaders(sessionId, extra = {}) {
  const headers = { ...extra };
  const key = store.get('key.' + sessionId);
  if (key) headers['X-Session-Key'] = key;
  const token = store.get('token');
  if (token) headers['Authorization'] = 'Bearer ' + token;
  return headers;
}

/** Keeps the session key an answer hands back, as the API asks a page to. */
export function keepSessionKey(sessionId, response) {
  const key = response.headers.get('X-Session-Key');
  if (key) store.set('key.' + sessionId, key);
}

export async function getJson(url, headers = {}) {
  const response = await fetch(url, { headers: { Accept: 'application/json', ...headers } });
  const body = response.headers.get('Content-Type')?.includes('json') ? await response.json() : null;
  return { status: response.status, ok: response.ok, body };
}

/**
 * Reads an event stream: calls onEvent({id, event, data}) for each event as it arrives; resolves when the stream ends.
 * Comments (heartbeats) and retry hints are skipped.
 */
export async function readEvents(response, onEvent, signal) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let current = { id: null, event: 'message', data: [] };
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffer.search(/\r\n|\n|\r/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (current.data.length) onEvent({ id: current.id, event: current.event, data: current.data.join('\n') });
          current = { id: null, event: 'message', data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') current.data.push(text);
        else if (field === 'event') current.event = text;
        else if (field === 'id') current.id = text;
      }
      if (signal?.aborted) break;
    }
  } finally {
    reader.releaseLock();
  }
}

export function formatNumber(value, digits = 0) {
  return value === null || value === undefined || Number.isNaN(value) ? '–' : Number(value).toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function formatPercent(value) {
  return value === null || value === undefined ? '–' : (value * 100).toLocaleString('en', { maximumFractionDigits: 2 }) + ' %';
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value; else if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}
