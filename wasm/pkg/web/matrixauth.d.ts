/* tslint:disable */
/* eslint-disable */

/** What the peer's MSCHAPv2 Response proves (RFC 2759 §4). */
export interface NtProof {
    /** The server's challenge (the EAP-MSCHAPv2 Challenge sent): 16 bytes. */
    authenticatorChallenge: Uint8Array;
    /** The peer's challenge, from its Response: 16 bytes. */
    peerChallenge: Uint8Array;
    /** The NT-Response: 24 bytes. */
    ntResponse: Uint8Array;
    /** The user name as the peer hashed it (without a domain): bytes, or a string taken as UTF-8. */
    userName: Uint8Array | string;
}



/**
 * The authentication server's engine: keys and policy, no per-user data.
 */
export class Authenticator {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Applies the enrollment rules; throws `code` `"policy"` or `"weak_pattern"`.
     */
    checkCredential(credential: PatternCredential): void;
    /**
     * A random credential for unknown users (same work as a real verify).
     */
    decoyCredential(): PatternCredential;
    /**
     * Issues (or re-issues) a grid-card challenge.
     */
    issueCardChallenge(user: string, card: GridCard, state: UserState, now?: number | null): CardChallenge;
    /**
     * Issues (or, while one is pending, re-issues) a pattern challenge.
     * Throws `code: "locked"` with `lockedUntil` while the user is locked.
     */
    issueChallenge(user: string, state: UserState, now?: number | null): Challenge;
    /**
     * A single-use login ticket for the SSL-VPN appliance (after `accepted`).
     */
    issueTicket(user: string, audience: string, now?: number | null): string;
    /**
     * An authenticator over copies of `keyring` and `policy`: a `Policy`, a plain object of
     * policy options, or nothing for the defaults. The `Policy` object stays usable (it is
     * copied, not consumed).
     */
    constructor(keyring: Keyring, policy: Policy | Record<string, number | boolean> | undefined);
    /**
     * The strength report for `credential` under this policy.
     */
    strength(credential: PatternCredential): any;
    /**
     * An administrator's unlock; returns the audit event.
     */
    unlock(user: string, state: UserState, now?: number | null): any;
    /**
     * `verifyPendingNt` against the user's pending card challenge: the
     * answer is the asked cells' values exactly as printed (letters upper-case).
     */
    verifyCardPendingNt(user: string, card: GridCard, state: UserState, proof: NtProof, now?: number | null): NtVerdict;
    /**
     * Verifies the answer to the user's pending card challenge, without a token.
     */
    verifyCardPending(user: string, card: GridCard, state: UserState, answer: string, now?: number | null): Verdict;
    /**
     * Verifies the answer to a card challenge; updates `state` in place.
     */
    verifyCard(user: string, card: GridCard, state: UserState, token: string, answer: string, now?: number | null): Verdict;
    /**
     * Verifies an MSCHAPv2 NT-Response against the user's pending pattern
     * challenge (SPEC §17); updates `state` in place. The rules and outcomes
     * of `verifyPending`; the peer hashes what was typed, so nothing is
     * folded. A proof field of the wrong type or length throws `code:
     * "argument"` before `state` changes.
     */
    verifyPendingNt(user: string, credential: PatternCredential, state: UserState, proof: NtProof, now?: number | null): NtVerdict;
    /**
     * Verifies a typed answer to the user's pending pattern challenge,
     * without a token (the grid was shown elsewhere; the answer came as a
     * password). Nothing pending: `stale`.
     */
    verifyPending(user: string, credential: PatternCredential, state: UserState, answer: string, now?: number | null): Verdict;
    /**
     * Verifies a typed answer; updates `state` in place.
     */
    verify(user: string, credential: PatternCredential, state: UserState, token: string, answer: string, now?: number | null): Verdict;
    /**
     * The policy in force (a copy).
     */
    readonly policy: Policy;
}

/**
 * A card-mode challenge: which cells to type, in order.
 */
