// matrixauth login widget: a plain ES module, no framework, no dependencies.
//
//   import { renderGrid, LoginWidget, pickLang } from 'matrixauth/widget';
//
// renderGrid draws a matrix (or an empty grid for choosing cells) as an accessible table:
// header row and column labels, one <td data-cell="B3"> per cell with its digit as text and a
// screen-reader label ("column B, row 3"), blocks of blockRows × blockCols drawn apart.
// LoginWidget adds the countdown to expiry and the answer field (type=text,
// autocomplete=one-time-code: browsers must not autofill a directory password into it;
// full-width digits are fine, the server folds them).

export const MESSAGES = {
  ja: {
    caption: 'マトリクス表',
    cellLabel: (col, row) => `列 ${col}、行 ${row}`,
    answerLabel: '固定文字列とパターンの数字を入力',
    answerHint: '全角でも入力できます。',
    submit: 'ログイン',
    remaining: (m, s) => `残り ${m}:${String(s).padStart(2, '0')}`,
    announce: (left) => (left >= 60 ? `残り ${Math.round(left / 60)} 分です。` : `残り ${left} 秒です。`),
    expired: '有効期限が切れました。新しい表を表示します。',
    newGrid: '新しい表を表示',
    locked: (t) => `アカウントはロックされています。解除予定: ${t}。管理者に依頼すれば、それより前に解除できます。`,
    lockedPermanent: 'アカウントはロックされています。管理者に解除を依頼してください。',
    outcomes: {
      accepted: '認証に成功しました。VPN へ移動します…',
      rejected: '入力が正しくありません。新しい表で再度入力してください。',
      locked: 'アカウントはロックされています。',
      expired: '有効期限が切れました。新しい表で入力してください。',
      duplicate: 'この回答は既に受け付けました。',
      stale: 'この表は使用済みです。新しい表で入力してください。',
      invalid: '表が無効です。ページを再読み込みしてください。',
      outside_window: '承認された利用期間外です。利用期間内にログインするか、管理者に利用を申請してください。',
    },
  },
  en: {
    caption: 'Matrix',
    cellLabel: (col, row) => `column ${col}, row ${row}`,
    answerLabel: 'Type your fixed string and the digits of your pattern',
    answerHint: 'Full-width characters are fine.',
    submit: 'Log in',
    remaining: (m, s) => `${m}:${String(s).padStart(2, '0')} left`,
    announce: (left) => (left >= 60 ? `${Math.round(left / 60)} minute${left >= 120 ? 's' : ''} left.` : `${left} seconds left.`),
    expired: 'This grid has expired. Showing a new one.',
    newGrid: 'Show a new grid',
    locked: (t) => `The account is locked until ${t}. An administrator can unlock it sooner.`,
    lockedPermanent: 'The account is locked. Ask an administrator to unlock it.',
    outcomes: {
      accepted: 'Logged in. Taking you to the VPN…',
      rejected: 'That answer is not right. Try again with the new grid.',
      locked: 'The account is locked.',
      expired: 'This grid has expired. Answer the new one.',
      duplicate: 'That answer was already received.',
      stale: 'This grid was already used. Answer the new one.',
      invalid: 'This grid is not valid. Reload the page.',
      outside_window: 'Outside your approved access period. Log in during your period, or ask your administrator for one.',
    },
  },
};

/** 'ja' for Japanese browsers (Japanese first), 'en' otherwise. */
export function pickLang(languages = globalThis.navigator?.languages ?? []) {
  for (const l of languages) {
    if (/^ja\b/i.test(l)) return 'ja';
    if (/^en\b/i.test(l)) return 'en';
  }
  return 'ja';
}

/** The name of a cell: column letter and 1-based row ("B3"). */
export function cellName(row, col) {
  return String.fromCharCode(65 + col) + String(row + 1);
}

/** Seconds left at which the countdown is read out (not every second). */
export const ANNOUNCE_AT = [120, 60, 30, 10];

/**
 * A large count for people: 約 15 万 (ja), about 150 thousand (en). Exact
 * values below 10,000 are written out.
 */
