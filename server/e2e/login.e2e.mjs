// End to end: the server on a free 127.0.0.1 port with a temporary data folder, driven in
// Debian's headless Chromium through playwright-core, and administered with the real binary. The
// administrator invites alice; she enrols through the link by clicking cells and passing the
// practice round, logs in by reading the digits from the data-cell elements, follows the hand-off
// to /vpn, locks herself with five wrong answers, is unlocked by the administrator, and is
// refused outside an approved access period. A page on another origin then tries to lock her
// through the visitor's browser, and must not. The administrator issues erin a grid card; she logs
// in, in Japanese and in English, by typing the values the printed card shows in the cells the
// page names (after one wrong answer each). Unknown ids get a grid or a card, the same for the
// same id. A second server with an appliance URL hands a card holder's login on to the appliance
// with a posted form. Screenshots land in target/e2e/.
//
//   MATRIXAUTH_BIN=target/debug/matrixauth node --test server/e2e/login.e2e.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(new URL('../..', import.meta.url).pathname);
const bin = process.env.MATRIXAUTH_BIN ?? join(root, 'target/debug/matrixauth');
const shots = join(root, 'target/e2e');
const LOCK_SECONDS = 6;
const PATTERN = ['B2', 'G3', 'D5', 'A8', 'H1', 'E6'];
const FIXED = 'pw';
const FIXED_AT = 2;

let server;
let base;
let browser;
let data;

/** `matrixauth serve` on a free port with `dir` as its data folder: the process and its base URL. */
async function serve(dir, ...args) {
  // Started outside the source tree: the pages and the WASM package come from the binary.
  const proc = spawn(bin, ['serve', '--port', '0', '--data', dir, '--no-first-invitation', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((ok, fail) => {
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) ok(m[0].replace(/\/$/, ''));
    });
    proc.on('exit', (code) => fail(new Error(`server exited with ${code}`)));
    setTimeout(() => fail(new Error('server did not start in 20 s')), 20000);
  });
  return { proc, url };
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'matrixauth-e2e-'));
  ({ proc: server, url: base } = await serve(data, '--lockout-seconds', String(LOCK_SECONDS)));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    // playwright gives every launch a fresh, empty profile (its own --user-data-dir).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (data) rmSync(data, { recursive: true, force: true });
});

/** The digits under the pattern with the fixed string inserted: what the user types. */
async function answerFrom(page, gridSelector) {
  const digits = await page.$$eval(`${gridSelector} td[data-cell]`, (tds) =>
    Object.fromEntries(tds.map((td) => [td.dataset.cell, td.textContent])));
  const ds = PATTERN.map((c) => digits[c]);
  assert.ok(ds.every((d) => /^[0-9]$/.test(d)), `grid shows digits: ${ds}`);
  return [...ds.slice(0, FIXED_AT), FIXED, ...ds.slice(FIXED_AT)].join('');
}

async function gridText(page) {
  return page.$$eval('#login td[data-cell]', (tds) => tds.map((td) => td.dataset.cell + td.textContent).join(' '));
}

/** An administrator's command on the server's data folder (the real binary, as a person runs it). */
function admin(...args) {
  return adminOn(data, ...args);
}

function adminOn(dir, ...args) {
  return execFileSync(bin, [...args, '--data', dir], { encoding: 'utf8', env: { ...process.env, TZ: 'Asia/Tokyo' } });
}

/**
 * The card as `matrixauth card USER` prints it: `Grid card MX-ABCD-EFGH`, a row of column
 * letters, then `row value value …` per row. Returns the serial and the value of every cell.
 */
function parseCard(text) {
  const [title, header, ...rows] = text.trimEnd().split('\n');
  const serial = title.match(/\bMX-[A-Z0-9]{4}-[A-Z0-9]{4}\b/)?.[0];
  assert.ok(serial, `a serial on the first line: ${title}`);
  const letters = header.trim().split(/\s+/);
  const values = {};
  for (const line of rows) {
    const [row, ...cells] = line.trim().split(/\s+/);
    assert.equal(cells.length, letters.length, `a value under every column: ${line}`);
    cells.forEach((v, i) => { values[`${letters[i]}${row}`] = v; });
  }
  return { serial, values };
}

