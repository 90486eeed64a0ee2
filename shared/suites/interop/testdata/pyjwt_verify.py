"""Verify a jwtgate token as a third party would: PyJWT with its JWKS client.

Usage: pyjwt_verify.py JWKS_URL ALGORITHM TOKEN [ISSUER]
Prints the verified claims as JSON, or the PyJWT error class and message
on stderr with exit status 1.
"""

import json
import sys

import jwt

url, alg, token = sys.argv[1:4]
issuer = sys.argv[4] if len(sys.argv) > 4 else None
try:
    key = jwt.PyJWKClient(url).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=[alg],
        issuer=issuer,
        options={"require": ["exp", "iat", "sub", "jti"]},
    )
except jwt.PyJWTError as e:
    print(f"{type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
print(json.dumps({"kid": key.key_id, "claims": claims}))
