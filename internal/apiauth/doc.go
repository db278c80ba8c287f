// Package apiauth decides who calls Quarry's HTTP API and what they may do.
//
// # Tokens
//
// A caller presents a JWT as a bearer token. [Verifier] checks its
// signature against the keys of a JWKS (a file or a URL: RS256 and ES256),
// or, when configured for development, an HS256 secret; never both, so a
// token signed with HS256 over an RSA public key (algorithm confusion) and
// a token with "alg": "none" are refused. The issuer, the audience, the
// expiry (required) and not-before are checked.
//
// # Permissions
//
// What a subject may do comes from a permission [Source]: a file that maps
// subjects to permissions, or an HTTP service asked for one subject. The
// answer is kept in Redis under the subject for a TTL ([Cache]), so the
// source is asked once per subject per TTL, and every API process sees
// the same answer. [Cache.Revoke] (quarry api revoke SUBJECT) deletes the
// entry: the next request of the subject reads the source again. A token
// may carry a "scope" claim (space-separated permissions), which narrows
// what the source grants; it never widens it.
//
// Keys:
//
//	P api:perms:<subject>   the subject's permissions, JSON, with the TTL
package apiauth
