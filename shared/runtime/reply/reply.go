package reply

import (
	"encoding/json"
	"net/http"
)

// DefaultKey is the key of error bodies, flask-jwt-extended's
// JWT_ERROR_MESSAGE_KEY default.
const DefaultKey = "msg"

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

// Messages writes error bodies {key: message}, key being the configured
// JWT_ERROR_MESSAGE_KEY. The zero value writes DefaultKey, so a handler
// built without configuration still answers as flask does by default.
type Messages struct{ key string }

// NewMessages writes error bodies under key (DefaultKey when empty).
func NewMessages(key string) Messages { return Messages{key: key} }

// Key is the key error bodies are written under.
func (m Messages) Key() string {
	if m.key == "" {
		return DefaultKey
	}
	return m.key
}

// Msg writes {key: msg} with status.
func (m Messages) Msg(w http.ResponseWriter, status int, msg string) {
	if m.key == "" || m.key == DefaultKey {
		JSON(w, status, struct {
			Msg string `json:"msg"`
		}{msg})
		return
	}
	JSON(w, status, map[string]string{m.key: msg})
}
