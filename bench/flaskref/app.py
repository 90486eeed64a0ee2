"""Reference Flask + flask-jwt-extended app: the app jwtgate replaces.

The JWT-cookie session pattern as the flask-jwt-extended documentation
writes it (the "JWT in cookies" and "blocklist and token revoking" pages),
on jwtgate's routes: POST /login, /refresh, /logout, /password, GET
/protected and /admin, with the demo users of `jwtgate dev`. It is not
part of jwtgate. Three users:

- `make load-flask` runs it under gunicorn as the load comparison baseline
  (its defaults: cookies only, CSRF double submit on, 15 min / 30 days);
- the fidelity oracle (shared/suites/fidelity) runs it on the real library
  once per configuration and compares every answer with `jwtgate dev`'s;
- the migration browser test (shared/tooling/webapp) logs a browser in on
  it, exports its users and moves the session to `jwtgate dev`.

Configuration comes from the same JWT_* environment variables jwtgate
reads (and flask's JWT_PRIVATE_KEY and JWT_PUBLIC_KEY, which jwtgate
refuses), converted to what Flask's app.config takes; a variable left unset
keeps the library's default, except JWT_TOKEN_LOCATION, which is
["cookies"] as in jwtgate. JWT_SECRET_KEY must be set (32 characters or
more) so every worker, and the oracle's crafted tokens, share one key.

    gunicorn app:app                      # load comparison
    python3 app.py --fd 3                 # serve on an inherited socket (the oracle)
    python3 app.py --port 5000            # by hand
    python3 app.py --export-users         # the users as `jwtgate user import` reads them

Three more settings, of this app and not of jwtgate: FLASKREF_CORS_ORIGINS
(comma-separated) lets a front end on those origins call it with
credentials, through flask-cors as a Flask app with a separate front end
does (the migration browser test); FLASKREF_PASSWORD_METHOD is werkzeug's
hashing method; and FLASKREF_LIBRARY_LOCATION=1 leaves an unset
JWT_TOKEN_LOCATION at the library's default (headers), for the oracle.
"""

import argparse
import json
import os
import re
import sys
from datetime import timedelta

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

# The same demo accounts, roles and own claims as `jwtgate dev`
# (devserver.DemoUsers); the claims go into additional_claims, as jwtgate
# writes a user's claims into its tokens.
DEMO_USERS = {
    "testuser": ("testpass", ["user"], {"tenant": "acme"}),
    "admin": ("adminpass", ["admin", "user"], {"tenant": "jwtgate"}),
}

# How each JWT_* variable jwtgate reads becomes a Flask config value.
BOOLS = (
    "JWT_COOKIE_SECURE",
    "JWT_SESSION_COOKIE",
    "JWT_CSRF_IN_COOKIES",
    "JWT_COOKIE_CSRF_PROTECT",
    "JWT_ENCODE_NBF",
    "JWT_CSRF_CHECK_FORM",
)
LISTS = ("JWT_TOKEN_LOCATION", "JWT_DECODE_ALGORITHMS", "JWT_CSRF_METHODS")
DURATIONS = ("JWT_ACCESS_TOKEN_EXPIRES", "JWT_REFRESH_TOKEN_EXPIRES", "JWT_DECODE_LEEWAY")
# An audience is a string, or a list when the variable names several.
AUDIENCES = ("JWT_ENCODE_AUDIENCE", "JWT_DECODE_AUDIENCE")
STRINGS = (
    "JWT_ALGORITHM",
    "JWT_ENCODE_ISSUER",
    "JWT_DECODE_ISSUER",
    "JWT_COOKIE_SAMESITE",
    "JWT_COOKIE_DOMAIN",
    "JWT_ACCESS_COOKIE_NAME",
    "JWT_REFRESH_COOKIE_NAME",
    "JWT_ACCESS_CSRF_COOKIE_NAME",
    "JWT_REFRESH_CSRF_COOKIE_NAME",
    "JWT_ACCESS_COOKIE_PATH",
    "JWT_REFRESH_COOKIE_PATH",
    "JWT_ACCESS_CSRF_COOKIE_PATH",
    "JWT_REFRESH_CSRF_COOKIE_PATH",
    "JWT_ACCESS_CSRF_HEADER_NAME",
    "JWT_REFRESH_CSRF_HEADER_NAME",
    "JWT_HEADER_NAME",
    "JWT_QUERY_STRING_NAME",
    "JWT_QUERY_STRING_VALUE_PREFIX",
    "JWT_JSON_KEY",
    "JWT_REFRESH_JSON_KEY",
    "JWT_IDENTITY_CLAIM",
    "JWT_ERROR_MESSAGE_KEY",
)
# Set but empty means empty here (an Authorization header without a type).
EMPTY_OK = ("JWT_HEADER_TYPE",)
# Kept as given, spaces included: flask's documented prefix is "Bearer ".
# The key pair (PEM, for JWT_ALGORITHM RS256, ES256, EdDSA) too: jwtgate
# reads a key pair from its key set instead, so only the oracle's key pair
# configurations set these.
UNSTRIPPED = ("JWT_QUERY_STRING_VALUE_PREFIX", "JWT_PRIVATE_KEY", "JWT_PUBLIC_KEY")

GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}


def seconds(name, value):
    """Integer seconds, or a Go duration such as "5m" or "1h30m", as jwtgate reads them."""
    if value.isdigit():
        return int(value)
    parts = GO_DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise SystemExit(f"flaskref: {name}={value!r}: want integer seconds or a Go duration")
    return sum(float(n) * UNIT_SECONDS[u] for n, u in parts)


def items(value):
    """A comma list; Python-style ["a", "b"] too, as jwtgate accepts."""
    return [p.strip().strip("\"'") for p in value.strip("[]").split(",") if p.strip().strip("\"'")]


def config_from_env(env):
    """Flask config for the JWT_* variables set in env.

    FLASKREF_LIBRARY_LOCATION=1 leaves JWT_TOKEN_LOCATION, when unset, at
    the library's own default (["headers"]), so the oracle can show how
    jwtgate's default differs.
    """
    cfg = {} if env.get("FLASKREF_LIBRARY_LOCATION") == "1" else {"JWT_TOKEN_LOCATION": ["cookies"]}
    for name in BOOLS + LISTS + DURATIONS + AUDIENCES + STRINGS:
        value = env.get(name, "").strip()
        if not value:
            continue
        if name in BOOLS:
            if value.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise SystemExit(f"flaskref: {name}={value!r}: want true or false")
            cfg[name] = value.lower() in ("1", "true", "yes", "on")
        elif name in LISTS:
            cfg[name] = items(value)
        elif name in DURATIONS:
            s = seconds(name, value)
            cfg[name] = s if name == "JWT_DECODE_LEEWAY" else timedelta(seconds=s)
        elif name in AUDIENCES:
            auds = items(value)
            cfg[name] = auds[0] if len(auds) == 1 else auds
        else:
            cfg[name] = value
    for name in EMPTY_OK:
        if name in env:
            cfg[name] = env[name].strip()
    for name in UNSTRIPPED:
        if env.get(name):
            cfg[name] = env[name]
    return cfg


def password_method(env):
    """werkzeug's hashing method: its default (pbkdf2:sha256 with 260,000
    iterations in Werkzeug 2.2, Debian bookworm; scrypt from 3.0), or
    FLASKREF_PASSWORD_METHOD, which lets the oracle, which does not measure
    hashing, start faster."""
    return env.get("FLASKREF_PASSWORD_METHOD") or "pbkdf2:sha256"


def make_users(method):
    """The users table: name -> (werkzeug password hash, roles, own claims)."""
    return {
        name: (generate_password_hash(pw, method=method), roles, claims)
        for name, (pw, roles, claims) in DEMO_USERS.items()
    }


def export_users(users, out):
    """Write users as JSON lines, what `jwtgate user import --file` reads: the
    hash as werkzeug stored it, the roles as this app grants them, its own
    claims. This is the
    dump a team writes from its own users table (docs/migrating-from-flask.md)."""
    for name, (password_hash, roles, claims) in users.items():
        line = {"username": name, "password_hash": password_hash, "roles": roles}
        if claims:
            line["claims"] = claims  # what the app passes as additional_claims
        out.write(json.dumps(line) + "\n")


