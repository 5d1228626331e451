/*
 * C test suite of libmatrixauth. Built twice by scripts/ffi-test.sh: with
 * -fsanitize=address,undefined, and plain under valgrind --leak-check=full.
 * Usage: test_matrixauth VECTORS.tsv EXPECTED_VERSION
 * Ends with the line "N passed, N failed".
 */
#include "matrixauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (cond) {                                                                     \
      passed++;                                                                     \
    } else {                                                                        \
      failed++;                                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
    }                                                                               \
  } while (0)

#define CHECK_RC(call, expected)                                                    \
  do {                                                                              \
    matrixauth_result rc_ = (call);                                                 \
    if (rc_ == (expected)) {                                                        \
      passed++;                                                                     \
    } else {                                                                        \
      failed++;                                                                     \
      fprintf(stderr, "%s:%d: %s returned %u (%s), expected %u\n", __FILE__, __LINE__, \
              #call, (unsigned)rc_, matrixauth_result_message(rc_), (unsigned)(expected)); \
    }                                                                               \
  } while (0)

#define OK(call) CHECK_RC(call, MATRIXAUTH_OK)

static const uint64_t T = 1800000000ull;
static const uint8_t KEY[32] = {0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};
static const char *SIX[] = {"B2", "G3", "D5", "A8", "H1", "E6"};

/* ------------------------------------------------------------ helpers */

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = strlen(hex) / 2, i;
  if (strcmp(hex, "-") == 0) return 0;
  if (n > cap) n = cap;
  for (i = 0; i < n; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
  return n;
}

/* Hex-decoded string, malloc'd and NUL-terminated. */
static char *unhex_str(const char *hex) {
  size_t n = strlen(hex) / 2;
  char *s = malloc(n + 1);
  unhex(hex, (uint8_t *)s, n);
  s[n] = 0;
  return s;
}

static void tohex(const uint8_t *in, size_t n, char *out) {
  size_t i;
  for (i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", in[i]);
  out[2 * n] = 0;
}

static matrixauth_keyring *keyring(void) {
  matrixauth_keyring *kr = NULL;
  OK(matrixauth_keyring_new(KEY, sizeof KEY, 1, &kr));
  return kr;
}

static matrixauth_authenticator *authenticator(matrixauth_keyring *kr, uint32_t field, uint64_t value) {
  matrixauth_policy *p = NULL;
  matrixauth_authenticator *a = NULL;
  OK(matrixauth_policy_new(&p));
  if (field) OK(matrixauth_policy_set(p, field, value));
  OK(matrixauth_authenticator_new(kr, p, &a));
  matrixauth_policy_free(p);
  return a;
}

static matrixauth_credential *six(void) {
  matrixauth_credential *c = NULL;
  OK(matrixauth_credential_from_names(SIX, 6, "pw", 2, &c));
  return c;
}

static matrixauth_outcome answer(matrixauth_authenticator *a, matrixauth_credential *cred,
                                 matrixauth_state *st, uint64_t now, int right) {
  matrixauth_challenge *ch = NULL;
  matrixauth_outcome out = 0;
  char buf[64];
  size_t n = 0;
  if (matrixauth_authenticator_issue_challenge(a, "alice", st, now, &ch) != MATRIXAUTH_OK) return 0;
  OK(matrixauth_credential_respond(cred, ch, buf, sizeof buf, &n));
  if (!right) buf[0] = buf[0] == '0' ? '1' : '0';
  OK(matrixauth_authenticator_verify(a, "alice", cred, st, matrixauth_challenge_token(ch), buf, now, &out));
  matrixauth_challenge_free(ch);
  return out;
}

/* ------------------------------------------------------------ tests */

static void test_version(const char *expected) {
  char packed[32];
  CHECK(strcmp(matrixauth_version(), expected) == 0);
  snprintf(packed, sizeof packed, "%d.%d.%d", MATRIXAUTH_VERSION_MAJOR, MATRIXAUTH_VERSION_MINOR,
           MATRIXAUTH_VERSION_PATCH);
  CHECK(strcmp(packed, expected) == 0);
  CHECK(MATRIXAUTH_VERSION_NUMBER ==
        MATRIXAUTH_VERSION_MAJOR * 1000000 + MATRIXAUTH_VERSION_MINOR * 1000 + MATRIXAUTH_VERSION_PATCH);
}

static void test_result_messages(void) {
  unsigned i;
  CHECK(strcmp(matrixauth_result_message(MATRIXAUTH_OK), "ok") == 0);
  CHECK(strcmp(matrixauth_result_message(9999), "unknown result code") == 0);
  CHECK(strcmp(matrixauth_result_message(6), "unknown result code") == 0);
  for (i = 0; i < 100; i++) {
    int known = i <= 5 || (i >= 10 && i <= 47);
    CHECK(matrixauth_result_message(i) != NULL);
    CHECK(known == (strcmp(matrixauth_result_message(i), "unknown result code") != 0));
  }
}

static void test_panic_boundary(void) {
  CHECK_RC(matrixauth_selftest_panic(), MATRIXAUTH_ERR_PANIC);
  CHECK_RC(matrixauth_selftest_panic(), MATRIXAUTH_ERR_PANIC); /* the library still works */
  {
    matrixauth_state *st = NULL;
    OK(matrixauth_state_new(&st));
    matrixauth_state_free(st);
  }
}

static void test_pattern_login_and_ticket(void) {
  matrixauth_keyring *kr = keyring();
  matrixauth_authenticator *a = authenticator(kr, 0, 0);
  matrixauth_credential *cred = six(), *opened = NULL;
  matrixauth_state *st = NULL, *st2 = NULL;
  matrixauth_challenge *ch = NULL, *again = NULL;
  matrixauth_ticket_verifier *tv = NULL;
  matrixauth_strength s;
  matrixauth_outcome out = 0;
  uint8_t digits[64], bytes[512], sealed[256];
  char text[512], resp[64], ticket[512], user[256];
  size_t n = 0, blen = 0, slen = 0;

  OK(matrixauth_authenticator_check_credential(a, cred));
  OK(matrixauth_authenticator_strength(a, cred, &s));
  CHECK(s.pattern_len == 6 && s.grid_cells == 64 && s.observations_to_unique == 3);
  CHECK(s.candidates_after[0] > 150000 && s.candidates_after[0] < 152000);

  OK(matrixauth_state_new(&st));
  OK(matrixauth_authenticator_issue_challenge(a, "alice", st, T, &ch));
  CHECK(matrixauth_challenge_rows(ch) == 8 && matrixauth_challenge_cols(ch) == 8);
  CHECK(matrixauth_challenge_expires_at(ch) == T + 180);
  CHECK(!matrixauth_challenge_is_reissue(ch));
  CHECK(strlen(matrixauth_challenge_token(ch)) == 107);
  OK(matrixauth_challenge_digits(ch, digits, sizeof digits, &n));
  CHECK(n == 64);
  OK(matrixauth_challenge_render_text(ch, text, sizeof text, &n));
  CHECK(n == strlen(text) && strncmp(text, "   A B C D E F G H\n", 19) == 0);

  /* A refresh returns the same challenge and changes nothing. */
  CHECK(matrixauth_state_version(st) == 1);
  OK(matrixauth_authenticator_issue_challenge(a, "alice", st, T + 5, &again));
  CHECK(matrixauth_challenge_is_reissue(again));
  CHECK(strcmp(matrixauth_challenge_token(again), matrixauth_challenge_token(ch)) == 0);
  CHECK(matrixauth_state_version(st) == 1);

  /* Persist and restore the state mid-login. */
  OK(matrixauth_state_to_bytes(st, kr, "alice", bytes, sizeof bytes, &blen));
  OK(matrixauth_state_from_bytes(kr, "alice", bytes, blen, &st2));
  /* Another user's row, or another keyring: FORMAT. */
  {
    matrixauth_state *moved = NULL;
    matrixauth_keyring *other = NULL;
    static const uint8_t OTHER[32] = {9};
    CHECK_RC(matrixauth_state_from_bytes(kr, "bob", bytes, blen, &moved), MATRIXAUTH_ERR_FORMAT);
    OK(matrixauth_keyring_new(OTHER, 32, 1, &other));
    CHECK_RC(matrixauth_state_from_bytes(other, "alice", bytes, blen, &moved), MATRIXAUTH_ERR_FORMAT);
    CHECK(moved == NULL);
    matrixauth_keyring_free(other);
  }

  OK(matrixauth_credential_respond(cred, ch, resp, sizeof resp, &n));
  CHECK(n == 8 && resp[2] == 'p' && resp[3] == 'w');
  OK(matrixauth_authenticator_verify(a, "alice", cred, st2, matrixauth_challenge_token(ch), resp, T + 10, &out));
  CHECK(out == MATRIXAUTH_OUTCOME_ACCEPTED);
  OK(matrixauth_authenticator_verify(a, "alice", cred, st2, matrixauth_challenge_token(ch), resp, T + 11, &out));
  CHECK(out == MATRIXAUTH_OUTCOME_DUPLICATE);
  OK(matrixauth_authenticator_verify(a, "bob", cred, st, matrixauth_challenge_token(ch), resp, T + 11, &out));
  CHECK(out == MATRIXAUTH_OUTCOME_INVALID);

  /* Sealing. */
  OK(matrixauth_credential_seal(cred, kr, "alice", sealed, sizeof sealed, &slen));
  OK(matrixauth_credential_open(kr, "alice", sealed, slen, &opened));
  CHECK_RC(matrixauth_credential_open(kr, "bob", sealed, slen, &opened), MATRIXAUTH_ERR_SEAL);
  sealed[slen - 1] ^= 1;
  CHECK_RC(matrixauth_credential_open(kr, "alice", sealed, slen, &opened), MATRIXAUTH_ERR_SEAL);

  /* Ticket hand-off. */
  OK(matrixauth_authenticator_issue_ticket(a, "alice", "vpn.example", T + 12, ticket, sizeof ticket, &n));
  CHECK(n == strlen(ticket));
  OK(matrixauth_ticket_verifier_new(kr, 100, &tv));
  CHECK_RC(matrixauth_ticket_verifier_redeem(tv, ticket, "other", T + 13, user, sizeof user, &n),
           MATRIXAUTH_ERR_TICKET_WRONG_AUDIENCE);
  OK(matrixauth_ticket_verifier_redeem(tv, ticket, "vpn.example", T + 13, user, sizeof user, &n));
  CHECK(strcmp(user, "alice") == 0 && n == 5);
  CHECK_RC(matrixauth_ticket_verifier_redeem(tv, ticket, "vpn.example", T + 14, user, sizeof user, &n),
           MATRIXAUTH_ERR_TICKET_REPLAYED);

  matrixauth_ticket_verifier_free(tv);
  matrixauth_credential_free(opened);
  matrixauth_challenge_free(again);
  matrixauth_challenge_free(ch);
  matrixauth_state_free(st2);
  matrixauth_state_free(st);
  matrixauth_credential_free(cred);
  matrixauth_authenticator_free(a);
  matrixauth_keyring_free(kr);
}

/* The answer oracle of the security review: after alice answers, thousands of guesses with her
   token (anyone can obtain it) must cost failures (inside the retry window) or reveal nothing
   (after it): her real answer cannot be told apart for free. */
static void test_answer_oracle(void) {
  matrixauth_keyring *kr = keyring();
  matrixauth_authenticator *a = authenticator(kr, 0, 0);
  matrixauth_credential *cred = six();
  matrixauth_state *st = NULL, *late = NULL;
  matrixauth_challenge *ch = NULL;
  matrixauth_outcome out = 0;
  char real[64], guess[64], token[1024];
  uint8_t saved[4096];
  size_t n = 0, slen = 0;
  int i, rejected = 0, duplicate = 0, locked = 0, stale = 0, other = 0;
  OK(matrixauth_state_new(&st));
  OK(matrixauth_authenticator_issue_challenge(a, "alice", st, T, &ch));
  snprintf(token, sizeof token, "%s", matrixauth_challenge_token(ch));
  OK(matrixauth_credential_respond(cred, ch, real, sizeof real, &n));
  OK(matrixauth_authenticator_verify(a, "alice", cred, st, token, real, T + 5, &out));
  CHECK(out == MATRIXAUTH_OUTCOME_ACCEPTED);
  OK(matrixauth_state_to_bytes(st, kr, "alice", saved, sizeof saved, &slen));
  /* Late: after the 30 s window every guess, the real answer among them, is stale; nothing changes. */
  OK(matrixauth_state_from_bytes(kr, "alice", saved, slen, &late));
  for (i = 0; i < 2000; i++) {
    if (i == 1000) snprintf(guess, sizeof guess, "%s", real);
    else snprintf(guess, sizeof guess, "%02dpw%04d", i % 100, (i * 7919) % 10000);
    OK(matrixauth_authenticator_verify(a, "alice", cred, late, token, guess, T + 35, &out));
    stale += out == MATRIXAUTH_OUTCOME_STALE;
    OK(matrixauth_authenticator_verify_pending(a, "alice", cred, late, guess, T + 35, &out));
    stale += out == MATRIXAUTH_OUTCOME_STALE;
  }
  CHECK(stale == 4000);
  CHECK(matrixauth_state_version(late) == matrixauth_state_version(st));
  /* Early: inside the window each wrong guess is rejected and counted; after 5 the user is
     locked and every guess, the real answer (guess 1000) included, is locked. */
  for (i = 0; i < 2000; i++) {
    if (i == 1000) snprintf(guess, sizeof guess, "%s", real);
    else snprintf(guess, sizeof guess, "%02dpw%04d", i % 100, (i * 7919) % 10000);
    if (strcmp(guess, real) == 0 && i != 1000) continue;
    OK(matrixauth_authenticator_verify(a, "alice", cred, st, token, guess, T + 6, &out));
    if (out == MATRIXAUTH_OUTCOME_REJECTED) rejected++;
    else if (out == MATRIXAUTH_OUTCOME_DUPLICATE) duplicate++;
    else if (out == MATRIXAUTH_OUTCOME_LOCKED) locked++;
    else other++;
  }
  CHECK(rejected == 5 && duplicate == 0 && other == 0 && locked > 1900);
  CHECK(matrixauth_state_failures_since_success(st) == (uint32_t)rejected);
  CHECK(matrixauth_state_is_locked(st, T + 6));
  matrixauth_challenge_free(ch);
  matrixauth_state_free(late);
  matrixauth_state_free(st);
  matrixauth_credential_free(cred);
  matrixauth_authenticator_free(a);
  matrixauth_keyring_free(kr);
}

static void test_lockout(void) {
  matrixauth_keyring *kr = keyring();
  matrixauth_authenticator *a = authenticator(kr, 0, 0);
  matrixauth_credential *cred = six();
  matrixauth_state *st = NULL;
  matrixauth_challenge *ch = NULL;
  int i;
  OK(matrixauth_state_new(&st));
  for (i = 1; i <= 4; i++) {
    CHECK(answer(a, cred, st, T + i, 0) == MATRIXAUTH_OUTCOME_REJECTED);
    CHECK(matrixauth_state_consecutive_failures(st) == (uint32_t)i);
  }
  CHECK(!matrixauth_state_is_locked(st, T + 4));
  CHECK(answer(a, cred, st, T + 5, 0) == MATRIXAUTH_OUTCOME_REJECTED);
  CHECK(matrixauth_state_locked_until(st) == T + 5 + 900);
  CHECK(matrixauth_state_lock_level(st) == 1);
  CHECK(matrixauth_state_is_locked(st, T + 904));
  CHECK_RC(matrixauth_authenticator_issue_challenge(a, "alice", st, T + 6, &ch), MATRIXAUTH_ERR_LOCKED);
  CHECK(ch == NULL); /* out-params untouched on error */
  CHECK(answer(a, cred, st, T + 905, 1) == MATRIXAUTH_OUTCOME_ACCEPTED);
  CHECK(matrixauth_state_failures_since_success(st) == 0);
  /* Permanent lock after 100 failures without success; unlock clears it. */
  {
    uint64_t now = T + 1000;
    for (i = 0; i < 100; i++) {
      CHECK(answer(a, cred, st, now, 0) == MATRIXAUTH_OUTCOME_REJECTED);
      if (matrixauth_state_locked_until(st) > now) now = matrixauth_state_locked_until(st);
    }
    CHECK(matrixauth_state_permanently_locked(st));
    CHECK_RC(matrixauth_authenticator_issue_challenge(a, "alice", st, now + 999999, &ch), MATRIXAUTH_ERR_LOCKED);
    OK(matrixauth_authenticator_unlock(a, "alice", st, now));
    CHECK(!matrixauth_state_permanently_locked(st));
    CHECK(answer(a, cred, st, now + 1, 1) == MATRIXAUTH_OUTCOME_ACCEPTED);
  }
  matrixauth_state_free(st);
  matrixauth_credential_free(cred);
  matrixauth_authenticator_free(a);
  matrixauth_keyring_free(kr);
}

static void test_cards(void) {
  matrixauth_keyring *kr = keyring();
  matrixauth_authenticator *a = authenticator(kr, MATRIXAUTH_POLICY_CARD_CHALLENGE_CELLS, 4);
  matrixauth_card *card = NULL, *opened = NULL;
  matrixauth_state *st = NULL;
  matrixauth_card_challenge *ch = NULL;
  matrixauth_outcome out = 0;
  char buf[8192], name[8];
  uint8_t sealed[512];
  size_t n = 0, slen = 0, used = 0;
  int i;
  bool removed = false;

  OK(matrixauth_card_generate("MX-C-1", 8, 8, 2, MATRIXAUTH_ALPHABET_ALNUM, T + 86400, &card));
  CHECK(strcmp(matrixauth_card_serial(card), "MX-C-1") == 0);
  OK(matrixauth_card_render_text(card, buf, sizeof buf, &n));
  CHECK(strstr(buf, "MX-C-1") != NULL);
  OK(matrixauth_card_render_svg(card, buf, sizeof buf, &n));
  CHECK(strncmp(buf, "<?xml", 5) == 0 && strstr(buf, "</svg>") != NULL);
  OK(matrixauth_card_value(card, "b3", name, sizeof name, &n));
  CHECK(n == 2);
  OK(matrixauth_card_seal(card, kr, "alice", sealed, sizeof sealed, &slen));
  OK(matrixauth_card_open(kr, "alice", sealed, slen, &opened));
  {
    matrixauth_credential *not_a_card = NULL;
    CHECK_RC(matrixauth_credential_open(kr, "alice", sealed, slen, &not_a_card), MATRIXAUTH_ERR_FORMAT);
    CHECK(not_a_card == NULL);
  }

  OK(matrixauth_state_new(&st));
  for (i = 0; i < 16; i++) {
    OK(matrixauth_authenticator_issue_card_challenge(a, "alice", opened, st, T + i, &ch));
    CHECK(matrixauth_card_challenge_cell_count(ch) == 4);
    CHECK(matrixauth_card_challenge_remaining(ch) == 15 - i);
    CHECK(matrixauth_card_challenge_expires_at(ch) == T + i + 180);
    CHECK(!matrixauth_card_challenge_is_reissue(ch));
    CHECK(matrixauth_state_next_seq(st) == (uint64_t)i + 1);
    if (i == 0) {
      matrixauth_card_challenge *again = NULL;
      OK(matrixauth_authenticator_issue_card_challenge(a, "alice", opened, st, T + 1, &again));
      CHECK(matrixauth_card_challenge_is_reissue(again));
      CHECK(strcmp(matrixauth_card_challenge_token(again), matrixauth_card_challenge_token(ch)) == 0);
      matrixauth_card_challenge_free(again);
    }
    OK(matrixauth_card_challenge_cell_name(ch, 0, name, sizeof name, &n));
    CHECK_RC(matrixauth_card_challenge_cell_name(ch, 4, name, sizeof name, &n), MATRIXAUTH_ERR_INVALID_ARGUMENT);
    OK(matrixauth_card_respond(card, ch, buf, sizeof buf, &n));
    CHECK(n == 8);
    if (i == 3) buf[0] = buf[0] == 'A' ? 'B' : 'A';
    OK(matrixauth_authenticator_verify_card(a, "alice", card, st, matrixauth_card_challenge_token(ch), buf, T + i,
                                            &out));
    CHECK(out == (i == 3 ? MATRIXAUTH_OUTCOME_REJECTED : MATRIXAUTH_OUTCOME_ACCEPTED));
    matrixauth_card_challenge_free(ch);
    ch = NULL;
  }
  OK(matrixauth_state_card_cells_used(st, "MX-C-1", &used));
  CHECK(used == 64);
  CHECK_RC(matrixauth_authenticator_issue_card_challenge(a, "alice", card, st, T + 20, &ch),
           MATRIXAUTH_ERR_CARD_EXHAUSTED);
  CHECK_RC(matrixauth_authenticator_issue_card_challenge(a, "alice", card, st, T + 86400, &ch),
           MATRIXAUTH_ERR_CARD_EXPIRED);
  OK(matrixauth_state_forget_card(st, "MX-C-1", &removed));
  CHECK(removed);
  CHECK_RC(matrixauth_card_generate(NULL, 8, 8, 2, 7, 0, &card), MATRIXAUTH_ERR_INVALID_ARGUMENT);
  CHECK_RC(matrixauth_card_generate(NULL, 8, 8, 9, 1, 0, &card), MATRIXAUTH_ERR_INVALID_CARD);
  matrixauth_state_free(st);
  matrixauth_card_free(opened);
  matrixauth_card_free(card);
  matrixauth_authenticator_free(a);
  matrixauth_keyring_free(kr);
}

static void test_null_arguments(void) {
  matrixauth_keyring *kr = keyring();
  matrixauth_authenticator *a = authenticator(kr, 0, 0);
  matrixauth_credential *cred = six();
  matrixauth_state *st = NULL;
  matrixauth_challenge *ch = NULL;
  matrixauth_policy *p = NULL;
  matrixauth_card *card = NULL;
  matrixauth_ticket_verifier *tv = NULL;
  matrixauth_outcome out = 0;
  matrixauth_strength s;
  char buf[256];
  uint8_t bytes[256];
  size_t n = 0;
  uint64_t v = 0;
  bool removed;
  const char *null_names[] = {"B2", NULL};
  const matrixauth_result E = MATRIXAUTH_ERR_NULL_ARGUMENT;

  OK(matrixauth_state_new(&st));
  OK(matrixauth_policy_new(&p));
  OK(matrixauth_authenticator_issue_challenge(a, "alice", st, T, &ch));
  OK(matrixauth_card_generate(NULL, 4, 4, 2, MATRIXAUTH_ALPHABET_DIGITS, 0, &card));
  OK(matrixauth_ticket_verifier_new(kr, 1, &tv));

  CHECK_RC(matrixauth_keyring_new(NULL, 32, 1, &kr), E);
  CHECK_RC(matrixauth_keyring_new(KEY, 32, 1, NULL), E);
  CHECK_RC(matrixauth_keyring_add_verification_key(NULL, KEY, 32, 2), E);
  CHECK_RC(matrixauth_keyring_add_verification_key(kr, NULL, 32, 2), E);
  CHECK_RC(matrixauth_keyring_rotate(NULL, KEY, 32, 2), E);
  CHECK_RC(matrixauth_keyring_remove_key(NULL, 2), E);
  CHECK_RC(matrixauth_generate_key(NULL, 32), E);
  CHECK_RC(matrixauth_policy_new(NULL), E);
  CHECK_RC(matrixauth_policy_set(NULL, 1, 8), E);
  CHECK_RC(matrixauth_policy_get(NULL, 1, &v), E);
  CHECK_RC(matrixauth_policy_get(p, 1, NULL), E);
  CHECK_RC(matrixauth_policy_validate(NULL), E);
  CHECK_RC(matrixauth_credential_from_names(NULL, 1, "", 0, &cred), E);
  CHECK_RC(matrixauth_credential_from_names(null_names, 2, "", 0, &cred), E);
  CHECK_RC(matrixauth_credential_from_names(SIX, 6, NULL, 0, &cred), E);
  CHECK_RC(matrixauth_credential_from_names(SIX, 6, "", 0, NULL), E);
  CHECK_RC(matrixauth_credential_from_indices(NULL, 1, 8, "", 0, &cred), E);
  CHECK_RC(matrixauth_credential_respond(NULL, ch, buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_credential_respond(cred, NULL, buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_credential_respond(cred, ch, NULL, sizeof buf, &n), E);
  CHECK_RC(matrixauth_credential_respond(cred, ch, buf, sizeof buf, NULL), E);
  CHECK_RC(matrixauth_credential_seal(cred, NULL, "alice", bytes, sizeof bytes, &n), E);
  CHECK_RC(matrixauth_credential_seal(cred, kr, NULL, bytes, sizeof bytes, &n), E);
  CHECK_RC(matrixauth_credential_open(kr, "alice", NULL, 10, &cred), E);
  CHECK_RC(matrixauth_state_new(NULL), E);
  CHECK_RC(matrixauth_state_from_bytes(kr, "alice", NULL, 10, &st), E);
  CHECK_RC(matrixauth_state_from_bytes(NULL, "alice", bytes, 10, &st), E);
  CHECK_RC(matrixauth_state_from_bytes(kr, NULL, bytes, 10, &st), E);
  CHECK_RC(matrixauth_state_to_bytes(NULL, kr, "alice", bytes, sizeof bytes, &n), E);
  CHECK_RC(matrixauth_state_to_bytes(st, NULL, "alice", bytes, sizeof bytes, &n), E);
  CHECK_RC(matrixauth_state_to_bytes(st, kr, NULL, bytes, sizeof bytes, &n), E);
  CHECK_RC(matrixauth_state_card_cells_used(st, NULL, &n), E);
  CHECK_RC(matrixauth_state_card_cells_used(st, "x", NULL), E);
  CHECK_RC(matrixauth_state_forget_card(NULL, "x", &removed), E);
  CHECK(matrixauth_state_version(NULL) == 0 && !matrixauth_state_permanently_locked(NULL));
  CHECK(matrixauth_state_locked_until(NULL) == 0 && !matrixauth_state_is_locked(NULL, T));
  CHECK_RC(matrixauth_authenticator_new(NULL, p, &a), E);
  CHECK_RC(matrixauth_authenticator_new(kr, NULL, &a), E);
  CHECK_RC(matrixauth_authenticator_new(kr, p, NULL), E);
  CHECK_RC(matrixauth_authenticator_set_audit_callback(NULL, NULL, NULL), E);
  CHECK_RC(matrixauth_authenticator_check_credential(NULL, cred), E);
  CHECK_RC(matrixauth_authenticator_check_credential(a, NULL), E);
  CHECK_RC(matrixauth_authenticator_strength(a, cred, NULL), E);
  CHECK_RC(matrixauth_authenticator_strength(a, NULL, &s), E);
  CHECK_RC(matrixauth_authenticator_decoy_credential(NULL, &cred), E);
  CHECK_RC(matrixauth_authenticator_issue_challenge(NULL, "alice", st, T, &ch), E);
  CHECK_RC(matrixauth_authenticator_issue_challenge(a, NULL, st, T, &ch), E);
  CHECK_RC(matrixauth_authenticator_issue_challenge(a, "alice", NULL, T, &ch), E);
  CHECK_RC(matrixauth_authenticator_issue_challenge(a, "alice", st, T, NULL), E);
  CHECK_RC(matrixauth_authenticator_verify(NULL, "alice", cred, st, "t", "r", T, &out), E);
  CHECK_RC(matrixauth_authenticator_verify(a, NULL, cred, st, "t", "r", T, &out), E);
  CHECK_RC(matrixauth_authenticator_verify(a, "alice", NULL, st, "t", "r", T, &out), E);
  CHECK_RC(matrixauth_authenticator_verify(a, "alice", cred, NULL, "t", "r", T, &out), E);
  CHECK_RC(matrixauth_authenticator_verify(a, "alice", cred, st, NULL, "r", T, &out), E);
  CHECK_RC(matrixauth_authenticator_verify(a, "alice", cred, st, "t", NULL, T, &out), E);
  CHECK_RC(matrixauth_authenticator_verify(a, "alice", cred, st, "t", "r", T, NULL), E);
  CHECK_RC(matrixauth_authenticator_issue_card_challenge(a, "alice", NULL, st, T, NULL), E);
  CHECK_RC(matrixauth_authenticator_verify_card(a, "alice", NULL, st, "t", "r", T, &out), E);
  CHECK_RC(matrixauth_authenticator_unlock(a, "alice", NULL, T), E);
  CHECK_RC(matrixauth_authenticator_unlock(NULL, "alice", st, T), E);
  CHECK_RC(matrixauth_authenticator_issue_ticket(a, NULL, "vpn", T, buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_authenticator_issue_ticket(a, "alice", NULL, T, buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_authenticator_issue_ticket(a, "alice", "vpn", T, buf, sizeof buf, NULL), E);
  CHECK(matrixauth_challenge_token(NULL) == NULL && matrixauth_challenge_rows(NULL) == 0);
  CHECK(matrixauth_challenge_expires_at(NULL) == 0 && matrixauth_challenge_seq(NULL) == 0);
  CHECK_RC(matrixauth_challenge_digits(NULL, bytes, sizeof bytes, &n), E);
  CHECK_RC(matrixauth_challenge_render_text(NULL, buf, sizeof buf, &n), E);
  CHECK(matrixauth_card_challenge_token(NULL) == NULL && matrixauth_card_challenge_cell_count(NULL) == 0);
  CHECK(matrixauth_card_challenge_remaining(NULL) == -1);
  CHECK_RC(matrixauth_card_challenge_cell_name(NULL, 0, buf, sizeof buf, &n), E);
  CHECK(matrixauth_card_serial(NULL) == NULL);
  CHECK_RC(matrixauth_card_value(card, NULL, buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_card_value(NULL, "A1", buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_card_render_text(NULL, buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_card_render_svg(NULL, buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_card_from_values(NULL, 2, 2, 1, 1, 0, "1234", &card), E);
  CHECK_RC(matrixauth_card_from_values("S", 2, 2, 1, 1, 0, NULL, &card), E);
  CHECK_RC(matrixauth_card_open(kr, "alice", NULL, 5, &card), E);
  CHECK_RC(matrixauth_ticket_verifier_new(NULL, 1, &tv), E);
  CHECK_RC(matrixauth_ticket_verifier_new(kr, 1, NULL), E);
  CHECK_RC(matrixauth_ticket_verifier_redeem(NULL, "t", "vpn", T, buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_ticket_verifier_redeem(tv, NULL, "vpn", T, buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_ticket_verifier_redeem(tv, "t", NULL, T, buf, sizeof buf, &n), E);
  CHECK_RC(matrixauth_ticket_verifier_redeem(tv, "t", "vpn", T, NULL, sizeof buf, &n), E);
  CHECK_RC(matrixauth_ticket_verifier_set_max_lifetime(NULL, 5), E);
  CHECK_RC(matrixauth_ticket_verifier_set_audit_callback(NULL, NULL, NULL), E);

  /* Every _free accepts NULL. */
  matrixauth_keyring_free(NULL);
  matrixauth_policy_free(NULL);
  matrixauth_credential_free(NULL);
  matrixauth_card_free(NULL);
  matrixauth_state_free(NULL);
  matrixauth_authenticator_free(NULL);
  matrixauth_challenge_free(NULL);
  matrixauth_card_challenge_free(NULL);
  matrixauth_ticket_verifier_free(NULL);

  matrixauth_ticket_verifier_free(tv);
  matrixauth_card_free(card);
  matrixauth_challenge_free(ch);
  matrixauth_policy_free(p);
  matrixauth_state_free(st);
  matrixauth_credential_free(cred);
  matrixauth_authenticator_free(a);
  matrixauth_keyring_free(kr);
}

static void test_buffers_utf8_and_hostile_input(void) {
  matrixauth_keyring *kr = keyring();
  matrixauth_authenticator *a = authenticator(kr, 0, 0);
  matrixauth_credential *cred = six(), *c2 = NULL;
  matrixauth_state *st = NULL, *st2 = NULL;
  matrixauth_challenge *ch = NULL;
  matrixauth_policy *p = NULL;
  matrixauth_outcome out = 0;
  char buf[512], tiny[1], ticket[512], *huge;
  uint8_t bytes[512];
  size_t n = 0, blen = 0, i;
  uint64_t v = 0, version;
  const char *bad_utf8 = "al\xff\xfeice";

  OK(matrixauth_state_new(&st));
  OK(matrixauth_authenticator_issue_challenge(a, "alice", st, T, &ch));

  /* Buffers of size 0 and 1: BUFFER_TOO_SMALL with the size needed, nothing written. */
  n = 12345;
  CHECK_RC(matrixauth_credential_respond(cred, ch, NULL, 0, &n), MATRIXAUTH_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 9);
  tiny[0] = 'x';
  CHECK_RC(matrixauth_credential_respond(cred, ch, tiny, 1, &n), MATRIXAUTH_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 9 && tiny[0] == 'x');
  CHECK_RC(matrixauth_state_to_bytes(st, kr, "alice", NULL, 0, &n), MATRIXAUTH_ERR_BUFFER_TOO_SMALL);
  CHECK(n > 50);
  blen = n;
  CHECK_RC(matrixauth_state_to_bytes(st, kr, "alice", bytes, blen - 1, &n), MATRIXAUTH_ERR_BUFFER_TOO_SMALL);
  OK(matrixauth_state_to_bytes(st, kr, "alice", bytes, blen, &n));
  CHECK(n == blen);
  CHECK_RC(matrixauth_challenge_render_text(ch, tiny, 1, &n), MATRIXAUTH_ERR_BUFFER_TOO_SMALL);
  CHECK_RC(matrixauth_challenge_digits(ch, (uint8_t *)tiny, 1, &n), MATRIXAUTH_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 64);
  /* A ticket is not issued (and no event logged) when it would not fit. */
  CHECK_RC(matrixauth_authenticator_issue_ticket(a, "alice", "vpn", T, tiny, 1, &n), MATRIXAUTH_ERR_BUFFER_TOO_SMALL);
  OK(matrixauth_authenticator_issue_ticket(a, "alice", "vpn", T, ticket, n, &n));
  /* A redeem with a buffer under 256 bytes does not consume the ticket. */
  {
    matrixauth_ticket_verifier *tv = NULL;
    OK(matrixauth_ticket_verifier_new(kr, 10, &tv));
    CHECK_RC(matrixauth_ticket_verifier_redeem(tv, ticket, "vpn", T + 1, buf, 255, &n), MATRIXAUTH_ERR_BUFFER_TOO_SMALL);
    CHECK(n == 256);
    OK(matrixauth_ticket_verifier_redeem(tv, ticket, "vpn", T + 1, buf, 256, &n));
    matrixauth_ticket_verifier_free(tv);
  }

  /* Invalid UTF-8 is an error, not a crash, and changes nothing. */
  version = matrixauth_state_version(st);
  CHECK_RC(matrixauth_authenticator_issue_challenge(a, bad_utf8, st, T, &ch), MATRIXAUTH_ERR_INVALID_UTF8);
  CHECK_RC(matrixauth_authenticator_verify(a, "alice", cred, st, matrixauth_challenge_token(ch), bad_utf8, T, &out),
           MATRIXAUTH_ERR_INVALID_UTF8);
  CHECK_RC(matrixauth_credential_from_names(SIX, 6, bad_utf8, 0, &c2), MATRIXAUTH_ERR_INVALID_UTF8);
  CHECK(matrixauth_state_version(st) == version);

  /* Invalid arguments. */
  CHECK_RC(matrixauth_keyring_new(KEY, 31, 1, &kr), MATRIXAUTH_ERR_INVALID_KEY_LENGTH);
  CHECK_RC(matrixauth_keyring_new(KEY, 0, 1, &kr), MATRIXAUTH_ERR_INVALID_KEY_LENGTH);
  CHECK_RC(matrixauth_generate_key(bytes, 16), MATRIXAUTH_ERR_INVALID_KEY_LENGTH);
  OK(matrixauth_generate_key(bytes, 32));
  OK(matrixauth_policy_new(&p));
  CHECK_RC(matrixauth_policy_set(p, 0, 8), MATRIXAUTH_ERR_INVALID_ARGUMENT);
  CHECK_RC(matrixauth_policy_set(p, 19, 8), MATRIXAUTH_ERR_INVALID_ARGUMENT);
  {
    uint64_t w = 0;
    OK(matrixauth_policy_get(p, MATRIXAUTH_POLICY_RETRY_WINDOW, &w));
    CHECK(w == 30);
    OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_RETRY_WINDOW, 181)); /* past the 180 s challenge */
    CHECK_RC(matrixauth_policy_validate(p), MATRIXAUTH_ERR_INVALID_POLICY);
    OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_RETRY_WINDOW, 0));
    OK(matrixauth_policy_validate(p));
  }
  CHECK_RC(matrixauth_policy_set(p, MATRIXAUTH_POLICY_CARD_SINGLE_USE, 2), MATRIXAUTH_ERR_INVALID_ARGUMENT);
  CHECK_RC(matrixauth_policy_set(p, MATRIXAUTH_POLICY_MAX_TOTAL_FAILURES, UINT64_MAX), MATRIXAUTH_ERR_INVALID_ARGUMENT);
  OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_ROWS, 27));
  CHECK_RC(matrixauth_policy_validate(p), MATRIXAUTH_ERR_INVALID_POLICY);
  CHECK_RC(matrixauth_authenticator_new(kr, p, &a), MATRIXAUTH_ERR_INVALID_POLICY);
  OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_ROWS, 6));
  OK(matrixauth_policy_get(p, MATRIXAUTH_POLICY_ROWS, &v));
  CHECK(v == 6);
  OK(matrixauth_policy_get(p, MATRIXAUTH_POLICY_LOCKOUT_SECONDS, &v));
  CHECK(v == 900);
  CHECK_RC(matrixauth_credential_from_names(SIX, 17, "", 0, &c2), MATRIXAUTH_ERR_INVALID_PATTERN_LENGTH);
  CHECK_RC(matrixauth_credential_from_names(SIX, 0, "", 0, &c2), MATRIXAUTH_ERR_INVALID_PATTERN_LENGTH);
  CHECK_RC(matrixauth_credential_from_names(SIX, 6, "pw", 7, &c2), MATRIXAUTH_ERR_INVALID_FIXED_POSITION);
  CHECK_RC(matrixauth_authenticator_issue_challenge(a, "", st, T, &ch), MATRIXAUTH_ERR_INVALID_USER_ID);
  CHECK_RC(matrixauth_authenticator_issue_challenge(a, "alice", st, UINT64_MAX, &ch), MATRIXAUTH_ERR_INVALID_TIME);
  {
    static const char *bad_cell[] = {"B2", "Q99", "D5", "A8", "H1", "E6"};
    static const char *weak[] = {"A1", "B1", "C1", "D1", "E1", "F1"};
    static const uint32_t idx[] = {9, 22, 35, 56, 7, 44};
    CHECK_RC(matrixauth_credential_from_names(bad_cell, 6, "", 0, &c2), MATRIXAUTH_ERR_INVALID_CELL_NAME);
    OK(matrixauth_credential_from_names(weak, 6, "", 0, &c2));
    CHECK_RC(matrixauth_authenticator_check_credential(a, c2), MATRIXAUTH_ERR_WEAK_STRAIGHT_LINE);
    matrixauth_credential_free(c2);
    OK(matrixauth_credential_from_indices(idx, 6, 8, "x", 0, &c2));
    OK(matrixauth_authenticator_check_credential(a, c2));
    matrixauth_credential_free(c2);
    CHECK_RC(matrixauth_credential_from_indices(idx, 6, 1, "x", 0, &c2), MATRIXAUTH_ERR_INVALID_GEOMETRY);
  }

  /* Over-long inputs: a 1 MiB token and answer are refused cleanly. */
  huge = malloc((1 << 20) + 1);
  memset(huge, 'A', 1 << 20);
  huge[1 << 20] = 0;
  OK(matrixauth_authenticator_verify(a, "alice", cred, st, huge, "x", T, &out));
  CHECK(out == MATRIXAUTH_OUTCOME_INVALID);
  OK(matrixauth_authenticator_verify(a, "alice", cred, st, matrixauth_challenge_token(ch), huge, T, &out));
  CHECK(out == MATRIXAUTH_OUTCOME_REJECTED); /* malformed answers count as wrong */
  CHECK_RC(matrixauth_authenticator_issue_challenge(a, huge, st, T, &ch), MATRIXAUTH_ERR_INVALID_USER_ID);
  free(huge);

  /* Forged and truncated tokens: invalid, state untouched. */
  matrixauth_challenge_free(ch);
  ch = NULL;
  OK(matrixauth_authenticator_issue_challenge(a, "alice", st, T + 1000, &ch));
  version = matrixauth_state_version(st);
  {
    const char *tok = matrixauth_challenge_token(ch);
    size_t len = strlen(tok);
    char forged[256];
    for (i = 0; i < len; i++) {
      strcpy(forged, tok);
      forged[i] = forged[i] == 'A' ? 'B' : 'A';
      OK(matrixauth_authenticator_verify(a, "alice", cred, st, forged, "x", T + 1001, &out));
      CHECK(out == MATRIXAUTH_OUTCOME_INVALID);
      strcpy(forged, tok);
      forged[i] = 0;
      OK(matrixauth_authenticator_verify(a, "alice", cred, st, forged, "x", T + 1001, &out));
      CHECK(out == MATRIXAUTH_OUTCOME_INVALID);
    }
  }
  CHECK(matrixauth_state_version(st) == version);

  /* State bytes truncated, flipped or from another version: FORMAT, out untouched. */
  OK(matrixauth_state_to_bytes(st, kr, "alice", bytes, sizeof bytes, &blen));
  for (i = 0; i < blen; i++) {
    st2 = NULL;
    CHECK_RC(matrixauth_state_from_bytes(kr, "alice", bytes, i, &st2), MATRIXAUTH_ERR_FORMAT);
    CHECK(st2 == NULL);
    bytes[i] ^= 0x10;
    CHECK_RC(matrixauth_state_from_bytes(kr, "alice", bytes, blen, &st2), MATRIXAUTH_ERR_FORMAT);
    bytes[i] ^= 0x10;
  }
  bytes[0] = 1;
  CHECK_RC(matrixauth_state_from_bytes(kr, "alice", bytes, blen, &st2), MATRIXAUTH_ERR_FORMAT);

  matrixauth_policy_free(p);
  matrixauth_challenge_free(ch);
  matrixauth_state_free(st);
  matrixauth_credential_free(cred);
  matrixauth_authenticator_free(a);
  matrixauth_keyring_free(kr);
}

/* The MSCHAPv2 checks' arguments: every NULL, every proof length, the hash buffer's size, all
   refused before the state changes; a wrong proof is a counted failure and leaves the buffer alone.
   (Right answers come from the golden vectors: the C side has no MD4 to make them.) */
static void test_nt_arguments(void) {
  matrixauth_keyring *kr = keyring();
  matrixauth_authenticator *a = authenticator(kr, 0, 0);
  matrixauth_credential *cred = six();
  matrixauth_card *card = NULL;
  matrixauth_state *st = NULL;
  matrixauth_challenge *ch = NULL;
  matrixauth_outcome out = 0;
  matrixauth_nt_proof p, q;
  uint8_t ac[17], pc[16], resp[25], hash[17], b0[4096], b1[4096];
  size_t n0 = 0, n1 = 0;
  const matrixauth_result E = MATRIXAUTH_ERR_NULL_ARGUMENT, L = MATRIXAUTH_ERR_INVALID_ARGUMENT;

  memset(ac, 0x11, sizeof ac);
  memset(pc, 0x22, sizeof pc);
  memset(resp, 0x33, sizeof resp);
  memset(hash, 0xEE, sizeof hash);
  p.authenticator_challenge = ac;
  p.authenticator_challenge_len = 16;
  p.peer_challenge = pc;
  p.peer_challenge_len = 16;
  p.user_name = (const uint8_t *)"alice";
  p.user_name_len = 5;
  p.nt_response = resp;
  p.nt_response_len = 24;
  OK(matrixauth_state_new(&st));
  OK(matrixauth_authenticator_issue_challenge(a, "alice", st, T, &ch));
  OK(matrixauth_card_generate("MX-NT-C", 8, 8, 2, MATRIXAUTH_ALPHABET_DIGITS, 0, &card));
  OK(matrixauth_state_to_bytes(st, kr, "alice", b0, sizeof b0, &n0));

  CHECK_RC(matrixauth_authenticator_verify_pending_nt(NULL, "alice", cred, st, &p, T + 1, &out, hash, 16), E);
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, NULL, cred, st, &p, T + 1, &out, hash, 16), E);
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", NULL, st, &p, T + 1, &out, hash, 16), E);
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, NULL, &p, T + 1, &out, hash, 16), E);
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, NULL, T + 1, &out, hash, 16), E);
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &p, T + 1, NULL, hash, 16), E);
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &p, T + 1, &out, NULL, 16), E);
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &p, T + 1, &out, hash, 15), L);
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &p, T + 1, &out, hash, 17), L);
  CHECK_RC(matrixauth_authenticator_verify_card_pending_nt(a, "alice", NULL, st, &p, T + 1, &out, hash, 16), E);
  CHECK_RC(matrixauth_authenticator_verify_card_pending_nt(a, "alice", card, st, &p, T + 1, NULL, hash, 16), E);
  CHECK_RC(matrixauth_authenticator_verify_card_pending_nt(a, "alice", card, st, &p, T + 1, &out, hash, 0), L);
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "\xff", cred, st, &p, T + 1, &out, hash, 16),
           MATRIXAUTH_ERR_INVALID_UTF8);
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "", cred, st, &p, T + 1, &out, hash, 16),
           MATRIXAUTH_ERR_INVALID_USER_ID);
  /* each proof field: NULL with its length, and one byte short and long */
  q = p; q.authenticator_challenge = NULL;
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &q, T + 1, &out, hash, 16), E);
  q = p; q.authenticator_challenge_len = 15;
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &q, T + 1, &out, hash, 16), L);
  q = p; q.authenticator_challenge_len = 17;
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &q, T + 1, &out, hash, 16), L);
  q = p; q.peer_challenge = NULL;
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &q, T + 1, &out, hash, 16), E);
  q = p; q.peer_challenge_len = 0;
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &q, T + 1, &out, hash, 16), L);
  q = p; q.nt_response = NULL;
  CHECK_RC(matrixauth_authenticator_verify_card_pending_nt(a, "alice", card, st, &q, T + 1, &out, hash, 16), E);
  q = p; q.nt_response_len = 23;
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &q, T + 1, &out, hash, 16), L);
  q = p; q.nt_response_len = 25;
  CHECK_RC(matrixauth_authenticator_verify_card_pending_nt(a, "alice", card, st, &q, T + 1, &out, hash, 16), L);
  q = p; q.user_name = NULL;
  CHECK_RC(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &q, T + 1, &out, hash, 16), E);
  OK(matrixauth_state_to_bytes(st, kr, "alice", b1, sizeof b1, &n1));
  CHECK(n0 == n1 && memcmp(b0, b1, n0) == 0); /* no refusal changed the state */
  CHECK(out == 0);

  /* A card check of the pending pattern challenge: invalid, nothing written. */
  OK(matrixauth_authenticator_verify_card_pending_nt(a, "alice", card, st, &p, T + 1, &out, hash, 16));
  CHECK(out == MATRIXAUTH_OUTCOME_INVALID);
  /* A wrong NT-Response (an empty name is a name like any other): rejected, counted, buffer untouched. */
  q = p; q.user_name = NULL; q.user_name_len = 0;
  OK(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &q, T + 1, &out, hash, 16));
  CHECK(out == MATRIXAUTH_OUTCOME_REJECTED);
  CHECK(matrixauth_state_failures_since_success(st) == 1);
  CHECK(hash[0] == 0xEE && hash[15] == 0xEE && hash[16] == 0xEE);
  /* The same proof again: nothing pending. */
  OK(matrixauth_authenticator_verify_pending_nt(a, "alice", cred, st, &p, T + 2, &out, hash, 16));
  CHECK(out == MATRIXAUTH_OUTCOME_STALE);
  CHECK(matrixauth_state_failures_since_success(st) == 1);

  matrixauth_challenge_free(ch);
  matrixauth_state_free(st);
  matrixauth_card_free(card);
  matrixauth_credential_free(cred);
  matrixauth_authenticator_free(a);
  matrixauth_keyring_free(kr);
}

