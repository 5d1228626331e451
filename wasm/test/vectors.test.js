// The core's golden vectors (core/tests/vectors), checked through the npm package in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as mx from 'matrixauth';

const dir = new URL('../../core/tests/vectors/', import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const unhex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');

const creds = load('credentials.json');
function keyring(name) {
  const spec = creds.keyrings[name];
  const current = spec.keys.find((k) => k.id === spec.current);
  const kr = new mx.Keyring(unhex(current.key), current.id);
  for (const k of spec.keys) if (k.id !== spec.current) kr.addVerificationKey(unhex(k.key), k.id);
  return kr;
}
function credential(name) {
  const c = creds.credentials[name];
  return new mx.PatternCredential(c.cells, c.fixed, c.fixed_at);
}
function policyFrom(obj) {
  const camel = {};
  for (const [k, v] of Object.entries(obj ?? {})) camel[k.replace(/_([a-z])/g, (_, c) => c.toUpperCase())] = v;
  return new mx.Policy(camel);
}
const codeOf = (fn) => {
  try {
    fn();
  } catch (e) {
    return e.code;
  }
  return undefined;
};

// An 8×8 matrix whose digit at (row, col) is (row * 3 + col) % 10, as text.
const probe = ['   A B C D E F G H', ...Array.from({ length: 8 }, (_, r) =>
  `${String(r + 1).padStart(2)} ${Array.from({ length: 8 }, (_, c) => (r * 3 + c) % 10).join(' ')}`)].join('\n');

test('cell names', () => {
  const v = load('cells.json');
  for (const c of v.valid) {
    assert.equal(mx.cellName(c.row, c.col), c.canonical);
    if (c.index_8x8 === null || c.index_8x8 === undefined) continue;
    const digit = String((c.row * 3 + c.col) % 10);
    assert.equal(new mx.PatternCredential([c.name]).respondText(probe), digit, c.name);
    assert.equal(new mx.PatternCredential([c.index_8x8], '', 0, 8).respondText(probe), digit, c.name);
  }
  for (const name of v.invalid) {
    assert.ok(['invalid_cell_name', 'cell_out_of_range'].includes(codeOf(() => new mx.PatternCredential([name]))), name);
  }
});

test('folding', () => {
  for (const c of load('fold.json')) assert.equal(mx.fold(c.input), c.folded);
});

test('responses', () => {
  for (const c of load('responses.json').cases) {
    const rows = [];
    for (let r = 0; r < c.rows; r++) rows.push(c.matrix.slice(r * c.cols, (r + 1) * c.cols));
    const header = '   ' + Array.from({ length: c.cols }, (_, i) => String.fromCharCode(65 + i)).join(' ');
    const text = [header, ...rows.map((r, i) => String(i + 1).padStart(2) + ' ' + r.split('').join(' '))].join('\n');
    assert.equal(credential(c.credential).respondText(text), c.response);
  }
});

test('challenges re-issue identically', () => {
  for (const c of load('challenges.json').cases) {
    const kr = keyring(c.keyring);
    const auth = new mx.Authenticator(kr, new mx.Policy({ rows: c.rows, cols: c.cols }));
    const state = mx.UserState.fromBytes(kr, c.user, unhex(c.state));
    const ch = auth.issueChallenge(c.user, state, c.now);
    assert.ok(ch.reissue);
    assert.equal(ch.token, c.token);
    assert.equal(ch.matrix.flat().join(''), c.matrix);
    assert.equal(ch.renderText(), c.matrix_text);
    assert.equal(ch.expiresAt, c.expires_at);
    assert.equal(ch.issuedAt, c.issued_at);
    assert.equal(ch.seq, c.seq);
    assert.equal(hex(state.toBytes(kr, c.user)), c.state, 'a re-issue changes nothing');
  }
});

test('verify steps', () => {
  const v = load('verify.json');
  const policy = policyFrom(v.policy);
  let pending = 0;
  for (const c of v.cases) {
    const kr = keyring(c.keyring);
    const auth = new mx.Authenticator(kr, policy);
    const state = mx.UserState.fromBytes(kr, c.user, unhex(c.state_before));
    const cred = credential(c.credential);
    // A null token: the answer came without one (verifyPending).
    const verdict = c.token === null
      ? (pending++, auth.verifyPending(c.user, cred, state, c.response, c.now))
      : auth.verify(c.user, cred, state, c.token, c.response, c.now);
    assert.equal(verdict.outcome, c.outcome, c.name);
    assert.equal(verdict.accepted, c.outcome === 'accepted');
    assert.deepEqual(verdict.event, JSON.parse(c.event), c.name);
    assert.equal(hex(state.toBytes(kr, c.user)), c.state_after, c.name);
  }
  assert.ok(pending >= 3);
});

test('state bytes', () => {
  const v = load('state.json');
  const kr = keyring(v.keyring);
  for (const c of v.valid) {
    const s = mx.UserState.fromBytes(kr, v.user, unhex(c.bytes));
    assert.equal(hex(s.toBytes(kr, v.user)), c.bytes);
    assert.equal(s.version, c.version);
    assert.equal(s.consecutiveFailures, c.consecutive_failures);
    assert.equal(s.failuresSinceSuccess, c.failures_since_success);
    assert.equal(s.lockLevel, c.lock_level);
    assert.equal(s.lockedUntil, c.locked_until);
    assert.equal(s.permanentlyLocked, c.permanently_locked);
    assert.equal(s.pendingExpiresAt ?? null, c.pending_expires_at);
  }
  for (const c of v.invalid) {
    assert.equal(codeOf(() => mx.UserState.fromBytes(kr, c.user, unhex(c.bytes))), 'format', c.name);
  }
  const r = v.rotated;
  const old = mx.UserState.fromBytes(keyring(r.keyring), r.user, unhex(r.bytes));
  assert.equal(mx.UserState.fromBytes(kr, v.user, old.toBytes(kr, v.user)).version, old.version);
});

test('sealed records', () => {
  const v = load('sealed.json');
  for (const c of v.cases) {
    const kr = keyring(c.keyring);
    const sealed = unhex(c.sealed);
    const opened = mx.PatternCredential.open(kr, c.user, sealed);
    assert.equal(opened.patternLength, creds.credentials[c.credential].cells.length);
    const m = '30741852963074185296307418529630741852963074185296307418529630741852963074';
    const text = ['   A B C D E F G H', ...Array.from({ length: 8 }, (_, r) => `${String(r + 1).padStart(2)} ${m.slice(r * 8, r * 8 + 8).split('').join(' ')}`)].join('\n');
    assert.equal(opened.respondText(text), credential(c.credential).respondText(text));
    assert.equal(codeOf(() => mx.PatternCredential.open(kr, v.wrong_user, sealed)), 'seal');
    const tampered = sealed.slice();
    tampered[tampered.length - 1] ^= 1;
    assert.equal(codeOf(() => mx.PatternCredential.open(kr, c.user, tampered)), 'seal');
  }
});

test('tickets', () => {
  const v = load('tickets.json');
  for (const seq of v.sequences) {
    const verifier = new mx.TicketVerifier(keyring(v.keyring), seq.capacity);
    for (const step of seq.steps) {
      if (step.error) {
        let err;
        assert.throws(() => verifier.redeem(step.ticket, step.audience, step.now), (e) => (err = e, true));
        assert.equal(err.code, 'ticket');
        assert.equal(err.reason, step.error);
      } else {
        assert.equal(verifier.redeem(step.ticket, step.audience, step.now), step.user);
      }
    }
  }
});

test('strength reports', () => {
  for (const c of load('strength.json').cases) {
    const policy = new mx.Policy({ rows: c.rows, cols: c.cols, minPatternLen: Math.min(4, c.len), ...(c.allow_repeated_cells !== undefined ? { allowRepeatedCells: c.allow_repeated_cells } : {}) });
    const s = mx.strengthForLength(policy, c.len);
    // Floating point: wasm's libm may differ from the native one in the last bit.
    const close = (a, b) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
    close(s.patternSpace, c.pattern_space);
    close(s.patternSpaceBits, c.pattern_space_bits);
    close(s.guessProbability, c.guess_probability);
    close(s.onlineSuccessBeforePermanentLock, c.online_success_before_permanent_lock);
    c.candidates_after.forEach((x, i) => close(s.candidatesAfter[i], x));
    assert.equal(s.observationsToUnique, c.observations_to_unique);
  }
});

test('cards', () => {
  const v = load('cards.json');
  const cards = v.cards.map((c) => mx.GridCard.fromValues(c.serial, c.rows, c.cols, c.cell_len, c.alphabet, c.values, c.expires_at ?? undefined));
  v.cards.forEach((spec, i) => {
    assert.equal(cards[i].renderText(), spec.text);
    const opened = mx.GridCard.open(keyring('k1'), 'alice', unhex(spec.sealed_k1_alice));
    assert.equal(opened.renderText(), spec.text);
  });
  const kr = keyring('k1');
  const auth = new mx.Authenticator(kr);
  for (const ch of v.challenges) {
    const state = mx.UserState.fromBytes(kr, ch.user, unhex(ch.state));
    const got = auth.issueCardChallenge(ch.user, cards[ch.card], state, ch.now);
    assert.ok(got.reissue);
    assert.equal(got.token, ch.token);
    assert.deepEqual(got.cells, ch.cells);
    assert.equal(got.expiresAt, ch.expires_at);
    assert.equal(got.remaining ?? null, ch.remaining);
    assert.equal(cards[ch.card].respond(got), ch.answer);
  }
  for (const c of v.verify) {
    const state = mx.UserState.fromBytes(kr, c.user, unhex(c.state_before));
    const verdict = c.token === null
      ? auth.verifyCardPending(c.user, cards[c.card], state, c.response, c.now)
      : auth.verifyCard(c.user, cards[c.card], state, c.token, c.response, c.now);
    assert.equal(verdict.outcome, c.outcome, c.name);
    assert.deepEqual(verdict.event, JSON.parse(c.event), c.name);
    assert.equal(hex(state.toBytes(kr, c.user)), c.state_after, c.name);
  }
});

test('MSCHAPv2 checks of the pending challenge (nt.json)', () => {
  const v = load('nt.json');
  const ntCreds = Object.fromEntries(Object.entries(v.credentials).map(([n, c]) =>
    [n, new mx.PatternCredential(c.cells, c.fixed, c.fixed_at)]));
  const cards = v.cards.map((c) => mx.GridCard.fromValues(c.serial, c.rows, c.cols, c.cell_len, c.alphabet, c.values, c.expires_at ?? undefined));
  const proofOf = (p) => ({
    authenticatorChallenge: unhex(p.authenticator_challenge),
    peerChallenge: unhex(p.peer_challenge),
    ntResponse: unhex(p.nt_response),
    userName: unhex(p.user_name),
  });
  let accepted = 0;
  for (const c of v.cases) {
    const kr = keyring(c.keyring);
    const auth = new mx.Authenticator(kr, policyFrom(v.policies[c.policy]));
    const state = mx.UserState.fromBytes(kr, c.user, unhex(c.state_before));
    const verdict = c.mode === 'pattern'
      ? auth.verifyPendingNt(c.user, ntCreds[c.credential], state, proofOf(c.proof), c.now)
      : auth.verifyCardPendingNt(c.user, cards[c.card], state, proofOf(c.proof), c.now);
    assert.equal(verdict.outcome, c.outcome, c.name);
    assert.equal(verdict.accepted, c.outcome === 'accepted', c.name);
    const got = verdict.passwordHashHash;
    assert.equal(got === undefined ? null : hex(got), c.password_hash_hash, c.name);
    assert.deepEqual(verdict.event, JSON.parse(c.event), c.name);
    assert.equal(hex(state.toBytes(kr, c.user)), c.state_after, c.name);
    if (got !== undefined) accepted += 1;
  }
  assert.ok(accepted >= 10);
  // A proof field of the wrong length throws code "argument" before the state changes.
  const first = v.cases.find((c) => c.mode === 'pattern' && c.outcome === 'accepted');
  const kr = keyring(first.keyring);
  const auth = new mx.Authenticator(kr, policyFrom(v.policies[first.policy]));
  const state = mx.UserState.fromBytes(kr, first.user, unhex(first.state_before));
  for (const m of v.malformed) {
    assert.equal(codeOf(() => auth.verifyPendingNt(first.user, ntCreds[first.credential], state, proofOf(m.proof), first.now)),
      'argument', m.name);
  }
  assert.equal(hex(state.toBytes(kr, first.user)), first.state_before);
});
