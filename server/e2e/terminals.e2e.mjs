// End to end: registered terminals (SPEC §16, issue 26) in headless Chromium, each browser profile
// with its own virtual authenticator from the DevTools protocol (WebAuthn.addVirtualAuthenticator:
// CTAP2, internal transport, resident keys, user verification on), against `matrixauth serve`
// with `[terminals] policy = "required"`. Alice enrols a pattern and this browser's passkey through
// her invitation and logs in. A second profile, whose authenticator is not registered, is refused
// before any grid. A terminal invitation registers the second profile, which then logs in. Revoking
// it refuses it again, and the first terminal still logs in. A third profile whose authenticator
// makes synced (backup-eligible) passkeys is refused at registration. The console's login takes
// the same terminal step (its page runs the assertion, the server then draws the grid): A logs in
// there, B and an unknown id stop before any grid, and with JavaScript off the page says it is needed.
// The console's terminals page (a second test): an administrator, herself on a registered
// terminal, renames a vendor's terminal, makes a terminal invitation (link and QR code) that a
// third profile registers with, and revokes the first terminal, which then stops before any grid.
//
//   MATRIXAUTH_BIN=target/debug/matrixauth node --test server/e2e/terminals.e2e.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(new URL('../..', import.meta.url).pathname);
const bin = process.env.MATRIXAUTH_BIN ?? join(root, 'target/debug/matrixauth');
const shots = join(root, 'target/e2e');
const PATTERN = ['B2', 'G3', 'D5', 'A8', 'H1', 'E6'];
const FIXED = 'pw';
const FIXED_AT = 2;

let server;
let base;
let browser;
let data;

