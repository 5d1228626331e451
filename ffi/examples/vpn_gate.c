/*
 * vpn_gate: an appliance-style login gate built on libmatrixauth.
 *
 *   vpn_gate DIR enroll USER FIXED POS CELL...   enrol a pattern (sealed to DIR/USER.cred)
 *   vpn_gate DIR login USER                      show a grid, read the answer from stdin, verify,
 *                                                 then issue a login ticket and redeem it as the
 *                                                 VPN side would (twice: the replay is refused)
 *
 * DIR holds the server key (DIR/server.key, created on first use, mode 0600), sealed credentials
 * and user states. Every state change is written to a temporary file and renamed over the old
 * one, so a crash never leaves a half-written state. Build:
 *   cc vpn_gate.c $(pkg-config --cflags --libs matrixauth) -o vpn_gate
 */
#define _POSIX_C_SOURCE 200809L
#include <matrixauth.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what, matrixauth_result rc) {
  fprintf(stderr, "vpn_gate: %s: %s\n", what, matrixauth_result_message(rc));
  return 1;
}

static long read_file(const char *path, uint8_t *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  size_t n;
  if (!f) return -1;
  n = fread(buf, 1, cap, f);
  fclose(f);
  return (long)n;
}

/* Writes DIR/NAME atomically: write a temporary file, fsync, rename. */
static int write_atomic(const char *path, const uint8_t *data, size_t len, mode_t mode) {
  char tmp[4096];
  int fd;
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return -1;
  if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
    close(fd);
    unlink(tmp);
    return -1;
  }
  close(fd);
  return rename(tmp, path);
}

static matrixauth_keyring *load_keyring(const char *dir) {
  char path[4096];
  uint8_t key[32];
  matrixauth_keyring *kr = NULL;
  snprintf(path, sizeof path, "%s/server.key", dir);
  if (read_file(path, key, sizeof key) != 32) {
    if (matrixauth_generate_key(key, sizeof key) != MATRIXAUTH_OK || write_atomic(path, key, 32, 0600) != 0) {
      fprintf(stderr, "vpn_gate: cannot create %s\n", path);
      return NULL;
    }
  }
  if (matrixauth_keyring_new(key, sizeof key, 1, &kr) != MATRIXAUTH_OK) kr = NULL;
  memset(key, 0, sizeof key); /* the library keeps its own (wiped) copy */
  return kr;
}

