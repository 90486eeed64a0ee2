"""An example of your own Python function behind jwtgate's cookie authorizer.

HelloPyFunction in examples/template-snippet.yaml (GET /hello/py and GET
/reports, which a role rule keeps for admins). The authorizer has already
verified the access cookie, the CSRF header and revocation; the function only
reads what it passed on, from the event, never from request headers (a client
controls those):

  REST API (template.yaml, payload 1.0):   event["requestContext"]["authorizer"]
  HTTP API (template-httpapi.yaml, 2.0):    event["requestContext"]["authorizer"]["lambda"]

Every value is a string: sub, roles (comma-joined), jti, sid, fresh
("true"/"false"), iat (epoch seconds), and forbidden, set when a route role
rule fails with RoleDenial=function (the authorizer then allows the request
so that the function answers 403 with flask-jwt-extended's shape; by
default the gateway refuses it with 401 and the function never runs).
claims, when the user has own claims that JWTGATE_USER_CLAIMS names, is a
JSON object string ({"tenant":"acme"}): read it with claims().

Error bodies use the deployment's JWT_ERROR_MESSAGE_KEY ("msg" by default).
"""

import json
import os

MESSAGE_KEY = os.environ.get("JWT_ERROR_MESSAGE_KEY") or "msg"


def identity(event):
    """The authorizer context of a REST or HTTP API event, or None."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    if isinstance(authorizer.get("lambda"), dict):  # HTTP API payload 2.0
        authorizer = authorizer["lambda"]
    return authorizer if authorizer.get("sub") else None


def claims(who):
    """The user's own claims the authorizer passed on, as a dict of strings."""
    raw = who.get("claims")
    return json.loads(raw) if raw else {}


def reply(status, body):
    # The same proxy response shape works for REST and HTTP APIs.
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, separators=(",", ":")),
    }


def handler(event, context):
    who = identity(event)
    if who is None:
        # Deployed without the authorizer in front: fail closed.
        return reply(401, {MESSAGE_KEY: 'Missing cookie "access_token_cookie"'})
    if who.get("forbidden"):
        return reply(403, {MESSAGE_KEY: who["forbidden"]})
    roles = [r for r in who.get("roles", "").split(",") if r]
    body = {
        "hello": who["sub"],
        "roles": roles,
        "fresh": who.get("fresh") == "true",
        "function": context.function_name,
    }
    tenant = claims(who).get("tenant")
    if tenant is not None:
        body["tenant"] = tenant
    return reply(200, body)
