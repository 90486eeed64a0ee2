package demo

import (
	"net/http"
	"slices"

	"github.com/jwtgate/jwtgate/shared/runtime/identity"
	"github.com/jwtgate/jwtgate/shared/runtime/reply"
)

// Handler serves GET /protected ({"logged_in_as": sub}) and GET /admin
// ({"admin": true, "user": sub}); the admin role is enforced by the
// authorizer's role rules, and again here so the route is safe even when
// deployed without them.
// Its error bodies are written under key (JWT_ERROR_MESSAGE_KEY; "" is
// flask's "msg").
func Handler(key string) http.Handler {
	msgs := reply.NewMessages(key)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /protected", func(w http.ResponseWriter, r *http.Request) {
		id, _ := identity.Of(r.Context())
		reply.JSON(w, http.StatusOK, map[string]string{"logged_in_as": id.Subject})
	})
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		id, _ := identity.Of(r.Context())
		if !slices.Contains(id.Roles, "admin") {
			msgs.Msg(w, http.StatusForbidden, "Forbidden: requires role admin")
			return
		}
		reply.JSON(w, http.StatusOK, map[string]any{"admin": true, "user": id.Subject})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		msgs.Msg(w, http.StatusNotFound, "Not found")
	})
	return identity.Require(mux, identity.WithMessageKey(key))
}