static int save_state(const char *dir, const char *user, const matrixauth_state *st) {
  char path[4096];
  uint8_t bytes[4096];
  size_t n = 0;
  matrixauth_result rc = matrixauth_state_to_bytes(st, bytes, sizeof bytes, &n);
  if (rc != MATRIXAUTH_OK) return fail("state_to_bytes", rc);
  snprintf(path, sizeof path, "%s/%s.state", dir, user);
  if (write_atomic(path, bytes, n, 0600) != 0) {
    fprintf(stderr, "vpn_gate: cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}

static int enroll(const char *dir, matrixauth_keyring *kr, matrixauth_authenticator *auth, int argc, char **argv) {
  const char *user = argv[0], *fixed = argv[1];
  size_t pos = (size_t)strtoul(argv[2], NULL, 10), n = 0;
  matrixauth_credential *cred = NULL;
  matrixauth_strength s;
  uint8_t sealed[512];
  char path[4096];
  matrixauth_result rc = matrixauth_credential_from_names((const char *const *)(argv + 3), (size_t)(argc - 3), fixed,
                                                          pos, &cred);
  if (rc != MATRIXAUTH_OK) return fail("credential", rc);
  rc = matrixauth_authenticator_check_credential(auth, cred);
  if (rc == MATRIXAUTH_OK) rc = matrixauth_authenticator_strength(auth, cred, &s);
  if (rc == MATRIXAUTH_OK) rc = matrixauth_credential_seal(cred, kr, user, sealed, sizeof sealed, &n);
  matrixauth_credential_free(cred);
  if (rc != MATRIXAUTH_OK) return fail("enroll", rc);
  snprintf(path, sizeof path, "%s/%s.cred", dir, user);
  if (write_atomic(path, sealed, n, 0600) != 0) return 1;
  printf("enrolled %s: %u cells, one online guess succeeds with probability %.0e\n", user, s.pattern_len,
         s.guess_probability);
  return 0;
}

static int login(const char *dir, matrixauth_keyring *kr, matrixauth_authenticator *auth, const char *user) {
  char path[4096], grid[1024], answer[512], ticket[1024], who[256];
  uint8_t buf[4096];
  long n;
  size_t len = 0;
  uint64_t now = (uint64_t)time(NULL);
  matrixauth_credential *cred = NULL;
  matrixauth_state *st = NULL;
  matrixauth_challenge *ch = NULL;
  matrixauth_ticket_verifier *vpn = NULL;
  matrixauth_outcome outcome = 0;
  matrixauth_result rc;
  int status = 1;

  snprintf(path, sizeof path, "%s/%s.cred", dir, user);
  n = read_file(path, buf, sizeof buf);
  /* Unknown users get a decoy credential: same work, same answers, no account enumeration. */
  rc = n < 0 ? matrixauth_authenticator_decoy_credential(auth, &cred)
             : matrixauth_credential_open(kr, user, buf, (size_t)n, &cred);
  if (rc != MATRIXAUTH_OK) return fail("credential", rc);

  snprintf(path, sizeof path, "%s/%s.state", dir, user);
  n = read_file(path, buf, sizeof buf);
  rc = n < 0 ? matrixauth_state_new(&st) : matrixauth_state_from_bytes(buf, (size_t)n, &st);
  if (rc != MATRIXAUTH_OK) {
    fail("state", rc);
    goto out;
  }

  rc = matrixauth_authenticator_issue_challenge(auth, user, st, now, &ch);
  if (rc == MATRIXAUTH_ERR_LOCKED) {
    if (matrixauth_state_permanently_locked(st))
      printf("locked until an administrator unlocks the account\n");
    else
      printf("locked until %llu\n", (unsigned long long)matrixauth_state_locked_until(st));
    goto out;
  }
  if (rc != MATRIXAUTH_OK || save_state(dir, user, st) != 0) {
    fail("issue", rc);
    goto out;
  }
  if (matrixauth_challenge_render_text(ch, grid, sizeof grid, &len) != MATRIXAUTH_OK) goto out;
  printf("%s", grid);
  printf("answer: ");
  fflush(stdout);
  if (!fgets(answer, sizeof answer, stdin)) goto out;
  answer[strcspn(answer, "\r\n")] = 0;

  rc = matrixauth_authenticator_verify(auth, user, cred, st, matrixauth_challenge_token(ch), answer,
                                       (uint64_t)time(NULL), &outcome);
  memset(answer, 0, sizeof answer);
  if (rc != MATRIXAUTH_OK || save_state(dir, user, st) != 0) {
    fail("verify", rc);
    goto out;
  }
  if (outcome != MATRIXAUTH_OUTCOME_ACCEPTED) {
    printf("login refused (outcome %u, %u consecutive failures)\n", (unsigned)outcome,
           matrixauth_state_consecutive_failures(st));
    goto out;
  }
  printf("login accepted\n");

  /* Hand-off: the web login issues a ticket; the VPN side redeems it once. */
  rc = matrixauth_authenticator_issue_ticket(auth, user, "vpn_gate", now, ticket, sizeof ticket, &len);
  if (rc == MATRIXAUTH_OK) rc = matrixauth_ticket_verifier_new(kr, 1024, &vpn);
  if (rc == MATRIXAUTH_OK) rc = matrixauth_ticket_verifier_redeem(vpn, ticket, "vpn_gate", now, who, sizeof who, &len);
  if (rc != MATRIXAUTH_OK) {
    fail("ticket", rc);
    goto out;
  }
  printf("VPN session opened for %s\n", who);
  rc = matrixauth_ticket_verifier_redeem(vpn, ticket, "vpn_gate", now, who, sizeof who, &len);
  printf("replayed ticket: %s\n", matrixauth_result_message(rc));
  status = rc == MATRIXAUTH_ERR_TICKET_REPLAYED ? 0 : 1;
out:
  matrixauth_ticket_verifier_free(vpn);
  matrixauth_challenge_free(ch);
  matrixauth_state_free(st);
  matrixauth_credential_free(cred);
  return status;
}

int main(int argc, char **argv) {
  matrixauth_keyring *kr;
  matrixauth_policy *policy = NULL;
  matrixauth_authenticator *auth = NULL;
  int status = 2;
  if (argc < 4 || (strcmp(argv[2], "enroll") == 0 && argc < 8)) {
    fprintf(stderr, "usage: %s DIR enroll USER FIXED POS CELL... | %s DIR login USER\n", argv[0], argv[0]);
    return 2;
  }
  mkdir(argv[1], 0700);
  kr = load_keyring(argv[1]);
  if (!kr || matrixauth_policy_new(&policy) != MATRIXAUTH_OK ||
      matrixauth_authenticator_new(kr, policy, &auth) != MATRIXAUTH_OK) {
    fprintf(stderr, "vpn_gate: cannot set up\n");
  } else if (strcmp(argv[2], "enroll") == 0) {
    status = enroll(argv[1], kr, auth, argc - 3, argv + 3);
  } else if (strcmp(argv[2], "login") == 0) {
    status = login(argv[1], kr, auth, argv[3]);
  }
  matrixauth_authenticator_free(auth);
  matrixauth_policy_free(policy);
  matrixauth_keyring_free(kr);
  return status;
}
