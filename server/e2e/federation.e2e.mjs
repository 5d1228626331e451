// Federation in headless Chromium (issue 22), run by scripts/federation-test.sh, which starts the
// server (SAML IdP and OpenID Connect provider on) and the real peers of
// scripts/federation_browser_peers.py: a pysaml2 service provider and an authlib relying party.
// A person's login, as a browser makes it: the SP redirects to the IdP, the portal's grid is
// answered by reading the digits, the page posts the Response back, and pysaml2 validates it and
// shows the NameID and groups; the RP then gets a code from the IdP session without a new grid,
// and authlib validates the ID token. A wrong answer leaves the browser on the grid. Screenshots
// land in target/e2e/.
//
//   PEERS=http://127.0.0.1:PORT node --test server/e2e/federation.e2e.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(new URL('../..', import.meta.url).pathname);
const shots = join(root, 'target/e2e');
const peers = process.env.PEERS;
const PATTERN = ['B2', 'G3', 'D5', 'A8', 'H1', 'E6'];
let browser;

before(async () => {
  assert.ok(peers, 'PEERS names the SP/RP (scripts/federation-test.sh sets it)');
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

async function answerFrom(page) {
  const digits = await page.$$eval('#login td[data-cell]', (tds) =>
    Object.fromEntries(tds.map((td) => [td.dataset.cell, td.textContent])));
  const ds = PATTERN.map((c) => digits[c]);
  return [...ds.slice(0, 2), 'pw', ...ds.slice(2)].join('');
}

/** On the IdP's login page: the user id, then the grid. */
async function toGrid(page, user) {
  await page.waitForURL(/\/\?fed=/);
  await page.fill('#user', user);
  await page.click('#user-form button[type="submit"]');
  await page.waitForSelector('#login td[data-cell="H8"]');
}

test('SP-initiated SAML login through the grid, then OIDC single sign-on', async () => {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  await page.goto(`${peers}/saml/login`);
  await toGrid(page, 'erin');
  await page.screenshot({ path: join(shots, 'saml-login.png'), fullPage: true });
  await page.fill('#login input[name="answer"]', await answerFrom(page));
  await Promise.all([page.waitForURL(`${peers}/saml/acs`), page.click('#login button[type="submit"]')]);
  const result = page.locator('#result');
  assert.equal(await result.getAttribute('data-user'), 'erin', await page.content());
  assert.equal(await result.getAttribute('data-groups'), 'vpn-users');
  assert.equal(await result.getAttribute('data-relay'), '/home');
  await page.screenshot({ path: join(shots, 'saml-sp.png'), fullPage: true });
  // The IdP session: the relying party gets its code without a new grid.
  await page.goto(`${peers}/oidc/login`);
  await page.waitForURL(/\/oidc\/cb\?/);
  assert.equal(await page.locator('#result').getAttribute('data-sub'), 'erin', await page.content());
  assert.equal(await page.locator('#result').getAttribute('data-amr'), 'otp');
  await context.close();
});

test('OIDC login through the grid in a fresh browser; a wrong answer first stays on the grid', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(`${peers}/oidc/login`);
  await toGrid(page, 'erin');
  const gridText = () => page.$$eval('#login td[data-cell]', (tds) => tds.map((td) => td.textContent).join(''));
  const first = await gridText();
  await page.fill('#login input[name="answer"]', '00pw0000');
  await page.click('#login button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#login')?.dataset.outcome === 'rejected');
  // A new grid replaces the answered one.
  await page.waitForFunction((old) =>
    [...document.querySelectorAll('#login td[data-cell]')].map((td) => td.textContent).join('') !== old, first);
  assert.match(page.url(), /\/\?fed=/, 'no redirect after a wrong answer');
  await page.fill('#login input[name="answer"]', await answerFrom(page));
  await Promise.all([page.waitForURL(/\/oidc\/cb\?/), page.click('#login button[type="submit"]')]);
  assert.equal(await page.locator('#result').getAttribute('data-sub'), 'erin', await page.content());
  await page.screenshot({ path: join(shots, 'oidc-rp.png'), fullPage: true });
  await context.close();
});