export class CardChallenge {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * The cells asked (`["B3", "F7", "D1"]`).
     */
    readonly cells: string[];
    /**
     * The audit event of this issue, as a plain object.
     */
    readonly event: any;
    /**
     * Unix seconds at which it expires.
     */
    readonly expiresAt: number;
    /**
     * Unix seconds the challenge was first issued.
     */
    readonly issuedAt: number;
    /**
     * Whether this is the pending challenge shown again.
     */
    readonly reissue: boolean;
    /**
     * Challenges the card can still serve after this one (single use), or
     * `undefined` when cells may repeat.
     */
    readonly remaining: number | undefined;
    /**
     * The user's challenge sequence number.
     */
    readonly seq: number;
    /**
     * The card's serial.
     */
    readonly serial: string;
    /**
     * Opaque token to send back with the answer.
     */
    readonly token: string;
}

/**
 * A pattern-mode challenge: the matrix to show and the token to send back.
 */
export class Challenge {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * The matrix as text with column letters and row numbers.
     */
    renderText(): string;
    /**
     * Grid columns.
     */
    readonly cols: number;
    /**
     * The audit event of this issue, as a plain object.
     */
    readonly event: any;
    /**
     * Unix seconds at which it expires.
     */
    readonly expiresAt: number;
    /**
     * Unix seconds the challenge was first issued.
     */
    readonly issuedAt: number;
    /**
     * The digits, one array per row.
     */
    readonly matrix: Array<any>;
    /**
     * Whether this is the pending challenge shown again (a refresh).
     */
    readonly reissue: boolean;
    /**
     * Grid rows.
     */
    readonly rows: number;
    /**
     * The user's challenge sequence number.
     */
    readonly seq: number;
    /**
     * Opaque token to send back with the answer.
     */
    readonly token: string;
}

/**
 * A printed grid card. The values are secret.
 */
export class GridCard {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * A card from known values (printed by another system, or a test
     * vector): every cell's symbols in row-major order.
     */
    static fromValues(serial: string, rows: number, cols: number, cell_len: number, alphabet: string, values: string, expires_at?: number | null): GridCard;
    /**
     * A new random card. Options: `serial` (default random
     * `MX-XXXX-XXXX`), `rows`, `cols` (8), `cellLen` (2), `alphabet`
     * (`"digits"` or `"alnum"`), `expiresAt` (none).
     */
    static generate(options?: object | null): GridCard;
    /**
     * Opens a sealed card; throws `code: "seal"` on any mismatch.
     */
    static open(keyring: Keyring, user: string, sealed: Uint8Array | number[]): GridCard;
    /**
     * The card as an SVG document (85.6 × 54 mm).
     */
    renderSvg(): string;
    /**
     * The card as text, for printing.
     */
    renderText(): string;
    /**
     * The right answer to a card challenge.
     */
    respond(challenge: CardChallenge): string;
    /**
     * Encrypts the card for storage, bound to `user`.
     */
    seal(keyring: Keyring, user: string): Uint8Array;
    /**
     * The value printed in cell `name` (`"B3"`).
     */
    value(name: string): string;
    /**
     * `"digits"` or `"alnum"`.
     */
    readonly alphabet: string;
    /**
     * Symbols per cell.
     */
    readonly cellLen: number;
    /**
     * Columns.
     */
    readonly cols: number;
    /**
     * Unix seconds from which the card is refused, or `undefined`.
     */
    readonly expiresAt: number | undefined;
    /**
     * Rows.
     */
    readonly rows: number;
    /**
     * The serial printed on the card.
     */
    readonly serial: string;
}

/**
 * Server keys: the current signing key and older keys that still verify.
 */
