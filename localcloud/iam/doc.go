// Package iam serves the local cloud's IAM and STS APIs over the awsQuery
// protocol: roles, users, groups and their memberships, access keys, inline
// and managed policies (with versions) of roles, users and groups,
// attachments, permissions boundaries, tags, instance profiles, OpenID
// Connect and SAML providers, login profiles (salted hashes only), the
// account alias, password policy and summary, the policy simulator, and STS
// GetCallerIdentity, AssumeRole, GetSessionToken and GetAccessKeyInfo.
//
// IAM is global: its state is kept per account, whatever the region of the
// request. AWS managed policies (AWSLambdaBasicExecutionRole and others the
// labs use) exist in every account with their real ARNs and documents.
// Policy documents are stored as given and returned URL-encoded, as AWS
// returns them.
//
// AssumeRole and GetSessionToken hand out temporary credentials ("ASIA..."
// access key ids) that act in the role's (or caller's) account: the Service
// is the router's protocol.AccountResolver. An IAM user's active access key
// ("AKIA...", CreateAccessKey) acts in the user's account and as the user
// (GetCallerIdentity, GetUser). Only SHA-256 hashes of secrets are stored;
// the router reads the access key id from the SigV4 credential scope and
// does not verify signatures, which would need the secret in clear.
package iam
