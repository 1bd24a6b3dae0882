// The load harness's plain Node relay: the deployment guide's stack (Express + fetch), relaying the model's tokens as
// the product's events (start, token..., done), one write per token. No stores, no rollout, no metrics.
//
//   node relay.mjs --port 5100 --upstream http://127.0.0.1:5200/v1
import express from 'express';

const arg = (name) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : undefined; };
const port = Number(arg('port'));
const completions = `${arg('upstream').replace(/\/$/, '')}/chat/completions`;

const app = express();
app.use(express.json({ limit: '64kb' }));
app.get('/healthz/ready', (_req, res) => res.send('ok'));
app.post('/api/chat/query/stream', async (req, res) => {
  const aborted = new AbortController();
  res.on('close', () => aborted.abort());
  // The stream opens (start) before the model answers, as the product's does.
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let id = 0;
  const send = (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\nid: ${id++}\n\n`);
  send('start', { model: 'fake-model' });
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    const upstream = await fetch(completions, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-model', stream: true, messages: [{ role: 'user', content: req.body.query }] }),
      signal: aborted.signal,
    });
    for await (const chunk of upstream.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of block.split('\n')) {
          if (!line.startsWith('data: ')) continue;
          const data = line.slice(6);
          if (data === '[DONE]') continue;
          const text = JSON.parse(data).choices?.[0]?.delta?.content;
          if (text) send('token', { text });
        }
      }
    }
    send('done', { finishReason: 'stop' });
  } catch {
    // The caller left, or the upstream did.
  }
  res.end();
});

app.listen(port, '127.0.0.1');
