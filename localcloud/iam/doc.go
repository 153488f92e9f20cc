// Package iam serves the local cloud's IAM (roles, inline and managed
// policies) and STS (GetCallerIdentity, AssumeRole) APIs over the awsQuery
// protocol.
//
// IAM is global: its state is kept per account, whatever the region of the
// request. AWS managed policies (AWSLambdaBasicExecutionRole and a few
// others the labs use) exist in every account with their real ARNs and
// documents. Policy documents are stored as given and returned URL-encoded,
// as AWS returns them.
//
// AssumeRole (and GetSessionToken) hand out temporary credentials ("ASIA..." access key ids) that
// act in the role's (caller's) account: the Service is the router's
// protocol.AccountResolver. Only SHA-256 hashes of the secrets are stored.
package iam
