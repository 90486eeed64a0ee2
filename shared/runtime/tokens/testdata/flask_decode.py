"""Answers of the real flask-jwt-extended (and the PyJWT under it) for tokens.

Reads JSON lines {"token", "secret", "audience", "issuer"} on stdin (and, for
an app that verifies with a key pair, "algorithm" and "public_key": its
JWT_ALGORITHM and JWT_PUBLIC_KEY, PEM) and writes
one JSON line {"status", "msg"} per token: what a @jwt_required() route says
for the token in an Authorization header. msg is null when the answer is not
flask's JSON (an unhandled exception is a 500 HTML page).
"""
import json
import sys

from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, jwt_required

apps = {}


def app_for(secret, audience, issuer, algorithm=None, public_key=None):
    key = (secret, audience, issuer, algorithm, public_key)
    if key not in apps:
        app = Flask(__name__)
        app.config.update(JWT_SECRET_KEY=secret, JWT_TOKEN_LOCATION=["headers"], PROPAGATE_EXCEPTIONS=False)
        if audience:
            app.config["JWT_DECODE_AUDIENCE"] = audience
        if issuer:
            app.config["JWT_DECODE_ISSUER"] = issuer
        if algorithm:
            app.config.update(JWT_ALGORITHM=algorithm, JWT_PUBLIC_KEY=public_key or "")
        JWTManager(app)

        @app.route("/p")
        @jwt_required()
        def p():
            return jsonify(ok=True)

        apps[key] = app.test_client()
    return apps[key]


for line in sys.stdin:
    req = json.loads(line)
    client = app_for(req.get("secret", ""), req.get("audience"), req.get("issuer"), req.get("algorithm"), req.get("public_key"))
    r = client.get("/p", headers={"Authorization": "Bearer " + req["token"]})
    msg = None
    if r.is_json:
        msg = (r.get_json() or {}).get("msg")
    print(json.dumps({"status": r.status_code, "msg": msg}), flush=True)