export function humanCount(n, lang = 'ja') {
  if (!Number.isFinite(n)) return String(n);
  const units = lang === 'ja'
    ? [[1e16, '京'], [1e12, '兆'], [1e8, '億'], [1e4, '万']]
    : [[1e12, 'trillion'], [1e9, 'billion'], [1e6, 'million'], [1e3, 'thousand']];
  for (const [size, name] of units) {
    if (n >= size) {
      const v = n / size;
      const shown = v >= 100 ? Math.round(v) : Number(v.toPrecision(2));
      const exact = shown * size === n;
      const num = shown.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');
      return lang === 'ja' ? `${exact ? '' : '約 '}${num} ${name}` : `${exact ? '' : 'about '}${num} ${name}`;
    }
  }
  const r = Math.round(n);
  return `${r === n ? '' : lang === 'ja' ? '約 ' : 'about '}${r.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US')}`;
}

/** A small probability for people: 100 万回に 1 回 (ja), 1 in 1 million (en). */
export function humanOdds(p, lang = 'ja') {
  if (!(p > 0)) return lang === 'ja' ? 'ほぼ 0' : 'practically none';
  if (p >= 1) return lang === 'ja' ? '必ず' : 'certain';
  const n = humanCount(1 / p, lang);
  return lang === 'ja' ? `${n}回に 1 回` : `1 in ${n}`;
}

/** A Unix time as local date and time text. */
export function formatTime(unixSeconds, lang) {
  return new Date(unixSeconds * 1000).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-GB');
}

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Draws a grid into `container` (replacing its content) and returns the table.
 * options: rows, cols, blockRows (4), blockCols (4), matrix (rows of digits, or omit for an
 * empty grid), lang, onCellClick(name, td) (makes cells buttons), label (caption text).
 */
export function renderGrid(container, options) {
  const { rows, cols, blockRows = 4, blockCols = 4, matrix, onCellClick } = options;
  const t = MESSAGES[options.lang ?? 'ja'];
  const table = el('table', { class: 'mx-grid' + (onCellClick ? ' mx-grid-select' : '') });
  table.append(el('caption', {}, options.label ?? t.caption));
  const head = el('tr');
  head.append(el('th', { scope: 'col', class: 'mx-corner' }));
  for (let c = 0; c < cols; c++) {
    const th = el('th', { scope: 'col' }, String.fromCharCode(65 + c));
    if ((c + 1) % blockCols === 0 && c + 1 < cols) th.classList.add('mx-block-right');
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  table.append(thead);
  const body = el('tbody');
  for (let r = 0; r < rows; r++) {
    const tr = el('tr');
    if ((r + 1) % blockRows === 0 && r + 1 < rows) tr.classList.add('mx-block-bottom');
    tr.append(el('th', { scope: 'row' }, String(r + 1)));
    for (let c = 0; c < cols; c++) {
      const name = cellName(r, c);
      const digit = matrix ? String(matrix[r][c]) : '';
      const td = el('td', { 'data-cell': name, 'aria-label': t.cellLabel(String.fromCharCode(65 + c), r + 1) + (digit ? `: ${digit}` : '') }, digit);
      if ((c + 1) % blockCols === 0 && c + 1 < cols) td.classList.add('mx-block-right');
      if (onCellClick) {
        td.tabIndex = 0;
        td.setAttribute('role', 'button');
        td.addEventListener('click', () => onCellClick(name, td));
        td.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            onCellClick(name, td);
          }
        });
      }
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  container.replaceChildren(table);
  return table;
}

/**
 * The login form around a grid: countdown, answer field, submit.
 *   const w = new LoginWidget(root, { lang, onSubmit: async (answer, challenge) => {...}, onExpire });
 *   w.show(challenge)  // { token, matrix, rows, cols, blockRows, blockCols, expiresAt, now }
 *   w.showLocked(lockedUntil)  // a number, or null for a permanent lock; hides the grid
 *   w.showMessage(text, kind)
 */
