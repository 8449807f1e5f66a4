// The OGRT dashboard: live metrics tables and the built-in queries, on top of
// the JSON API (docs/api.md). No build step, no framework. Values from user
// processes only ever reach the page through dom.js (text nodes).
import { h, replace, table, fmtInt, fmtRate, fmtMs, fmtBytes, fmtTime } from './dom.js';

const params = new URLSearchParams(location.search);
// ?refresh=500 refreshes the metrics twice a second (default every 2 s).
const REFRESH_MS = Math.max(200, Number(params.get('refresh')) || 2000);
const TOKEN_KEY = 'ogrt-dashboard-token';

const $ = (id) => document.getElementById(id);

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path) {
  const headers = { accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers });
  let body;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    // An answer to a request sent with a token since replaced says nothing about the new one.
    if (res.status === 401 && sessionStorage.getItem(TOKEN_KEY) === token) showLogin();
    throw new HttpError(res.status, body?.error?.code ?? 'HTTP', body?.error?.message ?? `HTTP ${res.status}`);
  }
  return body;
}

// --- authentication (token mode) -------------------------------------------

function showLogin() {
  $('login').hidden = false;
}

$('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const token = $('token').value.trim();
  if (token === '') return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  $('login').hidden = true;
  void loadInfo();
  void refreshMetrics();
});

// --- metrics ----------------------------------------------------------------

const rateColumns = [
  { title: 'Rate 1m', class: 'num', value: (c) => fmtRate(c.rate['1m']) },
  { title: 'Rate 5m', class: 'num', value: (c) => fmtRate(c.rate['5m']) },
  { title: 'Rate 15m', class: 'num', value: (c) => fmtRate(c.rate['15m']) },
];

const inputColumns = [
  { title: 'Input', value: (c) => c.id },
  { title: 'Type', value: (c) => c.type },
  { title: 'Processed', class: 'num processed', value: (c) => fmtInt(c.processed) },
  ...rateColumns,
  { title: 'Bytes', class: 'num', value: (c) => fmtBytes(c.processed_bytes) },
  { title: 'Discarded', class: 'num', value: (c) => fmtInt(c.discarded) },
  { title: 'Errors', class: 'num', value: (c) => fmtInt(c.errors) },
];

const outputColumns = [
  { title: 'Output', value: (c) => c.id },
  { title: 'Type', value: (c) => c.type },
  { title: 'Processed', class: 'num processed', value: (c) => fmtInt(c.processed) },
  ...rateColumns,
  { title: 'Duration min', class: 'num', value: (c) => fmtMs(c.duration.min_ms) },
  { title: 'Duration max', class: 'num', value: (c) => fmtMs(c.duration.max_ms) },
  { title: 'Duration median', class: 'num', value: (c) => fmtMs(c.duration.median_ms) },
  { title: 'Queue', class: 'num', value: (c) => fmtInt(c.queue_depth) },
  { title: 'Buffer', class: 'num', value: (c) => fmtBytes(c.buffer_bytes) },
  { title: 'Dropped', class: 'num', value: (c) => fmtInt(c.dropped) },
  { title: 'Dead letters', class: 'num', value: (c) => fmtInt(c.dead_lettered) },
  { title: 'Retries', class: 'num', value: (c) => fmtInt(c.retries) },
  { title: 'Errors', class: 'num', value: (c) => fmtInt(c.errors) },
];

function fillTable(el, columns, rows) {
  const fresh = table(columns, rows, { id: el.id, 'data-testid': el.dataset.testid });
  el.replaceWith(fresh);
}

async function refreshMetrics() {
  try {
    const m = await api('/api/metrics');
    fillTable($('inputs'), inputColumns, m.inputs);
    fillTable($('outputs'), outputColumns, m.outputs);
    replace($('metrics-time'), `updated ${fmtTime(m.time)}, up ${fmtInt(m.uptime_seconds)} s`);
    $('metrics-error').hidden = true;
  } catch (err) {
    replace($('metrics-error'), `metrics: ${err.message}`);
    $('metrics-error').hidden = false;
  }
}

