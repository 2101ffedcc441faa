// The keymux dashboard: signs in with an admin key (kept in session storage), then polls the admin API and
// keeps the page in step with it. Rows are updated in place, so buttons and focus survive every refresh.
import { api, ApiError, keyPath, session } from './api.js';
import { barChart, dayBars, hourBars } from './charts.js';
import { ago, count, duration, ms, percent, usd } from './format.js';

const POLL_MS = 1500;
const CHART_MS = 10_000;

const $ = (id) => document.getElementById(id);
const live = $('live');

/** A small element builder: h('td', { className: 'x', dataset: { k: 'v' } }, 'text', child). */
function h(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children.filter((c) => c !== undefined && c !== null));
  return e;
}

let timer;
let running = false;
let chartsAt = 0;
const rows = new Map();
const pools = new Map();

// ---- signing in and out --------------------------------------------------------------------------------

function showLogin(message = '') {
  stop();
  $('board').hidden = true;
  $('signout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  setLive('idle', 'not signed in');
  $('admin-key').focus();
}

function refusal(err) {
  if (err instanceof ApiError && err.status === 401) return 'That admin key was refused.';
  if (err instanceof ApiError && err.code === 'KMX_ERR_ADMIN_DISABLED') return 'The admin API is off: start keymux with KEYMUX_ADMIN_KEY set.';
  return `keymux could not be reached: ${err.message}`;
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('admin-key');
  const key = input.value.trim();
  if (!key) return;
  $('login-error').textContent = '';
  try {
    await api('/admin/stats', { key });
  } catch (err) {
    $('login-error').textContent = refusal(err);
    return;
  }
  session.set(key);
  input.value = '';
  start();
});

$('signout').addEventListener('click', () => {
  session.clear();
  showLogin();
});

function start() {
  $('login').hidden = true;
  $('board').hidden = false;
  $('signout').hidden = false;
  running = true;
  chartsAt = 0;
  void poll();
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && running) void poll();
});

function stop() {
  running = false;
  clearTimeout(timer);
}

function setLive(state, text) {
  live.dataset.state = state;
  live.textContent = text;
}

// ---- polling --------------------------------------------------------------------------------------------

function localMidnight() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

async function poll() {
  clearTimeout(timer);
  if (!running) return;
  // A tab in the background asks nothing; it catches up the moment it is shown again.
  if (document.hidden) return;
  try {
    const [keys, stats, today] = await Promise.all([
      api('/admin/keys'),
      api('/admin/stats'),
      api(`/admin/usage?by=key&from=${localMidnight()}`),
    ]);
    if (!running) return;
    render(keys.keys, stats, today.rows);
    setLive('ok', `live · ${new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })}`);
    if (Date.now() - chartsAt > CHART_MS) {
      chartsAt = Date.now();
      void charts();
    }
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      session.clear();
      showLogin(refusal(err));
      return;
    }
    setLive('error', `connection lost — retrying (${err.message})`);
  }
  if (running) timer = setTimeout(poll, POLL_MS);
}

async function charts() {
  const now = Date.now();
  try {
    const [hours, days] = await Promise.all([
      api(`/admin/usage?by=hour&from=${now - 24 * 3_600_000}&to=${now}`),
      api(`/admin/usage?by=day&from=${now - 14 * 86_400_000}&to=${now}`),
    ]);
    barChart($('chart-hour'), hourBars(hours.rows, now), [
      { name: 'successes', cls: 's-ok' },
      { name: 'errors', cls: 's-err' },
    ]);
    barChart($('chart-day'), dayBars(days.rows, now), [
      { name: 'input tokens', cls: 's-in' },
      { name: 'output tokens', cls: 's-out' },
    ]);
  } catch {
    chartsAt = 0; // try again at the next poll
  }
}

// ---- rendering ------------------------------------------------------------------------------------------

const kid = (k) => `${k.provider}\u0000${k.id}`;

