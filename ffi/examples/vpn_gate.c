/*
 * vpn_gate: an appliance-style login gate built on libmatrixauth.
 *
 *   vpn_gate DIR enroll USER FIXED POS CELL...   enrol a pattern (sealed, in DIR)
 *   vpn_gate DIR login USER                      show a grid, read the answer from stdin, verify,
 *                                                 then issue a login ticket and redeem it as the
 *                                                 VPN side would (twice: the replay is refused)
 *   vpn_gate DIR status USER                     print the user's failure counters and lock
 *
 * DIR holds the server key (DIR/server.key, created on first use, mode 0600), sealed credentials
 * and user states. A model of what an appliance must do:
 * - User ids never become paths as they are: a file name is "u-" plus the id in hex, and ids
 *   longer than 100 bytes are refused, so "../x" or "a/b" cannot leave DIR.
 * - Every read-modify-write of a user's state holds that user's lock (a POSIX record lock on
 *   its .lock file) from the read to the rename, and the answer is verified against the state
 *   read under the lock, not the one read before the user typed. Concurrent logins of one user
 *   therefore lose no counted failure.
 * - Every state change is written to a temporary file and renamed over the old one, so a crash
 *   never leaves a half-written state. States are authenticated by the library (bound to the
 *   user id and the key): one edited or copied from another user is refused.
 * Build:
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

/* Longest user id accepted: its hex form must fit a file name (255 bytes) with room to spare. */
#define MAX_USER 100

/* DIR/u-<hex of user>.<ext>: the only way a user id reaches the file system. */
static int user_path(char *out, size_t cap, const char *dir, const char *user, const char *ext) {
  static const char hexd[] = "0123456789abcdef";
  char name[2 * MAX_USER + 1];
  size_t i, n = strlen(user);
  if (n == 0 || n > MAX_USER) return -1;
  for (i = 0; i < n; i++) {
    name[2 * i] = hexd[(unsigned char)user[i] >> 4];
    name[2 * i + 1] = hexd[(unsigned char)user[i] & 15];
  }
  name[2 * n] = 0;
  return snprintf(out, cap, "%s/u-%s.%s", dir, name, ext) < (int)cap ? 0 : -1;
}

/* Takes the user's lock (blocking); returns the descriptor to pass to unlock_user, or -1. */
static int lock_user(const char *dir, const char *user) {
  char path[4096];
  struct flock fl;
  int fd;
  if (user_path(path, sizeof path, dir, user, "lock") != 0) return -1;
  fd = open(path, O_RDWR | O_CREAT, 0600);
  if (fd < 0) return -1;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  while (fcntl(fd, F_SETLKW, &fl) != 0) {
    if (errno != EINTR) {
      close(fd);
      return -1;
    }
  }
  return fd;
}

