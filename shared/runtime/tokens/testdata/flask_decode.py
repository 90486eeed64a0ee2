"""Answers of the real flask-jwt-extended (and the PyJWT under it) for tokens.

Reads JSON lines {"token", "secret", "audience", "issuer"} on stdin and writes
one JSON line {"status", "msg"} per token: what a @jwt_required() route says
for the token in an Authorization header. msg is null when the answer is not
flask's JSON (an unhandled exception is a 500 HTML page).
"""
import json
import sys

from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, jwt_required

apps = {}


def app_for(secret, audience, issuer):
    key = (secret, audience, issuer)
    if key not in apps:
        app = Flask(__name__)
        app.config.update(JWT_SECRET_KEY=secret, JWT_TOKEN_LOCATION=["headers"], PROPAGATE_EXCEPTIONS=False)
        if audience:
            app.config["JWT_DECODE_AUDIENCE"] = audience
        if issuer:
            app.config["JWT_DECODE_ISSUER"] = issuer
        JWTManager(app)

        @app.route("/p")
        @jwt_required()
        def p():
            return jsonify(ok=True)

        apps[key] = app.test_client()
    return apps[key]


for line in sys.stdin:
    req = json.loads(line)
    client = app_for(req["secret"], req.get("audience"), req.get("issuer"))
    r = client.get("/p", headers={"Authorization": "Bearer " + req["token"]})
    msg = None
    if r.is_json:
        msg = (r.get_json() or {}).get("msg")
    print(json.dumps({"status": r.status_code, "msg": msg}), flush=True)
