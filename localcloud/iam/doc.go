// Package iam serves the local cloud's IAM and STS APIs over the awsQuery
// protocol: roles, inline and managed policies, attachments, the policy
// simulator, and STS GetCallerIdentity, AssumeRole, GetSessionToken and
// GetAccessKeyInfo.
//
// IAM is global: its state is kept per account, whatever the region of the
// request. AWS managed policies (AWSLambdaBasicExecutionRole and others the
// labs use) exist in every account with their real ARNs and documents.
// Policy documents are stored as given and returned URL-encoded, as AWS
// returns them.
//
// AssumeRole and GetSessionToken hand out temporary credentials ("ASIA..."
// access key ids) that act in the role's (or caller's) account: the Service
// is the router's protocol.AccountResolver. Only SHA-256 hashes of their
// secrets are stored.
package iam
