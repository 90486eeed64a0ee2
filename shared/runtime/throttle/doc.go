// Package throttle counts failed logins per username and per source IP and
// locks further attempts out with an exponential back-off, as Cognito does:
// after Threshold failures the key is locked for Base, doubling with each
// further failure up to Max. Counters carry a TTL so the store forgets them.
//
// Every attempt is reserved (counted) before its password is checked, in
// the same atomic step as the lock decision, and given back only on
// success: however many attempts run at once, no more than Threshold reach
// the password check before the lock (docs/throttling.md).
//
// Every username is counted, existing or not, and a locked-out request is
// refused before the password is checked, so the answers reveal nothing
// about which accounts exist.
package throttle
