"""Reference Flask + flask-jwt-extended app for jwtgate's load comparison.

The JWT-cookie session pattern as the flask-jwt-extended documentation
writes it (the "JWT in cookies" and "blocklist and token revoking" pages),
on jwtgate's wire contract: cookies only, CSRF double submit on, the same
four cookie names, the same X-CSRF-TOKEN header, the same success and 401 bodies and the
same demo users as `jwtgate dev`. It is a comparison baseline for
`make load-flask`, not part of jwtgate.

Run it under gunicorn (see README.md); JWT_SECRET_KEY must be set so every
worker signs and verifies with the same key.
"""

import os
from datetime import datetime, timedelta, timezone

from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt,
    get_jwt_identity,
    jwt_required,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
)
from werkzeug.security import check_password_hash, generate_password_hash

# The same demo accounts as `jwtgate dev` (shared/devserver.DemoUsers).
DEMO_USERS = {"testuser": "testpass", "admin": "adminpass"}

secret = os.environ.get("JWT_SECRET_KEY", "")
if len(secret) < 32:
    raise SystemExit("flaskref: set JWT_SECRET_KEY (at least 32 characters), the same for every worker")

app = Flask(__name__)
app.config.update(
    JWT_SECRET_KEY=secret,
    JWT_TOKEN_LOCATION=["cookies"],
    JWT_COOKIE_CSRF_PROTECT=True,
    # Plain http on loopback, like `jwtgate dev` (production: True).
    JWT_COOKIE_SECURE=False,
    # jwtgate's defaults, which are also the library's.
    JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=15),
    JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=30),
)
jwt = JWTManager(app)

# Password hashes made at start with werkzeug's default method (pbkdf2:sha256
# with 260,000 iterations in Werkzeug 2.2, Debian bookworm; scrypt from 3.0).
USERS = {name: generate_password_hash(pw) for name, pw in DEMO_USERS.items()}
# Unknown users are checked against a dummy hash: the same work either way.
DUMMY_HASH = generate_password_hash(os.urandom(16).hex())

# The documentation's in-memory blocklist: a set of revoked jti values. It
# lives in each gunicorn worker, so a logout is seen only by the worker that
# served it (the docs use Redis or a database for a shared one).
BLOCKLIST = set()


@jwt.token_in_blocklist_loader
def check_if_token_revoked(jwt_header, jwt_payload):
    return jwt_payload["jti"] in BLOCKLIST


@app.post("/login")
def login():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(msg="Request body must be JSON"), 400
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return jsonify(msg="Missing username or password"), 400
    ok = check_password_hash(USERS.get(username, DUMMY_HASH), password)
    if not ok or username not in USERS:
        return jsonify(msg="Bad username or password"), 401
    resp = jsonify(login=True)
    set_access_cookies(resp, create_access_token(identity=username, fresh=True))
    set_refresh_cookies(resp, create_refresh_token(identity=username))
    return resp


@app.post("/refresh")
@jwt_required(refresh=True)
def refresh():
    # The documented refresh: a new (non-fresh) access token; the refresh
    # token is not rotated.
    resp = jsonify(refresh=True)
    set_access_cookies(resp, create_access_token(identity=get_jwt_identity(), fresh=False))
    return resp


@app.post("/logout")
@jwt_required()
def logout():
    # The documented revoke: the access token's jti goes on the blocklist.
    BLOCKLIST.add(get_jwt()["jti"])
    resp = jsonify(logout=True)
    unset_jwt_cookies(resp)
    return resp


@app.get("/protected")
@jwt_required()
def protected():
    return jsonify(logged_in_as=get_jwt_identity())
