"""Federation against real peers (issue 22), run by scripts/federation-test.sh with Debian's
/usr/bin/python3: pysaml2 as the SAML service provider (it signs its AuthnRequests with RSA-SHA256
over the Redirect binding, and validates our Response: signatures through xmlsec1, conditions,
audience, InResponseTo), xmlsec1 --verify on every signed message, and authlib as the OpenID
Connect relying party (code + PKCE, the ID token checked against the JWKS, nonce). The grid is
answered as the portal's login page answers it (scripts/mxtest.py).

usage: federation_peers.py HTTP_PORT SECOND_HTTP_PORT WORKDIR"""
import base64
import html
import os
import re
import subprocess
import sys
import time

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_UNSPECIFIED

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxtest  # noqa: E402

PORT, PORT2, WORK = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
BASE = f"http://127.0.0.1:{PORT}"
SP = os.environ["SP_ENTITY"]
ACS = os.environ["SP_ACS"]
SLO = os.environ["SP_SLO"]
RP_CB = os.environ["RP_REDIRECT"]
RP_SECRET = os.environ["RP_SECRET"]
BIN, DATA = os.environ["MATRIXAUTH_BIN"], os.environ["MATRIXAUTH_DATA"]
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
checks = 0


def ok(cond, what):
    global checks
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    checks += 1
    print(f"ok - {what}")


def grid_login(browser, base, user, fed, right=True):
    """The portal's login page: the grid for `user`, answered (or not), for the parked flow."""
    headers = {"origin": base, "content-type": "application/json"}
    r = browser.post(f"{base}/api/challenge", json={"user": user}, headers=headers)
    ok(r.status_code == 200, f"{user}: the grid is shown ({r.status_code})")
    ch = r.json()
    answer = mxtest.answer(ch["matrix"])
    if not right:
        answer = answer[:-1] + str((int(answer[-1]) + 1) % 10)
    return browser.post(f"{base}/api/verify", json={"user": user, "token": ch["token"], "answer": answer, "fed": fed},
                        headers=headers).json()


def parked(r):
    loc = r.headers.get("location", "")
    why = re.search(r'data-reason="([^"]*)"', r.text)
    ok(r.status_code == 303 and loc.startswith("/?fed="),
       f"sent to the portal's grid ({r.status_code} {loc}{why.group(1) if why else ''})")
    return loc.split("=", 1)[1]


