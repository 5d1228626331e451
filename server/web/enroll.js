// The enrollment page: choose cells in order, a fixed string and its position; the WASM core
// checks the pattern with the server's policy as you click and reports its strength; a practice
// round on a fresh matrix must be answered correctly before the pattern can be saved.
import init, * as mx from '/pkg/matrixauth.js';
import { renderGrid, pickLang, humanCount, humanOdds, formatTime } from '/static/matrixauth-widget.js';
import { mountTerminalStep } from '/static/terminal.js';

const lang = pickLang();
document.documentElement.lang = lang;
const T = {
  ja: {
    title: 'パターン登録', patternTitle: '1. セルを順番にクリック',
    patternHelp: '覚えやすく、他人に推測されにくい順番を選んでください。数字はクリックした順番です。',
    undo: '1 つ戻す', clear: 'すべて消去', fixedTitle: '2. 固定文字列（任意）', fixedLabel: '固定文字列',
    fixedAtLabel: '挿入位置', checkTitle: '3. チェックと強度', practiceTitle: '4. 練習',
    practiceHelp: '新しい表で一度正しく入力できたら登録できます。', practiceStart: '練習を始める',
    practiceLabel: '回答', practiceCheck: '確認', saveTitle: '5. 登録', save: '登録する', loginLink: 'ログイン画面へ',
    at: (i, n) => (i === 0 ? '先頭' : i === n ? `末尾（${n} 桁の後）` : `${i} 桁目の後`),
    none: '（未選択）', cellsChosen: (n) => `${n} セル`,
    violation: { too_short: (n) => `セルが少なすぎます（${n} 個以上）`, too_long: (n) => `セルが多すぎます（${n} 個まで）`, repeated_cell: () => '同じセルを 2 回使っています', cell_outside_grid: () => '表の外のセルがあります' },
    weakness: { straight_line: '一直線のパターンは推測されやすいため使えません', corners: '四隅だけのパターンは使えません', rectangle: '長方形を順になぞるパターンは使えません', single_cell: '同じセルだけのパターンは使えません', misses_block: 'すべてのブロックを使ってください' },
    fixedBad: '固定文字列は半角英数記号 32 文字までです', ok: '登録できるパターンです',
    strength: (s) => [
      ['この長さのパターンの数', `${humanCount(s.patternSpace, 'ja')}通り（${s.patternSpaceBits.toFixed(1)} ビット）`],
      ['1 回の推測で当たる確率（固定文字列を知られた場合）', humanOdds(s.guessProbability, 'ja')],
      ['永久ロックまでに当てられる確率', humanOdds(s.onlineSuccessBeforePermanentLock, 'ja')],
      ['ログインを 1 / 2 / 3 回見られた後の候補', s.candidatesAfter.map((c) => `${humanCount(c, 'ja')}通り`).join(' / ')],
      ['パターンが特定されるまでに見られるログイン', `${s.observationsToUnique} 回`],
    ],
    practiceOk: '正解です。登録できます。', practiceNo: '違います。新しい表でもう一度。',
    saved: (u) => `${u} を登録しました。`, loginAs: (u) => `${u} でログイン`,
    invitee: (u, t) => `登録するユーザー: ${u}（この招待リンクの有効期限: ${t}）`,
    noInvite: '登録には管理者が発行した招待リンクが必要です。管理者に依頼してください。',
    errors: {
      invitation_invalid: 'この招待リンクは使えません（使用済み、期限切れ、または新しいリンクで置き換えられました）。管理者に新しいリンクを依頼してください。',
      rate_limited: '操作が多すぎます。しばらく待ってからもう一度お試しください。',
      weak_pattern: '推測されやすいパターンのため登録できません。', policy: 'パターンがポリシーに合いません。',
      internal: 'サーバーでエラーが発生しました。管理者に連絡してください。',
      unavailable: 'ただいま登録できません。しばらくしてからもう一度お試しください。',
    },
    saveError: (code) => `登録できません（${code}）。`,
  },
  en: {
    title: 'Enrol a pattern', patternTitle: '1. Click cells in order',
    patternHelp: 'Pick an order you can remember and others cannot guess. Numbers show the order.',
    undo: 'Undo', clear: 'Clear', fixedTitle: '2. Fixed string (optional)', fixedLabel: 'Fixed string',
    fixedAtLabel: 'Position', checkTitle: '3. Checks and strength', practiceTitle: '4. Practice',
    practiceHelp: 'Answer one fresh grid correctly to enable saving.', practiceStart: 'Start practice',
    practiceLabel: 'Answer', practiceCheck: 'Check', saveTitle: '5. Save', save: 'Save', loginLink: 'To the login page',
    at: (i, n) => (i === 0 ? 'first' : i === n ? `last (after ${n} digits)` : `after digit ${i}`),
    none: '(none yet)', cellsChosen: (n) => `${n} cells`,
    violation: { too_short: (n) => `Too few cells (at least ${n})`, too_long: (n) => `Too many cells (at most ${n})`, repeated_cell: () => 'A cell is used twice', cell_outside_grid: () => 'A cell is outside the grid' },
    weakness: { straight_line: 'Straight lines are easy to guess and are refused', corners: 'Corner-only patterns are refused', rectangle: 'Walking a rectangle row by row is refused', single_cell: 'One repeated cell is refused', misses_block: 'Use every block of the grid' },
    fixedBad: 'The fixed string is up to 32 printable ASCII characters', ok: 'This pattern can be enrolled',
    strength: (s) => [
      ['Patterns of this length', `${humanCount(s.patternSpace, 'en')} (${s.patternSpaceBits.toFixed(1)} bits)`],
      ['One online guess succeeds (fixed string known)', humanOdds(s.guessProbability, 'en')],
      ['Success before the permanent lock', humanOdds(s.onlineSuccessBeforePermanentLock, 'en')],
      ['Candidates after 1 / 2 / 3 observed logins', s.candidatesAfter.map((c) => humanCount(c, 'en')).join(' / ')],
      ['Observed logins until the pattern is known', String(s.observationsToUnique)],
    ],
    practiceOk: 'Correct. You can save now.', practiceNo: 'Not right. Try the new grid.',
    saved: (u) => `${u} is enrolled.`, loginAs: (u) => `Log in as ${u}`,
    invitee: (u, t) => `Enrolling user: ${u} (this invitation link is valid until ${t})`,
    noInvite: 'Enrolling needs an invitation link from your administrator. Please ask them for one.',
    errors: {
      invitation_invalid: 'This invitation link cannot be used (it was used, it expired, or a newer link replaced it). Ask your administrator for a new one.',
      rate_limited: 'Too many requests. Please wait a moment and try again.',
      weak_pattern: 'This pattern is too easy to guess.', policy: 'This pattern does not meet the policy.',
      internal: 'The server had an error. Please tell your administrator.',
      unavailable: 'Enrolling is not possible right now. Please try again in a moment.',
    },
    saveError: (code) => `Cannot save (${code}).`,
  },
}[lang];
for (const e of document.querySelectorAll('[data-t]')) e.textContent = T[e.dataset.t];

