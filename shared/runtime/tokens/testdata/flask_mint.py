"""Tokens as the real flask-jwt-extended writes them, for the legacy window tests.

Usage: flask_mint.py SECRET IDENTITY [FRESH_SECONDS]
Logs IDENTITY in on a Flask app configured as a typical cookie app
(JWT_TOKEN_LOCATION=["cookies"], CSRF double submit on) and prints the
cookies its login response sets, as one JSON object. With FRESH_SECONDS the
access token is created with fresh=timedelta(seconds=FRESH_SECONDS), which
flask-jwt-extended writes as a numeric "fresh" claim. FLASK_MINT_CLAIMS, a
JSON object in the environment, is passed to both tokens as
additional_claims (e.g. a roles claim the Flask app writes itself).
FLASK_IDENTITY_CLAIM in the environment is the app's JWT_IDENTITY_CLAIM.
FLASK_ALGORITHM, FLASK_PRIVATE_KEY and FLASK_PUBLIC_KEY (PEM) are its
JWT_ALGORITHM, JWT_PRIVATE_KEY and JWT_PUBLIC_KEY, for an app that signs
with a key pair (SECRET is then unused; set_access_cookies decodes the token
it writes for its csrf claim, hence the public key).
FLASK_IDENTITY_INT=1 passes IDENTITY as an int, as an app does with
create_access_token(identity=user.id).
"""
import json
import os
import sys
from datetime import timedelta

from flask import Flask, jsonify
from flask_jwt_extended import (JWTManager, create_access_token, create_refresh_token,
                                set_access_cookies, set_refresh_cookies)

secret, identity = sys.argv[1], sys.argv[2]
if os.environ.get("FLASK_IDENTITY_INT") == "1":
    identity = int(identity)
fresh = timedelta(seconds=int(sys.argv[3])) if len(sys.argv) > 3 else True
claims = json.loads(os.environ.get("FLASK_MINT_CLAIMS") or "{}")

app = Flask(__name__)
app.config.update(JWT_SECRET_KEY=secret, JWT_TOKEN_LOCATION=["cookies"], JWT_COOKIE_SECURE=False,
                  JWT_IDENTITY_CLAIM=os.environ.get("FLASK_IDENTITY_CLAIM") or "sub")
if os.environ.get("FLASK_ALGORITHM"):
    app.config.update(JWT_ALGORITHM=os.environ["FLASK_ALGORITHM"], JWT_PRIVATE_KEY=os.environ.get("FLASK_PRIVATE_KEY", ""),
                      JWT_PUBLIC_KEY=os.environ.get("FLASK_PUBLIC_KEY", ""))
JWTManager(app)


@app.route("/login", methods=["POST"])
def login():
    resp = jsonify(login=True)
    set_access_cookies(resp, create_access_token(identity=identity, fresh=fresh, additional_claims=claims))
    set_refresh_cookies(resp, create_refresh_token(identity=identity, additional_claims=claims))
    return resp


client = app.test_client()
r = client.post("/login")
jar = {}
for h in r.headers.getlist("Set-Cookie"):
    name, _, rest = h.partition("=")
    jar[name] = rest.split(";", 1)[0]
print(json.dumps(jar))