function render(keys, stats, todayRows) {
  const statsByKey = new Map(stats.keys.map((s) => [kid(s), s]));
  const today = new Map(todayRows.map((r) => [kid(r), r]));
  renderSummary(stats.providers, keys, today);
  renderProviders(stats.providers);

  const seen = new Set();
  for (const k of keys) {
    const id = kid(k);
    seen.add(id);
    let row = rows.get(id);
    if (!row) rows.set(id, (row = newRow(k)));
    const pool = poolFor(k.provider);
    if (row.tr.parentNode !== pool.body) pool.body.append(row.tr);
    updateRow(row, k, statsByKey.get(id), today.get(id));
  }
  for (const [id, row] of rows) {
    if (!seen.has(id)) {
      row.tr.remove();
      rows.delete(id);
    }
  }
  for (const [name, pool] of pools) {
    if (!keys.some((k) => k.provider === name)) {
      pool.section.remove();
      pools.delete(name);
    }
  }
  tick();
}

function renderSummary(providers, keys, today) {
  const tiles = providers.map((p) => {
    let tokens = 0;
    let cost = 0;
    let requests = 0;
    for (const r of today.values()) {
      if (r.provider !== p.provider) continue;
      tokens += r.inputTokens + r.outputTokens;
      cost += r.costUsd;
      requests += r.requests;
    }
    const cooling = keys.filter((k) => k.provider === p.provider && (k.state === 'cooling' || k.state === 'exhausted')).length;
    const inFlight = keys.filter((k) => k.provider === p.provider).reduce((n, k) => n + k.inFlight, 0);
    const health = p.usableKeys === 0 ? 'bad' : cooling > 0 || p.waiting > 0 ? 'warn' : 'ok';
    return h(
      'div',
      { className: 'card tile', dataset: { provider: p.provider, health } },
      h('h3', {}, p.provider),
      h(
        'dl',
        {},
        stat('keys', `${p.usableKeys - cooling}/${p.keys}`, 'usable now / all'),
        stat('in flight', count(inFlight)),
        stat('waiting', count(p.waiting)),
        stat('success 24 h', percent(p.successRate)),
        stat('today', `${count(requests)} req`),
        stat('tokens today', count(tokens)),
        stat('cost today', usd(cost)),
        stat('balance', p.balance === null ? '–' : p.balance.toFixed(2), 'least used key ÷ most used (1 = even)'),
      ),
    );
  });
  $('summary').replaceChildren(...tiles);
}

const stat = (label, value, title) => h('div', title ? { title } : {}, h('dt', {}, label), h('dd', {}, value));

function renderProviders(providers) {
  const select = $('add-provider');
  const names = providers.map((p) => p.provider);
  if ([...select.options].map((o) => o.value).join() === names.join()) return;
  const was = select.value;
  select.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
  if (names.includes(was)) select.value = was;
}

const COLUMNS = ['Key', 'State', 'In flight', 'Success', 'Latency p50 · p90', 'Today', 'Limits · remaining', 'Cost', 'Last used', ''];

function poolFor(provider) {
  let pool = pools.get(provider);
  if (pool) return pool;
  const body = h('tbody');
  const section = h(
    'section',
    { className: 'card pool', dataset: { provider } },
    h('h2', {}, provider),
    h('div', { className: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ...COLUMNS.map((c) => h('th', { scope: 'col' }, c)))), body)),
  );
  // In the order the API lists them: the configuration's.
  $('pools').append(section);
  pool = { section, body };
  pools.set(provider, pool);
  return pool;
}