export class Keyring {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Adds an old key that still verifies tokens, tickets and sealed
     * records but no longer signs.
     */
    addVerificationKey(key: Uint8Array | number[], key_id: number): void;
    /**
     * 32 fresh random bytes for a new key (`crypto.getRandomValues`).
     */
    static generateKey(): Uint8Array;
    /**
     * A keyring with one 32-byte key, `keyId` defaulting to 1.
     */
    constructor(key: Uint8Array | number[], key_id?: number | null);
    /**
     * Removes a verification key (not the current one).
     */
    removeKey(key_id: number): void;
    /**
     * Makes `key` the signing key; the previous one keeps verifying.
     */
    rotate(key: Uint8Array | number[], key_id: number): void;
    /**
     * The id of the signing key.
     */
    readonly currentKeyId: number;
    /**
     * Every key id, current first.
     */
    readonly keyIds: Uint32Array;
}

/**
 * The result of an MSCHAPv2 verification: the verdict, and on `accepted`
 * only the 16-byte PasswordHashHash the authenticator response and the MPPE
 * keys are derived from.
 */
export class NtVerdict {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * `outcome === "accepted"`.
     */
    readonly accepted: boolean;
    /**
     * The audit event, as a plain object (no secrets).
     */
    readonly event: any;
    /**
     * `"accepted"`, `"rejected"`, `"locked"`, `"expired"`, `"stale"` or `"invalid"`.
     */
    readonly outcome: string;
    /**
     * The PasswordHashHash (16 bytes) on `accepted`, otherwise `undefined`.
     */
    readonly passwordHashHash: Uint8Array | undefined;
}

/**
 * A memorised pattern plus fixed string. Secret: never printed, wiped
 * when freed (call `free()` when done with it).
 */
export class PatternCredential {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * From cell names (`["B2", "G3", …]`) or 0-based row-major indices
     * (`[9, 22, …]`, read with `cols`, default 8), a fixed string
     * (default `""`) and its position among the digits (default 0).
     */
    constructor(cells: Array<any>, fixed?: string | null, fixed_at?: number | null, cols?: number | null);
    /**
     * Opens a sealed credential; throws `code: "seal"` for a wrong key,
     * wrong user or tampered bytes.
     */
    static open(keyring: Keyring, user: string, sealed: Uint8Array | number[]): PatternCredential;
    /**
     * The right answer for a matrix given as text (`Challenge.renderText()`
     * or a login page's text).
     */
    respondText(text: string): string;
    /**
     * The right answer to `challenge` (test automation, demos, practice).
     */
    respond(challenge: Challenge): string;
    /**
     * Encrypts the credential for storage, bound to `user`.
     */
    seal(keyring: Keyring, user: string): Uint8Array;
    /**
     * Cells in the pattern.
     */
    readonly patternLength: number;
}

/**
 * Enrollment and lockout policy. `new Policy({ minPatternLen: 8 })`;
 * unknown or mistyped options throw.
 */
export class Policy {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Applies the enrollment rules to a credential without any key: the
     * same check `Authenticator.checkCredential` and the server run.
     * Throws with `code` `"policy"` or `"weak_pattern"` (and `weakness`).
     */
    checkCredential(credential: PatternCredential): void;
    /**
     * The defaults of SPEC §5, overridden by `options` (camelCase fields:
     * `rows`, `cols`, `blockRows`, `blockCols`, `requireEveryBlock`,
     * `minPatternLen`, `maxPatternLen`, `allowRepeatedCells`,
     * `rejectWeakPatterns`, `challengeTtl`, `retryWindow`, `maxConsecutiveFailures`,
     * `lockoutSeconds`, `maxLockoutSeconds`, `maxTotalFailures`,
     * `cardChallengeCells`, `cardSingleUse`, `ticketTtl`). The result is
     * validated.
     */
    constructor(options?: object | null);
    /**
     * The policy as a plain object with the constructor's field names.
     */
    toJSON(): any;
    /**
     * Grid columns.
     */
    readonly cols: number;
    /**
     * Most pattern cells.
     */
    readonly maxPatternLen: number;
    /**
     * Fewest pattern cells.
     */
    readonly minPatternLen: number;
    /**
     * Seconds after an answer during which the same answer is `duplicate`
     * and another one a counted `rejected` (then `stale`).
     */
    readonly retryWindow: number;
    /**
     * Grid rows.
     */
    readonly rows: number;
}