/** The cells a card challenge asks for, in order, read from the page's grid (data-order). */
async function askedCells(page) {
  const cells = await page.$$eval('#login td[data-order]', (tds) =>
    tds.map((td) => [Number(td.dataset.order), td.dataset.cell]).sort((a, b) => a[0] - b[0]).map(([, c]) => c));
  assert.equal(await page.getAttribute('#login .mx-card-cells', 'data-cells'), cells.join(' '), 'the list names the marked cells');
  return cells;
}

/** What the card holder types: the card's values in the asked cells, in order. */
function cardAnswer(card, cells) {
  return cells.map((c) => card.values[c]).join('');
}

/** One character changed: a wrong answer of the right length. */
function wrongAnswer(answer) {
  return String((Number(answer[0]) + 1) % 10) + answer.slice(1);
}

const SESSION_SECONDS = 28800;

test('invitation, enrollment, login, lock, admin unlock, access period', { timeout: 120000 }, async () => {
  const started = Date.now();
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // 403 (the used invitation, the replayed ticket) and 423 (the lock) are answers this test provokes.
  page.on('console', (m) => m.type() === 'error' && !/status of (403|423)/.test(m.text()) && errors.push(m.text()));

  // --- Enrollment is never open: without an invitation the page says how to get one.
  await page.goto(`${base}/enroll`);
  await page.waitForSelector('#enroll[data-ready="no-invite"]');
  assert.match(await page.textContent('#no-invite'), /管理者が発行した招待リンク/);
  assert.equal(await page.isVisible('#select-grid'), false);

  // --- The administrator invites alice; the link enrols alice, once.
  const { link } = JSON.parse(admin('users', 'invite', 'alice', '--origin', base, '--json'));
  assert.match(link, new RegExp(`^${base}/enroll#invite=[0-9a-f]{64}$`));
  await page.goto(link);
  await page.waitForSelector('#enroll[data-ready="yes"]');
  assert.equal(await page.getAttribute('#invitee', 'data-user'), 'alice');
  for (const c of ['A1', 'B1', 'C1', 'D1', 'E1', 'F1']) await page.click(`#select-grid td[data-cell="${c}"]`);
  await page.waitForSelector('#warnings li');
  assert.match(await page.textContent('#warnings'), /一直線/, 'a straight line is flagged as weak');
  assert.equal(await page.isDisabled('#practice-start'), true);
  await page.click('#clear');
  for (const c of PATTERN) await page.click(`#select-grid td[data-cell="${c}"]`);
  assert.equal(await page.textContent('#select-grid td[data-cell="G3"]'), '2', 'order numbers are shown');
  // A chosen cell beside the block gap stays inside its frame (its colour does not fill the gap).
  assert.equal(await page.$eval('#select-grid td[data-cell="D5"]', (td) => getComputedStyle(td).backgroundClip), 'padding-box');
  await page.fill('#fixed', FIXED);
  await page.selectOption('#fixed-at', String(FIXED_AT));
  assert.equal(await page.getAttribute('#warnings', 'data-count'), '0');
  // Strength in words people read, not 1.51e+5.
  const strength = await page.textContent('#strength');
  assert.match(strength, /100 万回に 1 回/);
  assert.match(strength, /万通り/);
  assert.doesNotMatch(strength, /e[+-]\d/);
  assert.equal(await page.isDisabled('#save'), true, 'saving needs the practice round');
  await page.click('#practice-start');
  await page.fill('#practice-answer', '0000000');
  await page.click('#practice-form button');
  assert.equal(await page.getAttribute('#practice-result', 'data-outcome'), 'rejected');
  assert.equal(await page.isDisabled('#save'), true);
  await page.fill('#practice-answer', await answerFrom(page, '#practice-grid'));
  await page.click('#practice-form button');
  assert.equal(await page.getAttribute('#practice-result', 'data-outcome'), 'accepted');
  await page.screenshot({ path: join(shots, 'enroll.png'), fullPage: true });
  await page.click('#save');
  await page.waitForSelector('#login-link');
  assert.equal(new URL(page.url()).hash, '', 'the used link leaves the address bar');
  // The same link again: refused, in the page's language.
  const reuse = await context.newPage();
  await reuse.goto(link);
  await reuse.waitForSelector('#enroll[data-ready="no-invite"]');
  assert.match(await reuse.textContent('#no-invite'), /この招待リンクは使えません/);
  await reuse.close();

  // --- Login: the grid, a refresh shows the same grid, answer, hand-off.
  await page.click('#login-link');
  await page.waitForSelector('#login td[data-cell="H8"]');
  assert.equal(await page.getAttribute('#login input[name="answer"]', 'type'), 'text');
  assert.equal(await page.getAttribute('#login input[name="answer"]', 'autocomplete'), 'one-time-code');
  assert.equal(await page.getAttribute('#login td[data-cell="B3"]', 'aria-label'), `列 B、行 3: ${await page.textContent('#login td[data-cell="B3"]')}`);
  assert.match(await page.textContent('.mx-countdown'), /残り [23]:\d\d/);
  // The countdown is not read out every second: only a hidden region, at thresholds.
  assert.equal(await page.getAttribute('.mx-countdown', 'aria-live'), null);
  assert.equal(await page.getAttribute('.mx-countdown', 'aria-hidden'), 'true');
  assert.equal(await page.getAttribute('.mx-sr-only', 'aria-live'), 'polite');
  assert.equal(await page.textContent('.mx-sr-only'), '', 'nothing announced between thresholds');
  // The block gap keeps every cell's frame: D1 (right of the gap) and A4 (above it).
  for (const cell of ['D1', 'A4', 'D4']) {
    const frame = await page.$eval(`#login td[data-cell="${cell}"]`, (td) => getComputedStyle(td).boxShadow);
    assert.match(frame, /inset/, `${cell} keeps its frame inside the gap: ${frame}`);
  }
  // With the page's clock driven: read out at 2 minutes and at 1 minute left, not in between.
  const timed = await context.newPage();
  await timed.clock.install();
  await timed.goto(`${base}/?user=alice`);
  await timed.waitForSelector('#login td[data-cell="H8"]');
  await timed.clock.fastForward('00:30');
  assert.equal(await timed.textContent('.mx-sr-only'), '', 'nothing at 2:30 left');
  await timed.clock.fastForward('00:31');
  assert.equal(await timed.textContent('.mx-sr-only'), '残り 2 分です。');
  await timed.clock.fastForward('00:30');
  assert.equal(await timed.textContent('.mx-sr-only'), '残り 2 分です。', 'unchanged between thresholds');
  await timed.clock.fastForward('00:30');
  assert.equal(await timed.textContent('.mx-sr-only'), '残り 1 分です。');
  await timed.close();
  const first = await gridText(page);
  await page.screenshot({ path: join(shots, 'login.png'), fullPage: true });
  await page.reload();
  await page.waitForSelector('#login td[data-cell="H8"]');
  assert.equal(await gridText(page), first, 'refreshing shows the same grid');
  const answer = await answerFrom(page, '#login');
  // Full-width input is accepted.
  const wide = Array.from(answer, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
  await page.fill('#login input[name="answer"]', wide);
  await Promise.all([page.waitForURL(/\/vpn\?ticket=/), page.click('#login button[type="submit"]')]);
  await page.waitForSelector('#greeting');
  assert.equal(await page.getAttribute('#greeting', 'data-user'), 'alice');
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await page.screenshot({ path: join(shots, 'vpn.png'), fullPage: true });
  // The ticket is single use: the same URL again is refused.
  const vpnUrl = page.url();
  const again = await page.goto(vpnUrl);
  assert.equal(again.status(), 403);
  assert.equal(await page.getAttribute('#refused', 'data-reason'), 'replayed');
  assert.match(await page.textContent('#refused'), /使用済み/);
  assert.doesNotMatch(await page.textContent('body'), /replayed/, 'no English code in the Japanese page');

  // --- Five wrong answers lock the user; no grid; the administrator unlocks.
  await page.goto(`${base}/?user=alice`);
  for (let i = 1; i <= 5; i++) {
    await page.waitForSelector('#login td[data-cell="H8"]');
    await page.fill('#login input[name="answer"]', '0000000000');
    // Each answer's reply is awaited: the error message stays up from the first one, so waiting
    // for it alone let a click land while the previous answer was still in flight (and go uncounted).
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/verify') && r.request().method() === 'POST'),
      page.click('#login button[type="submit"]'),
    ]);
    if (i < 5) await page.waitForFunction(() => document.querySelector('.mx-message')?.dataset.kind === 'error');
  }
  await page.waitForSelector('.mx-login.mx-locked');
  const lockedUntil = Number(await page.getAttribute('.mx-message', 'data-locked-until'));
  assert.ok(lockedUntil > Date.now() / 1000 - 2, 'the lock message carries its end time');
  assert.match(await page.textContent('.mx-message'), /ロックされています。解除予定: \d{4}\/\d{1,2}\/\d{1,2}.*管理者に依頼すれば/);
  assert.equal(await page.$$eval('#login td[data-cell]', (t) => t.length), 0, 'no grid while locked');
  await page.screenshot({ path: join(shots, 'locked.png'), fullPage: true });
  assert.match(JSON.parse(admin('users', 'show', 'alice', '--json')).lock.toString(), /^\d+$/);
  assert.equal(admin('users', 'unlock', 'alice'), 'alice unlocked\n');
  await page.reload();
  await page.waitForSelector('#login td[data-cell="H8"]');
  await page.fill('#login input[name="answer"]', await answerFrom(page, '#login'));
  await Promise.all([page.waitForURL(/\/vpn\?ticket=/), page.click('#login button[type="submit"]')]);
  assert.equal(await page.getAttribute('#greeting', 'data-user'), 'alice');

  // --- An approved access period tomorrow: today, only the right answer learns it.
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  admin('users', 'window', 'add', 'alice', '--from', `${tomorrow} 09:00`, '--to', `${tomorrow} 17:00`);
  await page.goto(`${base}/?user=alice`);
  await page.waitForSelector('#login td[data-cell="H8"]');
  await page.fill('#login input[name="answer"]', await answerFrom(page, '#login'));
  await page.click('#login button[type="submit"]');
  await page.waitForSelector('#login[data-outcome="outside_window"]');
  assert.match(await page.textContent('.mx-message'), /承認された利用期間外です/);
  assert.equal(await page.$$eval('#login td[data-cell]', (t) => t.length), 0);
  await page.screenshot({ path: join(shots, 'outside-period.png'), fullPage: true });
  admin('users', 'window', 'remove', 'alice', '1');

  // --- English for English browsers, the appliance page included.
  const en = await (await browser.newContext({ locale: 'en-US' })).newPage();
  en.on('pageerror', (e) => errors.push(e.message));
  await en.goto(`${base}/?user=alice`);
  await en.waitForSelector('#login td[data-cell="H8"]');
  assert.equal(await en.getAttribute('#login td[data-cell="C4"]', 'aria-label'), `column C, row 4: ${await en.textContent('#login td[data-cell="C4"]')}`);
  await en.fill('#login input[name="answer"]', await answerFrom(en, '#login'));
  await Promise.all([en.waitForURL(/\/vpn\?ticket=/), en.click('#login button[type="submit"]')]);
  assert.equal(await en.getAttribute('html', 'lang'), 'en');
  assert.match(await en.textContent('#greeting'), /^Welcome, alice\./);
  await en.goto(`${base}/enroll#invite=${'0'.repeat(64)}`);
  await en.waitForSelector('#enroll[data-ready="no-invite"]');
  assert.match(await en.textContent('#no-invite'), /cannot be used/);

  // --- Every admin action above is in the audit log, with who ran it.
  const actions = admin('audit', 'tail', '-n', '200', '--json').trim().split('\n').map((l) => JSON.parse(l))
    .filter((e) => e.event === 'admin').map((e) => e.action);
  assert.deepEqual(actions, ['invite', 'unlock', 'window_add', 'window_remove']);

  assert.deepEqual(errors, [], 'no script errors in the pages');
  console.log(`e2e: ${((Date.now() - started) / 1000).toFixed(1)} s in the browser`);
});

