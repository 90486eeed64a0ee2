// Package migration plays docs/migrating-from-flask.md for Flask apps
// configured the way real ones are (renamed cookies and CSRF headers,
// SameSite, HS512, a custom identity claim, a short access token, a
// headers-only mobile client), not only the reference app's defaults. It
// has no code of its own: the tests (package migration_test) run the
// reference Flask app (bench/flaskref, the real flask-jwt-extended under
// /usr/bin/python3) with each configuration, log a user in on it, and
// follow the guide with the built jwtgate binary: `user import`, `keys
// import`, the window, a copy of template.yaml carrying the Flask app's
// settings (parameters through the variables `jwtgate dev` reads back into
// them, the rest as plain values in the Globals environment), `jwtgate dev
// --template` on DynamoDB Local. They fail, never skip, when Python, the
// library or DynamoDB Local is missing.
package migration
