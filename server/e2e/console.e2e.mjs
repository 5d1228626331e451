// End to end: the console (issue 23) in Debian's headless Chromium through playwright-core, on
// `matrixauth serve` with a temporary data folder. The first administrator (invited with
// `users invite --role admin`) enrols and logs in to /console with her own grid; she invites an
// approver, an auditor and a vendor from the Users page (a link and its QR code); each enrols
// through their link. The vendor files a request; the approver approves it, which creates the
// access window; the vendor logs in at the portal inside it and is refused outside it; the approver
// turns everyone off (the vendor is refused) and back on; the vendor files the report; the auditor
// exports requests and the audit log. Screenshots of each console page (Japanese) go to
// target/e2e/console-*.png, or with CONSOLE_SHOTS=docs to docs/console-*.png.
//
//   MATRIXAUTH_BIN=target/debug/matrixauth node --test server/e2e/console.e2e.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(new URL('../..', import.meta.url).pathname);
const bin = process.env.MATRIXAUTH_BIN ?? join(root, 'target/debug/matrixauth');
const shots = join(root, 'target/e2e');
// The console's screenshots: target/e2e/, or docs/ to refresh the committed ones
// (CONSOLE_SHOTS=docs scripts/console-e2e.sh).
const docs = process.env.CONSOLE_SHOTS === 'docs' ? join(root, 'docs') : shots;
const PATTERN = ['B2', 'G3', 'D5', 'A8', 'H1', 'E6'];
const FIXED = 'pw';
const FIXED_AT = 2;
// The server and the times typed into its forms share one time zone.
const env = { ...process.env, TZ: 'UTC' };

let server;
let base;
let browser;
let data;

before(async () => {
  mkdirSync(shots, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'matrixauth-console-e2e-'));
  server = spawn(bin, ['serve', '--port', '0', '--data', data, '--no-first-invitation'], {
    cwd: data, env, stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise((ok, fail) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) ok(m[0].replace(/\/$/, ''));
    });
    server.on('exit', (code) => fail(new Error(`server exited with ${code}`)));
    setTimeout(() => fail(new Error('server did not start in 20 s')), 20000);
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (data) rmSync(data, { recursive: true, force: true });
});

function admin(...args) {
  return execFileSync(bin, [...args, '--data', data], { encoding: 'utf8', env });
}

/** The digits under the pattern with the fixed string inserted, read from `data-cell` cells. */
async function answerFrom(page, gridSelector) {
  const digits = await page.$$eval(`${gridSelector} td[data-cell]`, (tds) =>
    Object.fromEntries(tds.map((td) => [td.dataset.cell, td.textContent.trim()])));
  const ds = PATTERN.map((c) => digits[c]);
  assert.ok(ds.every((d) => /^[0-9]$/.test(d)), `grid shows digits: ${ds}`);
  return [...ds.slice(0, FIXED_AT), FIXED, ...ds.slice(FIXED_AT)].join('');
}

/** Enrols the holder of `link` in a fresh browser context (the portal's enrollment page). */
async function enrol(link) {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  await page.goto(link);
  await page.waitForSelector('#enroll[data-ready="yes"]');
  for (const c of PATTERN) await page.click(`#select-grid td[data-cell="${c}"]`);
  await page.fill('#fixed', FIXED);
  await page.selectOption('#fixed-at', String(FIXED_AT));
  await page.click('#practice-start');
  await page.fill('#practice-answer', await answerFrom(page, '#practice-grid'));
  await page.click('#practice-form button');
  assert.equal(await page.getAttribute('#practice-result', 'data-outcome'), 'accepted');
  await page.click('#save');
  await page.waitForSelector('#login-link');
  await context.close();
}

