/*
 * Probe for the whole-call instruction-count test (scripts/ct-count.sh): one call of
 * matrixauth_authenticator_verify (or _verify_card) through the C library, for the secret
 * class named on the command line.
 *
 *   ct_probe setup DIR    issue one pattern and one card challenge; write their tokens and
 *                         state bytes to DIR (the nonce is random, so every class then
 *                         verifies against the same challenge)
 *   ct_probe CLASS DIR    load them and verify once with the class's credential or card
 *
 * Classes differ only in secrets: the pattern (4, 6, 16 cells), the fixed string (0, 2, 32
 * characters, at the front, in the middle, at the end), the decoy credential, or the card's
 * values. The user, token, state bytes, typed answer and time are the same for all, and every
 * answer is wrong, so callgrind must count the same instructions for every class, allocator
 * included.
 */
#include <matrixauth.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T 1800000000ull
static const uint8_t KEY[32] = {0x42, 1, 2, 3};
static const char *TYPED = "0000000000";    /* wrong for every pattern class */
static const char *CARD_TYPED = "ZZZZZZ";    /* wrong for every card class (digit cards) */

static void die(const char *what, matrixauth_result rc) {
  fprintf(stderr, "ct_probe: %s: %s\n", what, matrixauth_result_message(rc));
  exit(3);
}

static void check(const char *what, matrixauth_result rc) {
  if (rc != MATRIXAUTH_OK) die(what, rc);
}

static void put(const char *dir, const char *name, const void *data, size_t len) {
  char path[4096];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len) die("write", MATRIXAUTH_ERR_INVALID_ARGUMENT);
  fclose(f);
}

static size_t get(const char *dir, const char *name, void *buf, size_t cap) {
  char path[4096];
  FILE *f;
  size_t n;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "rb");
  if (!f) die("read", MATRIXAUTH_ERR_INVALID_ARGUMENT);
  n = fread(buf, 1, cap - 1, f);
  fclose(f);
  ((char *)buf)[n] = 0;
  return n;
}

static matrixauth_card *card_of(int seed) {
  char values[129];
  matrixauth_card *card = NULL;
  int i;
  for (i = 0; i < 128; i++) values[i] = (char)('0' + (i * 7 + seed * 13 + i / 3) % 10);
  values[128] = 0;
  check("card", matrixauth_card_from_values("PROBE", 8, 8, 2, MATRIXAUTH_ALPHABET_DIGITS, 0, values, &card));
  return card;
}

struct pattern_class {
  const char *name;
  const char *cells[16];
  size_t len;
  const char *fixed;
  size_t fixed_at;
};

static const struct pattern_class PATTERNS[] = {
    {"p4_f0", {"C3", "F2", "A6", "H7"}, 4, "", 0},
    {"p4_f2_end", {"C3", "F2", "A6", "H7"}, 4, "pw", 4},
    {"p6_f2_middle", {"B2", "G3", "D5", "A8", "H1", "E6"}, 6, "pw", 3},
    /* Right answers as long as the typed one (10 bytes): a length check that exits early
       would run the full comparison for these two only. */
    {"p8_f2_middle_len10", {"B2", "G3", "D5", "A8", "H1", "E6", "C4", "F7"}, 8, "pw", 4},
    {"p6_f4_end_len10", {"B2", "G3", "D5", "A8", "H1", "E6"}, 6, "abcd", 6},
    {"p6_f32_front", {"B2", "G3", "D5", "A8", "H1", "E6"}, 6, "Fixed-String_32chars+!#$%&()*,.;", 0},
    {"p16_f0", {"A1", "B3", "C5", "D7", "E2", "F4", "G6", "H8", "A3", "B5", "C7", "D1", "E4", "F6", "G8", "H2"},
     16, "", 0},
    {"p16_f2_front", {"A1", "B3", "C5", "D7", "E2", "F4", "G6", "H8", "A3", "B5", "C7", "D1", "E4", "F6", "G8", "H2"},
     16, "pw", 0},
    {"p16_f32_end", {"A1", "B3", "C5", "D7", "E2", "F4", "G6", "H8", "A3", "B5", "C7", "D1", "E4", "F6", "G8", "H2"},
     16, "Fixed-String_32chars+!#$%&()*,.;", 16},
};