def autopost(r):
    ok(r.status_code == 200 and 'id="autopost"' in r.text, f"an auto-posting page ({r.status_code})")
    action = html.unescape(re.search(r'action="([^"]*)"', r.text).group(1))
    fields = {m.group(1): html.unescape(m.group(2))
              for m in re.finditer(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', r.text)}
    csp = r.headers.get("content-security-policy", "")
    return action, fields, csp


def xmlsec1_verify(xml, xpath):
    path = os.path.join(WORK, "message.xml")
    with open(path, "w") as f:
        f.write(xml)
    res = subprocess.run(
        ["xmlsec1", "--verify", "--enabled-key-data", "raw-x509-cert", "--enabled-reference-uris", "empty,same-doc",
         "--pubkey-cert-pem", os.path.join(DATA, "idp-cert.pem"),
         "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
         "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
         "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
         "--node-xpath", xpath, path], capture_output=True, text=True)
    return res.returncode == 0, res.stderr


def sp_client():
    md = requests.get(f"{BASE}/saml/metadata")
    ok(md.status_code == 200 and "IDPSSODescriptor" in md.text, "the IdP's metadata")
    with open(os.path.join(WORK, "idp.xml"), "w") as f:
        f.write(md.text)
    conf = SPConfig()
    conf.load({
        "entityid": SP,
        "key_file": os.path.join(WORK, "sp.key"),
        "cert_file": os.path.join(WORK, "sp.pem"),
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"local": [os.path.join(WORK, "idp.xml")]},
        "service": {"sp": {
            "endpoints": {
                "assertion_consumer_service": [(ACS, BINDING_HTTP_POST)],
                "single_logout_service": [(SLO, BINDING_HTTP_POST)],
            },
            "authn_requests_signed": True,
            "logout_requests_signed": True,
            "want_assertions_signed": True,
            "want_response_signed": True,
            "allow_unsolicited": False,
            "name_id_format": NAMEID_FORMAT_UNSPECIFIED,
        }},
        "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
        "accepted_time_diff": 30,
        "allow_unknown_attributes": True,
    })
    return Saml2Client(conf)


def saml_checks():
    client = sp_client()
    idp = f"{BASE}/saml/metadata"
    browser = requests.Session()
    # SP-initiated: pysaml2 signs the AuthnRequest (RSA-SHA256 over the Redirect query).
    reqid, info = client.prepare_for_authenticate(entityid=idp, relay_state="rs-1", binding=BINDING_HTTP_REDIRECT, sigalg=RSA_SHA256)
    url = dict(info["headers"])["Location"]
    ok("Signature=" in url and "SigAlg=" in url, "pysaml2 signed its AuthnRequest")
    fed = parked(browser.get(url, allow_redirects=False))
    v = grid_login(browser, BASE, "alice", fed)
    ok(v["outcome"] == "accepted", f"alice answered the grid ({v['outcome']})")
    r = browser.get(f"{BASE}{v['redirect']}", allow_redirects=False)
    action, fields, csp = autopost(r)
    ok(action == ACS and fields.get("RelayState") == "rs-1", "the Response goes to the registered ACS")
    ok(f"form-action http://127.0.0.1:{os.environ['SP_PORT']}" in csp, f"CSP form-action is the ACS origin ({csp})")
    t0 = time.perf_counter()
    resp = client.parse_authn_request_response(fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid: "/"})
    ok(resp is not None, f"pysaml2 validated the Response ({(time.perf_counter() - t0) * 1000:.0f} ms)")
    ok(resp.name_id.text == "alice", f"NameID {resp.name_id.text}")
    ok(sorted(resp.ava.get("groups", [])) == ["vpn-users", "年度-管理"], f"groups {resp.ava.get('groups')}")
    ok(resp.ava.get("uid") == ["alice"], f"uid {resp.ava.get('uid')}")
    ok(resp.in_response_to == reqid, "InResponseTo is the request's ID")
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    good, err = xmlsec1_verify(xml, "//*[local-name()='Assertion']/*[local-name()='Signature']")
    ok(good, "xmlsec1 verifies the assertion's signature" + ("" if good else f": {err}"))
    good, err = xmlsec1_verify(xml, "/*/*[local-name()='Signature']")
    ok(good, "xmlsec1 verifies the Response's signature" + ("" if good else f": {err}"))
    forged = xml.replace(">alice<", ">mallory<", 1)
    ok(not xmlsec1_verify(forged, "//*[local-name()='Assertion']/*[local-name()='Signature']")[0],
       "xmlsec1 refuses an altered assertion")
    # A replayed Response is refused by the SP (InResponseTo no longer outstanding).
    try:
        client.parse_authn_request_response(fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={})
        ok(False, "pysaml2 refuses an unsolicited replay")
    except Exception as e:  # noqa: BLE001 - pysaml2 raises several kinds
        ok(True, f"pysaml2 refuses the Response replayed unsolicited ({type(e).__name__})")
    # The same AuthnRequest again: refused by the IdP, with a page, never a redirect.
    r = requests.get(url, allow_redirects=False)
    ok(r.status_code == 400 and "replayed" in r.text and "location" not in r.headers, "a replayed AuthnRequest: 400")
    # SSO: a second request from the same browser gets its Response without the grid.
    reqid2, info = client.prepare_for_authenticate(entityid=idp, relay_state="rs-2", binding=BINDING_HTTP_REDIRECT, sigalg=RSA_SHA256)
    r = browser.get(dict(info["headers"])["Location"], allow_redirects=False)
    _, fields2, _ = autopost(r)
    resp2 = client.parse_authn_request_response(fields2["SAMLResponse"], BINDING_HTTP_POST, outstanding={reqid2: "/"})
    ok(resp2.name_id.text == "alice", "single sign-on from the IdP session")
    # Single logout: pysaml2's signed LogoutRequest ends the session; our LogoutResponse validates.
    req_id, logout = client.create_logout_request(f"{BASE}/saml/slo", idp, name_id=resp.name_id, sign=False)
    info = client.apply_binding(BINDING_HTTP_REDIRECT, str(logout), f"{BASE}/saml/slo", "bye", sign=True,
                                sigalg=RSA_SHA256)
    r = browser.get(dict(info["headers"])["Location"], allow_redirects=False)
    action, fields, _ = autopost(r)
    ok(action == SLO and fields.get("RelayState") == "bye", "the LogoutResponse goes to the SP's SLO URL")
    lxml = base64.b64decode(fields["SAMLResponse"]).decode()
    good, err = xmlsec1_verify(lxml, "/*/*[local-name()='Signature']")
    ok(good, "xmlsec1 verifies the LogoutResponse" + ("" if good else f": {err}"))
    lr = client.parse_logout_request_response(fields["SAMLResponse"], BINDING_HTTP_POST)
    ok(lr is not None and lr.response.status.status_code.value.endswith("Success"), "pysaml2 reads a Success")
    reqid3, info = client.prepare_for_authenticate(entityid=idp, binding=BINDING_HTTP_REDIRECT, sigalg=RSA_SHA256)
    parked(browser.get(dict(info["headers"])["Location"], allow_redirects=False))
    ok(True, "after logout the browser must answer the grid again")
    # A wrong answer gets no assertion.
    b2 = requests.Session()
    _, info = client.prepare_for_authenticate(entityid=idp, binding=BINDING_HTTP_REDIRECT, sigalg=RSA_SHA256)
    fed = parked(b2.get(dict(info["headers"])["Location"], allow_redirects=False))
    v = grid_login(b2, BASE, "bob", fed, right=False)
    ok(v["outcome"] == "rejected" and "redirect" not in v, "a wrong answer: rejected, no redirect")
    r = b2.get(f"{BASE}/fed/continue?fed={fed}", allow_redirects=False)
    ok(r.status_code == 303 and "SAMLResponse" not in r.text, "and no assertion")
    # A locked user gets no assertion: four more wrong answers (five in a row) lock bob, and then
    # the grid itself is refused.
    for _ in range(4):
        v = grid_login(b2, BASE, "bob", fed, right=False)
    ok(v.get("lockedUntil") and "redirect" not in v, f"bob is locked, no assertion ({v})")
    r = b2.post(f"{BASE}/api/challenge", json={"user": "bob"}, headers={"origin": BASE})
    ok(r.status_code == 423, f"a locked user gets no grid ({r.status_code})")
    r = b2.get(f"{BASE}/fed/continue?fed={fed}", allow_redirects=False)
    ok(r.status_code == 303 and "SAMLResponse" not in r.text, "and no assertion")
    # A suspended user gets no assertion (their right answer is refused like a wrong one).
    subprocess.run([BIN, "users", "suspend", "carol", "--data", DATA], check=True, capture_output=True)
    b3 = requests.Session()
    _, info = client.prepare_for_authenticate(entityid=idp, binding=BINDING_HTTP_REDIRECT, sigalg=RSA_SHA256)
    fed = parked(b3.get(dict(info["headers"])["Location"], allow_redirects=False))
    v = grid_login(b3, BASE, "carol", fed)
    ok(v["outcome"] == "rejected" and "redirect" not in v, "a suspended user: rejected, no assertion")
    # An unregistered ACS URL: a 400 page, not a redirect.
    _, info = client.prepare_for_authenticate(entityid=idp, binding=BINDING_HTTP_REDIRECT, sigalg=RSA_SHA256,
                                              assertion_consumer_service_url="http://127.0.0.1:1/evil")
    r = requests.get(dict(info["headers"])["Location"], allow_redirects=False)
    ok(r.status_code == 400 and "location" not in r.headers, "an unregistered ACS: 400, no redirect")