static void unlock_user(int fd) {
  if (fd >= 0) close(fd); /* closing releases the record lock */
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

/* Loads the user's state (a new one if there is none); call with the user's lock held. */
static matrixauth_result load_state(const char *dir, matrixauth_keyring *kr, const char *user,
                                    matrixauth_state **st) {
  char path[4096];
  uint8_t buf[4096];
  long n;
  if (user_path(path, sizeof path, dir, user, "state") != 0) return MATRIXAUTH_ERR_INVALID_USER_ID;
  n = read_file(path, buf, sizeof buf);
  return n < 0 ? matrixauth_state_new(st) : matrixauth_state_from_bytes(kr, user, buf, (size_t)n, st);
}

/* Stores the state; call with the user's lock held. */
static int save_state(const char *dir, matrixauth_keyring *kr, const char *user, const matrixauth_state *st) {
  char path[4096];
  uint8_t bytes[4096];
  size_t n = 0;
  matrixauth_result rc = matrixauth_state_to_bytes(st, kr, user, bytes, sizeof bytes, &n);
  if (rc != MATRIXAUTH_OK) return fail("state_to_bytes", rc);
  if (user_path(path, sizeof path, dir, user, "state") != 0) return 1;
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
  if (user_path(path, sizeof path, dir, user, "cred") != 0) return fail("enroll", MATRIXAUTH_ERR_INVALID_USER_ID);
  if (write_atomic(path, sealed, n, 0600) != 0) return 1;
  printf("enrolled %s: %u cells, one online guess succeeds with probability %.0e\n", user, s.pattern_len,
         s.guess_probability);
  return 0;
}

static const char *outcome_name(matrixauth_outcome o) {
  static const char *names[] = {"?", "accepted", "rejected", "locked", "expired", "duplicate", "stale", "invalid"};
  return (unsigned)o < 8 ? names[o] : "?";
}

static int login(const char *dir, matrixauth_keyring *kr, matrixauth_authenticator *auth, const char *user) {
  char path[4096], grid[1024], answer[512], token[1024], ticket[1024], who[256];
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
  int status = 1, lock;
  uint64_t version;

  if (user_path(path, sizeof path, dir, user, "cred") != 0) return fail("login", MATRIXAUTH_ERR_INVALID_USER_ID);
  n = read_file(path, buf, sizeof buf);
  /* Unknown users get a decoy credential: same work, same answers, no account enumeration. */
  rc = n < 0 ? matrixauth_authenticator_decoy_credential(auth, &cred)
             : matrixauth_credential_open(kr, user, buf, (size_t)n, &cred);
  if (rc != MATRIXAUTH_OK) return fail("credential", rc);

  /* Issue under the user's lock: read, issue (or re-present the pending challenge), store. */
  lock = lock_user(dir, user);
  if (lock < 0) {
    fprintf(stderr, "vpn_gate: cannot lock the user's state\n");
    goto out;
  }
  rc = load_state(dir, kr, user, &st);
  if (rc != MATRIXAUTH_OK) {
    unlock_user(lock);
    fail("state", rc);
    goto out;
  }
  version = matrixauth_state_version(st);
  rc = matrixauth_authenticator_issue_challenge(auth, user, st, now, &ch);
  if (rc == MATRIXAUTH_OK && matrixauth_state_version(st) != version && save_state(dir, kr, user, st) != 0)
    rc = MATRIXAUTH_ERR_INVALID_ARGUMENT;
  unlock_user(lock);
  matrixauth_state_free(st);
  st = NULL;
  if (rc == MATRIXAUTH_ERR_LOCKED) {
    printf("locked\n");
    goto out;
  }
  if (rc != MATRIXAUTH_OK) {
    fail("issue", rc);
    goto out;
  }
  snprintf(token, sizeof token, "%s", matrixauth_challenge_token(ch));
  if (matrixauth_challenge_render_text(ch, grid, sizeof grid, &len) != MATRIXAUTH_OK) goto out;
  printf("%s", grid);
  printf("answer: ");
  fflush(stdout);
  if (!fgets(answer, sizeof answer, stdin)) goto out;
  answer[strcspn(answer, "\r\n")] = 0;

  /* Verify under the lock, against the state as it is now: another login of the same user may
     have counted failures (or locked it) while this one waited for the answer. */
  lock = lock_user(dir, user);
  if (lock < 0) {
    fprintf(stderr, "vpn_gate: cannot lock the user's state\n");
    goto out;
  }
  rc = load_state(dir, kr, user, &st);
  if (rc == MATRIXAUTH_OK) {
    version = matrixauth_state_version(st);
    rc = matrixauth_authenticator_verify(auth, user, cred, st, token, answer, (uint64_t)time(NULL), &outcome);
  }
  if (rc == MATRIXAUTH_OK && matrixauth_state_version(st) != version && save_state(dir, kr, user, st) != 0)
    rc = MATRIXAUTH_ERR_INVALID_ARGUMENT;
  unlock_user(lock);
  memset(answer, 0, sizeof answer);
  if (rc != MATRIXAUTH_OK) {
    fail("verify", rc);
    goto out;
  }
  if (outcome != MATRIXAUTH_OUTCOME_ACCEPTED) {
    printf("login refused: %s\n", outcome_name(outcome));
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

static int status_of(const char *dir, matrixauth_keyring *kr, const char *user) {
  matrixauth_state *st = NULL;
  matrixauth_result rc;
  int lock = lock_user(dir, user);
  if (lock < 0) return fail("status", MATRIXAUTH_ERR_INVALID_USER_ID);
  rc = load_state(dir, kr, user, &st);
  unlock_user(lock);
  if (rc != MATRIXAUTH_OK) return fail("state", rc);
  printf("failures_since_success=%u consecutive_failures=%u locked=%d permanently_locked=%d\n",
         matrixauth_state_failures_since_success(st), matrixauth_state_consecutive_failures(st),
         matrixauth_state_is_locked(st, (uint64_t)time(NULL)), matrixauth_state_permanently_locked(st));
  matrixauth_state_free(st);
  return 0;
}

int main(int argc, char **argv) {
  matrixauth_keyring *kr;
  matrixauth_policy *policy = NULL;
  matrixauth_authenticator *auth = NULL;
  int status = 2;
  if (argc < 4 || (strcmp(argv[2], "enroll") == 0 && argc < 8)) {
    fprintf(stderr, "usage: %s DIR enroll USER FIXED POS CELL... | %s DIR login|status USER\n", argv[0], argv[0]);
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
  } else if (strcmp(argv[2], "status") == 0) {
    status = status_of(argv[1], kr, argv[3]);
  }
  matrixauth_authenticator_free(auth);
  matrixauth_policy_free(policy);
  matrixauth_keyring_free(kr);
  return status;
}