def create_app(env):
    secret = env.get("JWT_SECRET_KEY", "")
    if len(secret) < 32:
        raise SystemExit("flaskref: set JWT_SECRET_KEY (at least 32 characters), the same for every worker")
    app = Flask(__name__)
    app.config.update(config_from_env(env), JWT_SECRET_KEY=secret)
    jwt = JWTManager(app)
    origins = items(env.get("FLASKREF_CORS_ORIGINS", ""))
    if origins:
        # Imported only when asked for: the load baseline and the oracle run
        # without it.
        from flask_cors import CORS

        CORS(app, origins=origins, supports_credentials=True, allow_headers=["Content-Type", "X-CSRF-TOKEN"])

    method = password_method(env)
    users = make_users(method)
    # Unknown users are checked against a dummy hash: the same work either way.
    dummy = generate_password_hash(os.urandom(16).hex(), method=method)

    # The documentation's in-memory blocklist: a set of revoked jti values. It
    # lives in each gunicorn worker, so a logout is seen only by the worker that
    # served it (the docs use Redis or a database for a shared one).
    blocklist = set()

    @jwt.token_in_blocklist_loader
    def check_if_token_revoked(jwt_header, jwt_payload):
        return jwt_payload["jti"] in blocklist

    # The app's own error bodies use the library's message key, as jwtgate's
    # do (JWT_ERROR_MESSAGE_KEY, "msg" by default): a client reads one key.
    def error(message):
        return jsonify({app.config.get("JWT_ERROR_MESSAGE_KEY", "msg"): message})

    # The seed app's request-body answers, worded as jwtgate's session
    # handlers word them, so the oracle sees only the library's differences.
    # As jwtgate: the media type exactly application/json (no +json types), a
    # JSON null reads as an empty object, and a value of the wrong JSON type is
    # "not a JSON object" (Go's typed decoding); a missing or empty value is
    # "Missing".
    def json_body(*keys):
        if request.mimetype != "application/json":
            return None, (error("Content-Type must be application/json"), 400)
        body = request.get_json(silent=True)
        if body is None and request.get_data().strip() == b"null":
            body = {}
        if not isinstance(body, dict):
            return None, (error("Request body is not a JSON object"), 400)
        if any(body.get(k) is not None and not isinstance(body.get(k), str) for k in keys):
            return None, (error("Request body is not a JSON object"), 400)
        return body, None

    def issue(resp, username, fresh, refresh):
        claims = {**users[username][2], "roles": users[username][1]}
        set_access_cookies(resp, create_access_token(identity=username, fresh=fresh, additional_claims=claims))
        if refresh:
            set_refresh_cookies(resp, create_refresh_token(identity=username, additional_claims=claims))

    @app.post("/login")
    def login():
        body, refused = json_body("username", "password")
        if refused:
            return refused
        username, password = body.get("username"), body.get("password")
        if not username or not password:
            return error('Missing "username" or "password"'), 400
        known = users.get(username)
        ok = check_password_hash(known[0] if known else dummy, password)
        if not ok or not known:
            return error("Bad username or password"), 401
        resp = jsonify(login=True)
        issue(resp, username, fresh=True, refresh=True)
        return resp

    @app.post("/refresh")
    @jwt_required(refresh=True)
    def refresh():
        # The documented refresh: a new (non-fresh) access token; the refresh
        # token is not rotated.
        resp = jsonify(refresh=True)
        identity = get_jwt_identity()
        known = users.get(identity)
        claims = {**(known[2] if known else {}), "roles": get_jwt().get("roles", [])}
        set_access_cookies(resp, create_access_token(identity=identity, fresh=False, additional_claims=claims))
        return resp

    @app.post("/logout")
    @jwt_required()
    def logout():
        # The documented revoke: the access token's jti goes on the blocklist.
        blocklist.add(get_jwt()["jti"])
        resp = jsonify(logout=True)
        unset_jwt_cookies(resp)
        return resp

    @app.post("/password")
    @jwt_required(fresh=True)
    def change_password():
        username = get_jwt_identity()
        body, refused = json_body("old_password", "new_password")
        if refused:
            return refused
        old, new = body.get("old_password"), body.get("new_password")
        if not isinstance(old, str) or not isinstance(new, str):
            return error('Missing "old_password" or "new_password"'), 400
        known = users.get(username)
        if not known or not check_password_hash(known[0], old):
            return error("Old password is incorrect"), 403
        users[username] = (generate_password_hash(new, method=method), known[1], known[2])
        blocklist.add(get_jwt()["jti"])
        resp = jsonify(password_changed=True)
        issue(resp, username, fresh=True, refresh=True)
        return resp

    @app.get("/protected")
    @jwt_required()
    def protected():
        return jsonify(logged_in_as=get_jwt_identity())

    @app.get("/admin")
    @jwt_required()
    def admin():
        roles = get_jwt().get("roles")
        if not isinstance(roles, list) or "admin" not in roles:
            return error("Forbidden: requires role admin"), 403
        return jsonify(admin=True, user=get_jwt_identity())

    return app


if __name__ == "__main__":
    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, help="serve on this inherited listening socket")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--export-users", action="store_true", help="print the users as JSON lines and exit")
    args = parser.parse_args()
    if args.export_users:
        # The demo users live in memory, hashed at start: an export makes the
        # same accounts (same passwords and roles; werkzeug salts each hash anew).
        export_users(make_users(password_method(os.environ)), sys.stdout)
        raise SystemExit(0)
    server = make_server("127.0.0.1", args.port, create_app(os.environ), threaded=True, fd=args.fd)
    print(f"flaskref: serving on {server.server_address[0]}:{server.server_address[1]}", flush=True)
    server.serve_forever()
else:
    # gunicorn imports the module and serves `app`.
    app = create_app(os.environ)
