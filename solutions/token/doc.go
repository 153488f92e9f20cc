// Package token mints and verifies the channel tokens the order API accepts.
//
// A token names one sales channel (web, mobile or wholesale) and an expiry, and is signed with
// HMAC-SHA256 under a secret shared by the kit (which mints tokens) and the order-authorizer
// Lambda (which verifies them). Its text form is
//
//	v1.<channel>.<unix-expiry>.<base64url(HMAC-SHA256(secret, "v1.<channel>.<unix-expiry>"))>
//
// where base64url is the unpadded URL-safe alphabet (RFC 4648 section 5).
package token