async function loadInfo() {
  try {
    const info = await api('/api/info');
    replace($('about'), `ogrt-server ${info.version}`);
    replace($('backend'), info.query_backend ? `Answered from ${info.query_backend}.` : 'No store to query is configured (add a sqlite output or set dashboard.query_backend).');
  } catch (err) {
    replace($('about'), `ogrt-server: ${err.message}`);
  }
}

// --- queries ----------------------------------------------------------------

function query(path, values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return api(s === '' ? path : `${path}?${s}`);
}

function showError(el, err) {
  replace(el, h('p', { class: 'error' }, err.message));
}

function busy(el) {
  replace(el, h('p', { class: 'muted' }, 'working…'));
}

function jobLabel(jobId) {
  return jobId === null ? '(no job)' : jobId;
}

function jobButton(jobId) {
  if (jobId === null) return h('span', { class: 'muted' }, '(no job)');
  const b = h('button', { type: 'button', class: 'link', 'data-job': jobId }, jobId);
  b.addEventListener('click', () => {
    $('job-id').value = jobId;
    void showJob(jobId);
  });
  return b;
}

$('affected-by').addEventListener('change', () => {
  $('affected-value').placeholder = $('affected-by').value === 'signature' ? 'b73c604d-c2e9-4057-ae31-586aa5ee29e3' : '*/libopenblas*.so*';
});

$('affected-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const el = $('affected-result');
  busy(el);
  try {
    const r = await query('/api/queries/affected-jobs', {
      [$('affected-by').value]: $('affected-value').value.trim(),
      from: $('affected-from').value.trim(),
      to: $('affected-to').value.trim(),
    });
    renderAffected(el, r);
  } catch (err) {
    showError(el, err);
  }
});

function renderAffected(el, r) {
  const what = r.query.signature !== undefined ? `signature ${r.query.signature}` : `library ${r.query.library}`;
  if (r.jobs.length === 0) {
    replace(el, h('p', { 'data-testid': 'affected-summary' }, `No jobs found for ${what}.`));
    return;
  }
  // Like the 2017 dashboard: the job ids in one line, sorted; processes outside a job last.
  const ids = r.jobs.filter((j) => j.job_id !== null).map((j) => j.job_id).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (r.jobs.some((j) => j.job_id === null)) ids.push(jobLabel(null));
  replace(
    el,
    h('p', { 'data-testid': 'affected-summary' }, `${r.jobs.length}${r.truncated ? '+' : ''} affected job(s) for ${what}`),
    h('p', { class: 'joblist', 'data-testid': 'affected-job-ids' }, ids.join(', ')),
    table(
      [
        { title: 'Job', value: (j) => jobButton(j.job_id) },
        { title: 'Users', value: (j) => j.users.join(', ') },
        { title: 'Hosts', value: (j) => j.hosts.join(', ') },
        { title: 'First seen', value: (j) => fmtTime(j.first_seen) },
        { title: 'Last seen', value: (j) => fmtTime(j.last_seen) },
        { title: 'Processes', class: 'num', value: (j) => fmtInt(j.processes) },
      ],
      r.jobs,
      { 'data-testid': 'affected-jobs' },
    ),
    r.truncated ? h('p', { class: 'muted' }, 'More jobs matched; narrow the time range.') : null,
    h('h4', null, 'Matching executables and libraries'),
    table(
      [
        { title: 'Kind', value: (o) => o.kind },
        { title: 'Path', class: 'path', value: (o) => o.path },
        { title: 'Signature', class: 'mono', value: (o) => o.signature ?? '–' },
        { title: 'Processes', class: 'num', value: (o) => fmtInt(o.processes) },
      ],
      r.matched,
      { 'data-testid': 'affected-matched' },
    ),
  );
}

$('census-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const el = $('census-result');
  busy(el);
  try {
    const r = await query('/api/queries/census', {
      from: $('census-from').value.trim(),
      to: $('census-to').value.trim(),
      sort: $('census-sort').value,
      limit: $('census-limit').value.trim(),
    });
    renderCensus(el, r);
  } catch (err) {
    showError(el, err);
  }
});

