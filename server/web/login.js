// The demo login page: ID → matrix (or grid-card cells) → answer → hand-off to the VPN appliance.
import { LoginWidget, pickLang } from '/static/matrixauth-widget.js';

const lang = pickLang();
document.documentElement.lang = lang;
const T = {
  ja: {
    title: 'マトリクス認証ログイン', userLabel: 'ユーザー ID', next: '次へ', otherUser: '別のユーザーでログイン',
    enrollHelp: 'パターンの登録には、管理者が発行する招待リンクを使います。', who: (u) => `ユーザー: ${u}`,
    errors: {
      invalid_user_id: 'ユーザー ID が正しくありません（255 バイトまで、制御文字は使えません）。',
      rate_limited: '操作が多すぎます。しばらく待ってからもう一度お試しください。',
      internal: 'サーバーでエラーが発生しました。管理者に連絡してください。',
      unavailable: 'ただいまログインできません。しばらくしてからもう一度お試しください。',
    },
    error: (code) => `エラーが発生しました（${code}）。ページを再読み込みしてください。`,
  },
  en: {
    title: 'Matrix login', userLabel: 'User ID', next: 'Next', otherUser: 'Log in as someone else',
    enrollHelp: 'To enrol a pattern, use the invitation link your administrator sends you.', who: (u) => `User: ${u}`,
    errors: {
      invalid_user_id: 'That user ID is not valid (up to 255 bytes, no control characters).',
      rate_limited: 'Too many requests. Please wait a moment and try again.',
      internal: 'The server had an error. Please tell your administrator.',
      unavailable: 'Logging in is not possible right now. Please try again in a moment.',
    },
    error: (code) => `Something went wrong (${code}). Please reload the page.`,
  },
}[lang];
const errorText = (body) => T.errors[body.error] ?? T.error(body.error ?? 'error');
for (const e of document.querySelectorAll('[data-t]')) e.textContent = T[e.dataset.t];

const userForm = document.getElementById('user-form');
const userInput = document.getElementById('user');
const who = document.getElementById('who');
const root = document.getElementById('login');
let user = new URLSearchParams(location.search).get('user');
// Opened for a SAML service provider or an OpenID Connect client: the login continues there.
const fed = new URLSearchParams(location.search).get('fed');

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

const widget = new LoginWidget(root, {
  lang,
  onExpire: () => setTimeout(loadChallenge, 1500),
  onSubmit: async (answer, challenge) => {
    const { status, body } = await post('/api/verify', fed ? { user, token: challenge.token, answer, fed } : { user, token: challenge.token, answer });
    if (status !== 200) {
      widget.showMessage(errorText(body), 'error');
      return;
    }
    root.dataset.outcome = body.outcome;
    if (body.outcome === 'outside_window') {
      widget.showStop(widget.outcomeText('outside_window'));
      return;
    }
    if (body.outcome === 'accepted' && body.handoff) {
      // Hand the login on to the SSL-VPN appliance: a POST, so the ticket never sits in a URL.
      widget.showMessage(widget.outcomeText('accepted'), 'ok');
      const form = document.createElement('form');
      form.method = 'post';
      form.action = body.handoff.url;
      const fields = [['user', body.handoff.user], ['ticket', body.handoff.ticket], ['session_end', body.handoff.sessionEnd]];
      for (const [name, value] of fields) {
        if (value === undefined || value === null) continue;
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
      return;
    }
    if (body.outcome === 'accepted' && body.redirect) {
      widget.showMessage(widget.outcomeText('accepted'), 'ok');
      location.assign(`${body.redirect}&lang=${lang}`);
      return;
    }
    if (body.outcome === 'locked' || body.lockedUntil || body.permanentlyLocked) {
      widget.showLocked(body.permanentlyLocked ? null : body.lockedUntil);
      return;
    }
    const text = widget.outcomeText(body.outcome);
    await loadChallenge();
    widget.showMessage(text, body.outcome === 'duplicate' ? 'info' : 'error');
  },
});
root.hidden = true;

async function loadChallenge() {
  const { status, body } = await post('/api/challenge', { user });
  root.hidden = false;
  if (status === 423) {
    widget.showLocked(body.lockedUntil);
    return;
  }
  if (status !== 200) {
    widget.showStop(errorText(body));
    return;
  }
  widget.show(body);
  widget.showMessage('', 'info');
}

function start(u) {
  user = u;
  userForm.hidden = true;
  who.hidden = false;
  who.textContent = T.who(u);
  const url = new URL(location.href);
  url.searchParams.set('user', u);
  history.replaceState(null, '', url);
  loadChallenge();
}

userForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (userInput.value.trim()) start(userInput.value.trim());
});
if (user) start(user);
