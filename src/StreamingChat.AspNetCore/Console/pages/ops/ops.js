import { store, getJson, el, formatNumber, formatPercent } from '../../assets/console.js';
import { lineChart } from '../../assets/charts.js';

const $ = id => document.getElementById(id);
const REFRESH_MS = 3000;
const SECONDS = 300;
const scopeSelect = $('scope');
const adminKey = $('admin-key');
const result = $('admin-result');
let feature = null;

// The admin key is kept for this tab only, and sent with the operator reads too (they may be behind it).
adminKey.value = sessionStorage.getItem('streamingchat.adminKey') ?? '';
adminKey.addEventListener('change', () => sessionStorage.setItem('streamingchat.adminKey', adminKey.value));
scopeSelect.value = store.get('scope', 'service');
scopeSelect.addEventListener('change', () => { store.set('scope', scopeSelect.value); refresh(); });

const readHeaders = () => adminKey.value ? { 'X-Admin-Key': adminKey.value } : {};
const text = (id, value) => { $(id).textContent = value; };

async function refresh() {
  const [summary, series, health, instances, flags, decision] = await Promise.all([
    getJson('/api/metrics/streaming/summary', readHeaders()),
    getJson(`/api/metrics/streaming/series?seconds=${SECONDS}&scope=${scopeSelect.value}`, readHeaders()),
    getJson('/api/metrics/health/streaming', readHeaders()),
    getJson('/api/metrics/instances', readHeaders()),
    getJson('/api/metrics/feature-flags', readHeaders()),
    getJson('/api/metrics/feature-flags/decision', readHeaders()),
  ].map(p => p.catch(() => ({ status: 0, ok: false, body: null }))));
  if ([summary, series, flags].some(r => r.status === 401)) {
    showResult('The operator reads need the admin key: enter it above.', true);
  }
  showSummary(summary.body);
  showSeries(series.body);
  showHealth(health.body);
  showInstances(instances.body);
  showRollout(flags.body, decision.ok ? decision.body : null);
  text('updated', `Updated ${new Date().toLocaleTimeString()}`);
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
}

function showSummary(s) {
  if (!s) return;
  text('sum-requests', formatNumber(s.requests));
  text('sum-success', formatPercent(s.successRate));
  text('sum-errors', formatPercent(s.errorRate));
  text('sum-latency', s.p50FirstTokenMs === null ? '–' : `${formatNumber(s.p50FirstTokenMs)} / ${formatNumber(s.p95FirstTokenMs)} ms`);
  text('sum-active', formatNumber(s.activeStreams));
  text('sum-tps', formatNumber(s.tokensPerSecond, 1));
}

function showSeries(points) {
  if (!Array.isArray(points)) return;
  const charts = $('charts');
  if (!charts.children.length) {
    for (const id of ['requests', 'rates', 'latency', 'active', 'tokens']) charts.append(el('figure', { class: 'chart', id: 'chart-' + id }));
  }
  const pick = name => points.map(p => p[name]);
  const rate = (p, part) => { const judged = p.succeeded + p.failed; return judged === 0 ? null : p[part] / judged; };
  text('series-total-requests', formatNumber(points.reduce((sum, p) => sum + p.requests, 0)));
  text('series-note', scopeSelect.value === 'service' ? '(every instance)' : '(this instance)');
  lineChart($('chart-requests'), 'Requests per interval', [{ name: 'requests', values: pick('requests') }, { name: 'failed', values: pick('failed') }]);
  lineChart($('chart-rates'), 'Success and error rate', [{ name: 'success', values: points.map(p => rate(p, 'succeeded')) }, { name: 'error', values: points.map(p => rate(p, 'failed')) }], { max: 1, format: formatPercent });
  lineChart($('chart-latency'), 'First token, ms', [{ name: 'p50', values: pick('p50FirstTokenMs') }, { name: 'p95', values: pick('p95FirstTokenMs') }], { format: v => v === null ? '–' : `${formatNumber(v)} ms` });
  lineChart($('chart-active'), 'Active streams', [{ name: 'active', values: pick('activeStreams') }]);
  lineChart($('chart-tokens'), 'Tokens per second', [{ name: 'tokens/s', values: points.map(p => p.tokens / 5) }], { format: v => formatNumber(v, 1) });
}