const $ = (id) => document.getElementById(id);
// The invitation rides in the URL fragment (#invite=…), which the browser never sends to a server.
const invite = new URLSearchParams(location.hash.slice(1)).get('invite') ?? '';
// A terminal invitation (#terminal=…) adds one registered terminal to an enrolled user (SPEC §16).
const terminalInvite = new URLSearchParams(location.hash.slice(1)).get('terminal') ?? '';
// A link opened over this page changes only the fragment: start again with it.
addEventListener('hashchange', () => location.reload());
async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}
const errorText = (body) => T.errors[body.error] ?? T.saveError(body.error ?? 'error');
let invitee = null;
if (terminalInvite) {
  const { status, body } = await post('/api/terminal/invitation', { invite: terminalInvite });
  if (status === 200) {
    $('invitee').textContent = '';
    mountTerminalStep($('terminal-step'), { invite: terminalInvite, user: body.user, lang });
    $('enroll').dataset.ready = 'terminal';
  } else {
    $('no-invite').textContent = errorText(body);
    $('no-invite').hidden = false;
    $('enroll').dataset.ready = 'no-invite';
  }
} else if (invite) {
  const { status, body } = await post('/api/invitation', { invite });
  if (status === 200) invitee = body;
  else $('no-invite').textContent = errorText(body);
} else {
  $('no-invite').textContent = T.noInvite;
}
if (invitee) {
  $('invitee').textContent = T.invitee(invitee.user, formatTime(invitee.expiresAt, lang));
  $('invitee').dataset.user = invitee.user;
  $('steps').hidden = false;
  await start();
} else if ($('enroll').dataset.ready !== 'terminal') {
  // Nothing else on this page works without an invitation.
  $('no-invite').hidden = false;
  $('enroll').dataset.ready = 'no-invite';
}