function newRow(k) {
  const cell = (label, ...children) => h('td', { dataset: { label } }, h('div', { className: 'v' }, ...children));
  const c = {
    masked: h('span', { className: 'masked' }),
    meta: h('span', { className: 'meta' }),
    badge: h('span', { className: 'badge' }),
    countdown: h('span', { className: 'countdown' }),
    reason: h('span', { className: 'reason' }),
    inFlight: h('span'),
    success: h('span'),
    latency: h('span'),
    today: h('span'),
    limits: h('span', { className: 'limits' }),
    cost: h('span'),
    last: h('span'),
    toggle: h('button', { type: 'button', className: 'small-btn' }),
    check: h('button', { type: 'button', className: 'small-btn ghost', dataset: { action: 'check' } }, 'Re-check'),
    remove: h('button', { type: 'button', className: 'small-btn danger', dataset: { action: 'remove' } }, 'Remove'),
  };
  const tr = h(
    'tr',
    { dataset: { keyId: k.id, provider: k.provider } },
    cell('Key', c.masked, c.meta),
    cell('State', h('span', { className: 'state' }, c.badge, c.countdown), c.reason),
    cell('In flight', c.inFlight),
    cell('Success', c.success),
    cell('Latency', c.latency),
    cell('Today', c.today),
    cell('Limits', c.limits),
    cell('Cost', c.cost),
    cell('Last used', c.last),
    h('td', { className: 'actions' }, c.check, c.toggle, c.remove),
  );
  return { tr, c, key: k };
}

function updateRow(row, k, s, t) {
  const { c, tr } = row;
  row.key = k;
  tr.dataset.state = k.state;
  c.masked.textContent = k.masked;
  c.meta.textContent = [k.label, k.tier > 1 ? `tier ${k.tier}` : null, k.group !== k.id ? `group ${k.group}` : null, k.source === 'added' ? 'added' : null].filter(Boolean).join(' · ');
  c.badge.textContent = k.state;
  c.badge.dataset.state = k.state;
  const until = k.cooldownUntil && (k.state === 'cooling' || k.state === 'exhausted') ? String(Date.parse(k.cooldownUntil)) : '';
  if (c.countdown.dataset.until !== until) c.countdown.dataset.until = until;
  c.reason.textContent = k.state === 'active' ? '' : (k.reason ?? '');
  c.inFlight.textContent = String(k.inFlight);
  c.success.textContent = percent(s?.successRate ?? (k.successes + k.errors > 0 ? k.successes / (k.successes + k.errors) : null));
  c.success.title = `${k.successes} ok, ${k.errors} errors (stored); ${s?.sinceStart.attempts ?? 0} attempts since start`;
  c.latency.textContent = s?.latencyMs ? `${ms(s.latencyMs.p50)} · ${ms(s.latencyMs.p90)}` : '–';
  c.today.textContent = t ? `${count(t.requests)} req · ${count(t.inputTokens + t.outputTokens)} tok` : '0 req';
  c.limits.textContent = limitsText(k);
  c.cost.textContent = usd(k.costUsd);
  c.cost.title = 'all stored usage';
  c.last.textContent = ago(k.lastUsedAt);
  const disabled = k.state === 'disabled';
  c.toggle.textContent = disabled ? 'Enable' : 'Disable';
  c.toggle.dataset.action = disabled ? 'enable' : 'disable';
  c.toggle.className = `small-btn ${disabled ? '' : 'warn'}`;
  c.remove.hidden = k.source !== 'added';
}

