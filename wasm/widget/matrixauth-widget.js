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
//
// LoginWidget.show takes both kinds of challenge the server sends (`kind` absent means grid):
// - `kind: "grid"`: the matrix of digits; the user types the fixed string and the pattern's digits.
// - `kind: "card"` (a printed grid card): the card's serial and the cells to type, in order
//   ("B3 → F7 → D1"), as a list and on an empty grid of the card's size where the asked cells
//   carry their order number (<td data-cell="B3" data-order="1" aria-label="1 番目: B3">1</td>);
//   the user types the values printed in those cells, one after another.
// The root gets data-kind="grid"|"card"; the outcome texts (rejected, expired, stale, invalid)
// speak of the grid or of the cells accordingly. Unknown ids get decoys of either kind from the
// server: nothing here may assume a card challenge belongs to a real card.

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
    // A grid card (乱数表): the server names cells, the user types what the card shows there.
    cardPrompt: (serial) => `お手元のグリッドカード ${serial} で、次のマスを探してください。`,
    cardCellsLabel: '入力するマス（この順番で）',
    cardCellsSpoken: (cells) => `入力するマス: ${cells.join('、')}（この順番で）`,
    cardCaption: 'カード上の位置（数字は入力する順番）',
    cardOrder: (n, cell) => `${n} 番目: ${cell}`,
    cardAnswerLabel: 'カードのそのマスの値を、順番どおりに入力',
    cardAnswerHint: '全角やスペースを含めても入力できます。',
    cardExpired: '有効期限が切れました。新しいマスを指定します。',
    cardLow: (n) => (n === 0
      ? 'このカードで使えるのは今回が最後です。管理者に新しいカードを依頼してください。'
      : `このカードで使えるのはあと ${n} 回です。管理者に新しいカードを依頼してください。`),
    cardOutcomes: {
      rejected: '入力が正しくありません。新しく指定されたマスの値を入力してください。',
      expired: '有効期限が切れました。新しく指定されたマスの値を入力してください。',
      stale: 'このマスの指定は使用済みです。新しく指定されたマスの値を入力してください。',
      invalid: 'このマスの指定は無効です。ページを再読み込みしてください。',
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
    cardPrompt: (serial) => `Find these cells on your grid card ${serial}.`,
    cardCellsLabel: 'Cells to type, in this order',
    cardCellsSpoken: (cells) => `Cells to type, in this order: ${cells.join(', ')}`,
    cardCaption: 'The cells on your card, numbered in order',
    cardOrder: (n, cell) => `${ordinal(n)}: ${cell}`,
    cardAnswerLabel: 'Type the card values of those cells, in order',
    cardAnswerHint: 'Full-width characters and spaces are fine.',
    cardExpired: 'Time is up. Asking for new cells.',
    cardLow: (n) => (n === 0
      ? 'This is the last login this card allows. Ask your administrator for a new card.'
      : `This card allows ${n} more login${n === 1 ? '' : 's'}. Ask your administrator for a new card.`),
    cardOutcomes: {
      rejected: 'That answer is not right. Try again with the new cells.',
      expired: 'Time is up. Answer the new cells.',
      stale: 'These cells were already answered. Answer the new ones.',
      invalid: 'These cells are not valid. Reload the page.',
    },
  },
};

/** 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st. */
function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

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

/** A cell name ("B3", "h12") as 0-based { row, col }, or null. */
export function parseCell(name) {
  const m = /^([A-Za-z])([1-9][0-9]?)$/.exec(String(name));
  if (!m) return null;
  return { row: Number(m[2]) - 1, col: m[1].toUpperCase().charCodeAt(0) - 65 };
}