async function start() {
  await init();
  const policyJson = await (await fetch('/api/policy')).json();
  const policy = new mx.Policy(policyJson);
  const cells = [];
  let credential = null;
  let practiceOk = false;
  let practice = null;

  const grid = renderGrid($('select-grid'), {
    rows: policyJson.rows, cols: policyJson.cols, blockRows: policyJson.blockRows, blockCols: policyJson.blockCols,
    lang, label: T.patternTitle,
    onCellClick: (name) => {
      if (cells.length >= policyJson.maxPatternLen) return;
      cells.push(name);
      changed();
    },
  });

  function drawOrder() {
    for (const td of grid.querySelectorAll('td[data-cell]')) {
      const order = cells.map((c, i) => (c === td.dataset.cell ? i + 1 : 0)).filter(Boolean);
      td.textContent = order.join(',');
      td.classList.toggle('mx-chosen', order.length > 0);
    }
    $('pattern-list').textContent = cells.length ? `${cells.join(' → ')}  (${T.cellsChosen(cells.length)})` : T.none;
    const sel = $('fixed-at');
    const keep = Math.min(Number(sel.value || 0), cells.length);
    sel.replaceChildren(...Array.from({ length: cells.length + 1 }, (_, i) => new Option(T.at(i, cells.length), String(i))));
    sel.value = String(keep);
  }

  function check() {
    const warnings = [];
    credential?.free();
    credential = null;
    if (cells.length > 0) {
      try {
        credential = new mx.PatternCredential(cells, $('fixed').value, Number($('fixed-at').value || 0));
        policy.checkCredential(credential);
      } catch (e) {
        if (e.code === 'policy') warnings.push(T.violation[e.violation]?.(e.limit) ?? e.message);
        else if (e.code === 'weak_pattern') warnings.push(T.weakness[e.weakness] ?? e.message);
        else if (e.code === 'invalid_fixed_string' || e.code === 'invalid_fixed_position') warnings.push(T.fixedBad);
        else warnings.push(e.message);
      }
    }
    $('warnings').replaceChildren(...warnings.map((w) => Object.assign(document.createElement('li'), { textContent: w })));
    $('warnings').dataset.count = String(warnings.length);
    const ok = cells.length > 0 && warnings.length === 0;
    if (ok) {
      const li = Object.assign(document.createElement('li'), { textContent: T.ok, className: 'ok' });
      $('warnings').replaceChildren(li);
    }
    if (cells.length > 0) {
      const s = mx.strengthForLength(policy, cells.length);
      const table = document.createElement('table');
      table.className = 'strength';
      for (const [k, v] of T.strength(s)) {
        const tr = table.insertRow();
        tr.insertCell().textContent = k;
        tr.insertCell().textContent = v;
      }
      $('strength').replaceChildren(table);
    } else {
      $('strength').replaceChildren();
    }
    return ok;
  }

  function changed() {
    drawOrder();
  $('enroll').dataset.ready = 'yes';
    const ok = check();
    practiceOk = false;
    $('practice').hidden = true;
    $('practice-start').disabled = !ok;
    updateSave();
  }

  function updateSave() {
    $('save').disabled = !(practiceOk && credential);
  }

  // Practice runs entirely in the browser: a throw-away key and state, the same verifier.
  function newPractice() {
    practice ??= { auth: new mx.Authenticator(new mx.Keyring(mx.Keyring.generateKey(), 1), policy) };
    practice.state = new mx.UserState();
    practice.challenge = practice.auth.issueChallenge('practice', practice.state);
    renderGrid($('practice-grid'), {
      rows: practice.challenge.rows, cols: practice.challenge.cols, matrix: practice.challenge.matrix,
      blockRows: policyJson.blockRows, blockCols: policyJson.blockCols, lang,
    });
    $('practice-answer').value = '';
    $('practice').hidden = false;
    $('practice-answer').focus();
  }

  $('practice-start').addEventListener('click', () => {
    $('practice-result').textContent = '';
    newPractice();
  });
  $('practice-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = practice.auth.verify('practice', credential, practice.state, practice.challenge.token, $('practice-answer').value);
    practiceOk = v.accepted;
    $('practice-result').textContent = practiceOk ? T.practiceOk : T.practiceNo;
    $('practice-result').className = practiceOk ? 'ok' : 'warn';
    $('practice-result').dataset.outcome = v.outcome;
    if (!practiceOk) newPractice();
    updateSave();
  });
  $('undo').addEventListener('click', () => {
    cells.pop();
    changed();
  });
  $('clear').addEventListener('click', () => {
    cells.length = 0;
    changed();
  });
  $('fixed').addEventListener('input', changed);
  $('fixed-at').addEventListener('change', changed);

  $('save').addEventListener('click', async () => {
    const { status, body } = await post('/api/enroll', {
      invite, cells, fixed: $('fixed').value, fixedAt: Number($('fixed-at').value || 0),
    });
    const out = $('save-result');
    if (status === 201) {
      const user = body.user;
      history.replaceState(null, '', location.pathname); // the used link leaves the address bar
      out.className = 'ok';
      out.textContent = T.saved(user) + ' ';
      const a = document.createElement('a');
      a.href = `/?user=${encodeURIComponent(user)}`;
      a.id = 'login-link';
      a.textContent = T.loginAs(user);
      out.append(a);
      $('save').disabled = true;
      // Terminals required: this browser's passkey is registered next, on the grant of this enrolment.
      if (body.terminalGrant) mountTerminalStep($('terminal-step'), { grant: body.terminalGrant, user, lang });
    } else {
      out.className = 'warn';
      out.textContent = errorText(body);
      out.dataset.error = body.error ?? '';
    }
  });
  drawOrder();
  $('enroll').dataset.ready = 'yes';
}