const freePort = () => new Promise((ok) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

before(async () => {
  mkdirSync(shots, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'matrixauth-terminals-e2e-'));
  // WebAuthn needs a domain for its RP id (not an IP address): the portal is http://localhost:PORT
  // (a secure context), listening on 127.0.0.1.
  const port = await freePort();
  base = `http://localhost:${port}`;
  const config = join(data, 'config.toml');
  writeFileSync(config, `[terminals]\npolicy = "required"\n`);
  server = spawn(bin, ['serve', '--port', String(port), '--origin', base, '--data', join(data, 'd'),
    '--config', config, '--no-first-invitation'], { cwd: data, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((ok, fail) => {
    let out = '';
    server.stdout.on('data', (chunk) => { out += chunk; if (/http:\/\/\S+/.test(out)) ok(); });
    server.on('exit', (code) => fail(new Error(`server exited with ${code}`)));
    setTimeout(() => fail(new Error('server did not start in 20 s')), 20000);
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP localhost 127.0.0.1'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (data) rmSync(data, { recursive: true, force: true });
});

function admin(...args) {
  return execFileSync(bin, [...args, '--data', join(data, 'd'), '--config', join(data, 'config.toml')], { encoding: 'utf8' });
}

/** A fresh browser profile with its own virtual authenticator (a TPM-like platform passkey). */
async function profile(name, extra = {}) {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true, ...extra,
    },
  });
  const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  return { name, context, page, errors, credentials };
}

async function answerFrom(page, gridSelector) {
  const digits = await page.$$eval(`${gridSelector} td[data-cell]`, (tds) =>
    Object.fromEntries(tds.map((td) => [td.dataset.cell, td.textContent])));
  const ds = PATTERN.map((c) => digits[c]);
  assert.ok(ds.every((d) => /^[0-9]$/.test(d)), `grid shows digits: ${ds}`);
  return [...ds.slice(0, FIXED_AT), FIXED, ...ds.slice(FIXED_AT)].join('');
}

/** Logs `user` in on `p`'s page: the passkey, then the grid, then the answer. */
async function logIn(p, user) {
  const t0 = Date.now();
  await p.page.goto(`${base}/?user=${encodeURIComponent(user)}`);
  await p.page.waitForSelector('#login td[data-cell="H8"]');
  const tGrid = Date.now() - t0;
  await p.page.fill('#login input[name="answer"]', await answerFrom(p.page, '#login'));
  await p.page.click('#login button[type="submit"]');
  await p.page.waitForURL(/\/vpn\?/);
  return tGrid;
}

/** `user`'s login on `p` stops before any grid. */
async function refused(p, user) {
  await p.page.goto(`${base}/?user=${encodeURIComponent(user)}`);
  await p.page.waitForSelector('#login[data-outcome="terminal_refused"]', { timeout: 60000 });
  assert.equal(await p.page.$$eval('td[data-cell]', (tds) => tds.length), 0, 'no grid shown');
  assert.match(await p.page.textContent('#login'), /端末/);
}

/** Logs `user` in to the console on `p`: the id, the terminal step, the server-drawn grid. */
async function consoleLogIn(p, user) {
  const t0 = Date.now();
  await p.page.goto(`${base}/console/login`);
  await p.page.fill('#user', user);
  await p.page.click('form[action="/console/login"] button');
  await p.page.click('#terminal-go');
  await p.page.waitForSelector('table.console-grid td[data-cell="H8"]');
  const tGrid = Date.now() - t0;
  await p.page.fill('#answer', await answerFrom(p.page, 'table.console-grid'));
  await Promise.all([p.page.waitForURL(/\/console\/requests$/), p.page.click('form[action="/console/login/answer"] button')]);
  return tGrid;
}

/** `user`'s console login on `p` stops at the terminal step: no grid. */
async function consoleRefused(p, user) {
  await p.page.goto(`${base}/console/login`);
  await p.page.fill('#user', user);
  await p.page.click('form[action="/console/login"] button');
  await p.page.click('#terminal-go');
  await p.page.waitForSelector('#terminal-status[data-error]', { timeout: 60000 });
  assert.equal(await p.page.$$eval('td[data-cell]', (tds) => tds.length), 0, 'no grid shown');
  assert.match(await p.page.textContent('#terminal-status'), /端末/);
}

test('enrol with pattern and terminal; an unregistered profile is refused; a terminal invitation adds it; revoking refuses it', { timeout: 240000 }, async () => {
  const started = Date.now();
  const a = await profile('A');
  // --- Enrolment: the pattern, then this browser's passkey.
  const { link } = JSON.parse(admin('users', 'invite', 'alice', '--origin', base, '--json'));
  await a.page.goto(link);
  await a.page.waitForSelector('#enroll[data-ready="yes"]');
  for (const c of PATTERN) await a.page.click(`#select-grid td[data-cell="${c}"]`);
  await a.page.fill('#fixed', FIXED);
  await a.page.selectOption('#fixed-at', String(FIXED_AT));
  await a.page.click('#practice-start');
  await a.page.fill('#practice-answer', await answerFrom(a.page, '#practice-grid'));
  await a.page.click('#practice-form button');
  await a.page.click('#save');
  await a.page.waitForSelector('#terminal-step:not([hidden]) #terminal-register');
  await a.page.fill('#terminal-name', '保守端末A');
  await a.page.click('#terminal-register');
  await a.page.waitForSelector('#terminal-login-link');
  await a.page.screenshot({ path: join(shots, 'terminal-enrolled.png'), fullPage: true });
  assert.equal((await a.credentials()).length, 1, 'one passkey in A');
  let list = JSON.parse(admin('terminals', 'list', 'alice', '--json'));
  assert.equal(list.policy, 'required (site)');
  assert.equal(list.terminals.length, 1);
  assert.equal(list.terminals[0].name, '保守端末A');

  // --- Login on A: passkey first, then the grid.
  const msA = await logIn(a, 'alice');
  // --- The console's login on A: the same terminal step, then the grid.
  const msConsole = await consoleLogIn(a, 'alice');
  await a.page.screenshot({ path: join(shots, 'terminal-console.png'), fullPage: true });
  // With JavaScript off the terminal step says it needs it, and shows no grid.
  const nojs = await browser.newContext({ locale: 'ja-JP', javaScriptEnabled: false });
  const np = await nojs.newPage();
  await np.goto(`${base}/console/login`);
  await np.fill('#user', 'alice');
  await np.click('form[action="/console/login"] button');
  await np.waitForSelector('#terminal-form');
  assert.match(await np.textContent('main'), /JavaScript/);
  assert.equal(await np.$$eval('td[data-cell]', (tds) => tds.length), 0, 'no grid without JavaScript');
  await nojs.close();
  list = JSON.parse(admin('terminals', 'list', 'alice', '--json'));
  assert.ok(list.terminals[0].lastUsedAt, 'last use recorded');
  assert.ok(list.terminals[0].counter >= 1, `counter moved: ${list.terminals[0].counter}`);

  // --- B: a second profile, its own authenticator, unregistered: no grid.
  const b = await profile('B');
  await refused(b, 'alice');
  await b.page.screenshot({ path: join(shots, 'terminal-refused.png'), fullPage: true });
  // Unknown ids go through the same step and stop the same way.
  await refused(b, 'nobody-here');
  // And at the console: the same step for alice and an unknown id, no grid.
  await consoleRefused(b, 'alice');
  await consoleRefused(b, 'nobody-here');

  // --- A terminal invitation registers B; B logs in.
  const inv = JSON.parse(admin('users', 'invite', '--terminal', 'alice', '--origin', base, '--json'));
  assert.match(inv.link, new RegExp(`^${base}/enroll#terminal=`));
  await b.page.goto(inv.link);
  await b.page.waitForSelector('#enroll[data-ready="terminal"]');
  await b.page.fill('#terminal-name', '保守端末B');
  await b.page.click('#terminal-register');
  await b.page.waitForSelector('#terminal-login-link');
  // The invitation is used up: the link again registers nothing.
  const again = await b.context.newPage();
  await again.goto(inv.link);
  await again.waitForSelector('#enroll[data-ready="no-invite"]');
  await again.close();
  const msB = await logIn(b, 'alice');

  // --- Revoking B refuses it again; A still logs in.
  list = JSON.parse(admin('terminals', 'list', 'alice', '--json'));
  const tb = list.terminals.find((t) => t.name === '保守端末B');
  assert.ok(tb, JSON.stringify(list));
  assert.match(admin('terminals', 'revoke', 'alice', String(tb.id)), /revoked/);
  await refused(b, 'alice');
  await logIn(a, 'alice');
  // --- C: a synced passkey (backup-eligible) is refused at registration; the invitation stays unused.
  const c = await profile('C', { defaultBackupEligibility: true, defaultBackupState: true });
  const invC = JSON.parse(admin('users', 'invite', '--terminal', 'alice', '--origin', base, '--json'));
  await c.page.goto(invC.link);
  await c.page.waitForSelector('#enroll[data-ready="terminal"]');
  await c.page.click('#terminal-register');
  await c.page.waitForSelector('#terminal-result[data-error="terminal_synced"]');
  assert.match(await c.page.textContent('#terminal-result'), /同期・バックアップ/);
  assert.equal(JSON.parse(admin('terminals', 'list', 'alice', '--json')).terminals.length, 2, 'nothing added');
  await c.context.close();
  const audit = admin('audit', 'tail', '--json');
  assert.match(audit, /"event":"terminal_registered"/);
  assert.match(audit, /"event":"terminal_used"/);
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
  console.log(`terminals e2e: passkey+grid shown in ${msA} ms (A), ${msB} ms (B), console ${msConsole} ms (A); whole test ${Date.now() - started} ms`);
  await a.context.close();
  await b.context.close();
});

/** Enrols the invitation `link` on `p`: the pattern, then `p`'s passkey named `name`. */
async function enrol(p, link, name) {
  await p.page.goto(link);
  await p.page.waitForSelector('#enroll[data-ready="yes"]');
  for (const c of PATTERN) await p.page.click(`#select-grid td[data-cell="${c}"]`);
  await p.page.fill('#fixed', FIXED);
  await p.page.selectOption('#fixed-at', String(FIXED_AT));
  await p.page.click('#practice-start');
  await p.page.fill('#practice-answer', await answerFrom(p.page, '#practice-grid'));
  await p.page.click('#practice-form button');
  await p.page.click('#save');
  await p.page.waitForSelector('#terminal-step:not([hidden]) #terminal-register');
  await p.page.fill('#terminal-name', name);
  await p.page.click('#terminal-register');
  await p.page.waitForSelector('#terminal-login-link');
}

test('the console\'s terminals page: an admin renames, invites a terminal (QR code) and revokes one, which is then refused', { timeout: 240000 }, async () => {
  const started = Date.now();
  const r = await profile('R');
  const v = await profile('V');
  const w = await profile('W');
  await enrol(r, JSON.parse(admin('users', 'invite', 'root', '--role', 'admin', '--origin', base, '--json')).link, '管理端末');
  await enrol(v, JSON.parse(admin('users', 'invite', 'vendor1', '--origin', base, '--json')).link, '保守端末V');
  await logIn(v, 'vendor1');
  await consoleLogIn(r, 'root');
  // The Users page links the user's terminals.
  await r.page.goto(`${base}/console/users`);
  await Promise.all([r.page.waitForURL(/\/console\/users\/vendor1\/terminals$/),
    r.page.click('tr[data-user="vendor1"] a[href="/console/users/vendor1/terminals"]')]);
  assert.equal((await r.page.textContent('tr[data-terminal] td.name')).trim(), '保守端末V');
  assert.notEqual((await r.page.textContent('tr[data-terminal] td.last-used')).trim(), '未使用', 'last use shown');
  // Rename.
  await r.page.fill('tr[data-terminal] form[action$="/rename"] input[name="name"]', '保守端末（本庁）');
  await Promise.all([r.page.waitForURL(/\?ok=1$/), r.page.click('tr[data-terminal] form[action$="/rename"] button')]);
  assert.equal((await r.page.textContent('tr[data-terminal] td.name')).trim(), '保守端末（本庁）');
  assert.equal(JSON.parse(admin('terminals', 'list', 'vendor1', '--json')).terminals[0].name, '保守端末（本庁）');
  // A terminal invitation: the link and its QR code; W registers with the link and logs in.
  await r.page.click('form[action$="/terminals/invite"] button');
  await r.page.waitForSelector('.qr svg');
  const link = (await r.page.textContent('#invite-link')).trim();
  assert.match(link, new RegExp(`^${base}/enroll#terminal=`));
  await r.page.screenshot({ path: join(shots, 'console-terminal-invite.png'), fullPage: true });
  await w.page.goto(link);
  await w.page.waitForSelector('#enroll[data-ready="terminal"]');
  await w.page.fill('#terminal-name', '保守端末W');
  await w.page.click('#terminal-register');
  await w.page.waitForSelector('#terminal-login-link');
  await logIn(w, 'vendor1');
  // Revoke V's terminal (after the confirmation): V stops before any grid, W still logs in.
  await r.page.goto(`${base}/console/users/vendor1/terminals`);
  assert.equal(await r.page.$$eval('tr[data-terminal]', (rows) => rows.length), 2);
  const vid = JSON.parse(admin('terminals', 'list', 'vendor1', '--json')).terminals.find((t) => t.name === '保守端末（本庁）').id;
  r.page.once('dialog', (d) => d.accept());
  await Promise.all([r.page.waitForURL(/\?ok=1$/), r.page.click(`tr[data-terminal="${vid}"] form[action$="/revoke"] button`)]);
  assert.match(await r.page.textContent(`tr[data-terminal="${vid}"] td.revoked`), /失効済み/);
  await r.page.screenshot({ path: join(shots, 'console-terminals.png'), fullPage: true });
  await refused(v, 'vendor1');
  await logIn(w, 'vendor1');
  const audit = admin('audit', 'tail', '--json');
  for (const action of ['terminal_rename', 'terminal_invite', 'terminal_revoke']) {
    assert.ok(audit.split('\n').some((l) => l.includes(`"action":"${action}"`) && l.includes('"operator":"console:root"')), action);
  }
  assert.deepEqual([...r.errors, ...v.errors, ...w.errors], []);
  console.log(`console terminals e2e: ${Date.now() - started} ms`);
  for (const p of [r, v, w]) await p.context.close();
});