static int events;
static int secret_leaked;
static void on_event(const char *json, size_t len, void *userdata) {
  CHECK(strlen(json) == len && json[0] == '{' && json[len - 1] == '}');
  if (strstr(json, "pw") || strstr(json, (const char *)userdata)) secret_leaked = 1;
  events++;
}

static void test_audit_callback(void) {
  matrixauth_keyring *kr = keyring();
  matrixauth_authenticator *a = authenticator(kr, 0, 0);
  matrixauth_credential *cred = six();
  matrixauth_state *st = NULL;
  matrixauth_challenge *ch = NULL;
  static char token_copy[256] = "no token yet";
  OK(matrixauth_authenticator_set_audit_callback(a, on_event, token_copy));
  OK(matrixauth_state_new(&st));
  OK(matrixauth_authenticator_issue_challenge(a, "alice", st, T, &ch));
  strcpy(token_copy, matrixauth_challenge_token(ch));
  CHECK(answer(a, cred, st, T + 1, 1) == MATRIXAUTH_OUTCOME_ACCEPTED);
  OK(matrixauth_authenticator_unlock(a, "alice", st, T + 2));
  CHECK(events == 4); /* issue, re-issue, verify, unlock */
  CHECK(!secret_leaked);
  OK(matrixauth_authenticator_set_audit_callback(a, NULL, NULL));
  CHECK(answer(a, cred, st, T + 3, 1) == MATRIXAUTH_OUTCOME_ACCEPTED);
  CHECK(events == 4);
  matrixauth_challenge_free(ch);
  matrixauth_state_free(st);
  matrixauth_credential_free(cred);
  matrixauth_authenticator_free(a);
  matrixauth_keyring_free(kr);
}

