# Writes legacy_hashes.json: password hashes made by the libraries a Flask
# app stores them with (werkzeug 2.2's generate_password_hash, werkzeug 3's
# scrypt construction through hashlib, python3-bcrypt, python3-argon2), for the Go tests to
# verify. Run: /usr/bin/python3 legacy_hashes.py > legacy_hashes.json
import hashlib, json, secrets, string, sys

import argon2
import bcrypt
from werkzeug.security import generate_password_hash, check_password_hash


def werkzeug3_scrypt(password, n=2**14, r=8, p=1):
    # werkzeug 3.0 security._hash_internal for "scrypt:n:r:p"; salt is
    # gen_salt(16), the digest 64 bytes, hex encoded.
    salt = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))
    h = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p, dklen=64).hex()
    return f"scrypt:{n}:{r}:{p}${salt}${h}"


out = []
for pw in ["testpass", "pässwörd €", "x" * 100]:
    h = generate_password_hash(pw)  # werkzeug 2.2: pbkdf2:sha256:260000
    assert check_password_hash(h, pw)
    out.append({"lib": "werkzeug " + __import__("werkzeug").__version__, "password": pw, "hash": h})
    h = generate_password_hash(pw, method="pbkdf2:sha512:1000", salt_length=8)
    out.append({"lib": "werkzeug pbkdf2:sha512:1000", "password": pw, "hash": h})
    out.append({"lib": "werkzeug 3 scrypt (hashlib)", "password": pw, "hash": werkzeug3_scrypt(pw)})
    for prefix in [b"2a", b"2b"]:
        h = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4, prefix=prefix)).decode()
        out.append({"lib": "python3-bcrypt $" + prefix.decode() + "$", "password": pw, "hash": h})
    # PHP's $2y$ is bcrypt's $2b$ under another name.
    h = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=5)).decode()
    out.append({"lib": "python3-bcrypt as $2y$", "password": pw, "hash": "$2y$" + h[4:]})
    for t in [argon2.Type.ID, argon2.Type.I]:
        ph = argon2.PasswordHasher(time_cost=1, memory_cost=256, parallelism=2, type=t)
        out.append({"lib": "python3-argon2 " + t.name, "password": pw, "hash": ph.hash(pw)})
json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
print()
