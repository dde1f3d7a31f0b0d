// Package rbac decides who may do what to models and data: roles hold
// rules, bindings grant roles to subjects, and a compiled Authorizer answers
// requests without scanning the policy.
package rbac