/* ------------------------------------------------------------ golden vectors */

#define MAXF 24
static int split(char *line, char **f) {
  int n = 0;
  char *p = line;
  line[strcspn(line, "\n")] = 0;
  while (n < MAXF) {
    f[n++] = p;
    p = strchr(p, '\t');
    if (!p) break;
    *p++ = 0;
  }
  return n;
}

static matrixauth_keyring *vector_keyring(FILE *fp, const char *name) {
  char line[4096], *f[MAXF];
  matrixauth_keyring *kr = NULL;
  rewind(fp);
  while (fgets(line, sizeof line, fp)) {
    int n = split(line, f), i;
    if (strcmp(f[0], "key") || strcmp(f[1], name)) continue;
    for (i = 3; i < n; i++) { /* the current key first */
      uint8_t key[32];
      unsigned id = (unsigned)strtoul(f[i], NULL, 10);
      unhex(strchr(f[i], ':') + 1, key, 32);
      if (id == (unsigned)strtoul(f[2], NULL, 10)) OK(matrixauth_keyring_new(key, 32, id, &kr));
    }
    for (i = 3; i < n; i++) {
      uint8_t key[32];
      unsigned id = (unsigned)strtoul(f[i], NULL, 10);
      unhex(strchr(f[i], ':') + 1, key, 32);
      if (id != (unsigned)strtoul(f[2], NULL, 10)) OK(matrixauth_keyring_add_verification_key(kr, key, 32, id));
    }
  }
  return kr;
}