/** POST as the portal's own pages do (Node, not the browser): the attacker's token. */
function postJson(path, body) {
  return new Promise((ok, fail) => {
    const req = request(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => ok({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });
}

/** alice's failures since her last success and her lock, from `matrixauth users list --json`. */
function failuresOfAlice() {
  const row = JSON.parse(admin('users', 'list', '--json')).find((u) => u.user === 'alice');
  assert.ok(row);
  return { since: row.failuresSinceSuccess, lock: row.lock };
}

test('another site cannot lock a user through a visitor\'s browser', { timeout: 60000 }, async () => {
  const { status, body: ch } = await postJson('/api/challenge', { user: 'alice' });
  assert.equal(status, 200);
  const before = failuresOfAlice();
  assert.equal(before.lock, null);
  // The attacker's page, on another origin (another port): six wrong answers by text/plain
  // fetch (no CORS preflight needed) and a classic JSON-in-a-form CSRF post.
  const wrong = (i) => JSON.stringify({ user: 'alice', token: ch.token, answer: `0${i}pw00000000` });
  const page = `<!doctype html><meta charset="utf-8"><title>evil</title>
<iframe name="sink"></iframe>
<form id="f" method="post" enctype="text/plain" action="${base}/api/verify" target="sink">
<input name='{"user":"alice","token":"${ch.token}","answer":"99pw00000000","x":"' value='"}'></form>
<script>
(async () => {
  const results = [];
  for (const body of ${JSON.stringify([0, 1, 2, 3, 4, 5].map(wrong))}) {
    try {
      const r = await fetch('${base}/api/verify', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body });
      results.push(r.type);
    } catch (e) { results.push(String(e)); }
  }
  document.getElementById('f').submit();
  document.title = 'done:' + results.join(',');
})();
</script>`;
  const evil = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  await new Promise((ok) => evil.listen(0, '127.0.0.1', ok));
  try {
    const tab = await (await browser.newContext()).newPage();
    const served = new Promise((ok) => tab.on('response', (r) => r.url().endsWith('/api/verify') && r.request().method() === 'POST' && r.status() !== 0 && ok(r)));
    const refusals = [];
    tab.on('response', (r) => r.url().endsWith('/api/verify') && refusals.push(r.status()));
    await tab.goto(`http://127.0.0.1:${evil.address().port}/`);
    await tab.waitForFunction(() => document.title.startsWith('done:'), null, { timeout: 20000 });
    await served;
    await tab.waitForTimeout(500); // the form post lands in the iframe
    assert.ok(refusals.length >= 7, `the browser sent all seven posts: ${refusals}`);
    assert.ok(refusals.every((s) => s === 415 || s === 403), `all refused: ${refusals}`);
  } finally {
    evil.close();
  }
  assert.deepEqual(failuresOfAlice(), before, 'nothing counted, no lock');
});

test('grid card: issued by the administrator, typed from the printed card, in Japanese and English', { timeout: 90000 }, async () => {
  const printed = admin('card', 'erin');
  const card = parseCard(printed);
  assert.equal(Object.keys(card.values).length, 64, `an 8 × 8 card:\n${printed}`);
  assert.ok(Object.values(card.values).every((v) => /^[0-9]{2}$/.test(v)), 'two digits in every cell');
  assert.equal(JSON.parse(admin('users', 'show', 'erin', '--json')).kind, 'card');
  const errors = [];
  const texts = {
    ja: {
      order: (n, c) => `${n} 番目: ${c}`, label: /^カードのそのマスの値を、順番どおりに入力$/, countdown: /残り [23]:\d\d/,
      rejected: '入力が正しくありません。新しく指定されたマスの値を入力してください。', greeting: /^ようこそ、erin さん。/,
    },
    en: {
      order: (n, c) => `${['1st', '2nd', '3rd'][n - 1]}: ${c}`, label: /^Type the card values of those cells, in order$/, countdown: /[23]:\d\d left/,
      rejected: 'That answer is not right. Try again with the new cells.', greeting: /^Welcome, erin\./,
    },
  };
  const used = new Set();
  for (const [locale, lang] of [['ja-JP', 'ja'], ['en-US', 'en']]) {
    const t = texts[lang];
    const context = await browser.newContext({ locale });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${base}/?user=erin`);
    await page.waitForSelector('#login[data-kind="card"] td[data-order="3"]');
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    // The card's serial, the cells in order as text and marked on an empty grid.
    assert.equal(await page.getAttribute('#login .mx-card-prompt', 'data-serial'), card.serial);
    assert.ok((await page.textContent('#login .mx-card-prompt')).includes(card.serial));
    let cells = await askedCells(page);
    assert.equal(cells.length, 3);
    assert.equal(new Set(cells).size, 3, `three distinct cells: ${cells}`);
    assert.equal(await page.textContent('#login .mx-card-cells'), cells.join(' → '));
    for (const [i, c] of cells.entries()) {
      assert.equal(await page.getAttribute(`#login td[data-cell="${c}"]`, 'aria-label'), t.order(i + 1, c));
      assert.equal(await page.textContent(`#login td[data-cell="${c}"]`), String(i + 1));
    }
    const shown = await page.$$eval('#login td[data-cell]', (tds) => tds.filter((td) => td.textContent !== '').length);
    assert.equal(shown, 3, 'no values on the page: only the order numbers');
    assert.equal(await page.$$eval('#login td[data-cell]', (tds) => tds.length), 64);
    assert.match(await page.textContent('#login label'), t.label);
    // The answer field's description names the card and the cells, for screen readers.
    const described = await page.$eval('#login input[name="answer"]', (input) =>
      input.getAttribute('aria-describedby').split(' ').map((id) => document.getElementById(id).textContent).join(' '));
    assert.ok(described.includes(card.serial) && cells.every((c) => described.includes(c)), `described: ${described}`);
    assert.match(await page.textContent('.mx-countdown'), t.countdown);
    assert.equal(await page.getAttribute('#login input[name="answer"]', 'autocomplete'), 'one-time-code');
    // A refresh shows the same cells.
    await page.reload();
    await page.waitForSelector('#login[data-kind="card"] td[data-order="3"]');
    assert.deepEqual(await askedCells(page), cells, 'refreshing shows the same cells');
    // A wrong answer: the card's words, and new cells (typed cells are never asked again).
    for (const c of cells) used.add(c);
    await page.fill('#login input[name="answer"]', wrongAnswer(cardAnswer(card, cells)));
    await page.click('#login button[type="submit"]');
    await page.waitForSelector('#login[data-outcome="rejected"]');
    await page.waitForFunction(() => document.querySelector('.mx-message')?.dataset.kind === 'error');
    assert.equal(await page.textContent('.mx-message'), t.rejected);
    await page.waitForSelector('#login[data-kind="card"] td[data-order="3"]');
    const fresh = await askedCells(page);
    assert.equal(fresh.length, 3);
    assert.ok(fresh.every((c) => !used.has(c)), `new cells, none asked before: ${fresh} after ${[...used]}`);
    cells = fresh;
    for (const c of cells) used.add(c);
    await page.screenshot({ path: join(shots, `card-${lang}.png`), fullPage: true });
    // The right answer; in Japanese typed full-width with spaces between the cells.
    const answer = cardAnswer(card, cells);
    const typed = lang === 'ja'
      ? cells.map((c) => Array.from(card.values[c], (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0)).join('')).join('\u3000')
      : answer;
    await page.fill('#login input[name="answer"]', typed);
    const loggedInAt = Date.now() / 1000;
    await Promise.all([page.waitForURL(/\/vpn\?ticket=/), page.click('#login button[type="submit"]')]);
    await page.waitForSelector('#greeting');
    assert.equal(await page.getAttribute('#greeting', 'data-user'), 'erin');
    assert.match(await page.textContent('#greeting'), t.greeting);
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    const sessionEnd = Number(await page.getAttribute('#session-end', 'data-session-end'));
    assert.ok(Number.isInteger(sessionEnd), `session end is a number: ${sessionEnd}`);
    assert.ok(Math.abs(sessionEnd - (loggedInAt + SESSION_SECONDS)) <= 120, `session ends 8 h after the login: ${sessionEnd - loggedInAt} s`);
    if (lang === 'ja') await page.screenshot({ path: join(shots, 'card-vpn.png'), fullPage: true });
    await context.close();
  }
  const erin = JSON.parse(admin('users', 'list', '--json')).find((u) => u.user === 'erin');
  assert.equal(erin.consecutiveFailures, 0, 'the last login reset the failures');
  assert.deepEqual(errors, [], 'no script errors in the pages');
});

/**
 * A second server whose only user, frank, holds a grid card issued before it started, and which
 * hands logins on to an appliance (a Node server here that records the posted form). Its decoys
 * are cards, where the first server's are grids (the share of card holders is read at start).
 */
let second;
async function secondServer() {
  if (second) return second;
  const dir = mkdtempSync(join(tmpdir(), 'matrixauth-e2e-handoff-'));
  const posted = [];
  const appliance = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.method === 'POST') posted.push(Object.fromEntries(new URLSearchParams(body)));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>appliance</title><p id="appliance">ok</p>');
    });
  });
  await new Promise((ok) => appliance.listen(0, '127.0.0.1', ok));
  const applianceUrl = `http://127.0.0.1:${appliance.address().port}/login`;
  adminOn(dir, 'init');
  const card = parseCard(adminOn(dir, 'card', 'frank'));
  const { proc, url } = await serve(dir, '--appliance-url', applianceUrl);
  second = { dir, proc, url, appliance, applianceUrl, posted, card };
  return second;
}

