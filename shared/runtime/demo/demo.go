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
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /protected", func(w http.ResponseWriter, r *http.Request) {
		id, _ := identity.Of(r.Context())
		reply.JSON(w, http.StatusOK, map[string]string{"logged_in_as": id.Subject})
	})
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		id, _ := identity.Of(r.Context())
		if !slices.Contains(id.Roles, "admin") {
			reply.Msg(w, http.StatusForbidden, "Forbidden: requires role admin")
			return
		}
		reply.JSON(w, http.StatusOK, map[string]any{"admin": true, "user": id.Subject})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reply.Msg(w, http.StatusNotFound, "Not found")
	})
	return identity.Require(mux)
}