export class LoginWidget {
  constructor(root, { lang = pickLang(), onSubmit, onExpire } = {}) {
    this.root = root;
    this.lang = lang;
    this.t = MESSAGES[lang];
    this.onSubmit = onSubmit;
    this.onExpire = onExpire;
    this.timer = null;
    this.root.classList.add('mx-login');
    this.gridBox = el('div', { class: 'mx-grid-box' });
    // The visible countdown is not a live region (it would be read out every second); the
    // hidden one below is told only at ANNOUNCE_AT thresholds and at expiry.
    this.countdown = el('p', { class: 'mx-countdown', 'aria-hidden': 'true' });
    this.live = el('p', { class: 'mx-sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' });
    this.form = el('form', { class: 'mx-form', autocomplete: 'off' });
    const id = `mx-answer-${Math.random().toString(36).slice(2)}`;
    this.form.append(el('label', { for: id }, this.t.answerLabel));
    this.input = el('input', {
      id,
      name: 'answer',
      type: 'text',
      inputmode: 'text',
      autocomplete: 'one-time-code',
      autocapitalize: 'off',
      autocorrect: 'off',
      spellcheck: 'false',
      maxlength: '128',
      required: true,
    });
    this.form.append(this.input, el('small', {}, this.t.answerHint));
    this.button = el('button', { type: 'submit' }, this.t.submit);
    this.form.append(this.button);
    this.message = el('p', { class: 'mx-message', role: 'status', 'aria-live': 'assertive' });
    this.root.replaceChildren(this.gridBox, this.countdown, this.live, this.form, this.message);
    this.form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!this.challenge || !this.onSubmit) return;
      this.button.disabled = true;
      try {
        await this.onSubmit(this.input.value, this.challenge);
      } finally {
        this.button.disabled = false;
      }
    });
  }

  show(challenge) {
    this.challenge = challenge;
    this.root.classList.remove('mx-locked');
    this.form.hidden = false;
    this.input.value = '';
    renderGrid(this.gridBox, { ...challenge, lang: this.lang });
    // The server's clock decides; count down from its `now`.
    this.skew = challenge.now !== undefined ? challenge.now - Date.now() / 1000 : 0;
    this.live.textContent = '';
    this.lastLeft = undefined;
    this.tick();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), 1000);
    this.input.focus();
  }

  tick() {
    if (!this.challenge) return;
    const left = Math.max(0, Math.floor(this.challenge.expiresAt - (Date.now() / 1000 + this.skew)));
    if (left <= 0) {
      clearInterval(this.timer);
      this.countdown.textContent = this.t.expired;
      this.live.textContent = this.t.expired;
      this.countdown.classList.add('mx-expired');
      if (this.onExpire) this.onExpire();
      return;
    }
    this.countdown.classList.remove('mx-expired');
    this.countdown.textContent = this.t.remaining(Math.floor(left / 60), left % 60);
    // Crossing a threshold since the last tick (a tick may be late in a background tab).
    const crossed = ANNOUNCE_AT.find((a) => left <= a && (this.lastLeft === undefined ? false : this.lastLeft > a));
    if (crossed !== undefined) {
      this.live.textContent = this.t.announce(crossed);
      this.live.dataset.announced = String(crossed);
    }
    this.lastLeft = left;
  }

  showLocked(lockedUntil) {
    const text = lockedUntil === null || lockedUntil === undefined
      ? this.t.lockedPermanent
      : this.t.locked(formatTime(lockedUntil, this.lang));
    this.showStop(text);
    this.root.classList.add('mx-locked');
    this.message.dataset.lockedUntil = lockedUntil ?? 'permanent';
  }

  /** Hides the grid and the form and shows why (a lock, a refusal outside the access period). */
  showStop(text) {
    clearInterval(this.timer);
    this.challenge = null;
    this.gridBox.replaceChildren();
    this.countdown.textContent = '';
    this.live.textContent = '';
    this.form.hidden = true;
    this.showMessage(text, 'error');
  }

  showMessage(text, kind = 'info') {
    this.message.textContent = text;
    this.message.dataset.kind = kind;
  }

  outcomeText(outcome) {
    return this.t.outcomes[outcome] ?? outcome;
  }
}
