package reply

import (
	"encoding/json"
	"net/http"
)

// JSON writes v as a compact JSON body with status.
func JSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"msg":"Internal server error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Msg writes {"msg": msg} with status.
func Msg(w http.ResponseWriter, status int, msg string) {
	JSON(w, status, struct {
		Msg string `json:"msg"`
	}{msg})
}
