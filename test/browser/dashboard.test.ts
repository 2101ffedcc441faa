// The dashboard in a real headless Chromium (issue #16): sign in through the login field, watch a key go to
// cooling (with a countdown) while the simulator rate-limits it, disable a key from the page, and save the
// screenshot the README shows. Needs /usr/bin/chromium (`apt-get install chromium`): without it the test is
// skipped on a workstation and fails in CI (CI=true), where .ci/run installs it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { anthropicBody, call, chatBody, start, type Harness } from '../server/helpers.js';
import { startSimulator } from '../sim/index.js';

// The page's globals, as far as the functions evaluated in it use them (the project compiles without the DOM lib).
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
  documentElement: { scrollWidth: number };
};
declare const sessionStorage: { length: number; getItem(key: string): string | null };
declare const window: { innerWidth: number };

const CHROMIUM = process.env.KEYMUX_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
// The README's picture is rewritten only when asked (KEYMUX_UPDATE_SCREENSHOT=1), so a test run leaves the tree clean.
const SCREENSHOT = process.env.KEYMUX_UPDATE_SCREENSHOT === '1'
  ? fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url))
  : join(tmpdir(), `keymux-dashboard-${process.pid}.png`);

const ADMIN = 'adm-dashboard-0123456789abcdef';
const PROXY = 'proxy-dashboard-0123456789abcdef';
const KEYS = {
  free: 'mst-dash-free-1111111111111111',
  paid: 'mst-dash-paid-2222222222222222',
  team: 'mst-dash-team-3333333333333333',
  antA: 'sk-ant-api03-dash-aaaaaaaaaaaaaaaa',
  antB: 'sk-ant-api03-dash-bbbbbbbbbbbbbbbb',
};
const ids = Object.fromEntries(Object.entries(KEYS).map(([n, k]) => [n, keyId(k)])) as Record<keyof typeof KEYS, string>;

let h: Harness | undefined;
let context: BrowserContext | undefined;
let profile: string | undefined;

const proxy = { authorization: `Bearer ${PROXY}` };
const row = (id: string) => `tr[data-key-id="${id}"]`;

async function adminKeys(): Promise<Array<{ id: string; state: string }>> {
  const r = await call(h!.url, '/admin/keys', undefined, { headers: { authorization: `Bearer ${ADMIN}` } });
  return r.json.keys as Array<{ id: string; state: string }>;
}

async function stateOf(page: Page, id: string): Promise<string | null> {
  return page.locator(`${row(id)} .badge`).textContent();
}

