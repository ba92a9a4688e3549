import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { activeCorridor } from '../support/example-corridor';
import { startTestNode, type TestNode } from '../support/node-harness';
import { accessEnv, bearer, eventually, recordAttestations, TOKENS } from './regulator-fixture';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the regulator console in headless Chromium', () => {
  let node: TestNode;
  let browser: Browser;
  const id = 'org.example.pk-ae.console';

  beforeAll(async () => {
    node = await startTestNode({ env: accessEnv() });
    await activeCorridor(node, id);
    await recordAttestations(node, id, 'entity:console-co');
    await eventually(
      () => node.api('GET', '/regulator/dashboard', undefined, bearer(TOKENS.regulator)),
      (r) => r.status === 200 && r.body.corridors.total === 1 && r.body.tensor.cell_count === 3,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await node?.close();
  });

  it('shows the corridor with its finality, the tensor heat-map, disputes and sagas, and is screenshotted', async () => {
    const context = await browser.newContext({ extraHTTPHeaders: bearer(TOKENS.regulator), viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(node.url)) external.push(r.url());
    });
    const res = await page.goto(`${node.url}/console`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toContain('text/html');
    expect(await page.title()).toBe('Regulator console — PK');

    const row = page.locator(`tr[data-corridor="${id}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[0]).toBe(id);
    expect(cells[1]).toBe('ACTIVE');
    expect(cells[3]).toBe('3');
    expect(cells[7]).toMatch(/^(proposed|receipt_signed|checkpoint_signed|watcher_quorum)$/);
    expect(await page.locator('[data-testid=principal]').innerText()).toBe('sbp');

    const commitment = (await node.api('GET', '/regulator/tensor/commitment', undefined, bearer(TOKENS.regulator))).body.commitment;
    expect(await page.locator('[data-testid=tensor-commitment]').innerText()).toBe(commitment);

    // Heat-map: jurisdictions PK and AE as rows, the 20 domains as columns.
    const heat = page.locator('[data-testid=heatmap]');
    expect(await heat.locator('thead th').count()).toBe(21);
    expect(await heat.locator('tbody th').allInnerTexts()).toEqual(['AE', 'PK']);
    const pk = heat.locator('tbody tr', { has: page.locator('th', { hasText: 'PK' }) });
    expect(await pk.locator('td.h-good').count()).toBe(1);
    expect(await pk.locator('td.h-bad').count()).toBe(1);
    expect(await page.locator('[data-testid=disputes-empty]').innerText()).toContain('No open disputes');
    expect(await page.locator('[data-testid=sagas-empty]').innerText()).toContain('No open sagas');
    expect(external).toEqual([]);

    const shot = join(mkdtempSync(join(tmpdir(), 'corridor-console-')), 'console.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    await context.close();

    // Without a token the browser gets 401, and both visits are on the audit trail.
    const anonymous = await browser.newContext();
    const denied = await (await anonymous.newPage()).goto(`${node.url}/console`);
    expect(denied?.status()).toBe(401);
    await anonymous.close();
    const trail = (await node.api('GET', '/audit/trail?limit=1000', undefined, bearer(TOKENS.auditor))).body.items.filter((e: any) => e.path === '/console');
    expect(trail.map((e: any) => [e.principal, e.decision, e.status])).toEqual([
      ['sbp', 'allowed', 200],
      [null, 'denied', 401],
    ]);
  }, 60_000);
});