/** A card that can serve this many more challenges, or fewer, gets a warning to ask for a new one. */
export const CARD_LOW_AT = 3;

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
 *   w.show(challenge)  // { kind: 'grid', token, matrix, rows, cols, blockRows, blockCols, expiresAt, now }
 *                      // or { kind: 'card', token, serial, cells: ['B3', 'F7', 'D1'], remaining, expiresAt, now }
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
    this.idBase = id;
    this.label = el('label', { for: id }, this.t.answerLabel);
    this.form.append(this.label);
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
    this.hint = el('small', {}, this.t.answerHint);
    this.form.append(this.input, this.hint);
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
    // No `kind` (an older server): a grid.
    this.kind = challenge.kind === 'card' ? 'card' : 'grid';
    this.root.dataset.kind = this.kind;
    this.root.classList.remove('mx-locked');
    this.form.hidden = false;
    this.input.value = '';
    if (this.kind === 'card') {
      this.renderCard(challenge);
    } else {
      renderGrid(this.gridBox, { ...challenge, lang: this.lang });
      this.input.removeAttribute('aria-describedby');
    }
    this.label.textContent = this.kind === 'card' ? this.t.cardAnswerLabel : this.t.answerLabel;
    this.hint.textContent = this.kind === 'card' ? this.t.cardAnswerHint : this.t.answerHint;
    // The server's clock decides; count down from its `now`.
    this.skew = challenge.now !== undefined ? challenge.now - Date.now() / 1000 : 0;
    this.live.textContent = '';
    this.lastLeft = undefined;
    this.tick();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), 1000);
    this.input.focus();
  }

  /**
   * A card challenge: the serial, the cells in order as a list, and an empty grid of the card's
   * size with the asked cells marked by their order number, so they are easy to find on the card.
   */
  renderCard(challenge) {
    const t = this.t;
    const cells = Array.isArray(challenge.cells) ? challenge.cells.map(String) : [];
    const parsed = cells.map(parseCell);
    // The card's geometry, if the server says; else 8 × 8, or larger when a cell lies outside.
    const fit = (given, need) => Math.min(26, Math.max(2, Number(given) || Math.max(8, ...need)));
    const rows = fit(challenge.rows, parsed.map((p) => (p ? p.row + 1 : 0)));
    const cols = fit(challenge.cols, parsed.map((p) => (p ? p.col + 1 : 0)));
    const prompt = el('p', { class: 'mx-card-prompt', id: `${this.idBase}-prompt`, 'data-serial': challenge.serial ?? '' },
      t.cardPrompt(challenge.serial ?? ''));
    const list = el('ol', { class: 'mx-card-cells', role: 'list', 'aria-label': t.cardCellsLabel, 'data-cells': cells.join(' ') });
    cells.forEach((name, i) => {
      const li = el('li', { 'data-order': i + 1 });
      if (i > 0) li.append(el('span', { class: 'mx-arrow', 'aria-hidden': 'true' }, ' → '));
      li.append(name);
      list.append(li);
    });
    // What the answer field's description reads out (the list's arrows are not spoken).
    const spoken = el('span', { id: `${this.idBase}-cells`, hidden: true }, t.cardCellsSpoken(cells));
    const parts = [prompt, list, spoken];
    if (Number.isInteger(challenge.remaining) && challenge.remaining <= CARD_LOW_AT) {
      parts.push(el('p', { class: 'mx-card-low', 'data-remaining': challenge.remaining }, t.cardLow(challenge.remaining)));
    }
    const gridHolder = el('div');
    const table = renderGrid(gridHolder, { rows, cols, blockRows: rows, blockCols: cols, lang: this.lang, label: t.cardCaption });
    table.classList.add('mx-grid-card');
    const tds = new Map([...table.querySelectorAll('td[data-cell]')].map((td) => [td.dataset.cell, td]));
    cells.forEach((name, i) => {
      const p = parseCell(name);
      const td = p && tds.get(cellName(p.row, p.col));
      if (!td) return;
      td.textContent = String(i + 1);
      td.dataset.order = String(i + 1);
      td.setAttribute('aria-label', t.cardOrder(i + 1, name));
      td.classList.add('mx-asked');
    });
    this.gridBox.replaceChildren(...parts, table);
    this.input.setAttribute('aria-describedby', `${prompt.id} ${spoken.id}`);
  }

  tick() {
    if (!this.challenge) return;
    const left = Math.max(0, Math.floor(this.challenge.expiresAt - (Date.now() / 1000 + this.skew)));
    if (left <= 0) {
      clearInterval(this.timer);
      const expired = this.kind === 'card' ? this.t.cardExpired : this.t.expired;
      this.countdown.textContent = expired;
      this.live.textContent = expired;
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

  /** The text for a verify outcome, in the words of the last challenge's kind (grid or card). */
  outcomeText(outcome) {
    return (this.kind === 'card' ? this.t.cardOutcomes[outcome] : undefined) ?? this.t.outcomes[outcome] ?? outcome;
  }
}
