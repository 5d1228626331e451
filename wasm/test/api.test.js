// The npm package's API in Node: flows, errors and hostile arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as mx from 'matrixauth';

const T0 = 1_800_000_000;
const key = () => mx.Keyring.generateKey();
const code = (fn) => {
  try {
    fn();
  } catch (e) {
    assert.equal(e instanceof Error, true);
    return e.code;
  }
  assert.fail('expected an error');
};

function setup(policy) {
  const k = key();
  const kr = new mx.Keyring(k, 1);
  const auth = new mx.Authenticator(kr, policy ? new mx.Policy(policy) : undefined);
  const cred = new mx.PatternCredential(['B2', 'G3', 'D5', 'A8', 'H1', 'E6'], 'pw', 2);
  return { k, kr, auth, cred };
}

test('respond then verify is accepted; a refresh shows the same matrix', () => {
  const { auth, cred } = setup();
  const state = new mx.UserState();
  const ch = auth.issueChallenge('alice', state, T0);
  assert.equal(ch.rows, 8);
  assert.equal(ch.matrix.length, 8);
  assert.ok(ch.matrix.every((r) => r.length === 8 && r.every((d) => Number.isInteger(d) && d >= 0 && d <= 9)));
  assert.equal(ch.expiresAt, T0 + 180);
  assert.equal(ch.event.event, 'challenge_issued');
  const again = auth.issueChallenge('alice', state, T0 + 5);
  assert.equal(again.token, ch.token);
  assert.deepEqual(again.matrix, ch.matrix);
  assert.ok(again.reissue);
  const answer = cred.respond(ch);
  assert.equal(answer.length, 8);
  assert.equal(cred.respondText(ch.renderText()), answer);
  const v = auth.verify('alice', cred, state, ch.token, answer, T0 + 10);
  assert.equal(v.outcome, 'accepted');
  assert.equal(v.accepted, true);
  assert.equal(v.event.outcome, 'accepted');
  // The VPN client retries the same answer: duplicate, not a failure.
  assert.equal(auth.verify('alice', cred, state, ch.token, answer, T0 + 11).outcome, 'duplicate');
  assert.equal(state.consecutiveFailures, 0);
});

test('every one-character change of the answer is rejected', () => {
  const { auth, cred } = setup();
  const state = new mx.UserState();
  let now = T0;
  const ch0 = auth.issueChallenge('alice', state, now);
  const right = cred.respond(ch0);
  auth.verify('alice', cred, state, ch0.token, right, now);
  for (let i = 0; i < right.length; i++) {
    now += 1;
    const ch = auth.issueChallenge('alice', state, now);
    const answer = cred.respond(ch);
    const c = answer[i];
    const changed = answer.slice(0, i) + (/[0-9]/.test(c) ? String((+c + 1) % 10) : 'x') + answer.slice(i + 1);
    assert.equal(auth.verify('alice', cred, state, ch.token, changed, now).outcome, 'rejected', `position ${i}`);
    // reset the counter with a right answer so the user never locks
    const next = auth.issueChallenge('alice', state, now);
    assert.equal(auth.verify('alice', cred, state, next.token, cred.respond(next), now).outcome, 'accepted');
  }
});

