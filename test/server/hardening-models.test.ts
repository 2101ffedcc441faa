// Listing models uses a pool key but never judges it (#13 item 4): a key that a provider refuses on /models
// only (401 there, fine for inference) stays active and serves chat afterwards.
import { expect, test } from 'vitest';
import { startSimulator } from '../sim/index.js';
import { call, chatBody, keySnapshots, start } from './helpers.js';
import { forward, startUpstream, closedAfterEach } from './upstream-fixture.js';

const t = closedAfterEach();

test('a 401 on /models leaves the key active; chat still works with it', async () => {
  const sim = await startSimulator({ keys: { 'sk-models-blind': {} } });
  // Between keymux and the simulator: /models answers 401 with OpenAI's invalid-key body, the rest passes.
  const f = await startUpstream((req, res) => {
    if (req.url?.startsWith('/v1/models')) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }));
      return;
    }
    forward(sim.url, req, res);
  });
  t.up = f;
  t.h = await start({ sim, env: () => ({ OPENAI_API_KEYS: 'sk-models-blind', OPENAI_BASE_URL: `${f.url}/v1` }) });

  const models = await call(t.h.url, '/v1/models');
  expect(models.status).toBe(200);
  expect(f.requests.some((r) => r.path === '/v1/models')).toBe(true);
  const k = keySnapshots(t.h.server)[0]!;
  expect(k.status).toBe('active');
  expect(k.failures.auth_failed ?? 0).toBe(0);

  const chat = await call(t.h.url, '/v1/chat/completions', chatBody('still good'));
  expect(chat.status).toBe(200);
  expect(chat.json.choices[0].message.content).toBe('echo: still good');
});
