package fidelity_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// outcome is what one response says, reduced to what must match: the
// status, the JSON body (or its "msg"), and each Set-Cookie line split
// into attributes, with the parts that differ by nature (token and CSRF
// values, times) replaced by what they are.
type outcome struct {
	Status  int
	Body    any    // decoded JSON; nil when the body is not JSON
	RawBody string // the body when it is not JSON
	Cookies []cookieLine
	// Set is the Set-Cookie lines as sent, for the jar and for messages.
	Set []string
}

// cookieLine is one Set-Cookie header: name, value and attributes
// (lower-case names; flags have the value "").
type cookieLine struct {
	Name, Value string
	Attrs       map[string]string
}

// observe reads resp into an outcome. now is when the request was sent;
// lifetimes are given relative to it.
func observe(resp *http.Response, now time.Time) (outcome, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return outcome{}, err
	}
	o := outcome{Status: resp.StatusCode}
	var body any
	if err := json.Unmarshal(raw, &body); err == nil {
		o.Body = body
	} else {
		o.RawBody = string(raw)
	}
	for _, line := range resp.Header.Values("Set-Cookie") {
		o.Set = append(o.Set, line)
		o.Cookies = append(o.Cookies, parseSetCookie(line))
	}
	return o, nil
}

// parseSetCookie splits a Set-Cookie line into its parts, keeping every
// attribute as written (net/http's parser folds some, e.g. Max-Age=0).
func parseSetCookie(line string) cookieLine {
	parts := strings.Split(line, ";")
	name, value, _ := strings.Cut(strings.TrimSpace(parts[0]), "=")
	c := cookieLine{Name: name, Value: value, Attrs: map[string]string{}}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		c.Attrs[strings.ToLower(k)] = v
	}
	return c
}

// difference is one field in which the two servers' answers differ.
type difference struct {
	Field, Flask, JWTGate string
}

func (d difference) String() string {
	return fmt.Sprintf("%s: flask %q, jwtgate %q", d.Field, d.Flask, d.JWTGate)
}

const absent = "<absent>"

// compare lists the fields in which two outcomes differ.
func compare(flask, gate outcome, now time.Time) []difference {
	var out []difference
	add := func(field, f, g string) {
		if f != g {
			out = append(out, difference{field, f, g})
		}
	}
	add("status", strconv.Itoa(flask.Status), strconv.Itoa(gate.Status))
	fm, fOnly := msgOf(flask)
	gm, gOnly := msgOf(gate)
	if fOnly && gOnly {
		add("msg", fm, gm)
	} else {
		add("body", bodyString(flask), bodyString(gate))
	}
	add("set-cookie names", cookieNames(flask), cookieNames(gate))
	gateByName := map[string]cookieLine{}
	for _, c := range gate.Cookies {
		gateByName[c.Name] = c
	}
	for _, fc := range flask.Cookies {
		gc, ok := gateByName[fc.Name]
		if !ok {
			continue
		}
		prefix := "cookie " + fc.Name + " "
		fv, gv := valueKind(fc.Value, now), valueKind(gc.Value, now)
		if strings.HasPrefix(fv, "jwt") && strings.HasPrefix(gv, "jwt") {
			out = append(out, compareJWT(prefix, fc.Value, gc.Value, now)...)
		} else {
			add(prefix+"value", fv, gv)
		}
		keys := map[string]bool{}
		for k := range fc.Attrs {
			keys[k] = true
		}
		for k := range gc.Attrs {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			add(prefix+k, attrValue(fc.Attrs, k, now), attrValue(gc.Attrs, k, now))
		}
	}
	return out
}

// msgOf returns the body's message when the body is {"msg": "..."} alone.
func msgOf(o outcome) (string, bool) {
	m, ok := o.Body.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	s, ok := m["msg"].(string)
	return s, ok
}

func bodyString(o outcome) string {
	if o.Body == nil {
		if len(o.RawBody) > 60 {
			return fmt.Sprintf("<not JSON, %d bytes>", len(o.RawBody))
		}
		return "<not JSON> " + o.RawBody
	}
	b, _ := json.Marshal(o.Body) // map keys sorted
	return string(b)
}

func cookieNames(o outcome) string {
	names := make([]string, len(o.Cookies))
	for i, c := range o.Cookies {
		names[i] = c.Name
	}
	return strings.Join(names, ",")
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// valueKind names what a cookie value is: empty, a JWT, a uuid4 (CSRF
// values), or itself.
func valueKind(v string, now time.Time) string {
	switch {
	case v == "":
		return "<empty>"
	case strings.Count(v, ".") == 2:
		return "jwt"
	case uuidPattern.MatchString(v):
		return "<uuid4>"
	}
	return v
}

// attrValue normalises the attributes that carry times: Expires relative
// to now (or "epoch"), Max-Age rounded; both to 10 s, as the servers sign
// in whole seconds a moment apart.
func attrValue(attrs map[string]string, k string, now time.Time) string {
	v, ok := attrs[k]
	if !ok {
		return absent
	}
	switch k {
	case "expires":
		t, err := http.ParseTime(v)
		if err != nil {
			return "unparsable " + v
		}
		if t.Unix() <= 0 {
			return "epoch"
		}
		return relative(t.Sub(now))
	case "max-age":
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return v
		}
		return relative(time.Duration(n) * time.Second)
	case "samesite":
		return v // the case of the value is what a client sees
	}
	return v
}

// relative rounds d to 10 s, written "+300s" or "-10s".
func relative(d time.Duration) string {
	s := math.Round(d.Seconds()/10) * 10
	if s == 0 {
		return "+0s"
	}
	return fmt.Sprintf("%+.0fs", s)
}

// compareJWT compares two issued tokens claim by claim (and header field by
// field), each value reduced to what it means: times relative to now,
// random ids as "<uuid4>".
func compareJWT(prefix, flask, gate string, now time.Time) []difference {
	fh, fc := decodeJWT(flask)
	gh, gc := decodeJWT(gate)
	var out []difference
	for _, part := range []struct {
		name string
		f, g map[string]any
	}{{"jwt header ", fh, gh}, {"jwt claim ", fc, gc}} {
		keys := map[string]bool{}
		for k := range part.f {
			keys[k] = true
		}
		for k := range part.g {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			f, g := claimValue(part.f, k, now), claimValue(part.g, k, now)
			if f != g {
				out = append(out, difference{prefix + part.name + k, f, g})
			}
		}
	}
	return out
}

func decodeJWT(tok string) (header, claims map[string]any) {
	parts := strings.Split(tok, ".")
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return map[string]any{"<undecodable>": s}
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			return map[string]any{"<not JSON>": string(b)}
		}
		return m
	}
	return dec(parts[0]), dec(parts[1])
}

func claimValue(m map[string]any, k string, now time.Time) string {
	v, ok := m[k]
	if !ok {
		return absent
	}
	switch k {
	case "iat", "nbf", "exp":
		if n, ok := v.(float64); ok {
			return "now" + relative(time.Unix(int64(n), 0).Sub(now))
		}
	case "kid":
		return "<kid>"
	}
	if s, ok := v.(string); ok && uuidPattern.MatchString(s) {
		return "<uuid4>"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
