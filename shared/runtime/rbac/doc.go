// Package rbac holds route role rules such as "GET /admin*=admin": which
// roles a request must carry for a method and path.
package rbac
