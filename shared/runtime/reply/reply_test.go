package reply_test

import (
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/reply"
)

func TestReply(t *testing.T) {
	tests := []struct {
		name       string
		write      func(w http.ResponseWriter)
		wantStatus int
		wantBody   string
	}{
		{"JSON object", func(w http.ResponseWriter) {
			reply.JSON(w, http.StatusOK, map[string]any{"admin": true, "user": "admin"})
		}, http.StatusOK, `{"admin":true,"user":"admin"}`},
		{"JSON nested is compact", func(w http.ResponseWriter) {
			reply.JSON(w, http.StatusCreated, map[string]any{"a": []int{1, 2}, "b": map[string]string{"c": "d"}})
		}, http.StatusCreated, `{"a":[1,2],"b":{"c":"d"}}`},
		{"Msg 401", func(w http.ResponseWriter) {
			reply.Messages{}.Msg(w, http.StatusUnauthorized, `Missing cookie "access_token_cookie"`)
		}, http.StatusUnauthorized, `{"msg":"Missing cookie \"access_token_cookie\""}`},
		{"Msg 403", func(w http.ResponseWriter) {
			reply.Messages{}.Msg(w, http.StatusForbidden, "Forbidden: requires role admin")
		}, http.StatusForbidden, `{"msg":"Forbidden: requires role admin"}`},
		{"Msg escapes HTML", func(w http.ResponseWriter) {
			reply.Messages{}.Msg(w, http.StatusBadRequest, "<script>")
		}, http.StatusBadRequest, `{"msg":"\u003cscript\u003e"}`},
		{"Msg under a configured key", func(w http.ResponseWriter) {
			reply.NewMessages("error").Msg(w, http.StatusUnauthorized, "Token has expired")
		}, http.StatusUnauthorized, `{"error":"Token has expired"}`},
		{"Msg under the default key named", func(w http.ResponseWriter) {
			reply.NewMessages("msg").Msg(w, http.StatusUnauthorized, "Token has expired")
		}, http.StatusUnauthorized, `{"msg":"Token has expired"}`},
		{"unmarshalable value is 500", func(w http.ResponseWriter) {
			reply.JSON(w, http.StatusOK, math.NaN())
		}, http.StatusInternalServerError, `{"msg":"Internal server error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tt.write(w)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Body.String(); got != tt.wantBody {
				t.Errorf("body = %s, want %s", got, tt.wantBody)
			}
			for k, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"} {
				if got := w.Header().Values(k); len(got) != 1 || got[0] != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