/** Learned limits with what the pool believes remains, else configured ones, else the pace it learned. */
function limitsText(k) {
  const parts = [];
  const learned = k.limits?.learned ?? {};
  const budget = k.remaining?.['*'] ?? Object.values(k.remaining ?? {})[0] ?? {};
  // "req 42/50": 42 of 50 left; "120 rpm": a limit with nothing known of what is left; "req 3 left": the reverse.
  const pair = (name, unit, remaining, limit) => {
    if (remaining !== undefined && limit !== undefined) parts.push(`${name} ${count(remaining)}/${count(limit)}`);
    else if (limit !== undefined) parts.push(`${count(limit)} ${unit}`);
    else if (remaining !== undefined) parts.push(`${name} ${count(remaining)} left`);
  };
  pair('req', 'rpm', budget.requestsRemaining ?? learned.requests?.remaining, learned.requests?.limit ?? k.limits?.configured?.rpm);
  pair('tok', 'tpm', budget.tokensRemaining ?? learned.tokens?.remaining, learned.tokens?.limit ?? k.limits?.configured?.tpm);
  pair('req/day', 'rpd', learned.requestsPerDay?.remaining, learned.requestsPerDay?.limit ?? k.limits?.configured?.rpd);
  if (budget.pacedRpm !== undefined) parts.push(`paced ${count(budget.pacedRpm)} rpm`);
  if (budget.maxConcurrent !== undefined) parts.push(`≤${budget.maxConcurrent} at once`);
  return parts.length ? parts.join(' · ') : 'not learned yet';
}

/** Countdowns move every quarter second between polls, from each key's cooldownUntil. */
function tick() {
  const now = Date.now();
  for (const { c } of rows.values()) {
    const until = Number(c.countdown.dataset.until || 0);
    c.countdown.textContent = until ? (until > now ? duration(until - now) : 'any moment') : '';
  }
}
setInterval(tick, 250);

// ---- actions --------------------------------------------------------------------------------------------

function notice(text, kind = 'info') {
  const n = $('notice');
  n.textContent = text;
  n.dataset.kind = kind;
  n.hidden = false;
  clearTimeout(notice.t);
  notice.t = setTimeout(() => (n.hidden = true), 6000);
}

$('pools').addEventListener('click', async (ev) => {
  const button = ev.target.closest('button[data-action]');
  const tr = button?.closest('tr');
  if (!button || !tr) return;
  const row = rows.get(`${tr.dataset.provider}\u0000${tr.dataset.keyId}`);
  if (!row) return;
  const k = row.key;
  const action = button.dataset.action;
  if (action === 'remove' && button.dataset.confirm !== 'yes') {
    button.dataset.confirm = 'yes';
    button.textContent = 'Confirm';
    setTimeout(() => {
      delete button.dataset.confirm;
      button.textContent = 'Remove';
    }, 4000);
    return;
  }
  button.disabled = true;
  try {
    if (action === 'remove') {
      await api(keyPath(k), { method: 'DELETE' });
      notice(`Removed ${k.masked} from ${k.provider}.`);
    } else if (action === 'check') {
      const r = await api(keyPath(k, 'check'), { method: 'POST' });
      notice(`${k.masked}: ${r.valid ? 'valid' : 'invalid'} (${r.outcome}${r.status ? `, HTTP ${r.status}` : ''}, ${ms(r.latencyMs)})${r.reason ? ` — ${r.reason}` : ''}`, r.valid ? 'info' : 'error');
    } else {
      await api(keyPath(k, action), { method: 'POST' });
      notice(`${action === 'disable' ? 'Disabled' : 'Enabled'} ${k.masked}.`);
    }
  } catch (err) {
    notice(`${action} ${k.masked} failed: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
  }
  void poll();
});

$('add-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const keyInput = $('add-key');
  const body = { provider: $('add-provider').value, key: keyInput.value.trim() };
  const label = $('add-label').value.trim();
  const group = $('add-group').value.trim();
  if (label) body.label = label;
  if (group) body.group = group;
  // The secret leaves the page with this request and is not kept anywhere in it.
  keyInput.value = '';
  const out = $('add-result');
  try {
    const r = await api('/admin/keys', { method: 'POST', body });
    out.textContent = `Added ${r.key.masked} to ${r.key.provider} (id ${r.key.id}).`;
    out.className = 'small';
    $('add-label').value = '';
    $('add-group').value = '';
  } catch (err) {
    out.textContent = `Not added: ${err.message}`;
    out.className = 'small error';
  }
  void poll();
});

// ---- start ----------------------------------------------------------------------------------------------

if (session.get()) start();
else showLogin();