/**
 * The appliance side of the hand-off: redeems each ticket once.
 */
export class TicketVerifier {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * A verifier over a copy of `keyring` with a replay cache of
     * `capacity` tickets (default 10000).
     */
    constructor(keyring: Keyring, capacity?: number | null);
    /**
     * Returns the user id the first time; throws `code: "ticket"` with a
     * `reason` (`"replayed"`, `"expired"`, `"wrong_audience"`, `"forged"`,
     * `"malformed"`, `"bad_lifetime"`, `"cache_full"`) otherwise.
     */
    redeem(ticket: string, audience: string, now?: number | null): string;
    /**
     * Tickets remembered in the replay cache.
     */
    readonly cached: number;
}

/**
 * One user's login progress: counters, lock, pending challenge. Persist
 * `toBytes(keyring, user)` after every call that changes it (`version` grows).
 */
export class UserState {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Cells of card `serial` already asked.
     */
    cardCellsUsed(serial: string): number;
    /**
     * Stops tracking card `serial` (after it was replaced); returns whether it was tracked.
     */
    forgetCard(serial: string): boolean;
    /**
     * Reads bytes from `toBytes(keyring, user)` for the same user, under a
     * key still in `keyring`. Truncated, altered, another user's or written
     * without the key: throws `code: "format"`.
     */
    static fromBytes(keyring: Keyring, user: string, bytes: Uint8Array | number[]): UserState;
    /**
     * Whether the user is locked at `now` (default: the clock).
     */
    isLocked(now?: number | null): boolean;
    /**
     * A fresh state.
     */
    constructor();
    /**
     * The versioned encoding, authenticated for `user` under the keyring's signing key.
     */
    toBytes(keyring: Keyring, user: string): Uint8Array;
    /**
     * Failures since the last success or lock.
     */
    readonly consecutiveFailures: number;
    /**
     * Failures since the last success (the permanent-lock count).
     */
    readonly failuresSinceSuccess: number;
    /**
     * Locks so far (each doubles the next).
     */
    readonly lockLevel: number;
    /**
     * End of the latest temporary lock (Unix seconds; 0 if never locked).
     */
    readonly lockedUntil: number;
    /**
     * When the pending challenge expires, or `undefined` if none.
     */
    readonly pendingExpiresAt: number | undefined;
    /**
     * Whether only an administrator's `unlock` can let the user in.
     */
    readonly permanentlyLocked: boolean;
    /**
     * Bumped on every change (for compare-and-swap storage).
     */
    readonly version: number;
}

/**
 * The result of a verification.
 */
export class Verdict {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * `outcome === "accepted"`.
     */
    readonly accepted: boolean;
    /**
     * The audit event, as a plain object (no secrets).
     */
    readonly event: any;
    /**
     * `"accepted"`, `"rejected"`, `"locked"`, `"expired"`, `"duplicate"`,
     * `"stale"` or `"invalid"`.
     */
    readonly outcome: string;
}

/**
 * The name of the cell at `row`, `col` (0-based): `cellName(2, 1)` is `"B3"`.
 */
export function cellName(row: number, col: number): string;

/**
 * A watcher's expected number of candidate patterns after `observed`
 * logins, for a grid of `cells` cells and a pattern of `length` cells.
 */
export function expectedCandidates(cells: number, length: number, observed: number): number;

/**
 * Folds typed input as the verifier does: full-width forms to ASCII,
 * spaces and hyphens dropped (SPEC §3). For showing users what counts.
 */
export function fold(input: string): string;

/**
 * Observed logins after which fewer than half a wrong pattern remains.
 */
export function observationsToUnique(cells: number, length: number): number;

/**
 * Reads a matrix printed by `Challenge.renderText()` (or a login page's
 * text) back into rows of digits.
 */
export function parseMatrixText(text: string): Array<any>;

