// Package apigw is the local cloud's API Gateway v2 for HTTP APIs: the
// restJson1 management API under /v2/ (APIs, routes, integrations, stages,
// deployments, Lambda and JWT authorizers, models, route and integration
// responses, custom domain names with API mappings, VPC links, tags,
// OpenAPI 3.0 import, reimport and export with API Gateway's integration and
// CORS extensions; authorizers are not imported) and the
// execute endpoint that
// turns HTTP requests into Lambda proxy invocations with the payload format
// 1.0 and 2.0 events AWS documents.
//
// # The execute endpoint
//
// AWS gives every HTTP API https://{apiId}.execute-api.{region}.amazonaws.com.
// Go's resolver cannot resolve names under *.localhost, so the ApiEndpoint the
// local cloud returns is path style: {Endpoint}/_aws/execute-api/{apiId}. A
// request to {ApiEndpoint}/orders is served by the $default stage with rawPath
// /orders; {ApiEndpoint}/prod/orders is served by the stage "prod" with rawPath
// /prod/orders, exactly as AWS does for named stages. The host style
// http://{apiId}.execute-api.localhost:4566/orders (curl resolves *.localhost)
// is served the same way. Either way the event's requestContext.domainName is
// "{apiId}.execute-api.localhost" and domainPrefix is the api id; the host
// header is what the client sent.
//
// WebSocket APIs are managed with AWS's WEBSOCKET rules (see websocket.go),
// but the execute endpoint serves no WebSocket connections: it answers 501
// for them.
//
// Custom domain names and VPC links are recorded with the shapes and
// lifecycle AWS shows (a VPC link is PENDING when created, AVAILABLE when read
// again); the execute endpoint does not serve custom host names.
//
// # Behaviour at the edges, as AWS documents or answers it
//
//   - No matching route, unknown api, stage without a deployment: 404 {"message":"Not Found"}.
//   - Throttled (stage or route ThrottlingRateLimit/ThrottlingBurstLimit, by
//     default AWS's account limits of 10,000 requests/s with a burst of 5,000,
//     applied per stage and route): 429 {"message":"Too Many Requests"}.
//   - Lambda authorizer: a missing identity source gives 401 {"message":"Unauthorized"}
//     without invoking the authorizer; a denial gives 403 {"message":"Forbidden"};
//     an authorizer error or malformed answer gives 500. JWT authorizers are
//     stored but cannot fetch key sets locally: their routes answer 401.
//   - The function failed (FunctionError, including its own timeout), the
//     invoke was refused (no resource-based permission for
//     apigateway.amazonaws.com, function missing, throttled), or the answer
//     is malformed (statusCode 0 or out of range, invalid JSON, bad base64):
//     500 {"message":"Internal Server Error"}.
//   - The integration timeout elapsed (the integration's TimeoutInMillis,
//     capped by Config.IntegrationTimeout): 503 {"message":"Service Unavailable"},
//     which is what HTTP APIs answer (REST APIs answer 504).
//   - An HTTP_PROXY integration through a VPC link (connectionType VPC_LINK):
//     503 {"message":"Service Unavailable"}; the private target is out of the
//     local cloud's reach.
package apigw