static matrixauth_credential *vector_credential(FILE *fp, const char *name) {
  char line[4096], *f[MAXF];
  matrixauth_credential *c = NULL;
  rewind(fp);
  while (fgets(line, sizeof line, fp)) {
    int n = split(line, f);
    if (strcmp(f[0], "cred") || strcmp(f[1], name)) continue;
    {
      char *fixed = unhex_str(f[2]);
      OK(matrixauth_credential_from_names((const char *const *)(f + 4), (size_t)(n - 4), fixed,
                                          (size_t)strtoul(f[3], NULL, 10), &c));
      free(fixed);
    }
    break;
  }
  return c;
}

static matrixauth_card *vector_card(FILE *fp, const char *index) {
  char line[16384], *f[MAXF];
  matrixauth_card *c = NULL;
  rewind(fp);
  while (fgets(line, sizeof line, fp)) {
    split(line, f);
    if (strcmp(f[0], "card") || strcmp(f[1], index)) continue;
    {
      char *serial = unhex_str(f[2]), *values = unhex_str(f[8]), *text = unhex_str(f[9]), out[8192];
      size_t n = 0;
      uint32_t alpha = strcmp(f[6], "alnum") == 0 ? MATRIXAUTH_ALPHABET_ALNUM : MATRIXAUTH_ALPHABET_DIGITS;
      OK(matrixauth_card_from_values(serial, (uint32_t)atoi(f[3]), (uint32_t)atoi(f[4]), (uint32_t)atoi(f[5]), alpha,
                                     strtoull(f[7], NULL, 10), values, &c));
      OK(matrixauth_card_render_text(c, out, sizeof out, &n));
      CHECK(strcmp(f[9], "-") == 0 || strcmp(out, text) == 0); /* nt.json's cards carry no text */
      free(serial);
      free(values);
      free(text);
    }
    break;
  }
  return c;
}