function showHealth(h) {
  if (!h) return;
  const badge = $('health-status');
  badge.textContent = h.status;
  badge.className = 'badge ' + h.status;
  $('health').replaceChildren(...Object.entries(h.checks ?? {}).map(([name, check]) =>
    el('tr', {}, el('th', { scope: 'row' }, name), el('td', { class: check.status }, check.status), el('td', {}, check.description ?? ''))));
}

function showInstances(list) {
  if (!Array.isArray(list)) return;
  $('instances').replaceChildren(...list.map(i =>
    el('tr', {}, el('th', { scope: 'row' }, i.instanceId), el('td', {}, formatNumber(i.activeStreams)),
      el('td', { class: i.draining ? 'draining' : 'healthy' }, i.draining ? 'draining' : 'serving'), el('td', {}, new Date(i.startedAt).toLocaleString()))));
}

function showRollout(flags, decision) {
  feature = flags?.features?.[0] ?? null;
  if (!feature) return;
  text('rollout-percentage', `${feature.percentage} %`);
  text('rollout-version', String(feature.version));
  text('rollout-updated', `${feature.updatedBy} · ${new Date(feature.updatedAt).toLocaleString()}${feature.reason ? ' · ' + feature.reason : ''}`);
  text('rollout-guard', feature.guard ? `${feature.guard.enabled ? 'on' : 'off'} · ${feature.guard.state ?? ''}` : '–');
  const schedule = feature.schedule;
  text('rollout-schedule', schedule ? `${schedule.state} · step ${schedule.stepIndex + 1} at ${schedule.percentage} %` : 'none');
  if (document.activeElement !== $('percentage') && $('percentage').value === '') $('percentage').value = feature.percentage;
  $('history').replaceChildren(...(feature.history ?? []).map(h => el('li', {}, `${h.percentage} % · ${h.by} · ${new Date(h.at).toLocaleString()}${h.reason ? ' · ' + h.reason : ''}`)));
  if (decision) {
    const cell = $('rollout-decision');
    cell.textContent = `${decision.decision} (${formatNumber(decision.sampleSize)} streams)`;
    cell.className = decision.decision;
    $('criteria').replaceChildren(...(decision.criteria ?? []).map(c =>
      el('tr', {}, el('th', { scope: 'row' }, c.name), el('td', {}, c.value === null ? '–' : formatNumber(c.value, 4)), el('td', {}, c.proceedIf), el('td', {}, c.rollbackIf),
        el('td', { class: c.met ? 'met' : 'unmet' }, c.met ? 'yes' : 'no'))));
  }
}

function showResult(message, isError) {
  result.textContent = message;
  result.className = isError ? 'error' : 'ok';
}

/** An admin call: the key as the API asks for it; what came back, said in words. */
async function admin(path, body) {
  if (!adminKey.value) {
    showResult('Enter the admin key first.', true);
    adminKey.focus();
    return;
  }
  let response;
  try {
    response = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Admin-Key': adminKey.value }, body: JSON.stringify(body) });
  } catch {
    showResult('The service could not be reached.', true);
    return;
  }
  if (response.ok) {
    showResult('Done.', false);
    $('percentage').value = '';
    await refresh();
    return;
  }
  const problem = await response.json().catch(() => ({}));
  const words = {
    401: 'Wrong admin key: nothing was changed.',
    403: 'Admin endpoints are disabled on this service (no admin key is configured).',
    409: problem.code === 'schedule_active' ? 'A schedule is running: pause or abort it first.' : (problem.detail ?? 'Refused.'),
    503: 'The rollout state cannot be written now (Redis away); nothing was changed.',
  };
  showResult(words[response.status] ?? `${problem.detail ?? problem.title ?? response.statusText} (${response.status})`, true);
}

$('admin').addEventListener('submit', event => {
  event.preventDefault();
  const percentage = Number($('percentage').value);
  admin('/api/metrics/feature-flags/rollout', { feature: feature?.feature ?? 'streaming', percentage, reason: $('reason').value || null });
});
$('kill').addEventListener('click', () => admin('/api/metrics/feature-flags/rollout', { feature: feature?.feature ?? 'streaming', percentage: 0, reason: $('reason').value || 'kill switch' }));
for (const button of document.querySelectorAll('[data-schedule]')) {
  button.addEventListener('click', () => admin(`/api/metrics/feature-flags/schedule/${button.dataset.schedule}`, { feature: feature?.feature ?? 'streaming' }));
}

await refresh();
setInterval(refresh, REFRESH_MS);