function censusTable(entries, testid) {
  return table(
    [
      { title: 'Path', class: 'path', value: (e) => [e.path, e.user_built ? h('span', { class: 'tag' }, 'user-built') : null] },
      { title: 'Runs', class: 'num', value: (e) => fmtInt(e.runs) },
      { title: 'Users', class: 'num', value: (e) => fmtInt(e.users) },
      { title: 'Jobs', class: 'num', value: (e) => fmtInt(e.jobs) },
      { title: 'Hosts', class: 'num', value: (e) => fmtInt(e.hosts) },
      { title: 'Builds', class: 'num', value: (e) => fmtInt(e.signatures) },
      { title: 'First seen', value: (e) => fmtTime(e.first_seen) },
      { title: 'Last seen', value: (e) => fmtTime(e.last_seen) },
    ],
    entries,
    { 'data-testid': testid },
  );
}

function renderCensus(el, r) {
  const t = r.totals;
  replace(
    el,
    h('p', null, `${fmtInt(t.processes)} processes, ${fmtInt(t.users)} users, ${fmtInt(t.jobs)} jobs, ${fmtInt(t.hosts)} hosts, ${fmtInt(t.executables)} executables (${fmtInt(t.user_built_executables)} user-built), ${fmtInt(t.libraries)} libraries.`),
    h('h4', { 'data-testid': 'census-executables-title' }, `Top executables by ${r.query.sort}`),
    censusTable(r.executables, 'census-executables'),
    h('h4', null, `User-built programs by ${r.query.sort}`),
    h('p', { class: 'muted' }, `Outside ${r.system_prefixes.join(' ')}`),
    censusTable(r.user_built, 'census-user-built'),
    h('h4', null, `Top libraries by ${r.query.sort}`),
    censusTable(r.libraries, 'census-libraries'),
  );
}

$('job-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void showJob($('job-id').value.trim());
});

async function showJob(jobId) {
  const el = $('job-result');
  busy(el);
  try {
    renderJob(el, await api(`/api/queries/job/${encodeURIComponent(jobId)}`));
    el.scrollIntoView({ block: 'start' });
  } catch (err) {
    showError(el, err);
  }
}

function count(n, one, many) {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}

function details(summary, items) {
  if (items.length === 0) return h('span', { class: 'muted' }, '–');
  return h('details', null, h('summary', null, summary), h('ul', null, items.map((i) => h('li', null, i))));
}

function renderJob(el, r) {
  if (r.total === 0) {
    replace(el, h('p', null, `No processes of job ${r.job_id}.`));
    return;
  }
  replace(
    el,
    h('p', { 'data-testid': 'job-summary' }, `Job ${r.job_id}: ${fmtInt(r.total)} process(es) by ${r.users.join(', ') || '–'} on ${r.hosts.join(', ')}, ${fmtTime(r.first_seen)} – ${fmtTime(r.last_seen)}`),
    table(
      [
        { title: 'Start', value: (p) => fmtTime(p.time) },
        { title: 'Host', value: (p) => p.hostname },
        { title: 'PID', class: 'num', value: (p) => `${p.pid}${p.parent_pid === null ? '' : ` ← ${p.parent_pid}`}` },
        { title: 'User', value: (p) => p.username ?? (p.uid === null ? '–' : `uid:${p.uid}`) },
        { title: 'Executable', class: 'path', value: (p) => [p.binpath ?? '(not received)', p.signature ? h('div', { class: 'mono muted' }, p.signature) : null] },
        { title: 'Command line', class: 'cmdline', value: (p) => p.cmdline ?? '' },
        { title: 'Exit', class: 'num', value: (p) => (p.exit === null ? '–' : String(p.exit.status ?? '?')) },
        {
          title: 'Libraries',
          value: (p) => details(count(p.libraries.length, 'library', 'libraries'), p.libraries.map((l) => [l.path, l.signature ? ` (${l.signature})` : '', l.dlopen_time ? ' dlopen' : ''])),
        },
        { title: 'Modules', value: (p) => details(count(p.modules.length, 'module', 'modules'), p.modules) },
        { title: 'Environment', value: (p) => details(count(p.environment.length, 'variable', 'variables'), p.environment.map((e) => `${e.name}=${e.value}`)) },
      ],
      r.processes,
      { 'data-testid': 'job-processes' },
    ),
    r.truncated ? h('p', { class: 'muted' }, `Showing the first ${r.processes.length} of ${r.total} processes.`) : null,
  );
}

// --- start --------------------------------------------------------------------

void loadInfo();
void refreshMetrics();
setInterval(refreshMetrics, REFRESH_MS);
