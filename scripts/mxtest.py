"""Helpers the real-peer test scripts share (radius_peers.py, cluster_checks.py): HTTP calls to a
running `matrixauth serve`, answers read off a grid, and Debian's radclient."""
import json
import re
import subprocess
import urllib.error
import urllib.request

CELLS = ["B2", "G3", "D5", "A8", "H1", "E6"]
MA = "Message-Authenticator = 0x00"


def http(port, path, body=None, timeout=10):
    """POST body as JSON (GET without one), as the portal's own pages do; returns (status, JSON)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 headers={"content-type": "application/json", "origin": f"http://127.0.0.1:{port}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read()
            return r.status, (json.loads(text) if r.headers.get_content_type() == "application/json" else text)
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text or b"null")
        except ValueError:
            return e.code, text


def answer(rows):
    """The answer for CELLS, fixed string 'pw' after two digits, from rows of digits."""
    digits = [str(rows[int(c[1:]) - 1][ord(c[0]) - 65]) for c in CELLS]
    return "".join(digits[:2]) + "pw" + "".join(digits[2:])


def rows_from_text(text):
    return [[int(d) for d in line.split()[1:]] for line in text.splitlines()
            if re.fullmatch(r"\s*\d+( \d)+\s*", line)]


def radclient(port, attrs, secret, code="auth", timeout=2):
    """Sends one request with radclient; returns (reply code or None, reply attribute lines, output)."""
    p = subprocess.run(["radclient", "-x", "-t", str(timeout), "-r", "1", f"127.0.0.1:{port}", code, secret],
                       input=attrs, capture_output=True, text=True, timeout=30)
    m = re.search(r"^Received (\S+) Id", p.stdout, re.M)
    reply = p.stdout[m.end():] if m else ""
    return (m.group(1) if m else None), reply, p.stdout + p.stderr


def reply_text(reply):
    parts = re.findall(r'Reply-Message = "((?:[^"\\]|\\.)*)"', reply)
    return "".join(bytes(s, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") for s in parts)


def state_of(reply):
    m = re.search(r"State = 0x([0-9a-f]+)", reply)
    return m.group(1) if m else None


def card_values(card_text):
    """The values of a printed grid card (`matrixauth card USER`), by cell name ("B3": "7K")."""
    lines = card_text.splitlines()
    cols = lines[1].split()
    values = {}
    for line in lines[2:]:
        parts = line.split()
        for col, v in zip(cols, parts[1:]):
            values[f"{col}{parts[0]}"] = v
    return values


def enrol_links(port, path):
    """Enrols, through the portal on PORT, every invitation in PATH (lines of `matrixauth users
    invite USER --json`) with the pattern CELLS and 'pw' after two digits."""
    for line in open(path):
        invite = json.loads(line)["link"].split("#invite=")[1]
        status, body = http(port, "/api/enroll", {"invite": invite, "cells": CELLS, "fixed": "pw", "fixedAt": 2})
        if status != 201:
            raise SystemExit(f"enrollment failed: {status} {body}")


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["enrol"] and len(sys.argv) == 4:
        enrol_links(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: mxtest.py enrol HTTP_PORT LINKS_FILE")
