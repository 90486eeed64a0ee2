package revocation

import "time"

// InFlight is how much longer than the tokens it matches a revocation
// lives: a request that read the table just before the record was written
// may still sign its tokens a moment after (Lambda's timeouts in the
// templates are seconds; this is a generous bound on that moment).
const InFlight = time.Minute

// Lifetimes builds every kind of revocation record with the lifetime it
// needs, so the session handlers and the admin CLI cannot disagree on how
// long a revocation lasts: a record must outlive every token it can match,
// and a token is still accepted Leeway after its exp.
type Lifetimes struct {
	// RefreshTTL is the refresh token lifetime (JWT_REFRESH_TOKEN_EXPIRES):
	// the longest any token of a session lives.
	RefreshTTL time.Duration
	// Leeway is JWT_DECODE_LEEWAY, the skew tolerated on exp.
	Leeway time.Duration
}

// outlive is the expiry of a record written at now for tokens issued up to
// now: the longest-lived of them, accepted Leeway past its exp, signed at
// most InFlight late.
func (l Lifetimes) outlive(now time.Time) time.Time {
	return now.Add(l.RefreshTTL + l.Leeway + InFlight)
}

// Token revokes one token by its jti (`jwtgate revoke --jti`). Its exp is
// unknown to the writer, so the record lives as long as a refresh token.
func (l Lifetimes) Token(jti string, now time.Time) Record {
	return Record{Key: TokenKey(jti), At: now, ExpiresAt: l.outlive(now)}
}

// Consumed marks a refresh token used by a rotation at now; it matters
// until the token itself expires (exp plus Leeway).
func (l Lifetimes) Consumed(jti string, exp, now time.Time) Record {
	return Record{Key: TokenKey(jti), At: now, ExpiresAt: exp.Add(l.Leeway), Consumed: true}
}

// Session revokes every token of session sid (logout, refresh reuse).
func (l Lifetimes) Session(sid string, now time.Time) Record {
	return Record{Key: SessionKey(sid), At: now, ExpiresAt: l.outlive(now)}
}

// UserCutOff revokes every token of user sub whose generation is below
// minGen (password change, disable, `jwtgate revoke --user`); minGen is the
// user's generation after the store raised it, so it is at least 1.
func (l Lifetimes) UserCutOff(sub string, minGen int64, now time.Time) Record {
	return Record{Key: UserKey(sub), At: now, ExpiresAt: l.outlive(now), MinGeneration: minGen}
}
