/* @ts-self-types="./matrixauth.d.ts" */

/**
 * The authentication server's engine: keys and policy, no per-user data.
 */
export class Authenticator {
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        AuthenticatorFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_authenticator_free(ptr, 0);
    }
    /**
     * Applies the enrollment rules; throws `code` `"policy"` or `"weak_pattern"`.
     * @param {PatternCredential} credential
     */
    checkCredential(credential) {
        _assertClass(credential, PatternCredential);
        const ret = wasm.authenticator_checkCredential(this.__wbg_ptr, credential.__wbg_ptr);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * A random credential for unknown users (same work as a real verify).
     * @returns {PatternCredential}
     */
    decoyCredential() {
        const ret = wasm.authenticator_decoyCredential(this.__wbg_ptr);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return PatternCredential.__wrap(ret[0]);
    }
    /**
     * Issues (or re-issues) a grid-card challenge.
     * @param {string} user
     * @param {GridCard} card
     * @param {UserState} state
     * @param {number | null} [now]
     * @returns {CardChallenge}
     */
    issueCardChallenge(user, card, state, now) {
        _assertClass(card, GridCard);
        _assertClass(state, UserState);
        const val2 = +(isLikeNone(now) ? 0 : now);
        const ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.authenticator_issueCardChallenge(this.__wbg_ptr, ptr0, len0, card.__wbg_ptr, state.__wbg_ptr, !isLikeNone(now), val2);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return CardChallenge.__wrap(ret[0]);
    }
    /**
     * Issues (or, while one is pending, re-issues) a pattern challenge.
     * Throws `code: "locked"` with `lockedUntil` while the user is locked.
     * @param {string} user
     * @param {UserState} state
     * @param {number | null} [now]
     * @returns {Challenge}
     */
    issueChallenge(user, state, now) {
        _assertClass(state, UserState);
        const val2 = +(isLikeNone(now) ? 0 : now);
        const ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.authenticator_issueChallenge(this.__wbg_ptr, ptr0, len0, state.__wbg_ptr, !isLikeNone(now), val2);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return Challenge.__wrap(ret[0]);
    }
    /**
     * A single-use login ticket for the SSL-VPN appliance (after `accepted`).
     * @param {string} user
     * @param {string} audience
     * @param {number | null} [now]
     * @returns {string}
     */
    issueTicket(user, audience, now) {
        let deferred5_0;
        let deferred5_1;
        try {
            const val3 = +(isLikeNone(now) ? 0 : now);
            let ptr0, len0, ptr1, len1;
            try {
                ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
                len0 = WASM_VECTOR_LEN;
                ptr1 = passStringToWasm0(audience, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
                len1 = WASM_VECTOR_LEN;
            } catch (e) {
                if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
                if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
                throw e;
            }
            const ret = wasm.authenticator_issueTicket(this.__wbg_ptr, ptr0, len0, ptr1, len1, !isLikeNone(now), val3);
            var ptr4 = ret[0];
            var len4 = ret[1];
            if (ret[3]) {
                ptr4 = 0; len4 = 0;
                throw takeFromExternrefTable0(ret[2]);
            }
            deferred5_0 = ptr4;
            deferred5_1 = len4;
            return getStringFromWasm0(ptr4, len4);
        } finally {
            wasm.__wbindgen_free(deferred5_0, deferred5_1, 1);
        }
    }
    /**
     * An authenticator over copies of `keyring` and `policy`: a `Policy`, a plain object of
     * policy options, or nothing for the defaults. The `Policy` object stays usable (it is
     * copied, not consumed).
     * @param {Keyring} keyring
     * @param {Policy | Record<string, number | boolean> | undefined} policy
     */
    constructor(keyring, policy) {
        _assertClass(keyring, Keyring);
        const ret = wasm.authenticator_new(keyring.__wbg_ptr, policy);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        this.__wbg_ptr = ret[0];
        AuthenticatorFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * The policy in force (a copy).
     * @returns {Policy}
     */
    get policy() {
        const ret = wasm.authenticator_policy(this.__wbg_ptr);
        return Policy.__wrap(ret);
    }
    /**
     * The strength report for `credential` under this policy.
     * @param {PatternCredential} credential
     * @returns {any}
     */
    strength(credential) {
        _assertClass(credential, PatternCredential);
        const ret = wasm.authenticator_strength(this.__wbg_ptr, credential.__wbg_ptr);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * An administrator's unlock; returns the audit event.
     * @param {string} user
     * @param {UserState} state
     * @param {number | null} [now]
     * @returns {any}
     */
    unlock(user, state, now) {
        _assertClass(state, UserState);
        const val2 = +(isLikeNone(now) ? 0 : now);
        const ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.authenticator_unlock(this.__wbg_ptr, ptr0, len0, state.__wbg_ptr, !isLikeNone(now), val2);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * `verifyPendingNt` against the user's pending card challenge: the
     * answer is the asked cells' values exactly as printed (letters upper-case).
     * @param {string} user
     * @param {GridCard} card
     * @param {UserState} state
     * @param {NtProof} proof
     * @param {number | null} [now]
     * @returns {NtVerdict}
     */
    verifyCardPendingNt(user, card, state, proof, now) {
        _assertClass(card, GridCard);
        _assertClass(state, UserState);
        const val2 = +(isLikeNone(now) ? 0 : now);
        const ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.authenticator_verifyCardPendingNt(this.__wbg_ptr, ptr0, len0, card.__wbg_ptr, state.__wbg_ptr, proof, !isLikeNone(now), val2);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return NtVerdict.__wrap(ret[0]);
    }
    /**
     * Verifies the answer to the user's pending card challenge, without a token.
     * @param {string} user
     * @param {GridCard} card
     * @param {UserState} state
     * @param {string} answer
     * @param {number | null} [now]
     * @returns {Verdict}
     */
    verifyCardPending(user, card, state, answer, now) {
        _assertClass(card, GridCard);
        _assertClass(state, UserState);
        const val3 = +(isLikeNone(now) ? 0 : now);
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(answer, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.authenticator_verifyCardPending(this.__wbg_ptr, ptr0, len0, card.__wbg_ptr, state.__wbg_ptr, ptr1, len1, !isLikeNone(now), val3);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return Verdict.__wrap(ret[0]);
    }
    /**
     * Verifies the answer to a card challenge; updates `state` in place.
     * @param {string} user
     * @param {GridCard} card
     * @param {UserState} state
     * @param {string} token
     * @param {string} answer
     * @param {number | null} [now]
     * @returns {Verdict}
     */
    verifyCard(user, card, state, token, answer, now) {
        _assertClass(card, GridCard);
        _assertClass(state, UserState);
        const val4 = +(isLikeNone(now) ? 0 : now);
        let ptr0, len0, ptr1, len1, ptr2, len2;
        try {
            ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(token, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len1 = WASM_VECTOR_LEN;
            ptr2 = passStringToWasm0(answer, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len2 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr2) { wasm.__wbindgen_free(ptr2, len2 * 1, 1); }
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.authenticator_verifyCard(this.__wbg_ptr, ptr0, len0, card.__wbg_ptr, state.__wbg_ptr, ptr1, len1, ptr2, len2, !isLikeNone(now), val4);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return Verdict.__wrap(ret[0]);
    }
    /**
     * Verifies an MSCHAPv2 NT-Response against the user's pending pattern
     * challenge (SPEC §17); updates `state` in place. The rules and outcomes
     * of `verifyPending`; the peer hashes what was typed, so nothing is
     * folded. A proof field of the wrong type or length throws `code:
     * "argument"` before `state` changes.
     * @param {string} user
     * @param {PatternCredential} credential
     * @param {UserState} state
     * @param {NtProof} proof
     * @param {number | null} [now]
     * @returns {NtVerdict}
     */
    verifyPendingNt(user, credential, state, proof, now) {
        _assertClass(credential, PatternCredential);
        _assertClass(state, UserState);
        const val2 = +(isLikeNone(now) ? 0 : now);
        const ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.authenticator_verifyPendingNt(this.__wbg_ptr, ptr0, len0, credential.__wbg_ptr, state.__wbg_ptr, proof, !isLikeNone(now), val2);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return NtVerdict.__wrap(ret[0]);
    }
    /**
     * Verifies a typed answer to the user's pending pattern challenge,
     * without a token (the grid was shown elsewhere; the answer came as a
     * password). Nothing pending: `stale`.
     * @param {string} user
     * @param {PatternCredential} credential
     * @param {UserState} state
     * @param {string} answer
     * @param {number | null} [now]
     * @returns {Verdict}
     */
    verifyPending(user, credential, state, answer, now) {
        _assertClass(credential, PatternCredential);
        _assertClass(state, UserState);
        const val3 = +(isLikeNone(now) ? 0 : now);
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(answer, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.authenticator_verifyPending(this.__wbg_ptr, ptr0, len0, credential.__wbg_ptr, state.__wbg_ptr, ptr1, len1, !isLikeNone(now), val3);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return Verdict.__wrap(ret[0]);
    }
    /**
     * Verifies a typed answer; updates `state` in place.
     * @param {string} user
     * @param {PatternCredential} credential
     * @param {UserState} state
     * @param {string} token
     * @param {string} answer
     * @param {number | null} [now]
     * @returns {Verdict}
     */
    verify(user, credential, state, token, answer, now) {
        _assertClass(credential, PatternCredential);
        _assertClass(state, UserState);
        const val4 = +(isLikeNone(now) ? 0 : now);
        let ptr0, len0, ptr1, len1, ptr2, len2;
        try {
            ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(token, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len1 = WASM_VECTOR_LEN;
            ptr2 = passStringToWasm0(answer, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len2 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr2) { wasm.__wbindgen_free(ptr2, len2 * 1, 1); }
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.authenticator_verify(this.__wbg_ptr, ptr0, len0, credential.__wbg_ptr, state.__wbg_ptr, ptr1, len1, ptr2, len2, !isLikeNone(now), val4);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return Verdict.__wrap(ret[0]);
    }
}
if (Symbol.dispose) Authenticator.prototype[Symbol.dispose] = Authenticator.prototype.free;

/**
 * A card-mode challenge: which cells to type, in order.
 */
export class CardChallenge {
    static __wrap(ptr) {
        const obj = Object.create(CardChallenge.prototype);
        obj.__wbg_ptr = ptr;
        CardChallengeFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        CardChallengeFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_cardchallenge_free(ptr, 0);
    }
    /**
     * The cells asked (`["B3", "F7", "D1"]`).
     * @returns {string[]}
     */
    get cells() {
        const ret = wasm.cardchallenge_cells(this.__wbg_ptr);
        var v1 = getArrayJsValueFromWasm0(ret[0], ret[1]);
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * The audit event of this issue, as a plain object.
     * @returns {any}
     */
    get event() {
        const ret = wasm.cardchallenge_event(this.__wbg_ptr);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Unix seconds at which it expires.
     * @returns {number}
     */
    get expiresAt() {
        const ret = wasm.cardchallenge_expiresAt(this.__wbg_ptr);
        return ret;
    }
    /**
     * Unix seconds the challenge was first issued.
     * @returns {number}
     */
    get issuedAt() {
        const ret = wasm.cardchallenge_issuedAt(this.__wbg_ptr);
        return ret;
    }
    /**
     * Whether this is the pending challenge shown again.
     * @returns {boolean}
     */
    get reissue() {
        const ret = wasm.cardchallenge_reissue(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * Challenges the card can still serve after this one (single use), or
     * `undefined` when cells may repeat.
     * @returns {number | undefined}
     */
    get remaining() {
        const ret = wasm.cardchallenge_remaining(this.__wbg_ptr);
        return ret === Number.MAX_SAFE_INTEGER ? undefined : ret;
    }
    /**
     * The user's challenge sequence number.
     * @returns {number}
     */
    get seq() {
        const ret = wasm.cardchallenge_seq(this.__wbg_ptr);
        return ret;
    }
    /**
     * The card's serial.
     * @returns {string}
     */
    get serial() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.cardchallenge_serial(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Opaque token to send back with the answer.
     * @returns {string}
     */
    get token() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.cardchallenge_token(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
}
if (Symbol.dispose) CardChallenge.prototype[Symbol.dispose] = CardChallenge.prototype.free;

/**
 * A pattern-mode challenge: the matrix to show and the token to send back.
 */
export class Challenge {
    static __wrap(ptr) {
        const obj = Object.create(Challenge.prototype);
        obj.__wbg_ptr = ptr;
        ChallengeFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        ChallengeFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_challenge_free(ptr, 0);
    }
    /**
     * Grid columns.
     * @returns {number}
     */
    get cols() {
        const ret = wasm.challenge_cols(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * The audit event of this issue, as a plain object.
     * @returns {any}
     */
    get event() {
        const ret = wasm.challenge_event(this.__wbg_ptr);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Unix seconds at which it expires.
     * @returns {number}
     */
    get expiresAt() {
        const ret = wasm.challenge_expiresAt(this.__wbg_ptr);
        return ret;
    }
    /**
     * Unix seconds the challenge was first issued.
     * @returns {number}
     */
    get issuedAt() {
        const ret = wasm.challenge_issuedAt(this.__wbg_ptr);
        return ret;
    }
    /**
     * The digits, one array per row.
     * @returns {Array<any>}
     */
    get matrix() {
        const ret = wasm.challenge_matrix(this.__wbg_ptr);
        return ret;
    }
    /**
     * Whether this is the pending challenge shown again (a refresh).
     * @returns {boolean}
     */
    get reissue() {
        const ret = wasm.challenge_reissue(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * The matrix as text with column letters and row numbers.
     * @returns {string}
     */
    renderText() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.challenge_renderText(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Grid rows.
     * @returns {number}
     */
    get rows() {
        const ret = wasm.challenge_rows(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * The user's challenge sequence number.
     * @returns {number}
     */
    get seq() {
        const ret = wasm.challenge_seq(this.__wbg_ptr);
        return ret;
    }
    /**
     * Opaque token to send back with the answer.
     * @returns {string}
     */
    get token() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.challenge_token(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
}
if (Symbol.dispose) Challenge.prototype[Symbol.dispose] = Challenge.prototype.free;

/**
 * A printed grid card. The values are secret.
 */
export class GridCard {
    static __wrap(ptr) {
        const obj = Object.create(GridCard.prototype);
        obj.__wbg_ptr = ptr;
        GridCardFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        GridCardFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_gridcard_free(ptr, 0);
    }
    /**
     * `"digits"` or `"alnum"`.
     * @returns {string}
     */
    get alphabet() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.gridcard_alphabet(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Symbols per cell.
     * @returns {number}
     */
    get cellLen() {
        const ret = wasm.gridcard_cellLen(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Columns.
     * @returns {number}
     */
    get cols() {
        const ret = wasm.gridcard_cols(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Unix seconds from which the card is refused, or `undefined`.
     * @returns {number | undefined}
     */
    get expiresAt() {
        const ret = wasm.gridcard_expiresAt(this.__wbg_ptr);
        return ret[0] === 0 ? undefined : ret[1];
    }
    /**
     * A card from known values (printed by another system, or a test
     * vector): every cell's symbols in row-major order.
     * @param {string} serial
     * @param {number} rows
     * @param {number} cols
     * @param {number} cell_len
     * @param {string} alphabet
     * @param {string} values
     * @param {number | null} [expires_at]
     * @returns {GridCard}
     */
    static fromValues(serial, rows, cols, cell_len, alphabet, values, expires_at) {
        const val4 = +rows;
        const val5 = +cols;
        const val6 = +cell_len;
        const val7 = +(isLikeNone(expires_at) ? 0 : expires_at);
        let ptr0, len0, ptr1, len1, ptr2, len2;
        try {
            ptr0 = passStringToWasm0(serial, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passStringToWasm0(alphabet, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len1 = WASM_VECTOR_LEN;
            ptr2 = passStringToWasm0(values, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len2 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr2) { wasm.__wbindgen_free(ptr2, len2 * 1, 1); }
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.gridcard_fromValues(ptr0, len0, val4, val5, val6, ptr1, len1, ptr2, len2, !isLikeNone(expires_at), val7);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return GridCard.__wrap(ret[0]);
    }
    /**
     * A new random card. Options: `serial` (default random
     * `MX-XXXX-XXXX`), `rows`, `cols` (8), `cellLen` (2), `alphabet`
     * (`"digits"` or `"alnum"`), `expiresAt` (none).
     * @param {object | null} [options]
     * @returns {GridCard}
     */
    static generate(options) {
        const ret = wasm.gridcard_generate(isLikeNone(options) ? 0 : addToExternrefTable0(options));
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return GridCard.__wrap(ret[0]);
    }
    /**
     * Opens a sealed card; throws `code: "seal"` on any mismatch.
     * @param {Keyring} keyring
     * @param {string} user
     * @param {Uint8Array | number[]} sealed
     * @returns {GridCard}
     */
    static open(keyring, user, sealed) {
        _assertClass(keyring, Keyring);
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passArray8ToWasm0(sealed, wasm.__wbindgen_malloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.gridcard_open(keyring.__wbg_ptr, ptr0, len0, ptr1, len1);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return GridCard.__wrap(ret[0]);
    }
    /**
     * The card as an SVG document (85.6 × 54 mm).
     * @returns {string}
     */
    renderSvg() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.gridcard_renderSvg(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The card as text, for printing.
     * @returns {string}
     */
    renderText() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.gridcard_renderText(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The right answer to a card challenge.
     * @param {CardChallenge} challenge
     * @returns {string}
     */
    respond(challenge) {
        let deferred2_0;
        let deferred2_1;
        try {
            _assertClass(challenge, CardChallenge);
            const ret = wasm.gridcard_respond(this.__wbg_ptr, challenge.__wbg_ptr);
            var ptr1 = ret[0];
            var len1 = ret[1];
            if (ret[3]) {
                ptr1 = 0; len1 = 0;
                throw takeFromExternrefTable0(ret[2]);
            }
            deferred2_0 = ptr1;
            deferred2_1 = len1;
            return getStringFromWasm0(ptr1, len1);
        } finally {
            wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
        }
    }
    /**
     * Rows.
     * @returns {number}
     */
    get rows() {
        const ret = wasm.gridcard_rows(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Encrypts the card for storage, bound to `user`.
     * @param {Keyring} keyring
     * @param {string} user
     * @returns {Uint8Array}
     */
    seal(keyring, user) {
        _assertClass(keyring, Keyring);
        const ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.gridcard_seal(this.__wbg_ptr, keyring.__wbg_ptr, ptr0, len0);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v2 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v2;
    }
    /**
     * The serial printed on the card.
     * @returns {string}
     */
    get serial() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.gridcard_serial(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The value printed in cell `name` (`"B3"`).
     * @param {string} name
     * @returns {string}
     */
    value(name) {
        let deferred3_0;
        let deferred3_1;
        try {
            const ptr0 = passStringToWasm0(name, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len0 = WASM_VECTOR_LEN;
            const ret = wasm.gridcard_value(this.__wbg_ptr, ptr0, len0);
            var ptr2 = ret[0];
            var len2 = ret[1];
            if (ret[3]) {
                ptr2 = 0; len2 = 0;
                throw takeFromExternrefTable0(ret[2]);
            }
            deferred3_0 = ptr2;
            deferred3_1 = len2;
            return getStringFromWasm0(ptr2, len2);
        } finally {
            wasm.__wbindgen_free(deferred3_0, deferred3_1, 1);
        }
    }
}
if (Symbol.dispose) GridCard.prototype[Symbol.dispose] = GridCard.prototype.free;

/**
 * Server keys: the current signing key and older keys that still verify.
 */
export class Keyring {
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        KeyringFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_keyring_free(ptr, 0);
    }
    /**
     * Adds an old key that still verifies tokens, tickets and sealed
     * records but no longer signs.
     * @param {Uint8Array | number[]} key
     * @param {number} key_id
     */
    addVerificationKey(key, key_id) {
        const val2 = +key_id;
        const ptr0 = passArray8ToWasm0(key, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.keyring_addVerificationKey(this.__wbg_ptr, ptr0, len0, val2);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * The id of the signing key.
     * @returns {number}
     */
    get currentKeyId() {
        const ret = wasm.keyring_currentKeyId(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * 32 fresh random bytes for a new key (`crypto.getRandomValues`).
     * @returns {Uint8Array}
     */
    static generateKey() {
        const ret = wasm.keyring_generateKey();
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * Every key id, current first.
     * @returns {Uint32Array}
     */
    get keyIds() {
        const ret = wasm.keyring_keyIds(this.__wbg_ptr);
        var v1 = getArrayU32FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 4, 4);
        return v1;
    }
    /**
     * A keyring with one 32-byte key, `keyId` defaulting to 1.
     * @param {Uint8Array | number[]} key
     * @param {number | null} [key_id]
     */
    constructor(key, key_id) {
        const val2 = +(isLikeNone(key_id) ? Number.MAX_SAFE_INTEGER : (key_id) >>> 0);
        const ptr0 = passArray8ToWasm0(key, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.keyring_new(ptr0, len0, val2);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        this.__wbg_ptr = ret[0];
        KeyringFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * Removes a verification key (not the current one).
     * @param {number} key_id
     */
    removeKey(key_id) {
        const ret = wasm.keyring_removeKey(this.__wbg_ptr, key_id);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Makes `key` the signing key; the previous one keeps verifying.
     * @param {Uint8Array | number[]} key
     * @param {number} key_id
     */
    rotate(key, key_id) {
        const val2 = +key_id;
        const ptr0 = passArray8ToWasm0(key, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.keyring_rotate(this.__wbg_ptr, ptr0, len0, val2);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
}
if (Symbol.dispose) Keyring.prototype[Symbol.dispose] = Keyring.prototype.free;

/**
 * The result of an MSCHAPv2 verification: the verdict, and on `accepted`
 * only the 16-byte PasswordHashHash the authenticator response and the MPPE
 * keys are derived from.
 */
export class NtVerdict {
    static __wrap(ptr) {
        const obj = Object.create(NtVerdict.prototype);
        obj.__wbg_ptr = ptr;
        NtVerdictFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        NtVerdictFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_ntverdict_free(ptr, 0);
    }
    /**
     * `outcome === "accepted"`.
     * @returns {boolean}
     */
    get accepted() {
        const ret = wasm.ntverdict_accepted(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * The audit event, as a plain object (no secrets).
     * @returns {any}
     */
    get event() {
        const ret = wasm.ntverdict_event(this.__wbg_ptr);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * `"accepted"`, `"rejected"`, `"locked"`, `"expired"`, `"stale"` or `"invalid"`.
     * @returns {string}
     */
    get outcome() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.ntverdict_outcome(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The PasswordHashHash (16 bytes) on `accepted`, otherwise `undefined`.
     * @returns {Uint8Array | undefined}
     */
    get passwordHashHash() {
        const ret = wasm.ntverdict_passwordHashHash(this.__wbg_ptr);
        let v1;
        if (ret[0] !== 0) {
            v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
            wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        }
        return v1;
    }
}
if (Symbol.dispose) NtVerdict.prototype[Symbol.dispose] = NtVerdict.prototype.free;

/**
 * A memorised pattern plus fixed string. Secret: never printed, wiped
 * when freed (call `free()` when done with it).
 */
export class PatternCredential {
    static __wrap(ptr) {
        const obj = Object.create(PatternCredential.prototype);
        obj.__wbg_ptr = ptr;
        PatternCredentialFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        PatternCredentialFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_patterncredential_free(ptr, 0);
    }
    /**
     * From cell names (`["B2", "G3", …]`) or 0-based row-major indices
     * (`[9, 22, …]`, read with `cols`, default 8), a fixed string
     * (default `""`) and its position among the digits (default 0).
     * @param {Array<any>} cells
     * @param {string | null} [fixed]
     * @param {number | null} [fixed_at]
     * @param {number | null} [cols]
     */
    constructor(cells, fixed, fixed_at, cols) {
        const val2 = +(isLikeNone(fixed_at) ? Number.MAX_SAFE_INTEGER : (fixed_at) >>> 0);
        const val3 = +(isLikeNone(cols) ? Number.MAX_SAFE_INTEGER : (cols) >>> 0);
        var ptr0 = isLikeNone(fixed) ? 0 : passStringToWasm0(fixed, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        var len0 = WASM_VECTOR_LEN;
        const ret = wasm.patterncredential_new(cells, ptr0, len0, val2, val3);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        this.__wbg_ptr = ret[0];
        PatternCredentialFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * Opens a sealed credential; throws `code: "seal"` for a wrong key,
     * wrong user or tampered bytes.
     * @param {Keyring} keyring
     * @param {string} user
     * @param {Uint8Array | number[]} sealed
     * @returns {PatternCredential}
     */
    static open(keyring, user, sealed) {
        _assertClass(keyring, Keyring);
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passArray8ToWasm0(sealed, wasm.__wbindgen_malloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.patterncredential_open(keyring.__wbg_ptr, ptr0, len0, ptr1, len1);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return PatternCredential.__wrap(ret[0]);
    }
    /**
     * Cells in the pattern.
     * @returns {number}
     */
    get patternLength() {
        const ret = wasm.patterncredential_patternLength(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * The right answer for a matrix given as text (`Challenge.renderText()`
     * or a login page's text).
     * @param {string} text
     * @returns {string}
     */
    respondText(text) {
        let deferred3_0;
        let deferred3_1;
        try {
            const ptr0 = passStringToWasm0(text, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len0 = WASM_VECTOR_LEN;
            const ret = wasm.patterncredential_respondText(this.__wbg_ptr, ptr0, len0);
            var ptr2 = ret[0];
            var len2 = ret[1];
            if (ret[3]) {
                ptr2 = 0; len2 = 0;
                throw takeFromExternrefTable0(ret[2]);
            }
            deferred3_0 = ptr2;
            deferred3_1 = len2;
            return getStringFromWasm0(ptr2, len2);
        } finally {
            wasm.__wbindgen_free(deferred3_0, deferred3_1, 1);
        }
    }
    /**
     * The right answer to `challenge` (test automation, demos, practice).
     * @param {Challenge} challenge
     * @returns {string}
     */
    respond(challenge) {
        let deferred2_0;
        let deferred2_1;
        try {
            _assertClass(challenge, Challenge);
            const ret = wasm.patterncredential_respond(this.__wbg_ptr, challenge.__wbg_ptr);
            var ptr1 = ret[0];
            var len1 = ret[1];
            if (ret[3]) {
                ptr1 = 0; len1 = 0;
                throw takeFromExternrefTable0(ret[2]);
            }
            deferred2_0 = ptr1;
            deferred2_1 = len1;
            return getStringFromWasm0(ptr1, len1);
        } finally {
            wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
        }
    }
    /**
     * Encrypts the credential for storage, bound to `user`.
     * @param {Keyring} keyring
     * @param {string} user
     * @returns {Uint8Array}
     */
    seal(keyring, user) {
        _assertClass(keyring, Keyring);
        const ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.patterncredential_seal(this.__wbg_ptr, keyring.__wbg_ptr, ptr0, len0);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v2 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v2;
    }
}
if (Symbol.dispose) PatternCredential.prototype[Symbol.dispose] = PatternCredential.prototype.free;

/**
 * Enrollment and lockout policy. `new Policy({ minPatternLen: 8 })`;
 * unknown or mistyped options throw.
 */
export class Policy {
    static __wrap(ptr) {
        const obj = Object.create(Policy.prototype);
        obj.__wbg_ptr = ptr;
        PolicyFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        PolicyFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_policy_free(ptr, 0);
    }
    /**
     * Applies the enrollment rules to a credential without any key: the
     * same check `Authenticator.checkCredential` and the server run.
     * Throws with `code` `"policy"` or `"weak_pattern"` (and `weakness`).
     * @param {PatternCredential} credential
     */
    checkCredential(credential) {
        _assertClass(credential, PatternCredential);
        const ret = wasm.policy_checkCredential(this.__wbg_ptr, credential.__wbg_ptr);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Grid columns.
     * @returns {number}
     */
    get cols() {
        const ret = wasm.policy_cols(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Most pattern cells.
     * @returns {number}
     */
    get maxPatternLen() {
        const ret = wasm.policy_maxPatternLen(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Fewest pattern cells.
     * @returns {number}
     */
    get minPatternLen() {
        const ret = wasm.policy_minPatternLen(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * The defaults of SPEC §5, overridden by `options` (camelCase fields:
     * `rows`, `cols`, `blockRows`, `blockCols`, `requireEveryBlock`,
     * `minPatternLen`, `maxPatternLen`, `allowRepeatedCells`,
     * `rejectWeakPatterns`, `challengeTtl`, `retryWindow`, `maxConsecutiveFailures`,
     * `lockoutSeconds`, `maxLockoutSeconds`, `maxTotalFailures`,
     * `cardChallengeCells`, `cardSingleUse`, `ticketTtl`). The result is
     * validated.
     * @param {object | null} [options]
     */
    constructor(options) {
        const ret = wasm.policy_new(isLikeNone(options) ? 0 : addToExternrefTable0(options));
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        this.__wbg_ptr = ret[0];
        PolicyFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * Seconds after an answer during which the same answer is `duplicate`
     * and another one a counted `rejected` (then `stale`).
     * @returns {number}
     */
    get retryWindow() {
        const ret = wasm.policy_retryWindow(this.__wbg_ptr);
        return ret;
    }
    /**
     * Grid rows.
     * @returns {number}
     */
    get rows() {
        const ret = wasm.policy_rows(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * The policy as a plain object with the constructor's field names.
     * @returns {any}
     */
    toJSON() {
        const ret = wasm.policy_toJSON(this.__wbg_ptr);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
}
if (Symbol.dispose) Policy.prototype[Symbol.dispose] = Policy.prototype.free;

/**
 * The appliance side of the hand-off: redeems each ticket once.
 */
export class TicketVerifier {
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        TicketVerifierFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_ticketverifier_free(ptr, 0);
    }
    /**
     * Tickets remembered in the replay cache.
     * @returns {number}
     */
    get cached() {
        const ret = wasm.ticketverifier_cached(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * A verifier over a copy of `keyring` with a replay cache of
     * `capacity` tickets (default 10000).
     * @param {Keyring} keyring
     * @param {number | null} [capacity]
     */
    constructor(keyring, capacity) {
        _assertClass(keyring, Keyring);
        const ret = wasm.ticketverifier_new(keyring.__wbg_ptr, isLikeNone(capacity) ? Number.MAX_SAFE_INTEGER : (capacity) >>> 0);
        this.__wbg_ptr = ret;
        TicketVerifierFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * Returns the user id the first time; throws `code: "ticket"` with a
     * `reason` (`"replayed"`, `"expired"`, `"wrong_audience"`, `"forged"`,
     * `"malformed"`, `"bad_lifetime"`, `"cache_full"`) otherwise.
     * @param {string} ticket
     * @param {string} audience
     * @param {number | null} [now]
     * @returns {string}
     */
    redeem(ticket, audience, now) {
        let deferred5_0;
        let deferred5_1;
        try {
            const val3 = +(isLikeNone(now) ? 0 : now);
            let ptr0, len0, ptr1, len1;
            try {
                ptr0 = passStringToWasm0(ticket, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
                len0 = WASM_VECTOR_LEN;
                ptr1 = passStringToWasm0(audience, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
                len1 = WASM_VECTOR_LEN;
            } catch (e) {
                if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
                if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
                throw e;
            }
            const ret = wasm.ticketverifier_redeem(this.__wbg_ptr, ptr0, len0, ptr1, len1, !isLikeNone(now), val3);
            var ptr4 = ret[0];
            var len4 = ret[1];
            if (ret[3]) {
                ptr4 = 0; len4 = 0;
                throw takeFromExternrefTable0(ret[2]);
            }
            deferred5_0 = ptr4;
            deferred5_1 = len4;
            return getStringFromWasm0(ptr4, len4);
        } finally {
            wasm.__wbindgen_free(deferred5_0, deferred5_1, 1);
        }
    }
}
if (Symbol.dispose) TicketVerifier.prototype[Symbol.dispose] = TicketVerifier.prototype.free;

/**
 * One user's login progress: counters, lock, pending challenge. Persist
 * `toBytes(keyring, user)` after every call that changes it (`version` grows).
 */
export class UserState {
    static __wrap(ptr) {
        const obj = Object.create(UserState.prototype);
        obj.__wbg_ptr = ptr;
        UserStateFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        UserStateFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_userstate_free(ptr, 0);
    }
    /**
     * Cells of card `serial` already asked.
     * @param {string} serial
     * @returns {number}
     */
    cardCellsUsed(serial) {
        const ptr0 = passStringToWasm0(serial, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.userstate_cardCellsUsed(this.__wbg_ptr, ptr0, len0);
        return ret >>> 0;
    }
    /**
     * Failures since the last success or lock.
     * @returns {number}
     */
    get consecutiveFailures() {
        const ret = wasm.userstate_consecutiveFailures(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Failures since the last success (the permanent-lock count).
     * @returns {number}
     */
    get failuresSinceSuccess() {
        const ret = wasm.userstate_failuresSinceSuccess(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Stops tracking card `serial` (after it was replaced); returns whether it was tracked.
     * @param {string} serial
     * @returns {boolean}
     */
    forgetCard(serial) {
        const ptr0 = passStringToWasm0(serial, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.userstate_forgetCard(this.__wbg_ptr, ptr0, len0);
        return ret !== 0;
    }
    /**
     * Reads bytes from `toBytes(keyring, user)` for the same user, under a
     * key still in `keyring`. Truncated, altered, another user's or written
     * without the key: throws `code: "format"`.
     * @param {Keyring} keyring
     * @param {string} user
     * @param {Uint8Array | number[]} bytes
     * @returns {UserState}
     */
    static fromBytes(keyring, user, bytes) {
        _assertClass(keyring, Keyring);
        let ptr0, len0, ptr1, len1;
        try {
            ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            len0 = WASM_VECTOR_LEN;
            ptr1 = passArray8ToWasm0(bytes, wasm.__wbindgen_malloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) { wasm.__wbindgen_free(ptr0, len0 * 1, 1); }
            throw e;
        }
        const ret = wasm.userstate_fromBytes(keyring.__wbg_ptr, ptr0, len0, ptr1, len1);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return UserState.__wrap(ret[0]);
    }
    /**
     * Whether the user is locked at `now` (default: the clock).
     * @param {number | null} [now]
     * @returns {boolean}
     */
    isLocked(now) {
        const ret = wasm.userstate_isLocked(this.__wbg_ptr, !isLikeNone(now), isLikeNone(now) ? 0 : now);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return ret[0] !== 0;
    }
    /**
     * Locks so far (each doubles the next).
     * @returns {number}
     */
    get lockLevel() {
        const ret = wasm.userstate_lockLevel(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * End of the latest temporary lock (Unix seconds; 0 if never locked).
     * @returns {number}
     */
    get lockedUntil() {
        const ret = wasm.userstate_lockedUntil(this.__wbg_ptr);
        return ret;
    }
    /**
     * A fresh state.
     */
    constructor() {
        const ret = wasm.userstate_new();
        this.__wbg_ptr = ret;
        UserStateFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * When the pending challenge expires, or `undefined` if none.
     * @returns {number | undefined}
     */
    get pendingExpiresAt() {
        const ret = wasm.userstate_pendingExpiresAt(this.__wbg_ptr);
        return ret[0] === 0 ? undefined : ret[1];
    }
    /**
     * Whether only an administrator's `unlock` can let the user in.
     * @returns {boolean}
     */
    get permanentlyLocked() {
        const ret = wasm.userstate_permanentlyLocked(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * The versioned encoding, authenticated for `user` under the keyring's signing key.
     * @param {Keyring} keyring
     * @param {string} user
     * @returns {Uint8Array}
     */
    toBytes(keyring, user) {
        _assertClass(keyring, Keyring);
        const ptr0 = passStringToWasm0(user, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.userstate_toBytes(this.__wbg_ptr, keyring.__wbg_ptr, ptr0, len0);
        if (ret[3]) {
            throw takeFromExternrefTable0(ret[2]);
        }
        var v2 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v2;
    }
    /**
     * Bumped on every change (for compare-and-swap storage).
     * @returns {number}
     */
    get version() {
        const ret = wasm.userstate_version(this.__wbg_ptr);
        return ret;
    }
}
if (Symbol.dispose) UserState.prototype[Symbol.dispose] = UserState.prototype.free;

/**
 * The result of a verification.
 */
export class Verdict {
    static __wrap(ptr) {
        const obj = Object.create(Verdict.prototype);
        obj.__wbg_ptr = ptr;
        VerdictFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        VerdictFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_verdict_free(ptr, 0);
    }
    /**
     * `outcome === "accepted"`.
     * @returns {boolean}
     */
    get accepted() {
        const ret = wasm.verdict_accepted(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * The audit event, as a plain object (no secrets).
     * @returns {any}
     */
    get event() {
        const ret = wasm.verdict_event(this.__wbg_ptr);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * `"accepted"`, `"rejected"`, `"locked"`, `"expired"`, `"duplicate"`,
     * `"stale"` or `"invalid"`.
     * @returns {string}
     */
    get outcome() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.verdict_outcome(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
}
if (Symbol.dispose) Verdict.prototype[Symbol.dispose] = Verdict.prototype.free;

/**
 * The name of the cell at `row`, `col` (0-based): `cellName(2, 1)` is `"B3"`.
 * @param {number} row
 * @param {number} col
 * @returns {string}
 */
export function cellName(row, col) {
    let deferred2_0;
    let deferred2_1;
    try {
        const ret = wasm.cellName(row, col);
        var ptr1 = ret[0];
        var len1 = ret[1];
        if (ret[3]) {
            ptr1 = 0; len1 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred2_0 = ptr1;
        deferred2_1 = len1;
        return getStringFromWasm0(ptr1, len1);
    } finally {
        wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
    }
}

/**
 * A watcher's expected number of candidate patterns after `observed`
 * logins, for a grid of `cells` cells and a pattern of `length` cells.
 * @param {number} cells
 * @param {number} length
 * @param {number} observed
 * @returns {number}
 */
export function expectedCandidates(cells, length, observed) {
    const ret = wasm.expectedCandidates(cells, length, observed);
    return ret;
}

/**
 * Folds typed input as the verifier does: full-width forms to ASCII,
 * spaces and hyphens dropped (SPEC §3). For showing users what counts.
 * @param {string} input
 * @returns {string}
 */
export function fold(input) {
    let deferred2_0;
    let deferred2_1;
    try {
        const ptr0 = passStringToWasm0(input, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.fold(ptr0, len0);
        deferred2_0 = ret[0];
        deferred2_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
    } finally {
        wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
    }
}

/**
 * Observed logins after which fewer than half a wrong pattern remains.
 * @param {number} cells
 * @param {number} length
 * @returns {number}
 */
export function observationsToUnique(cells, length) {
    const ret = wasm.observationsToUnique(cells, length);
    return ret >>> 0;
}

/**
 * Reads a matrix printed by `Challenge.renderText()` (or a login page's
 * text) back into rows of digits.
 * @param {string} text
 * @returns {Array<any>}
 */
export function parseMatrixText(text) {
    const ptr0 = passStringToWasm0(text, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.parseMatrixText(ptr0, len0);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return takeFromExternrefTable0(ret[0]);
}

/**
 * The strength report for a pattern of `length` cells under `policy`,
 * before a credential exists (enrollment pages). A plain object; fields in
 * `index.d.ts`.
 * @param {Policy} policy
 * @param {number} length
 * @returns {any}
 */
export function strengthForLength(policy, length) {
    _assertClass(policy, Policy);
    const ret = wasm.strengthForLength(policy.__wbg_ptr, length);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return takeFromExternrefTable0(ret[0]);
}

/**
 * The library's version (`"0.1.0"`).
 * @returns {string}
 */
export function version() {
    let deferred1_0;
    let deferred1_1;
    try {
        const ret = wasm.version();
        deferred1_0 = ret[0];
        deferred1_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
    } finally {
        wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg___wbindgen_boolean_get_4f1baf9a00be3c74: function(arg0) {
            const v = arg0;
            const ret = typeof(v) === 'boolean' ? v : undefined;
            return isLikeNone(ret) ? 0xFFFFFF : ret ? 1 : 0;
        },
        __wbg___wbindgen_is_function_741ff2bb612836f5: function(arg0) {
            const ret = typeof(arg0) === 'function';
            return ret;
        },
        __wbg___wbindgen_is_null_c22311b1cc228e3a: function(arg0) {
            const ret = arg0 === null;
            return ret;
        },
        __wbg___wbindgen_is_object_8b968c3ab8e96595: function(arg0) {
            const val = arg0;
            const ret = typeof(val) === 'object' && val !== null;
            return ret;
        },
        __wbg___wbindgen_is_undefined_be5b34249ff1fc15: function(arg0) {
            const ret = arg0 === undefined;
            return ret;
        },
        __wbg___wbindgen_number_get_934b640d0889af78: function(arg0, arg1) {
            const obj = arg1;
            const ret = typeof(obj) === 'number' ? obj : undefined;
            getDataViewMemory0().setFloat64((arg0 >>> 0) + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, !isLikeNone(ret), true);
        },
        __wbg___wbindgen_string_get_7ce8eee7fd327545: function(arg0, arg1) {
            const obj = arg1;
            const ret = typeof(obj) === 'string' ? obj : undefined;
            var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            var len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg___wbindgen_throw_4c88d8bf264fd984: function(arg0, arg1) {
            throw new Error(getStringFromWasm0(arg0, arg1));
        },
        __wbg_call_40b008ba32f73991: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.call(arg1);
            return ret;
        }, arguments); },
        __wbg_getRandomValues_8b6f1f663e6f188d: function() { return handleError(function (arg0, arg1) {
            globalThis.crypto.getRandomValues(getArrayU8FromWasm0(arg0, arg1));
        }, arguments); },
        __wbg_get_2080c49015e35254: function() { return handleError(function (arg0, arg1) {
            const ret = Reflect.get(arg0, arg1);
            return ret;
        }, arguments); },
        __wbg_get_d7176cfb76d71114: function(arg0, arg1) {
            const ret = arg0[arg1 >>> 0];
            return ret;
        },
        __wbg_get_unchecked_e6325ad374eff861: function(arg0, arg1) {
            const ret = arg0[arg1 >>> 0];
            return ret;
        },
        __wbg_instanceof_Object_97e16a01fd368661: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Object;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_Uint8Array_d7aeb0dcb3108fea: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Uint8Array;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_keys_105f5c0857898f84: function(arg0) {
            const ret = Object.keys(arg0);
            return ret;
        },
        __wbg_length_186163212ffe79c3: function(arg0) {
            const ret = arg0.length;
            return ret;
        },
        __wbg_length_b03a0fabb109b1e9: function(arg0) {
            const ret = arg0.length;
            return ret;
        },
        __wbg_new_37eb45aaf5eeb820: function() {
            const ret = new Array();
            return ret;
        },
        __wbg_new_4416a2fe2fac9c65: function(arg0, arg1) {
            const ret = new TypeError(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbg_new_787b9fb330d55d78: function(arg0, arg1) {
            const ret = new Error(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbg_new_cd4348290afae586: function() {
            const ret = new Object();
            return ret;
        },
        __wbg_now_463ac581d2fc7ea3: function() {
            const ret = Date.now();
            return ret;
        },
        __wbg_parse_c3f72b5a24f83c01: function() { return handleError(function (arg0, arg1) {
            const ret = JSON.parse(getStringFromWasm0(arg0, arg1));
            return ret;
        }, arguments); },
        __wbg_prototypesetcall_13162965d1fe7aa3: function(arg0, arg1, arg2) {
            Uint8Array.prototype.set.call(getArrayU8FromWasm0(arg0, arg1), arg2);
        },
        __wbg_push_c9f4893fc209f768: function(arg0, arg1) {
            const ret = arg0.push(arg1);
            return ret;
        },
        __wbg_set_2793479888329cb6: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = Reflect.set(arg0, arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_set_name_822e3903f3184979: function(arg0, arg1, arg2) {
            arg0.name = getStringFromWasm0(arg1, arg2);
        },
        __wbindgen_generic_0000000000000001: function(arg0) {
            // Cast intrinsic for `F64 -> Externref`.
            const ret = arg0;
            return ret;
        },
        __wbindgen_generic_0000000000000002: function(arg0, arg1) {
            // Cast intrinsic for `Ref(String) -> Externref`.
            const ret = getStringFromWasm0(arg0, arg1);
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            table.set(0, undefined);
            table.set(1024, undefined);
            table.set(1025, null);
            table.set(1026, true);
            table.set(1027, false);
        },
    };
    return {
        __proto__: null,
        "./matrixauth_bg.js": import0,
    };
}

const AuthenticatorFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_authenticator_free(ptr, 1));
const CardChallengeFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_cardchallenge_free(ptr, 1));
const ChallengeFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_challenge_free(ptr, 1));
const GridCardFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_gridcard_free(ptr, 1));
const KeyringFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_keyring_free(ptr, 1));
const NtVerdictFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_ntverdict_free(ptr, 1));
const PatternCredentialFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_patterncredential_free(ptr, 1));
const PolicyFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_policy_free(ptr, 1));
const TicketVerifierFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_ticketverifier_free(ptr, 1));
const UserStateFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_userstate_free(ptr, 1));
const VerdictFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_verdict_free(ptr, 1));

function addToExternrefTable0(obj) {
    const idx = wasm.__externref_table_alloc();
    wasm.__wbindgen_externrefs.set(idx, obj);
    return idx;
}

function _assertClass(instance, klass) {
    if (!(instance instanceof klass)) {
        throw new Error(`expected instance of ${klass.name}`);
    }
}

function getArrayJsValueFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    const mem = getDataViewMemory0();
    const result = [];
    for (let i = ptr; i < ptr + 4 * len; i += 4) {
        result.push(wasm.__wbindgen_externrefs.get(mem.getUint32(i, true)));
    }
    wasm.__externref_drop_slice(ptr, len);
    return result;
}

function getArrayU32FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint32ArrayMemory0().subarray(ptr / 4, ptr / 4 + len);
}

function getArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

let cachedDataViewMemory0 = null;
function getDataViewMemory0() {
    if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)) {
        cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
    }
    return cachedDataViewMemory0;
}

function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

let cachedUint32ArrayMemory0 = null;
function getUint32ArrayMemory0() {
    if (cachedUint32ArrayMemory0 === null || cachedUint32ArrayMemory0.byteLength === 0) {
        cachedUint32ArrayMemory0 = new Uint32Array(wasm.memory.buffer);
    }
    return cachedUint32ArrayMemory0;
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function handleError(f, args) {
    try {
        return f.apply(this, args);
    } catch (e) {
        const idx = addToExternrefTable0(e);
        wasm.__wbindgen_exn_store(idx);
    }
}

function isLikeNone(x) {
    return x === undefined || x === null;
}

function passArray8ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 1, 1) >>> 0;
    getUint8ArrayMemory0().set(arg, ptr / 1);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passStringToWasm0(arg, malloc, realloc) {
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;

    const mem = getUint8ArrayMemory0();

    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);

        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }

    WASM_VECTOR_LEN = offset;
    return ptr;
}

function takeFromExternrefTable0(idx) {
    const value = wasm.__wbindgen_externrefs.get(idx);
    wasm.__externref_table_dealloc(idx);
    return value;
}

let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}

const cachedTextEncoder = new TextEncoder();

if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}

let WASM_VECTOR_LEN = 0;

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
    cachedDataViewMemory0 = null;
    cachedUint32ArrayMemory0 = null;
    cachedUint8ArrayMemory0 = null;
    wasm.__wbindgen_start();
    return wasm;
}

async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}

let __wbg_init_promise;
async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    if (__wbg_init_promise === undefined) {
        __wbg_init_promise = __wbg_init_once(module_or_path);
        __wbg_init_promise.catch(() => { __wbg_init_promise = undefined; });
    }
    return __wbg_init_promise;
}

async function __wbg_init_once(module_or_path) {

    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('matrixauth_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);
}

export { initSync, __wbg_init as default };