describe.skipIf(!HAVE_CHROMIUM && process.env.CI !== 'true')('dashboard in Chromium', () => {
  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (CI installs it in .ci/run)`);
    // The free key takes one request a minute: a burst spread over the keys earns it 429s and a cooldown. Mistral
    // (one budget per account, whatever the model) cools the whole key; OpenAI would cool (key, model) only.
    const sim = await startSimulator({
      keys: {
        [KEYS.free]: { rpm: 1, latencyMs: 150, group: 'org-free' },
        [KEYS.paid]: { latencyMs: 150, group: 'org-paid' },
        [KEYS.team]: { latencyMs: 150, group: 'org-team' },
        // Anthropic's keys send their limits in headers, which the pool learns.
        [KEYS.antA]: { latencyMs: 120, rpm: 50, tpm: 40_000, group: 'ws-main' },
        [KEYS.antB]: { latencyMs: 120, rpm: 50, tpm: 40_000, group: 'ws-backup' },
      },
    });
    h = await start({
      sim,
      env: () => ({ KEYMUX_PROXY_KEYS: PROXY, KEYMUX_ADMIN_KEY: ADMIN }),
      // Round-robin: requests go free, paid, team, free…, so the free key's second request is its 429.
      file: [
        'strategy: round-robin',
        'providers:',
        '  mistral:',
        `    baseUrl: ${sim.url}/v1`,
        '    keys:',
        `      - { key: ${KEYS.free}, label: free-tier }`,
        `      - { key: ${KEYS.paid}, label: paid, rpm: 120 }`,
        `      - { key: ${KEYS.team}, label: team-b, rpm: 60, tpm: 100000 }`,
        '  anthropic:',
        `    baseUrl: ${sim.url}`,
        '    keys:',
        `      - { key: ${KEYS.antA}, label: main }`,
        `      - { key: ${KEYS.antB}, label: backup }`,
      ].join('\n'),
    });
    // A fresh profile every run, nothing from the network but keymux itself.
    profile = mkdtempSync(join(tmpdir(), 'keymux-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1360, height: 900 },
      deviceScaleFactor: 1,
      colorScheme: 'light',
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await h?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('signs in, shows a key cooling with a countdown while rate-limited, disables a key from the page, saves a screenshot', { timeout: 90_000 }, async () => {
    const page = await context!.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // The wrong key tried first is refused (401): Chromium logs every refused fetch.
      if (m.type() === 'error' && !m.text().includes('status of 401')) problems.push(`console: ${m.text()}`);
    });
    // A request to anywhere but keymux would be a CDN or a leak.
    page.on('request', (r) => {
      if (!r.url().startsWith(h!.url)) problems.push(`request to ${r.url()}`);
    });

    await page.goto(`${h!.url}/dashboard`);
    await page.locator('#admin-key').waitFor({ state: 'visible' });
    // A wrong key is refused and nothing is kept.
    await page.fill('#admin-key', 'not-the-admin-key');
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#login-error')?.textContent?.includes('refused'));
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.fill('#admin-key', ADMIN);
    await page.click('#login-form button[type=submit]');
    await page.locator(row(ids.free)).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('keymux.adminKey'))).toBe(ADMIN);
    expect(await page.inputValue('#admin-key')).toBe('');
    expect(await stateOf(page, ids.free)).toBe('active');

    // Traffic: requests one after another over the Mistral keys (the free one takes one, refuses the next: a
    // 429, retried on another key), then a burst, and some Anthropic requests for the other pool.
    const ask = (i: number) => call(h!.url, '/v1/chat/completions', chatBody(`question ${i} about the weather in a city`, { model: 'mistral/mistral-small-latest' }), { headers: proxy });
    for (let i = 0; i < 6; i++) expect((await ask(i)).status).toBe(200);
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => ask(10 + i)));
    expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200));
    const ant = await Promise.all(Array.from({ length: 5 }, (_, i) => call(h!.url, '/v1/messages', anthropicBody(`summarise chapter ${i}`), { headers: proxy })));
    expect(ant.map((r) => r.status)).toEqual(ant.map(() => 200));

    // The page shows the free key cooling, with a countdown that moves.
    await page.waitForFunction((sel) => document.querySelector(`${sel} .badge`)?.textContent === 'cooling', row(ids.free));
    const countdown = page.locator(`${row(ids.free)} .countdown`);
    await page.waitForFunction((sel) => /^\d+s$|^\d+m \d\ds$/.test(document.querySelector(`${sel} .countdown`)?.textContent ?? ''), row(ids.free));
    const first = await countdown.textContent();
    await page.waitForFunction(([sel, was]) => (document.querySelector(`${sel} .countdown`)?.textContent ?? was) !== was, [row(ids.free), first] as const);

    // Disable the team key from the page: the server has it disabled, and the page says so.
    await page.click(`${row(ids.team)} button[data-action="disable"]`);
    await expect.poll(async () => (await adminKeys()).find((k) => k.id === ids.team)?.state, { timeout: 10_000 }).toBe('disabled');
    await page.waitForFunction((sel) => document.querySelector(`${sel} .badge`)?.textContent === 'disabled', row(ids.team));
    await page.locator(`${row(ids.team)} button[data-action="enable"]`).waitFor();

    // Every pool, with its numbers; the charts drawn.
    expect(await page.locator('section.pool').count()).toBe(2);
    await page.waitForFunction(() => document.querySelectorAll('#chart-hour rect.s-ok').length > 0 && document.querySelectorAll('#chart-day rect.s-in').length > 0);
    await page.waitForFunction((sel) => document.querySelector(`${sel} td[data-label="Today"]`)?.textContent?.includes('req ·'), row(ids.paid));

    // No secret anywhere in the page.
    const html = await page.content();
    for (const secret of [...Object.values(KEYS), PROXY]) expect(html).not.toContain(secret);

    await page.locator('#notice').waitFor({ state: 'hidden', timeout: 10_000 });
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // A real picture was written: PNG's signature, and more than a blank page's few bytes.
    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(20_000);

    // A phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth);
    await page.screenshot({ path: join(tmpdir(), 'keymux-dashboard-phone.png'), fullPage: true });

    expect(problems).toEqual([]);
    await page.close();
  });
});
