// Node peer benchmark (scripts/bench.sh): otplib's TOTP check against matrixauth's WASM verify.
// Prints one JSON line per measurement: {"name": ..., "ns_per_op": ...}.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { totp } = require('otplib');
const mx = require('../../../wasm/pkg/node/matrixauth.js');

function measure(name, fn) {
  for (let i = 0; i < 2000; i++) fn(); // warm up the JIT
  let n = 2000;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const ns = Number(process.hrtime.bigint() - t0);
    if (ns > 1e9) {
      console.log(JSON.stringify({ name, ns_per_op: ns / n }));
      return;
    }
    n *= 2;
  }
}

const T = 1_800_000_000;
const secret = 'JBSWY3DPEHPK3PXP';
const checker = totp.clone({ epoch: T * 1000, step: 30, window: 1, digits: 6 });
const code = checker.generate(secret);
measure('node_otplib_totp_verify', () => {
  if (!checker.check(code, secret)) throw new Error('otplib rejected its own code');
});

const kr = new mx.Keyring(new Uint8Array(32).fill(7), 1);
const auth = new mx.Authenticator(kr);
const cred = new mx.PatternCredential(['B2', 'G3', 'D5', 'A8', 'H1', 'E6'], 'pw', 2);
const state = new mx.UserState();
const ch = auth.issueChallenge('alice', state, T);
const right = cred.respond(ch);
const pending = state.toBytes(kr, 'alice');
measure('node_wasm_verify_right', () => {
  const s = mx.UserState.fromBytes(kr, 'alice', pending); // a server loads the user's state for every check
  const v = auth.verify('alice', cred, s, ch.token, right, T + 1);
  if (!v.accepted) throw new Error('not accepted');
  v.free();
  s.free();
});