def oidc_checks():
    disco = requests.get(f"{BASE}/.well-known/openid-configuration").json()
    ok(disco["issuer"] == BASE and disco["code_challenge_methods_supported"] == ["S256"], "discovery")
    jwks = JsonWebKey.import_key_set(requests.get(disco["jwks_uri"]).json())
    rp = OAuth2Session(client_id="rp", client_secret=RP_SECRET, scope="openid profile", redirect_uri=RP_CB,
                       code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
    verifier = base64.urlsafe_b64encode(os.urandom(48)).decode().rstrip("=")
    nonce = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    uri, state = rp.create_authorization_url(disco["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    browser = requests.Session()
    fed = parked(browser.get(uri, allow_redirects=False))
    v = grid_login(browser, BASE, "dave", fed)
    ok(v["outcome"] == "accepted", "dave answered the grid")
    r = browser.get(f"{BASE}{v['redirect']}", allow_redirects=False)
    location = r.headers.get("location", "")
    ok(r.status_code == 303 and location.startswith(RP_CB + "?code="), "the code goes to the registered URI")
    token = rp.fetch_token(disco["token_endpoint"], authorization_response=location, code_verifier=verifier)
    claims = jwt.decode(token["id_token"], jwks, claims_cls=CodeIDToken,
                        claims_options={"iss": {"essential": True, "values": [BASE]},
                                        "aud": {"essential": True, "values": ["rp"]}},
                        claims_params={"nonce": nonce, "client_id": "rp"})
    claims.validate()
    ok(claims["sub"] == "dave" and claims["nonce"] == nonce, "authlib validated the ID token against the JWKS")
    ok(claims["amr"] == ["otp"] and "auth_time" in claims and claims["exp"] > time.time(), "amr, auth_time, exp")
    info = rp.get(disco["userinfo_endpoint"]).json()
    ok(info["sub"] == "dave", "userinfo")
    # The same code again, at this node and at the second node on the same PostgreSQL: refused.
    for port in (PORT, PORT2):
        r = requests.post(f"http://127.0.0.1:{port}/oidc/token", auth=("rp", RP_SECRET), data={
            "grant_type": "authorization_code", "code": location.split("code=")[1].split("&")[0],
            "redirect_uri": RP_CB, "code_verifier": verifier})
        ok(r.status_code == 400 and r.json()["error"] == "invalid_grant", f"a replayed code at port {port}: refused")
    # PKCE is required: an authorization without it goes back with an error, never to the grid.
    rp2 = OAuth2Session(client_id="rp", client_secret=RP_SECRET, scope="openid", redirect_uri=RP_CB)
    uri, _ = rp2.create_authorization_url(disco["authorization_endpoint"], nonce="n")
    r = requests.get(uri, allow_redirects=False)
    ok(r.status_code == 303 and "error=invalid_request" in r.headers["location"], "no PKCE: invalid_request")


saml_checks()
oidc_checks()
print(f"{checks} passed, 0 failed")