/**
 * The strength report for a pattern of `length` cells under `policy`,
 * before a credential exists (enrollment pages). A plain object; fields in
 * `index.d.ts`.
 */
export function strengthForLength(policy: Policy, length: number): any;

/**
 * The library's version (`"0.1.0"`).
 */
export function version(): string;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_authenticator_free: (a: number, b: number) => void;
    readonly __wbg_cardchallenge_free: (a: number, b: number) => void;
    readonly __wbg_challenge_free: (a: number, b: number) => void;
    readonly __wbg_gridcard_free: (a: number, b: number) => void;
    readonly __wbg_keyring_free: (a: number, b: number) => void;
    readonly __wbg_ntverdict_free: (a: number, b: number) => void;
    readonly __wbg_patterncredential_free: (a: number, b: number) => void;
    readonly __wbg_policy_free: (a: number, b: number) => void;
    readonly __wbg_ticketverifier_free: (a: number, b: number) => void;
    readonly __wbg_userstate_free: (a: number, b: number) => void;
    readonly __wbg_verdict_free: (a: number, b: number) => void;
    readonly authenticator_checkCredential: (a: number, b: number) => [number, number];
    readonly authenticator_decoyCredential: (a: number) => [number, number, number];
    readonly authenticator_issueCardChallenge: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => [number, number, number];
    readonly authenticator_issueChallenge: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number, number];
    readonly authenticator_issueTicket: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => [number, number, number, number];
    readonly authenticator_new: (a: number, b: any) => [number, number, number];
    readonly authenticator_policy: (a: number) => number;
    readonly authenticator_strength: (a: number, b: number) => [number, number, number];
    readonly authenticator_unlock: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number, number];
    readonly authenticator_verify: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number) => [number, number, number];
    readonly authenticator_verifyCard: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number) => [number, number, number];
    readonly authenticator_verifyCardPending: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number) => [number, number, number];
    readonly authenticator_verifyCardPendingNt: (a: number, b: number, c: number, d: number, e: number, f: any, g: number, h: number) => [number, number, number];
    readonly authenticator_verifyPending: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number) => [number, number, number];
    readonly authenticator_verifyPendingNt: (a: number, b: number, c: number, d: number, e: number, f: any, g: number, h: number) => [number, number, number];
    readonly cardchallenge_cells: (a: number) => [number, number];
    readonly cardchallenge_event: (a: number) => [number, number, number];
    readonly cardchallenge_expiresAt: (a: number) => number;
    readonly cardchallenge_issuedAt: (a: number) => number;
    readonly cardchallenge_reissue: (a: number) => number;
    readonly cardchallenge_remaining: (a: number) => number;
    readonly cardchallenge_seq: (a: number) => number;
    readonly cardchallenge_serial: (a: number) => [number, number];
    readonly cardchallenge_token: (a: number) => [number, number];
    readonly cellName: (a: number, b: number) => [number, number, number, number];
    readonly challenge_cols: (a: number) => number;
    readonly challenge_event: (a: number) => [number, number, number];
    readonly challenge_expiresAt: (a: number) => number;
    readonly challenge_issuedAt: (a: number) => number;
    readonly challenge_matrix: (a: number) => any;
    readonly challenge_reissue: (a: number) => number;
    readonly challenge_renderText: (a: number) => [number, number];
    readonly challenge_rows: (a: number) => number;
    readonly challenge_seq: (a: number) => number;
    readonly challenge_token: (a: number) => [number, number];
    readonly expectedCandidates: (a: number, b: number, c: number) => number;
    readonly fold: (a: number, b: number) => [number, number];
    readonly gridcard_alphabet: (a: number) => [number, number];
    readonly gridcard_cellLen: (a: number) => number;
    readonly gridcard_cols: (a: number) => number;
    readonly gridcard_expiresAt: (a: number) => [number, number];
    readonly gridcard_fromValues: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number) => [number, number, number];
    readonly gridcard_generate: (a: number) => [number, number, number];
    readonly gridcard_open: (a: number, b: number, c: number, d: number, e: number) => [number, number, number];
    readonly gridcard_renderSvg: (a: number) => [number, number];
    readonly gridcard_renderText: (a: number) => [number, number];
    readonly gridcard_respond: (a: number, b: number) => [number, number, number, number];
    readonly gridcard_rows: (a: number) => number;
    readonly gridcard_seal: (a: number, b: number, c: number, d: number) => [number, number, number, number];
    readonly gridcard_serial: (a: number) => [number, number];
    readonly gridcard_value: (a: number, b: number, c: number) => [number, number, number, number];
    readonly keyring_addVerificationKey: (a: number, b: number, c: number, d: number) => [number, number];
    readonly keyring_currentKeyId: (a: number) => number;
    readonly keyring_generateKey: () => [number, number, number, number];
    readonly keyring_keyIds: (a: number) => [number, number];
    readonly keyring_new: (a: number, b: number, c: number) => [number, number, number];
    readonly keyring_removeKey: (a: number, b: number) => [number, number];
    readonly keyring_rotate: (a: number, b: number, c: number, d: number) => [number, number];
    readonly ntverdict_accepted: (a: number) => number;
    readonly ntverdict_event: (a: number) => [number, number, number];
    readonly ntverdict_outcome: (a: number) => [number, number];
    readonly ntverdict_passwordHashHash: (a: number) => [number, number];
    readonly observationsToUnique: (a: number, b: number) => number;
    readonly parseMatrixText: (a: number, b: number) => [number, number, number];
    readonly patterncredential_new: (a: any, b: number, c: number, d: number, e: number) => [number, number, number];
    readonly patterncredential_open: (a: number, b: number, c: number, d: number, e: number) => [number, number, number];
    readonly patterncredential_patternLength: (a: number) => number;
    readonly patterncredential_respond: (a: number, b: number) => [number, number, number, number];
    readonly patterncredential_respondText: (a: number, b: number, c: number) => [number, number, number, number];
    readonly patterncredential_seal: (a: number, b: number, c: number, d: number) => [number, number, number, number];
    readonly policy_checkCredential: (a: number, b: number) => [number, number];
    readonly policy_cols: (a: number) => number;
    readonly policy_maxPatternLen: (a: number) => number;
    readonly policy_minPatternLen: (a: number) => number;
    readonly policy_new: (a: number) => [number, number, number];
    readonly policy_retryWindow: (a: number) => number;
    readonly policy_rows: (a: number) => number;
    readonly policy_toJSON: (a: number) => [number, number, number];
    readonly strengthForLength: (a: number, b: number) => [number, number, number];
    readonly ticketverifier_cached: (a: number) => number;
    readonly ticketverifier_new: (a: number, b: number) => number;
    readonly ticketverifier_redeem: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => [number, number, number, number];
    readonly userstate_cardCellsUsed: (a: number, b: number, c: number) => number;
    readonly userstate_consecutiveFailures: (a: number) => number;
    readonly userstate_failuresSinceSuccess: (a: number) => number;
    readonly userstate_forgetCard: (a: number, b: number, c: number) => number;
    readonly userstate_fromBytes: (a: number, b: number, c: number, d: number, e: number) => [number, number, number];
    readonly userstate_isLocked: (a: number, b: number, c: number) => [number, number, number];
    readonly userstate_lockLevel: (a: number) => number;
    readonly userstate_lockedUntil: (a: number) => number;
    readonly userstate_new: () => number;
    readonly userstate_pendingExpiresAt: (a: number) => [number, number];
    readonly userstate_permanentlyLocked: (a: number) => number;
    readonly userstate_toBytes: (a: number, b: number, c: number, d: number) => [number, number, number, number];
    readonly userstate_version: (a: number) => number;
    readonly verdict_accepted: (a: number) => number;
    readonly verdict_event: (a: number) => [number, number, number];
    readonly verdict_outcome: (a: number) => [number, number];
    readonly version: () => [number, number];
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __externref_drop_slice: (a: number, b: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
