"""A real SAML service provider (pysaml2) and a real OpenID Connect relying party (authlib) as small
web applications on 127.0.0.1, for the browser half of scripts/federation-test.sh
(server/e2e/federation.e2e.mjs drives them in headless Chromium). Debian's /usr/bin/python3.

  GET  /saml/login   -> pysaml2's signed AuthnRequest (Redirect binding) to the IdP
  POST /saml/acs     -> pysaml2 validates the Response; a page with the NameID and the groups
  GET  /oidc/login   -> authlib's authorization URL (PKCE S256, nonce)
  GET  /oidc/cb      -> authlib redeems the code and validates the ID token against the JWKS

usage: federation_browser_peers.py IDP_BASE PORT WORKDIR   (SP_ENTITY, RP_SECRET in the environment)"""
import html
import http.server
import os
import secrets
import sys
import urllib.parse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig

IDP, PORT, WORK = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ME = f"http://127.0.0.1:{PORT}"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
outstanding = {}
pending_oidc = {}


def saml_client():
    md = os.path.join(WORK, "idp-browser.xml")
    with open(md, "w") as f:
        f.write(requests.get(f"{IDP}/saml/metadata").text)
    conf = SPConfig()
    conf.load({
        "entityid": os.environ["SP_ENTITY"],
        "key_file": os.path.join(WORK, "sp.key"),
        "cert_file": os.path.join(WORK, "sp.pem"),
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {"local": [md]},
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(f"{ME}/saml/acs", BINDING_HTTP_POST)]},
            "authn_requests_signed": True,
            "want_assertions_signed": True,
            "want_response_signed": True,
            "allow_unsolicited": False,
        }},
        "allow_unknown_attributes": True,
        "accepted_time_diff": 30,
    })
    return Saml2Client(conf)


CLIENT = saml_client()
DISCO = requests.get(f"{IDP}/.well-known/openid-configuration").json()
JWKS = JsonWebKey.import_key_set(requests.get(DISCO["jwks_uri"]).json())


def rp():
    return OAuth2Session(client_id="rp", client_secret=os.environ["RP_SECRET"], scope="openid profile",
                         redirect_uri=f"{ME}/oidc/cb", code_challenge_method="S256",
                         token_endpoint_auth_method="client_secret_basic")


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def page(self, status, body):
        data = f"<!doctype html><html><body>{body}</body></html>".encode()
        self.send_response(status)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, url):
        self.send_response(303)
        self.send_header("location", url)
        self.end_headers()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/saml/login":
            reqid, info = CLIENT.prepare_for_authenticate(entityid=f"{IDP}/saml/metadata", relay_state="/home",
                                                          binding=BINDING_HTTP_REDIRECT, sigalg=RSA_SHA256)
            outstanding[reqid] = "/home"
            self.redirect(dict(info["headers"])["Location"])
        elif url.path == "/oidc/login":
            verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
            uri, state = rp().create_authorization_url(DISCO["authorization_endpoint"], code_verifier=verifier,
                                                       nonce=nonce)
            pending_oidc[state] = (verifier, nonce)
            self.redirect(uri)
        elif url.path == "/oidc/cb":
            state = urllib.parse.parse_qs(url.query).get("state", [""])[0]
            verifier, nonce = pending_oidc.pop(state, (None, None))
            try:
                token = rp().fetch_token(DISCO["token_endpoint"], authorization_response=f"{ME}{self.path}",
                                         code_verifier=verifier)
                claims = jwt.decode(token["id_token"], JWKS, claims_cls=CodeIDToken,
                                    claims_options={"iss": {"essential": True, "values": [DISCO["issuer"]]},
                                                    "aud": {"essential": True, "values": ["rp"]}},
                                    claims_params={"nonce": nonce, "client_id": "rp"})
                claims.validate()
            except Exception as e:  # noqa: BLE001 - any failure is the page's answer
                return self.page(403, f'<p id="error">{html.escape(repr(e))}</p>')
            self.page(200, f'<p id="result" data-sub="{html.escape(claims["sub"])}" '
                           f'data-amr="{html.escape(",".join(claims["amr"]))}">OIDC: {html.escape(claims["sub"])}</p>')
        else:
            self.page(404, "not found")

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        if self.path != "/saml/acs":
            return self.page(404, "not found")
        try:
            resp = CLIENT.parse_authn_request_response(form["SAMLResponse"][0], BINDING_HTTP_POST,
                                                       outstanding=outstanding)
            outstanding.pop(resp.in_response_to, None)
        except Exception as e:  # noqa: BLE001 - any failure is the page's answer
            return self.page(403, f'<p id="error">{html.escape(repr(e))}</p>')
        groups = ",".join(sorted(resp.ava.get("groups", [])))
        relay = form.get("RelayState", [""])[0]
        self.page(200, f'<p id="result" data-user="{html.escape(resp.name_id.text)}" '
                       f'data-groups="{html.escape(groups)}" data-relay="{html.escape(relay)}">'
                       f'SAML: {html.escape(resp.name_id.text)} ({html.escape(groups)})</p>')


print(f"peers on {ME}", flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
