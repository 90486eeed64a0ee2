// Package reply writes jwtgate's JSON responses: compact bodies, errors
// under flask-jwt-extended's message key ("msg", or JWT_ERROR_MESSAGE_KEY
// through Messages).
package reply
