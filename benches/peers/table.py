"""Builds the benchmark table of scripts/bench.sh from criterion's estimates and the peers'
JSON lines. Usage: table.py CRITERION_DIR PEERS_JSONL"""

import json
import pathlib
import sys

crit = pathlib.Path(sys.argv[1])
peers = {}
radius_run = None
eap_run = None
saml = []
clusters = []
cluster_cpu = None
for line in pathlib.Path(sys.argv[2]).read_text().splitlines():
    if line.startswith("{"):
        d = json.loads(line)
        if d["name"] == "radius_logins":
            radius_run = d
        elif d["name"] == "radius_eap_logins":
            eap_run = d
        elif d["name"].startswith("saml_"):
            saml.append(d)
        elif d["name"] == "cluster_pg-2_cpu":
            cluster_cpu = d
        elif d["name"].startswith("cluster_"):
            clusters.append(d)
        else:
            peers[d["name"]] = d["ns_per_op"]


def est(group, name):
    f = crit / group / name / "new" / "estimates.json"
    if not f.exists():
        return None
    return json.loads(f.read_text())["mean"]["point_estimate"]


fl = {n: est("floor", n) for n in [
    "hmac_sha256_51B", "hmac_sha256_64B", "hmac_sha256_105B", "hmac_sha256_128B", "sha256_64B", "sha256_100B", "chacha20_block", "xchacha20_64B", "aead_seal_32B", "aead_open_32B",
    "os_random_24B", "os_random_4B", "mschapv2_rustcrypto"]}

# The cryptographic work each operation cannot avoid (docs/BENCHMARKS.md explains each line).
FLOORS = {
    "issue_challenge": [("os_random_24B", 1), ("hmac_sha256_105B", 1), ("xchacha20_64B", 1)],
    "verify_right": [("hmac_sha256_105B", 1), ("hmac_sha256_51B", 1), ("xchacha20_64B", 1)],
    "verify_wrong": [("hmac_sha256_105B", 1), ("hmac_sha256_51B", 1), ("xchacha20_64B", 1)],
    "nt_verify_right": [("hmac_sha256_105B", 1), ("hmac_sha256_51B", 1), ("xchacha20_64B", 1), ("mschapv2_rustcrypto", 1)],
    "nt_check": [("mschapv2_rustcrypto", 1)],
    "card_issue": [("os_random_24B", 1), ("os_random_4B", 3), ("hmac_sha256_105B", 1)],
    "card_verify": [("hmac_sha256_105B", 1), ("hmac_sha256_51B", 1)],
    "state_to_bytes": [("hmac_sha256_128B", 1)],
    "state_from_bytes": [("hmac_sha256_128B", 1)],
    "seal": [("os_random_24B", 1), ("aead_seal_32B", 1)],
    "open": [("aead_open_32B", 1)],
    "ticket_issue": [("os_random_24B", 1), ("hmac_sha256_64B", 1)],
    "ticket_redeem": [("hmac_sha256_64B", 1)],
}
PEER = {"verify_right": "totp_rs_verify"}


def fmt(ns):
    if ns is None:
        return "—"
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


print("| operation | time per op | floor | ratio to floor | peer | ratio to peer |")
print("|---|---|---|---|---|---|")
for op, parts in FLOORS.items():
    t = est("op", op)
    floor = sum(fl[p] * k for p, k in parts) if all(fl[p] is not None for p, _ in parts) else None
    peer_name = PEER.get(op)
    peer = est("peer", peer_name) if peer_name else None
    r_floor = f"{t / floor:.2f}×" if t and floor else "—"
    r_peer = f"{t / peer:.2f}× ({peer_name})" if t and peer else "—"
    floor_desc = " + ".join(f"{k}×{p}" if k > 1 else p for p, k in parts)
    print(f"| {op} | {fmt(t)} | {fmt(floor)} ({floor_desc}) | {r_floor} | {fmt(peer)} | {r_peer} |")

print()
print("| frontend | matrixauth verify (incl. state decode) | peer TOTP verify | ratio |")
print("|---|---|---|---|")
for lang, ours, theirs, label in [
    ("Python", "python_matrixauth_verify_right", "python_pyotp_totp_verify", "pyotp"),
    ("Node (WASM)", "node_wasm_verify_right", "node_otplib_totp_verify", "otplib"),
    ("C", "c_matrixauth_verify_right", "c_liboath_totp_validate", "liboath"),
]:
    a, b = peers.get(ours), peers.get(theirs)
    ratio = f"{a / b:.2f}×" if a and b else "not measured"
    print(f"| {lang} | {fmt(a)} | {fmt(b)} ({label}) | {ratio} |")

print()
print("| floor primitive | time |")
print("|---|---|")
for n, v in fl.items():
    print(f"| {n} | {fmt(v)} |")

if radius_run:
    r = radius_run
    print()
    print("| RADIUS, loopback, SQLite | logins/s | p50 | p99 | concurrent users | logins |")
    print("|---|---|---|---|---|---|")
    print(f"| challenge + answer + accept | {r['logins_per_second']} | {r['p50_ms']} ms | {r['p99_ms']} ms "
          f"| {r['concurrency']} | {r['logins']} in {r['seconds']} s |")
    if eap_run:
        e = eap_run
        print(f"| EAP-MSCHAPv2: portal grid, 4 round trips, MPPE keys | {e['logins_per_second']} | {e['p50_ms']} ms "
              f"| {e['p99_ms']} ms | {e['concurrency']} | {e['logins']} in {e['seconds']} s |")

if clusters:
    print()
    print("| deployment (RADIUS logins, loopback) | nodes | logins/s | p50 | p99 | concurrent users |")
    print("|---|---|---|---|---|---|")
    names = {"cluster_sqlite": "one node, SQLite", "cluster_pg-1": "one node, PostgreSQL",
             "cluster_pg-2": "two nodes, one PostgreSQL"}
    for c in clusters:
        print(f"| {names.get(c['name'], c['name'])} | {c['nodes']} | {c['logins_per_second']} | {c['p50_ms']} ms "
              f"| {c['p99_ms']} ms | {c['users']} |")
    if cluster_cpu:
        print(f"\nDuring the two-node run ({cluster_cpu['seconds']} s on {cluster_cpu['cores']} cores): PostgreSQL "
              f"used {cluster_cpu['postgres_cpu_seconds']} CPU-seconds, the two nodes {cluster_cpu['nodes_cpu_seconds']}.")

logins = [d for d in saml if d["name"] == "saml_logins"]
if logins:
    print()
    print("| SAML, loopback, SQLite | logins/s | p50 | p99 | concurrent users | logins |")
    print("|---|---|---|---|---|---|")
    for d in logins:
        print(f"| request + grid + answer + signed Response | {d['per_second']} | {d['p50_ms']} ms | {d['p99_ms']} ms "
              f"| {d['threads']} | {d['logins']} ({d['failed']} failed) |")
for d in saml:
    if d["name"] == "saml_signing":
        print()
        print("| SAML signing | time | floor (one P-256 signature) | ratio |")
        print("|---|---|---|---|")
        print(f"| sign_enveloped, {d['assertion_bytes']}-byte assertion | {d['sign_enveloped_us']} µs "
              f"| {d['p256_sign_us']} µs | {d['ratio']} |")