test('full-width input is folded', () => {
  const { auth, cred } = setup();
  const state = new mx.UserState();
  const ch = auth.issueChallenge('alice', state, T0);
  const wide = Array.from(cred.respond(ch), (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
  assert.equal(mx.fold(wide), cred.respond(ch));
  assert.equal(auth.verify('alice', cred, state, ch.token, wide, T0 + 1).outcome, 'accepted');
});

test('five failures lock for 15 minutes; issue throws locked with lockedUntil', () => {
  const { auth, cred } = setup();
  const state = new mx.UserState();
  let now = T0;
  for (let i = 1; i <= 5; i++) {
    const ch = auth.issueChallenge('alice', state, now);
    assert.equal(auth.verify('alice', cred, state, ch.token, '0000000000', now).outcome, 'rejected');
    now += 1;
  }
  assert.equal(state.failuresSinceSuccess, 5);
  assert.equal(state.lockedUntil, T0 + 4 + 900);
  assert.ok(state.isLocked(now));
  let err;
  try {
    auth.issueChallenge('alice', state, now);
  } catch (e) {
    err = e;
  }
  assert.equal(err.code, 'locked');
  assert.equal(err.name, 'MatrixauthError');
  assert.equal(err.lockedUntil, T0 + 904);
  // The lock ends on time.
  const ch = auth.issueChallenge('alice', state, T0 + 904);
  assert.equal(auth.verify('alice', cred, state, ch.token, cred.respond(ch), T0 + 905).outcome, 'accepted');
  assert.equal(state.failuresSinceSuccess, 0);
  // unlock returns its event
  assert.equal(auth.unlock('alice', state, T0 + 906).event, 'unlock');
});

test('state survives bytes; tampering, another user or another key is a format error', () => {
  const { kr, auth } = setup();
  const state = new mx.UserState();
  auth.issueChallenge('alice', state, T0);
  const bytes = state.toBytes(kr, 'alice');
  assert.ok(bytes instanceof Uint8Array);
  const back = mx.UserState.fromBytes(kr, 'alice', bytes);
  assert.deepEqual(back.toBytes(kr, 'alice'), bytes);
  assert.equal(back.version, state.version);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes.slice();
    b[i] ^= 0x10;
    assert.equal(code(() => mx.UserState.fromBytes(kr, 'alice', b)), 'format');
  }
  assert.equal(code(() => mx.UserState.fromBytes(kr, 'alice', bytes.slice(0, -1))), 'format');
  assert.equal(code(() => mx.UserState.fromBytes(kr, 'bob', bytes)), 'format');
  const other = new mx.Keyring(new Uint8Array(32), 1);
  assert.equal(code(() => mx.UserState.fromBytes(other, 'alice', bytes)), 'format');
  assert.equal(code(() => mx.UserState.fromBytes(kr, 'alice', new mx.UserState().toBytes(other, 'alice'))), 'format');
});

test('answer oracle: guesses at an answered token cost failures or reveal nothing', () => {
  const { kr, auth, cred } = setup();
  const state = new mx.UserState();
  const ch = auth.issueChallenge('alice', state, T0); // anyone can obtain this token
  const real = cred.respond(ch);
  assert.equal(auth.verify('alice', cred, state, ch.token, real, T0 + 5).outcome, 'accepted');
  const saved = state.toBytes(kr, 'alice');
  const guesses = [];
  for (let i = 0; i < 2000; i++) {
    const g = String(i % 100).padStart(2, '0') + 'pw' + String((i * 7919) % 10000).padStart(4, '0');
    if (g !== real) guesses.push(g);
  }
  guesses.splice(1000, 0, real);
  // Late (after the 30 s retry window): nothing is examined.
  const late = mx.UserState.fromBytes(kr, 'alice', saved);
  const lateOutcomes = new Set();
  for (const g of guesses) {
    lateOutcomes.add(auth.verify('alice', cred, late, ch.token, g, T0 + 35).outcome);
    lateOutcomes.add(auth.verifyPending('alice', cred, late, g, T0 + 35).outcome);
  }
  assert.deepEqual([...lateOutcomes], ['stale']);
  assert.deepEqual(late.toBytes(kr, 'alice'), saved);
  // Early: every wrong guess is counted; after five, everything is locked, the real answer too.
  const counts = {};
  for (const g of guesses) {
    const o = auth.verify('alice', cred, state, ch.token, g, T0 + 6).outcome;
    counts[o] = (counts[o] ?? 0) + 1;
  }
  assert.deepEqual(counts, { rejected: 5, locked: guesses.length - 5 });
  assert.equal(state.failuresSinceSuccess, 5);
  assert.equal(new mx.Policy().retryWindow, 30);
  assert.equal(new mx.Policy({ retryWindow: 0 }).toJSON().retryWindow, 0);
  assert.equal(code(() => new mx.Policy({ retryWindow: 181 })), 'invalid_policy');
  // One text for every credential.
  const other = new mx.PatternCredential(['A1', 'C2', 'E5', 'G7', 'B8', 'H3', 'D4', 'F6'], '', 0);
  assert.equal(String(cred), String(other));
  assert.equal(cred.seal(kr, 'alice').length, other.seal(kr, 'alice').length);
});

test('tokens: forged, other user and garbage are invalid and change nothing', () => {
  const { kr, auth, cred } = setup();
  const state = new mx.UserState();
  const ch = auth.issueChallenge('alice', state, T0);
  const before = state.toBytes(kr, 'alice');
  const t = ch.token;
  const forged = t.slice(0, 20) + (t[20] === 'A' ? 'B' : 'A') + t.slice(21);
  for (const token of [forged, '', 'x'.repeat(1 << 20), '\u0000', '🙂']) {
    assert.equal(auth.verify('alice', cred, state, token, cred.respond(ch), T0 + 1).outcome, 'invalid');
  }
  assert.equal(auth.verify('bob', cred, state, t, cred.respond(ch), T0 + 1).outcome, 'invalid');
  assert.deepEqual(state.toBytes(kr, 'alice'), before);
});

test('tickets: once, for one audience', () => {
  const { k, auth } = setup();
  const t = auth.issueTicket('alice', 'vpn.example', T0);
  const verifier = new mx.TicketVerifier(new mx.Keyring(k, 1), 10);
  assert.equal(verifier.redeem(t, 'vpn.example', T0 + 1), 'alice');
  assert.equal(verifier.cached, 1);
  const reason = (fn) => {
    try {
      fn();
    } catch (e) {
      assert.equal(e.code, 'ticket');
      return e.reason;
    }
    assert.fail('expected a refusal');
  };
  assert.equal(reason(() => verifier.redeem(t, 'vpn.example', T0 + 2)), 'replayed');
  const t2 = auth.issueTicket('alice', 'vpn.example', T0);
  assert.equal(reason(() => verifier.redeem(t2, 'other', T0 + 1)), 'wrong_audience');
  assert.equal(reason(() => verifier.redeem(t2, 'vpn.example', T0 + 30)), 'expired');
  const other = new mx.TicketVerifier(new mx.Keyring(key(), 1));
  assert.equal(reason(() => other.redeem(t2, 'vpn.example', T0 + 1)), 'forged');
  assert.equal(reason(() => verifier.redeem('garbage', 'vpn.example', T0 + 1)), 'malformed');
});

test('sealing binds key and user', () => {
  const { k, cred } = setup();
  const kr = new mx.Keyring(k, 1);
  const sealed = cred.seal(kr, 'alice');
  const opened = mx.PatternCredential.open(kr, 'alice', sealed);
  assert.equal(opened.patternLength, 6);
  assert.equal(code(() => mx.PatternCredential.open(kr, 'mallory', sealed)), 'seal');
  assert.equal(code(() => mx.PatternCredential.open(new mx.Keyring(key(), 1), 'alice', sealed)), 'seal');
  assert.equal(code(() => mx.PatternCredential.open(kr, 'alice', new Uint8Array(0))), 'format'); // too short to be a sealed record
  // Rotation: the old key still opens, the new key signs.
  const rotated = new mx.Keyring(k, 1);
  rotated.rotate(key(), 2);
  assert.equal(rotated.currentKeyId, 2);
  assert.deepEqual(Array.from(rotated.keyIds).sort(), [1, 2]);
  assert.equal(mx.PatternCredential.open(rotated, 'alice', sealed).patternLength, 6);
});

test('enrollment rules: policy and weak patterns, with details', () => {
  const policy = new mx.Policy();
  const check = (cells) => {
    try {
      policy.checkCredential(new mx.PatternCredential(cells));
      return 'ok';
    } catch (e) {
      return `${e.code}:${e.weakness ?? e.violation}`;
    }
  };
  assert.equal(check(['B2', 'G3', 'D5', 'A8', 'H1', 'E6']), 'ok');
  assert.equal(check(['A1', 'B1', 'C1', 'D1', 'E1', 'F1']), 'weak_pattern:straight_line');
  assert.equal(check(['A1', 'B2', 'C3']), 'policy:too_short');
  assert.equal(check(['A1', 'B2', 'C3', 'A1', 'H5', 'C7']), 'policy:repeated_cell');
  const strength = mx.strengthForLength(policy, 6);
  assert.equal(strength.patternLength, 6);
  assert.equal(strength.guessProbability, 1e-6);
  assert.equal(strength.gridCells, 64);
  assert.equal(mx.expectedCandidates(64, 6, 0) > 5e10, true);
  assert.equal(mx.observationsToUnique(64, 6), strength.observationsToUnique);
  assert.equal(policy.toJSON().minPatternLen, 6);
  assert.deepEqual(new mx.Policy(policy.toJSON()).toJSON(), policy.toJSON());
});

test('cards: issue, respond, verify, single use, SVG', () => {
  const { auth } = setup();
  const card = mx.GridCard.generate({ serial: 'MX-NODE-0001', cellLen: 2 });
  assert.equal(card.serial, 'MX-NODE-0001');
  assert.match(card.value('B3'), /^[0-9]{2}$/);
  assert.match(card.renderSvg(), /^<svg|^<\?xml/);
  const state = new mx.UserState();
  const cc = auth.issueCardChallenge('alice', card, state, T0);
  assert.equal(cc.cells.length, 3);
  assert.equal(cc.remaining, 20);
  assert.equal(card.respond(cc), cc.cells.map((c) => card.value(c)).join(''));
  assert.equal(auth.verifyCard('alice', card, state, cc.token, card.respond(cc), T0 + 1).outcome, 'accepted');
  assert.equal(state.cardCellsUsed('MX-NODE-0001'), 3);
  const alnum = mx.GridCard.generate({ alphabet: 'alnum', cellLen: 3 });
  assert.match(alnum.value('A1'), /^[A-Z2-9]{3}$/);
  assert.equal(code(() => mx.GridCard.generate({ alphabet: 'emoji' })), 'invalid_card');
  const expired = mx.GridCard.generate({ expiresAt: T0 });
  assert.equal(code(() => auth.issueCardChallenge('alice', expired, new mx.UserState(), T0)), 'card_expired');
});

test('a Policy passed to an Authenticator stays usable and is applied every time', () => {
  const kr = new mx.Keyring(key(), 1);
  const policy = new mx.Policy({ minPatternLen: 8 });
  const a = new mx.Authenticator(kr, policy);
  const b = new mx.Authenticator(kr, policy);
  assert.equal(a.policy.minPatternLen, 8);
  assert.equal(b.policy.minPatternLen, 8, 'the second authenticator got the policy, not the defaults');
  assert.equal(policy.minPatternLen, 8, 'the Policy object was not consumed');
  assert.equal(new mx.Authenticator(kr, { minPatternLen: 7 }).policy.minPatternLen, 7);
  assert.equal(new mx.Authenticator(kr).policy.minPatternLen, 6);
  assert.equal(code(() => new mx.Authenticator(kr, { minPatternLen: 2 })), 'invalid_policy');
  assert.equal(code(() => new mx.Authenticator(kr, 42)), 'argument');
});

test('hostile arguments get clear errors, never a crash', () => {
  const { auth, cred } = setup();
  const state = new mx.UserState();
  for (const now of [-1, 1.5, NaN, Infinity]) {
    assert.equal(code(() => auth.issueChallenge('alice', state, now)), 'argument', String(now));
  }
  assert.equal(code(() => auth.issueChallenge('alice', state, 1e15)), 'invalid_time');
  assert.equal(code(() => new mx.Policy({ minPatternLength: 6 })), 'argument');
  assert.equal(code(() => new mx.Policy({ minPatternLen: '6' })), 'argument');
  assert.equal(code(() => new mx.Policy({ minPatternLen: 2 })), 'invalid_policy');
  assert.equal(code(() => new mx.Policy({ rows: 2 ** 40 })), 'argument');
  assert.equal(code(() => new mx.Keyring(new Uint8Array(31))), 'invalid_key_length');
  assert.equal(code(() => new mx.PatternCredential(['B2', 7])), 'argument');
  assert.equal(code(() => new mx.PatternCredential([1, 2, -3])), 'argument');
  assert.equal(code(() => new mx.PatternCredential(Array(300).fill('A1'))), 'invalid_pattern_length');
  assert.equal(code(() => new mx.PatternCredential(['B2', 'G3'], 'ｐｗ\u0001', 0)), 'invalid_fixed_string');
  assert.equal(code(() => new mx.PatternCredential(['B2', 'G3'], 'pw', 9)), 'invalid_fixed_position');
  assert.equal(code(() => auth.issueChallenge('', state, T0)), 'invalid_user_id');
  assert.equal(code(() => auth.issueChallenge('a\nb', state, T0)), 'invalid_user_id');
  assert.equal(code(() => auth.issueTicket('alice', '', T0)), 'invalid_audience');
  assert.equal(code(() => mx.parseMatrixText('not a matrix')), 'format');
  // A huge answer is a rejection, counted, not a crash.
  const ch = auth.issueChallenge('alice', state, T0);
  assert.equal(auth.verify('alice', cred, state, ch.token, '9'.repeat(1 << 20), T0).outcome, 'rejected');
});

test('errors and debug output never contain the secret', () => {
  const cred = new mx.PatternCredential(['B2', 'G3', 'D5', 'A8', 'H1', 'E6'], 'S3cretFix', 2);
  const policy = new mx.Policy({ minPatternLen: 8 });
  let message = '';
  try {
    policy.checkCredential(cred);
  } catch (e) {
    message = `${e.message} ${JSON.stringify(e)} ${e.stack}`;
  }
  assert.ok(message.length > 0);
  for (const secret of ['S3cretFix', 'B2', 'G3', 'D5']) assert.ok(!message.includes(secret), secret);
});

test('verifyPendingNt: argument types and lengths, nothing pending, a wrong proof counted', () => {
  const { auth, cred } = setup();
  const state = new mx.UserState();
  const good = {
    authenticatorChallenge: new Uint8Array(16).fill(1),
    peerChallenge: new Uint8Array(16).fill(2),
    ntResponse: new Uint8Array(24).fill(3),
    userName: 'alice',
  };
  let v = auth.verifyPendingNt('alice', cred, state, good, T0);
  assert.equal(v.outcome, 'stale');
  assert.equal(v.passwordHashHash, undefined);
  auth.issueChallenge('alice', state, T0);
  const pending = state.pendingExpiresAt;
  assert.equal(pending, T0 + 180);
  for (const bad of [
    undefined,
    null,
    'proof',
    { ...good, authenticatorChallenge: new Uint8Array(15) },
    { ...good, authenticatorChallenge: new Uint8Array(17) },
    { ...good, peerChallenge: undefined },
    { ...good, peerChallenge: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] },
    { ...good, ntResponse: new Uint8Array(23) },
    { ...good, ntResponse: new Uint8Array(25) },
    { ...good, userName: 42 },
    { ...good, userName: undefined },
  ]) {
    assert.equal(code(() => auth.verifyPendingNt('alice', cred, state, bad, T0 + 1)), 'argument');
  }
  assert.equal(state.failuresSinceSuccess, 0, 'no refusal touched the state');
  assert.equal(state.pendingExpiresAt, pending, 'the challenge is still pending');
  const card = mx.GridCard.generate({ serial: 'MX-NT' });
  assert.equal(auth.verifyCardPendingNt('alice', card, state, good, T0 + 1).outcome, 'invalid');
  v = auth.verifyPendingNt('alice', cred, state, { ...good, userName: new TextEncoder().encode('alice') }, T0 + 1);
  assert.equal(v.outcome, 'rejected');
  assert.equal(v.accepted, false);
  assert.equal(v.passwordHashHash, undefined);
  assert.equal(v.event.outcome, 'rejected');
  assert.equal(state.failuresSinceSuccess, 1);
  assert.equal(code(() => auth.verifyPendingNt('', cred, state, good, T0 + 2)), 'invalid_user_id');
});