static matrixauth_outcome outcome_of(const char *name) {
  static const char *names[] = {"", "accepted", "rejected", "locked", "expired", "duplicate", "stale", "invalid"};
  int i;
  for (i = 1; i < 8; i++)
    if (strcmp(names[i], name) == 0) return (matrixauth_outcome)i;
  return 0;
}

/* The authenticator of an nt.json case: its keyring and its named policy (ntpolicy rows). */
static matrixauth_authenticator *vector_nt_authenticator(FILE *fp, matrixauth_keyring *kr, const char *policy) {
  char line[4096], *f[MAXF];
  matrixauth_policy *p = NULL;
  matrixauth_authenticator *a = NULL;
  OK(matrixauth_policy_new(&p));
  rewind(fp);
  while (fgets(line, sizeof line, fp)) {
    split(line, f);
    if (strcmp(f[0], "ntpolicy") || strcmp(f[1], policy)) continue;
    if (strcmp(f[2], "0")) OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_MIN_PATTERN_LEN, strtoull(f[2], NULL, 10)));
    if (strcmp(f[3], "0")) OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_RETRY_WINDOW, strtoull(f[3], NULL, 10)));
    if (strcmp(f[4], "0"))
      OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_CARD_CHALLENGE_CELLS, strtoull(f[4], NULL, 10)));
    break;
  }
  OK(matrixauth_authenticator_new(kr, p, &a));
  matrixauth_policy_free(p);
  return a;
}