/** Logs `user` in to the console with their grid; returns the page (on the requests page). */
async function consoleLogin(user, shot) {
  const context = await browser.newContext({ locale: 'ja-JP', acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => assert.fail(`script error on ${page.url()}: ${e.message}`));
  await page.goto(`${base}/console`);
  await page.waitForSelector('#user');
  if (shot) await page.screenshot({ path: join(docs, 'console-login.png'), fullPage: true });
  await page.fill('#user', user);
  await page.click('form[action="/console/login"] button');
  await page.waitForSelector('table.console-grid td[data-cell="H8"]');
  await page.fill('#answer', await answerFrom(page, 'table.console-grid'));
  await Promise.all([page.waitForURL(/\/console\/requests$/), page.click('form[action="/console/login/answer"] button')]);
  return page;
}

/** A portal login of `user`: the outcome the page shows (`accepted` leads to /vpn). */
async function portalLogin(user) {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  await page.goto(`${base}/?user=${user}`);
  await page.waitForSelector('#login td[data-cell="H8"]');
  await page.fill('#login input[name="answer"]', await answerFrom(page, '#login'));
  await page.click('#login button[type="submit"]');
  const seen = await page.waitForFunction(() => (location.pathname === '/vpn' ? 'accepted' : '')
    || document.querySelector('#login')?.dataset.outcome);
  const outcome = await seen.jsonValue();
  await context.close();
  return outcome;
}

/** `YYYY-MM-DDTHH:MM` in UTC (the server's zone here), `minutes` from now. */
function at(minutes) {
  return new Date(Date.now() + minutes * 60000).toISOString().slice(0, 16);
}

/** Invites `user` with `role` (or none) on the Users page; returns the link. */
async function invite(page, user, role, shot) {
  await page.goto(`${base}/console/users`);
  await page.fill('#invite-user', user);
  if (role) await page.check(`form[action="/console/users/invite"] input[name="role_${role}"]`);
  await page.click('form[action="/console/users/invite"] button');
  await page.waitForSelector('#invite-link');
  assert.ok(await page.$('.qr svg'), 'a QR code of the link');
  if (shot) await page.screenshot({ path: join(docs, 'console-invite.png'), fullPage: true });
  return (await page.textContent('#invite-link')).trim();
}

test('the console: roles, a request approved, everyone off, the report and its export', { timeout: 180000 }, async () => {
  const started = Date.now();
  // --- The first administrator, from the command line; she enrols and logs in to the console.
  const { link } = JSON.parse(admin('users', 'invite', 'boss', '--role', 'admin', '--origin', base, '--json'));
  await enrol(link);
  const boss = await consoleLogin('boss', true);
  assert.equal(await boss.getAttribute('html', 'lang'), 'ja');

  // --- She invites an approver, an auditor and a vendor; each enrols through their link.
  const links = {
    appr: await invite(boss, 'appr', 'approver', true),
    aud: await invite(boss, 'aud', 'auditor', false),
    acme: await invite(boss, 'acme', null, false),
  };
  for (const l of Object.values(links)) await enrol(l);
  await boss.goto(`${base}/console/users`);
  assert.match(await boss.textContent('tr[data-user="appr"]'), /approver/);
  assert.match(await boss.textContent('tr[data-user="aud"]'), /auditor/);
  await boss.screenshot({ path: join(docs, 'console-users.png'), fullPage: true });

  // --- The vendor files a request for a period that has begun.
  const acme = await consoleLogin('acme');
  assert.equal(await acme.$('a[href="/console/users"]'), null, 'no Users page for a vendor');
  await acme.fill('#from', at(-5));
  await acme.fill('#to', at(120));
  await acme.fill('#purpose', '月次パッチ適用');
  await acme.fill('#work', 'OS の更新プログラムを適用し再起動する');
  await acme.fill('#targets', 'web01, db01');
  await acme.fill('#operator', '山田 太郎');
  await acme.fill('#manager', '佐藤 花子（承認済み）');
  await Promise.all([acme.waitForURL(/\/console\/requests\/1\?ok=1$/), acme.click('#file-request button')]);
  assert.equal((await acme.textContent('#state')).trim(), '承認待ち');
  // A vendor may not approve (the service says so, whatever the page shows).
  const forged = await acme.request.post(`${base}/console/requests/1/approve`, {
    headers: { Origin: base }, form: { csrf: await acme.getAttribute('input[name="csrf"]', 'value') },
  });
  assert.equal(forged.status(), 403);

  // --- The approver approves: the access window exists.
  const appr = await consoleLogin('appr');
  await appr.waitForSelector('div.pending[data-request="1"]');
  await appr.screenshot({ path: join(docs, 'console-requests.png'), fullPage: true });
  await Promise.all([appr.waitForURL(/\/console\/requests\/1\?ok=1$/), appr.click('form[action="/console/requests/1/approve"] button')]);
  assert.equal((await appr.textContent('#state')).trim(), '承認済み');
  assert.match(admin('users', 'show', 'acme'), /access windows:\s+1 \(may log in now: yes\)/);

  // --- Inside the window the vendor logs in at the portal; outside it, she is refused.
  assert.equal(await portalLogin('acme'), 'accepted');
  await acme.goto(`${base}/console/requests`);
  await acme.fill('#from', at(24 * 60));
  await acme.fill('#to', at(24 * 60 + 60));
  await acme.fill('#purpose', '翌日の作業');
  await acme.fill('#work', '確認作業');
  await acme.fill('#targets', 'web01');
  await acme.fill('#operator', '山田 太郎');
  await acme.fill('#manager', '佐藤 花子');
  await Promise.all([acme.waitForURL(/\/console\/requests\/2\?ok=1$/), acme.click('#file-request button')]);
  await appr.goto(`${base}/console/requests`);
  await Promise.all([appr.waitForURL(/\/console\/requests\/2\?ok=1$/), appr.click('form[action="/console/requests/2/approve"] button')]);
  admin('users', 'window', 'remove', 'acme', '1'); // only tomorrow's window is left
  assert.equal(await portalLogin('acme'), 'outside_window');
  const today = { from: at(-5), to: at(120) };
  await acme.goto(`${base}/console/requests`);
  await acme.fill('#from', today.from);
  await acme.fill('#to', today.to);
  await acme.fill('#purpose', '作業の続き');
  await acme.fill('#work', '再起動の確認');
  await acme.fill('#targets', 'db01');
  await acme.fill('#operator', '山田 太郎');
  await acme.fill('#manager', '佐藤 花子');
  await Promise.all([acme.waitForURL(/\/console\/requests\/3\?ok=1$/), acme.click('#file-request button')]);
  await appr.goto(`${base}/console/requests`);
  await Promise.all([appr.waitForURL(/\/console\/requests\/3\?ok=1$/), appr.click('form[action="/console/requests/3/approve"] button')]);
  assert.equal(await portalLogin('acme'), 'accepted');

  // --- Everyone off: the approver confirms; the vendor is refused; then everyone back.
  await appr.goto(`${base}/console/off`);
  await appr.screenshot({ path: join(docs, 'console-off.png'), fullPage: true });
  await appr.check('#everyone-off input[name="confirm"]');
  await appr.click('#everyone-off button');
  await appr.waitForSelector('#flash');
  assert.match(await appr.textContent('#flash'), /^1 /, 'one vendor user suspended');
  assert.equal(await portalLogin('acme'), 'rejected', 'a suspended user gets a wrong answer\'s reply');
  assert.equal(await portalLogin('appr'), 'accepted', 'the city\'s staff are not suspended');
  // Her console session ends too.
  await acme.goto(`${base}/console/requests`);
  assert.match(acme.url(), /\/console\/login$/);
  await appr.check('#everyone-on input[name="confirm"]');
  await appr.click('#everyone-on button');
  await appr.waitForSelector('#flash');
  assert.equal(await portalLogin('acme'), 'accepted');

  // --- The vendor logs in to the console again and files the report of request 3.
  await acme.context().close();
  const acme2 = await consoleLogin('acme');
  await acme2.goto(`${base}/console/requests/3`);
  await acme2.fill('#done', 'パッチ 12 件を適用し、db01 を再起動した');
  await acme2.fill('#result', '正常終了');
  await acme2.fill('#follow_up', 'なし');
  await Promise.all([acme2.waitForURL(/\/console\/requests\/3\?ok=1$/), acme2.click('#report button')]);
  assert.equal((await acme2.textContent('#state')).trim(), '報告済み');
  await acme2.screenshot({ path: join(docs, 'console-request.png'), fullPage: true });

  // --- The auditor exports the requests with their reports, and the audit log.
  const aud = await consoleLogin('aud');
  await aud.goto(`${base}/console/requests`);
  const [download] = await Promise.all([aud.waitForEvent('download'), aud.click('a[href="/console/requests.csv"]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  const rows = csv.trim().split('\r\n');
  assert.equal(rows.length, 4, csv);
  assert.match(rows[3], /^"3","acme","reported",/);
  assert.match(rows[3], /パッチ 12 件を適用し、db01 を再起動した/);
  await aud.goto(`${base}/console/audit?kind=request_approved`);
  assert.equal(await aud.$$eval('ol.audit li', (l) => l.length), 3);
  await aud.goto(`${base}/console/audit`);
  await aud.screenshot({ path: join(docs, 'console-audit.png') });
  const [jsonl] = await Promise.all([aud.waitForEvent('download'), aud.click('a[href^="/console/audit.jsonl"]')]);
  const events = readFileSync(await jsonl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const e of ['request_filed', 'request_approved', 'request_reported']) {
    assert.ok(events.some((l) => l.event === e), e);
  }
  assert.ok(events.some((l) => l.action === 'suspend_all' && l.operator === 'console:appr'));
  // An auditor changes nothing.
  assert.equal(await aud.$('a[href="/console/off"]'), null);
  const refused = await aud.request.post(`${base}/console/off`, {
    headers: { Origin: base },
    form: { csrf: await aud.getAttribute('input[name="csrf"]', 'value'), action: 'suspend', confirm: 'yes' },
  });
  assert.equal(refused.status(), 403);
  // The CLI sees the same requests.
  assert.match(admin('requests', 'list'), /3\tacme\treported/);
  console.log(`console e2e: ${((Date.now() - started) / 1000).toFixed(1)} s in the browser`);
});
