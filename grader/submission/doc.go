// Package submission exports what a learner built in a local-cloud account
// into one archive (`lab submit`), imports such an archive into a fresh
// account of another local cloud, and grades it there in a throwaway,
// sandboxed local cloud (`lab class grade --submissions`, the Gradescope
// recipe).
//
// An archive is a zip holding manifest.json (format version, when and by
// which lab kit it was exported, every other file with its size and
// SHA-256), account.json (the resources' definitions and settings, never
// items, messages or secrets) and functions/<name>.zip (each function's
// code). Archives are hostile input: Read refuses anything it does not
// know, anything over its size limits, and any file whose checksum does
// not match, before a byte of it reaches a local cloud.
//
// Secrets: environment variables whose names look like secrets (SECRET,
// PASSWORD, TOKEN, PRIVATE, CREDENTIAL, API_KEY, ACCESS_KEY) are exported
// without their values; Import gives each a fresh random value. The lab
// authorizer's TOKEN_SECRET is such a variable: the grader mints its tokens
// from whatever the authorizer's environment holds, so a new secret grades
// the same and the learner's own never leaves their laptop.
package submission
