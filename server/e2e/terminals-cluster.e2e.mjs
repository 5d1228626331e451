// Two nodes on one PostgreSQL (scripts/cluster-test.sh starts them): a terminal registered
// through node A logs in on node B, in headless Chromium with a DevTools virtual authenticator.
// Both nodes serve http://localhost:PORT with the same RP id (localhost) and list both origins in
// [terminals] origins; a passkey belongs to its RP id, not to a node.
//
//   CLUSTER_A=http://localhost:PA CLUSTER_B=http://localhost:PB CLUSTER_DATA=DIR CLUSTER_CONFIG=FILE \
//   MATRIXAUTH_BIN=target/debug/matrixauth node --test server/e2e/terminals-cluster.e2e.mjs
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const bin = process.env.MATRIXAUTH_BIN;
const [A, B] = [process.env.CLUSTER_A, process.env.CLUSTER_B];
const PATTERN = ['B2', 'G3', 'D5', 'A8', 'H1', 'E6'];
let browser;

after(async () => { await browser?.close(); });

const admin = (...args) => execFileSync(bin, [...args, '--data', process.env.CLUSTER_DATA,
  '--config', process.env.CLUSTER_CONFIG, '--node', 'admin'], { encoding: 'utf8' });

async function answerFrom(page, sel) {
  const digits = await page.$$eval(`${sel} td[data-cell]`, (tds) => Object.fromEntries(tds.map((td) => [td.dataset.cell, td.textContent])));
  const ds = PATTERN.map((c) => digits[c]);
  return [...ds.slice(0, 2), 'pw', ...ds.slice(2)].join('');
}

test('a terminal registered on node A logs in on node B', { timeout: 180000 }, async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP localhost 127.0.0.1'],
  });
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal',
    hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } });
  const { link } = JSON.parse(admin('users', 'invite', 'terry', '--origin', A, '--json'));
  await page.goto(link);
  await page.waitForSelector('#enroll[data-ready="yes"]');
  for (const c of PATTERN) await page.click(`#select-grid td[data-cell="${c}"]`);
  await page.fill('#fixed', 'pw');
  await page.selectOption('#fixed-at', '2');
  await page.click('#practice-start');
  await page.fill('#practice-answer', await answerFrom(page, '#practice-grid'));
  await page.click('#practice-form button');
  await page.click('#save');
  await page.click('#terminal-register');
  await page.waitForSelector('#terminal-login-link');
  // Node B: the passkey, the grid, the answer.
  await page.goto(`${B}/?user=terry`);
  await page.waitForSelector('#login td[data-cell="H8"]');
  await page.fill('#login input[name="answer"]', await answerFrom(page, '#login'));
  await page.click('#login button[type="submit"]');
  await page.waitForURL(/\/vpn\?/);
  const list = JSON.parse(admin('terminals', 'list', 'terry', '--json'));
  assert.equal(list.terminals.length, 1);
  assert.ok(list.terminals[0].lastUsedAt, 'the use on node B is in the shared database');
  // Revoked through the shared database: node B refuses it at once.
  admin('terminals', 'revoke', 'terry', String(list.terminals[0].id));
  await page.goto(`${B}/?user=terry`);
  await page.waitForSelector('#login[data-outcome="terminal_refused"]');
  assert.equal(await page.$$eval('td[data-cell]', (tds) => tds.length), 0);
  console.log('terminals cluster: registered on node A, logged in on node B, revoked and refused on B');
});
