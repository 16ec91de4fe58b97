import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningComplaintsServer } from '../../mcp-servers/complaints/start-server.js';
import { type FullApp, startFullApp } from '../helpers/full-app.js';
import { metricValue, parseMetrics, type Sample } from '../helpers/prometheus.js';
import { makeTempDir, startReferenceServer, waitFor } from '../mcp/helpers.js';

const temp = makeTempDir();
let complaints: RunningComplaintsServer | undefined;
let service: FullApp;

beforeAll(async () => {
  complaints = await startReferenceServer(path.join(temp.dir, 'complaints.db'));
  service = await startFullApp({ MCP_SERVER_URL: complaints.url }, { listen: true });
});

afterAll(async () => {
  await service?.close();
  await complaints?.close();
  temp.cleanup();
});

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${service.baseUrl}/metrics`);
  expect(res.status).toBe(200);
  return parseMetrics(await res.text());
}

describe('the mcp_connected gauge with MCP configured', () => {
  it('is 1 while the complaints server is connected and 0 once its loss is noticed', async () => {
    expect(metricValue(await scrape(), 'mcp_connected')).toBe(1);

    await complaints?.close();
    complaints = undefined;
    // The periodic ping, a failed call or a readiness probe notices the loss; here the probe does.
    const readiness = await fetch(`${service.baseUrl}/health/readiness`);
    expect(await readiness.text()).toContain('mcp_server');
    await waitFor('the gauge to drop', async () => metricValue(await scrape(), 'mcp_connected') === 0);
  });
});
