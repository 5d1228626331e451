// Registered terminals (SPEC §16): the browser side of WebAuthn for the login and enrollment
// pages. The server (webauthn-rs) sends options with base64url fields; the browser API wants
// ArrayBuffers, and the server wants the response back as base64url JSON.

const b64uToBuf = (s) => {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
};
const bufToB64u = (buf) => {
  if (!buf) return null;
  let s = '';
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

/** Whether this browser can use passkeys at all. */
export const supported = () => typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

/**
 * The terminal step of a login: `/api/challenge` answered `{kind: "terminal", state, publicKey}`
 * (every id that needs a terminal, unknown ones with decoy options). Resolves to `{ terminal }`,
 * the assertion to send back with `/api/challenge`, or `{ error }` (no terminal answered: the
 * page shows no grid). `onAsk` runs just before the browser asks the authenticator.
 */
export async function answerTerminal(body, onAsk = () => {}) {
  if (!supported()) return { error: 'webauthn_unsupported' };
  const pk = body.publicKey;
  const publicKey = {
    ...pk,
    challenge: b64uToBuf(pk.challenge),
    allowCredentials: (pk.allowCredentials ?? []).map((c) => ({ ...c, id: b64uToBuf(c.id) })),
  };
  onAsk();
  let cred;
  try {
    cred = await navigator.credentials.get({ publicKey });
  } catch (e) {
    return { error: 'terminal_not_registered', detail: String(e && e.name) };
  }
  const r = cred.response;
  return {
    terminal: {
      state: body.state,
      credential: {
        id: cred.id,
        rawId: bufToB64u(cred.rawId),
        type: cred.type,
        extensions: {},
        response: {
          authenticatorData: bufToB64u(r.authenticatorData),
          clientDataJSON: bufToB64u(r.clientDataJSON),
          signature: bufToB64u(r.signature),
          userHandle: bufToB64u(r.userHandle),
        },
      },
    },
  };
}

/**
 * Registers this browser's passkey as a terminal: `grant` (from enrollment) or `invite` (a
 * terminal invitation). Resolves to `{ ok: true, terminal }` or `{ ok: false, error, message }`.
 */
export async function registerTerminal({ grant, invite, name }) {
  if (!supported()) return { ok: false, error: 'webauthn_unsupported' };
  const start = await post('/api/terminal/register', grant ? { grant } : { invite });
  if (start.status !== 200) return { ok: false, error: start.body.error ?? 'error', message: start.body.message };
  const pk = start.body.publicKey;
  const publicKey = {
    ...pk,
    challenge: b64uToBuf(pk.challenge),
    user: { ...pk.user, id: b64uToBuf(pk.user.id) },
    excludeCredentials: (pk.excludeCredentials ?? []).map((c) => ({ ...c, id: b64uToBuf(c.id) })),
  };
  let cred;
  try {
    cred = await navigator.credentials.create({ publicKey });
  } catch (e) {
    return { ok: false, error: 'terminal_cancelled', message: String(e && e.name) };
  }
  const r = cred.response;
  const credential = {
    id: cred.id,
    rawId: bufToB64u(cred.rawId),
    type: cred.type,
    extensions: {},
    response: {
      attestationObject: bufToB64u(r.attestationObject),
      clientDataJSON: bufToB64u(r.clientDataJSON),
      transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
    },
  };
  const finish = await post('/api/terminal/register/finish', { state: start.body.state, credential, name: name || null });
  if (finish.status !== 201) return { ok: false, error: finish.body.error ?? 'error', message: finish.body.message };
  return { ok: true, terminal: finish.body.terminal, user: finish.body.user };
}

const TEXT = {
  ja: {
    title: '端末の登録', help: 'この端末（パソコンの指紋・PIN、またはセキュリティキー）を登録端末にします。ログインのたびにこの端末での確認が必要になります。',
    name: '端末の名前', register: 'この端末を登録する', ok: (u) => `${u} の端末を登録しました。`, login: (u) => `${u} でログイン`,
    invitee: (u) => `端末を登録するユーザー: ${u}`,
    errors: {
      invitation_invalid: 'この端末登録リンクは使えません（使用済み、期限切れ、または置き換えられました）。管理者に新しいリンクを依頼してください。',
      terminal_refused: 'この端末は登録できません。',
      terminal_synced: 'このパスキーは同期・バックアップされるため登録できません。端末内（TPM）またはセキュリティキーのパスキーを使ってください。',
      terminal_cancelled: '端末での確認が取り消されました。もう一度お試しください。',
      webauthn_unsupported: 'このブラウザーはパスキーに対応していません。', ceremony_expired: '時間切れです。もう一度お試しください。',
    },
  },
  en: {
    title: 'Register this terminal', help: 'Make this terminal (its fingerprint or PIN, or a security key) a registered terminal. Every login will need a check on it.',
    name: 'Terminal name', register: 'Register this terminal', ok: (u) => `A terminal of ${u} is registered.`, login: (u) => `Log in as ${u}`,
    invitee: (u) => `Registering a terminal for: ${u}`,
    errors: {
      invitation_invalid: 'This terminal link cannot be used (used, expired or replaced). Ask your administrator for a new one.',
      terminal_refused: 'This terminal cannot be registered.',
      terminal_synced: 'This passkey can be synced or backed up, so it cannot be registered. Use one held by the terminal (its TPM) or a security key.',
      terminal_cancelled: 'The check on the terminal was cancelled. Try again.',
      webauthn_unsupported: 'This browser does not support passkeys.', ceremony_expired: 'That took too long. Try again.',
    },
  },
};

/**
 * The enrollment page's terminal step, in `section`: a name, a button, and the result. `grant`
 * after saving a pattern, or `invite` for a terminal invitation (`user` shown).
 */
export function mountTerminalStep(section, { grant, invite, user, lang }) {
  const t = TEXT[lang] ?? TEXT.en;
  section.replaceChildren();
  const h = document.createElement('h2');
  h.textContent = t.title;
  const p = document.createElement('p');
  p.className = 'muted';
  p.textContent = user && invite ? `${t.invitee(user)}. ${t.help}` : t.help;
  const row = document.createElement('div');
  row.className = 'row';
  const label = document.createElement('label');
  label.htmlFor = 'terminal-name';
  label.textContent = t.name;
  const name = document.createElement('input');
  name.id = 'terminal-name';
  name.maxLength = 64;
  name.placeholder = '保守端末1';
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'terminal-register';
  button.textContent = t.register;
  row.append(label, name, button);
  const out = document.createElement('p');
  out.id = 'terminal-result';
  out.setAttribute('role', 'status');
  section.append(h, p, row, out);
  section.hidden = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    const r = await registerTerminal({ grant, invite, name: name.value.trim() });
    if (r.ok) {
      out.className = 'ok';
      out.textContent = t.ok(r.user) + ' ';
      const a = document.createElement('a');
      a.href = `/?user=${encodeURIComponent(r.user)}`;
      a.id = 'terminal-login-link';
      a.textContent = t.login(r.user);
      out.append(a);
      out.dataset.terminal = r.terminal;
      history.replaceState(null, '', location.pathname);
    } else {
      button.disabled = false;
      out.className = 'warn';
      out.textContent = t.errors[r.error] ?? r.message ?? r.error;
      out.dataset.error = r.error;
    }
  });
}