after(() => {
  second?.proc.kill();
  second?.appliance.close();
  if (second) rmSync(second.dir, { recursive: true, force: true });
});

test('unknown ids get a grid or a card, the same kind and serial each time', { timeout: 90000 }, async () => {
  const page = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  /** The shape of a challenge page: its kind, and for a card its serial. */
  const shape = async (portal, id) => {
    await page.goto(`${portal}/?user=${encodeURIComponent(id)}`);
    await page.waitForSelector('#login[data-kind="grid"] td[data-cell="H8"], #login[data-kind="card"] td[data-order]');
    const kind = await page.getAttribute('#login', 'data-kind');
    if (kind === 'grid') {
      const digits = await page.$$eval('#login td[data-cell]', (tds) => tds.map((td) => td.textContent));
      assert.equal(digits.length, 64);
      assert.ok(digits.every((d) => /^[0-9]$/.test(d)), `${id}: a digit in every cell`);
      return { kind };
    }
    assert.equal(kind, 'card');
    const serial = await page.getAttribute('#login .mx-card-prompt', 'data-serial');
    assert.match(serial, /^MX-[A-Z0-9]{4}-[A-Z0-9]{4}$/, `${id}: a serial`);
    const cells = await askedCells(page);
    assert.equal(cells.length, 3, `${id}: three cells`);
    assert.equal(new Set(cells).size, 3, `${id}: three distinct cells: ${cells}`);
    assert.ok(cells.every((c) => /^[A-H][1-8]$/.test(c)), `${id}: cells of an 8 × 8 card: ${cells}`);
    return { kind, serial };
  };
  // The first server (pattern users, erin's card issued after it started) and the second (a card holder).
  const { url: portal2 } = await secondServer();
  const seen = [];
  for (const [name, portal] of [['first', base], ['second', portal2]]) {
    const kinds = { grid: 0, card: 0 };
    for (let i = 1; i <= 12; i++) {
      const id = `nobody-${i}`;
      const first = await shape(portal, id);
      assert.deepEqual(await shape(portal, id), first, `${id}: the same kind (and serial) when asked again`);
      kinds[first.kind]++;
    }
    console.log(`unknown ids on the ${name} server: ${kinds.grid} grid, ${kinds.card} card`);
    seen.push(kinds);
  }
  assert.ok(seen.some((k) => k.grid > 0) && seen.some((k) => k.card > 0), 'both kinds of decoy were seen');
  assert.deepEqual(errors, [], 'no script errors in the pages');
});

test('the hand-off to an appliance posts user, ticket and session_end', { timeout: 60000 }, async () => {
  const { url: portal, applianceUrl, posted, card } = await secondServer();
  const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await page.goto(`${portal}/?user=frank`);
  await page.waitForSelector('#login[data-kind="card"] td[data-order="3"]');
  assert.equal(await page.getAttribute('#login .mx-card-prompt', 'data-serial'), card.serial);
  await page.fill('#login input[name="answer"]', cardAnswer(card, await askedCells(page)));
  const loggedInAt = Date.now() / 1000;
  await Promise.all([page.waitForURL(applianceUrl), page.click('#login button[type="submit"]')]);
  await page.waitForSelector('#appliance');
  assert.equal(posted.length, 1);
  const [form] = posted;
  assert.deepEqual(Object.keys(form).sort(), ['session_end', 'ticket', 'user']);
  assert.equal(form.user, 'frank');
  assert.ok(form.ticket.length > 20, 'a ticket');
  assert.match(form.session_end, /^\d+$/);
  assert.ok(Math.abs(Number(form.session_end) - (loggedInAt + SESSION_SECONDS)) <= 120, `session ends 8 h after the login: ${form.session_end}`);
});