int main(int argc, char **argv) {
  matrixauth_keyring *kr = NULL;
  matrixauth_policy *policy = NULL;
  matrixauth_authenticator *auth = NULL;
  matrixauth_state *st = NULL;
  matrixauth_outcome out = 0;
  char token[1024];
  uint8_t state[4096];
  size_t n = 0, i;
  if (argc != 3) {
    fprintf(stderr, "usage: %s setup|CLASS DIR\n", argv[0]);
    return 2;
  }
  check("keyring", matrixauth_keyring_new(KEY, sizeof KEY, 1, &kr));
  check("policy", matrixauth_policy_new(&policy));
  check("policy", matrixauth_policy_set(policy, MATRIXAUTH_POLICY_MIN_PATTERN_LEN, 4));
  check("authenticator", matrixauth_authenticator_new(kr, policy, &auth));

  if (strcmp(argv[1], "setup") == 0) {
    matrixauth_challenge *ch = NULL;
    matrixauth_card_challenge *cc = NULL;
    matrixauth_card *card = card_of(1);
    check("state", matrixauth_state_new(&st));
    check("issue", matrixauth_authenticator_issue_challenge(auth, "alice", st, T, &ch));
    put(argv[2], "token", matrixauth_challenge_token(ch), strlen(matrixauth_challenge_token(ch)));
    check("state", matrixauth_state_to_bytes(st, kr, "alice", state, sizeof state, &n));
    put(argv[2], "state", state, n);
    matrixauth_state_free(st);
    check("state", matrixauth_state_new(&st));
    check("card issue", matrixauth_authenticator_issue_card_challenge(auth, "alice", card, st, T, &cc));
    put(argv[2], "card_token", matrixauth_card_challenge_token(cc), strlen(matrixauth_card_challenge_token(cc)));
    check("state", matrixauth_state_to_bytes(st, kr, "alice", state, sizeof state, &n));
    put(argv[2], "card_state", state, n);
    matrixauth_challenge_free(ch);
    matrixauth_card_challenge_free(cc);
    matrixauth_card_free(card);
    printf("setup: done\n");
  } else if (strncmp(argv[1], "card_", 5) == 0) {
    matrixauth_card *card = card_of(atoi(argv[1] + 5));
    get(argv[2], "card_token", token, sizeof token);
    n = get(argv[2], "card_state", state, sizeof state);
    check("state", matrixauth_state_from_bytes(kr, "alice", state, n, &st));
    check("verify_card", matrixauth_authenticator_verify_card(auth, "alice", card, st, token, CARD_TYPED, T + 5, &out));
    printf("%s: outcome %u\n", argv[1], (unsigned)out);
    matrixauth_card_free(card);
  } else {
    matrixauth_credential *cred = NULL;
    if (strcmp(argv[1], "decoy") == 0) {
      check("decoy", matrixauth_authenticator_decoy_credential(auth, &cred));
    } else {
      for (i = 0; i < sizeof PATTERNS / sizeof PATTERNS[0]; i++)
        if (strcmp(PATTERNS[i].name, argv[1]) == 0)
          check("credential", matrixauth_credential_from_names(PATTERNS[i].cells, PATTERNS[i].len, PATTERNS[i].fixed,
                                                               PATTERNS[i].fixed_at, &cred));
      if (!cred) {
        fprintf(stderr, "unknown class %s\n", argv[1]);
        return 2;
      }
    }
    get(argv[2], "token", token, sizeof token);
    n = get(argv[2], "state", state, sizeof state);
    check("state", matrixauth_state_from_bytes(kr, "alice", state, n, &st));
    check("verify", matrixauth_authenticator_verify(auth, "alice", cred, st, token, TYPED, T + 5, &out));
    printf("%s: outcome %u\n", argv[1], (unsigned)out);
    matrixauth_credential_free(cred);
  }
  matrixauth_state_free(st);
  matrixauth_authenticator_free(auth);
  matrixauth_policy_free(policy);
  matrixauth_keyring_free(kr);
  return 0;
}
