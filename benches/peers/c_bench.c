/* C peer benchmark (scripts/bench.sh): liboath's oath_totp_validate against matrixauth's C verify.
 * Prints one JSON line per measurement: {"name": ..., "ns_per_op": ...}. */
#include <liboath/oath.h>
#include <matrixauth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define MEASURE(name, body)                                                        \
    do {                                                                           \
        long n = 1000;                                                             \
        for (;;) {                                                                 \
            double t0 = now_ns();                                                  \
            for (long i = 0; i < n; i++) { body; }                                 \
            double dt = now_ns() - t0;                                             \
            if (dt > 1e9) { printf("{\"name\": \"%s\", \"ns_per_op\": %.1f}\n", name, dt / n); break; } \
            n *= 2;                                                                \
        }                                                                          \
    } while (0)

int main(void) {
    const time_t T = 1800000000;
    const char secret[20] = "0123456789abcdefghij";
    char otp[7];
    if (oath_init() != OATH_OK) return 1;
    if (oath_totp_generate(secret, sizeof secret, T, 30, 0, 6, otp) != OATH_OK) return 1;
    MEASURE("c_liboath_totp_validate", {
        if (oath_totp_validate(secret, sizeof secret, T, 30, 0, 1, otp) < 0) abort();
    });

    uint8_t key[32];
    memset(key, 7, sizeof key);
    matrixauth_keyring *kr = NULL;
    matrixauth_authenticator *auth = NULL;
    matrixauth_credential *cred = NULL;
    matrixauth_state *st = NULL;
    matrixauth_policy *policy = NULL;
    matrixauth_challenge *ch = NULL;
    const char *cells[] = {"B2", "G3", "D5", "A8", "H1", "E6"};
    matrixauth_result r;
    if ((r = matrixauth_keyring_new(key, sizeof key, 1, &kr)) || (r = matrixauth_policy_new(&policy)) ||
        (r = matrixauth_authenticator_new(kr, policy, &auth)) ||
        (r = matrixauth_credential_from_names(cells, 6, "pw", 2, &cred)) || (r = matrixauth_state_new(&st)) ||
        (r = matrixauth_authenticator_issue_challenge(auth, "alice", st, (uint64_t)T, &ch))) {
        fprintf(stderr, "setup failed: %s\n", matrixauth_result_message(r));
        return 1;
    }
    char right[64];
    size_t len = 0;
    const char *token = matrixauth_challenge_token(ch);
    if (token == NULL || matrixauth_credential_respond(cred, ch, right, sizeof right, &len)) return 1;
    uint8_t pending[512];
    size_t plen = 0;
    if (matrixauth_state_to_bytes(st, kr, "alice", pending, sizeof pending, &plen)) return 1;
    MEASURE("c_matrixauth_verify_right", {
        matrixauth_state *s = NULL;
        matrixauth_outcome out;
        /* a server loads the user's state for every check */
        if (matrixauth_state_from_bytes(kr, "alice", pending, plen, &s) ||
            matrixauth_authenticator_verify(auth, "alice", cred, s, token, right, (uint64_t)T + 1, &out) ||
            out != MATRIXAUTH_OUTCOME_ACCEPTED)
            abort();
        matrixauth_state_free(s);
    });
    matrixauth_challenge_free(ch);
    matrixauth_state_free(st);
    matrixauth_credential_free(cred);
    matrixauth_authenticator_free(auth);
    matrixauth_keyring_free(kr);
    matrixauth_policy_free(policy);
    oath_done();
    return 0;
}
