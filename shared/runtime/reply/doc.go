// Package reply writes jwtgate's JSON responses: compact bodies with the
// "msg" key of flask-jwt-extended for errors.
package reply
