import { it } from 'vitest';
import { startFullApp } from './helpers/full-app.js';
it('redos', async () => {
  const full = await startFullApp({}, { listen: true });
  const t0 = Date.now();
  const chat = fetch(full.baseUrl + '/api/v1/chat', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ session_id: 's', message: 'order' + ' '.repeat(2500) + 'x' }) }).then(async (r) => { console.log('CHAT', r.status, Date.now() - t0, 'ms', (await r.text()).slice(0, 100)); });
  const lag = [];
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const t1 = Date.now();
    const h = await fetch(full.baseUrl + '/health/liveness');
    console.log('LIVENESS', h.status, 'sent at', t1 - t0, 'answered after', Date.now() - t1, 'ms');
  }
  await chat;
  await full.close();
}, 120_000);