/* An nt.json proof from four hex columns (authenticator challenge, peer challenge, user name,
   NT-Response); the bytes live in buf (at least 4 * 256 bytes). */
static matrixauth_nt_proof vector_nt_proof(char **f, uint8_t *buf) {
  matrixauth_nt_proof p;
  p.authenticator_challenge = buf;
  p.authenticator_challenge_len = unhex(f[0], buf, 256);
  p.peer_challenge = buf + 256;
  p.peer_challenge_len = unhex(f[1], buf + 256, 256);
  p.user_name = buf + 512;
  p.user_name_len = unhex(f[2], buf + 512, 256);
  p.nt_response = buf + 768;
  p.nt_response_len = unhex(f[3], buf + 768, 256);
  return p;
}

static void test_vectors(const char *path) {
  FILE *fp = fopen(path, "r");
  char line[16384], *f[MAXF];
  int verify = 0, reissue = 0, states = 0, bad = 0, sealed = 0, tickets = 0, cardv = 0, pending = 0, rotated = 0;
  int nt = 0, nt_card = 0, nt_accepted = 0, nt_bad = 0;
  matrixauth_ticket_verifier *tv = NULL;
  char tv_group[8] = "";
  long pos;
  CHECK(fp != NULL);
  if (!fp) return;
  while (fgets(line, sizeof line, fp)) {
    pos = ftell(fp);
    split(line, f);
    if (strcmp(f[0], "verify") == 0 || strcmp(f[0], "cardverify") == 0) {
      int card_mode = f[0][0] == 'c';
      int o = card_mode ? 1 : 0; /* card rows carry the card index first */
      matrixauth_keyring *kr = vector_keyring(fp, f[1 + o]);
      matrixauth_policy *p = NULL;
      matrixauth_authenticator *a = NULL;
      matrixauth_state *st = NULL;
      matrixauth_credential *cred = card_mode ? NULL : vector_credential(fp, f[3]);
      matrixauth_card *card = card_mode ? vector_card(fp, f[1]) : NULL;
      char *user = unhex_str(f[2 + o]), *resp = unhex_str(f[5]), after[8192];
      uint8_t before[4096], got[4096];
      size_t blen = unhex(f[4], before, sizeof before), glen = 0;
      matrixauth_outcome out = 0;
      OK(matrixauth_policy_new(&p));
      if (!card_mode) OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_MIN_PATTERN_LEN, 4));
      OK(matrixauth_authenticator_new(kr, p, &a));
      OK(matrixauth_state_from_bytes(kr, user, before, blen, &st));
      if (strcmp(f[6], "-") == 0) { /* answered without a token */
        if (card_mode)
          OK(matrixauth_authenticator_verify_card_pending(a, user, card, st, resp, strtoull(f[7], NULL, 10), &out));
        else
          OK(matrixauth_authenticator_verify_pending(a, user, cred, st, resp, strtoull(f[7], NULL, 10), &out));
        pending++;
      } else if (card_mode)
        OK(matrixauth_authenticator_verify_card(a, user, card, st, f[6], resp, strtoull(f[7], NULL, 10), &out));
      else
        OK(matrixauth_authenticator_verify(a, user, cred, st, f[6], resp, strtoull(f[7], NULL, 10), &out));
      CHECK(out == outcome_of(f[8]));
      OK(matrixauth_state_to_bytes(st, kr, user, got, sizeof got, &glen));
      tohex(got, glen, after);
      CHECK(strcmp(after, f[9]) == 0);
      free(user);
      free(resp);
      matrixauth_card_free(card);
      matrixauth_credential_free(cred);
      matrixauth_state_free(st);
      matrixauth_authenticator_free(a);
      matrixauth_policy_free(p);
      matrixauth_keyring_free(kr);
      if (card_mode) cardv++; else verify++;
    } else if (strcmp(f[0], "nt") == 0 || strcmp(f[0], "ntbad") == 0) {
      /* nt:     mode keyring policy user cred_or_card state_before proof[4] now outcome hash state_after
         ntbad:  name keyring policy user cred state_before proof[4] */
      int is_bad = f[0][2] == 'b', card_mode = !is_bad && strcmp(f[1], "card") == 0;
      matrixauth_keyring *kr = vector_keyring(fp, f[2]);
      matrixauth_authenticator *a = vector_nt_authenticator(fp, kr, f[3]);
      matrixauth_credential *cred = card_mode ? NULL : vector_credential(fp, f[5]);
      matrixauth_card *card = card_mode ? vector_card(fp, f[5]) : NULL;
      matrixauth_state *st = NULL;
      matrixauth_nt_proof proof;
      char *user = unhex_str(f[4]), after[8192], hash_hex[33];
      uint8_t before[4096], got[4096], pbuf[1024], hash[16];
      size_t blen = unhex(f[6], before, sizeof before), glen = 0;
      uint64_t now = is_bad ? T : strtoull(f[11], NULL, 10);
      matrixauth_outcome out = 0;
      matrixauth_result rc;
      proof = vector_nt_proof(f + 7, pbuf);
      memset(hash, 0xEE, sizeof hash);
      OK(matrixauth_state_from_bytes(kr, user, before, blen, &st));
      if (card_mode)
        rc = matrixauth_authenticator_verify_card_pending_nt(a, user, card, st, &proof, now, &out, hash, sizeof hash);
      else
        rc = matrixauth_authenticator_verify_pending_nt(a, user, cred, st, &proof, now, &out, hash, sizeof hash);
      OK(matrixauth_state_to_bytes(st, kr, user, got, sizeof got, &glen));
      tohex(got, glen, after);
      tohex(hash, sizeof hash, hash_hex);
      if (is_bad) { /* refused before the state is touched; nothing written */
        CHECK_RC(rc, MATRIXAUTH_ERR_INVALID_ARGUMENT);
        CHECK(strcmp(after, f[6]) == 0);
        CHECK(out == 0 && strcmp(hash_hex, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee") == 0);
        nt_bad++;
      } else {
        CHECK_RC(rc, MATRIXAUTH_OK);
        CHECK(out == outcome_of(f[12]));
        /* the PasswordHashHash on accepted only; the buffer untouched otherwise */
        CHECK(strcmp(hash_hex, strcmp(f[13], "-") ? f[13] : "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee") == 0);
        CHECK(strcmp(after, f[14]) == 0);
        if (card_mode) nt_card++;
        if (out == MATRIXAUTH_OUTCOME_ACCEPTED) nt_accepted++;
        nt++;
      }
      free(user);
      matrixauth_card_free(card);
      matrixauth_credential_free(cred);
      matrixauth_state_free(st);
      matrixauth_authenticator_free(a);
      matrixauth_keyring_free(kr);
    } else if (strcmp(f[0], "reissue") == 0) {
      matrixauth_keyring *kr = vector_keyring(fp, f[1]);
      matrixauth_policy *p = NULL;
      matrixauth_authenticator *a = NULL;
      matrixauth_state *st = NULL;
      matrixauth_challenge *ch = NULL;
      char *user = unhex_str(f[4]), digits_text[300];
      uint8_t sbytes[4096], digits[300];
      size_t slen = unhex(f[6], sbytes, sizeof sbytes), n = 0, i;
      OK(matrixauth_policy_new(&p));
      OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_ROWS, strtoull(f[2], NULL, 10)));
      OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_COLS, strtoull(f[3], NULL, 10)));
      OK(matrixauth_policy_set(p, MATRIXAUTH_POLICY_MIN_PATTERN_LEN, 4));
      OK(matrixauth_authenticator_new(kr, p, &a));
      OK(matrixauth_state_from_bytes(kr, user, sbytes, slen, &st));
      OK(matrixauth_authenticator_issue_challenge(a, user, st, strtoull(f[5], NULL, 10), &ch));
      CHECK(matrixauth_challenge_is_reissue(ch));
      CHECK(strcmp(matrixauth_challenge_token(ch), f[7]) == 0);
      OK(matrixauth_challenge_digits(ch, digits, sizeof digits, &n));
      for (i = 0; i < n; i++) digits_text[i] = (char)('0' + digits[i]);
      digits_text[n] = 0;
      CHECK(strcmp(digits_text, f[8]) == 0);
      free(user);
      matrixauth_challenge_free(ch);
      matrixauth_state_free(st);
      matrixauth_authenticator_free(a);
      matrixauth_policy_free(p);
      matrixauth_keyring_free(kr);
      reissue++;
    } else if (strcmp(f[0], "state") == 0) {
      matrixauth_keyring *kr = vector_keyring(fp, f[1]);
      char *user = unhex_str(f[2]);
      uint8_t b[4096], again[4096];
      size_t blen = unhex(f[3], b, sizeof b), alen = 0;
      matrixauth_state *st = NULL;
      OK(matrixauth_state_from_bytes(kr, user, b, blen, &st));
      if (strcmp(f[4], "-") != 0) { /* a record under the current key: fields, and bytes again */
        CHECK(matrixauth_state_version(st) == strtoull(f[4], NULL, 10));
        CHECK(matrixauth_state_consecutive_failures(st) == strtoul(f[5], NULL, 10));
        CHECK(matrixauth_state_failures_since_success(st) == strtoul(f[6], NULL, 10));
        CHECK(matrixauth_state_locked_until(st) == strtoull(f[7], NULL, 10));
        CHECK(matrixauth_state_permanently_locked(st) == (f[8][0] == '1'));
        OK(matrixauth_state_to_bytes(st, kr, user, again, sizeof again, &alen));
        CHECK(alen == blen && memcmp(again, b, blen) == 0);
        states++;
      } else {
        rotated++;
      }
      free(user);
      matrixauth_state_free(st);
      matrixauth_keyring_free(kr);
    } else if (strcmp(f[0], "badstate") == 0) {
      matrixauth_keyring *kr = vector_keyring(fp, f[1]);
      char *user = unhex_str(f[2]);
      uint8_t b[4096];
      size_t blen = strcmp(f[3], "-") == 0 ? 0 : unhex(f[3], b, sizeof b);
      matrixauth_state *st = NULL;
      CHECK_RC(matrixauth_state_from_bytes(kr, user, blen ? b : NULL, blen, &st), MATRIXAUTH_ERR_FORMAT);
      free(user);
      matrixauth_keyring_free(kr);
      bad++;
    } else if (strcmp(f[0], "sealed") == 0) {
      matrixauth_keyring *kr = vector_keyring(fp, f[1]);
      matrixauth_credential *want = vector_credential(fp, f[4]), *got = NULL;
      char *user = unhex_str(f[2]), *wrong = unhex_str(f[5]);
      uint8_t b[1024];
      size_t blen = unhex(f[3], b, sizeof b);
      OK(matrixauth_credential_open(kr, user, b, blen, &got));
      CHECK_RC(matrixauth_credential_open(kr, wrong, b, blen, &got), MATRIXAUTH_ERR_SEAL);
      free(user);
      free(wrong);
      matrixauth_credential_free(got);
      matrixauth_credential_free(want);
      matrixauth_keyring_free(kr);
      sealed++;
    } else if (strcmp(f[0], "ticket") == 0) {
      char *ticket = unhex_str(f[4]), *aud = unhex_str(f[5]), user[256];
      size_t n = 0;
      matrixauth_result rc;
      if (strcmp(tv_group, f[1]) != 0) { /* a new sequence: a fresh verifier */
        matrixauth_keyring *kr = vector_keyring(fp, f[2]);
        matrixauth_ticket_verifier_free(tv);
        tv = NULL;
        OK(matrixauth_ticket_verifier_new(kr, (size_t)strtoul(f[3], NULL, 10), &tv));
        matrixauth_keyring_free(kr);
        snprintf(tv_group, sizeof tv_group, "%s", f[1]);
      }
      rc = matrixauth_ticket_verifier_redeem(tv, ticket, aud, strtoull(f[6], NULL, 10), user, sizeof user, &n);
      if (f[7][0] == '-') {
        CHECK(rc != MATRIXAUTH_OK);
        CHECK(strstr(matrixauth_result_message(rc), f[7] + 1) != NULL ||
              (strcmp(f[7], "-wrong_audience") == 0 && rc == MATRIXAUTH_ERR_TICKET_WRONG_AUDIENCE) ||
              (strcmp(f[7], "-cache_full") == 0 && rc == MATRIXAUTH_ERR_TICKET_CACHE_FULL));
      } else {
        char *want = unhex_str(f[7]);
        CHECK(rc == MATRIXAUTH_OK && strcmp(user, want) == 0);
        free(want);
      }
      free(ticket);
      free(aud);
      tickets++;
    }
    fseek(fp, pos, SEEK_SET);
  }
  matrixauth_ticket_verifier_free(tv);
  fclose(fp);
  CHECK(verify >= 20 && reissue == 4 && states == 4 && rotated == 1 && bad == 8 && sealed == 4 && tickets == 9 &&
        cardv == 10 && pending >= 5);
  CHECK(nt >= 40 && nt_card >= 8 && nt_accepted >= 10 && nt_bad == 6);
  printf("golden vectors: %d verify, %d card verify (%d without a token), %d re-issue, %d state, %d corrupt state, "
         "%d sealed, %d ticket\n",
         verify, cardv, pending, reissue, states + rotated, bad, sealed, tickets);
  printf("golden vectors: %d MSCHAPv2 (%d card, %d accepted with their PasswordHashHash), %d malformed proofs\n", nt,
         nt_card, nt_accepted, nt_bad);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s VECTORS.tsv EXPECTED_VERSION\n", argv[0]);
    return 2;
  }
  test_version(argv[2]);
  test_result_messages();
  test_panic_boundary();
  test_pattern_login_and_ticket();
  test_lockout();
  test_answer_oracle();
  test_cards();
  test_null_arguments();
  test_buffers_utf8_and_hostile_input();
  test_nt_arguments();
  test_audit_callback();
  test_vectors(argv[1]);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
