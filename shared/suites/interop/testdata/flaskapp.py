"""A flask-jwt-extended app on jwtgate's keys, for shared/suites/interop.

Configured the way flask-jwt-extended's documentation configures asymmetric
keys: JWT_ALGORITHM, JWT_PUBLIC_KEY (to verify), JWT_PRIVATE_KEY (to sign),
JWT_DECODE_ALGORITHMS; cookies with CSRF double submit, as jwtgate. PEM keys
come from the environment (FLASK_PUBLIC_KEY, FLASK_PRIVATE_KEY).

GET/POST /protected answers {"logged_in_as": sub} for a valid access cookie.
POST /login signs a session for {"username"} with JWT_PRIVATE_KEY, adding the
sid and roles claims jwtgate requires (docs/keys.md, migration window).
"""

import os
import uuid

from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt_identity,
    jwt_required,
    set_access_cookies,
    set_refresh_cookies,
)

alg = os.environ["FLASK_ALGORITHM"]
app = Flask(__name__)
app.config.update(
    JWT_ALGORITHM=alg,
    JWT_DECODE_ALGORITHMS=[alg],
    JWT_PUBLIC_KEY=os.environ.get("FLASK_PUBLIC_KEY", ""),
    JWT_PRIVATE_KEY=os.environ.get("FLASK_PRIVATE_KEY", ""),
    JWT_TOKEN_LOCATION=["cookies"],
    JWT_COOKIE_CSRF_PROTECT=True,
    JWT_COOKIE_SECURE=False,
    # FLASK_IDENTITY_CLAIM: the JWT_IDENTITY_CLAIM both apps share.
    JWT_IDENTITY_CLAIM=os.environ.get("FLASK_IDENTITY_CLAIM") or "sub",
)
jwt = JWTManager(app)


@jwt.additional_claims_loader
def jwtgate_claims(identity):
    # jwtgate's session id and roles; without sid jwtgate refuses the token.
    return {"sid": str(uuid.uuid4()), "roles": ["user"]}


@app.route("/protected", methods=["GET", "POST"])
@jwt_required()
def protected():
    return jsonify(logged_in_as=get_jwt_identity())


@app.post("/login")
def login():
    name = (request.get_json(silent=True) or {}).get("username", "")
    resp = jsonify(login=True)
    set_access_cookies(resp, create_access_token(identity=name, fresh=True))
    set_refresh_cookies(resp, create_refresh_token(identity=name))
    return resp


if __name__ == "__main__":
    import argparse
    import logging

    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True, help="serve on this inherited listening socket")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True, fd=args.fd)
    print(f"flaskapp: serving on {server.server_address[0]}:{server.server_address[1]}", flush=True)
    server.serve_forever()
