package apigw

import (
	"encoding/json"
	"sync/atomic"
	"time"
)

// isoTime is a timestamp on the wire: ISO 8601 in UTC, as the SDKs parse it.
type isoTime struct{ time.Time }

const isoLayout = "2006-01-02T15:04:05Z"

func (t isoTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(isoLayout))
}

func (t *isoTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

func now(t time.Time) *isoTime { return &isoTime{t.UTC().Truncate(time.Second)} }

// cors is an API's CORS configuration.
type cors struct {
	AllowCredentials *bool    `json:"allowCredentials,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	AllowOrigins     []string `json:"allowOrigins,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	MaxAge           *int     `json:"maxAge,omitempty"`
}

// api is an HTTP API with everything it owns. Published values are never
// modified: a change clones the api, edits the clone, stores it and swaps it
// in, so the execute path reads without locks.
type api struct {
	Account string `json:"account"`
	Region  string `json:"region"`

	ApiID                     string            `json:"apiId"`
	Name                      string            `json:"name"`
	ProtocolType              string            `json:"protocolType"`
	Description               string            `json:"description,omitempty"`
	Version                   string            `json:"version,omitempty"`
	RouteSelectionExpression  string            `json:"routeSelectionExpression,omitempty"`
	ApiKeySelectionExpression string            `json:"apiKeySelectionExpression,omitempty"`
	CorsConfiguration         *cors             `json:"corsConfiguration,omitempty"`
	DisableExecuteApiEndpoint bool              `json:"disableExecuteApiEndpoint"`
	DisableSchemaValidation   bool              `json:"disableSchemaValidation,omitempty"`
	CreatedDate               *isoTime          `json:"createdDate,omitempty"`
	Tags                      map[string]string `json:"tags,omitempty"`

	Routes       map[string]*route       `json:"routes,omitempty"`
	Integrations map[string]*integration `json:"integrations,omitempty"`
	Authorizers  map[string]*authorizer  `json:"authorizers,omitempty"`
	Stages       map[string]*stage       `json:"stages,omitempty"`
	Models       map[string]*model       `json:"models,omitempty"`
	// IntegrationResponses and RouteResponses are keyed by their
	// integration's and route's id, then by their own id.
	IntegrationResponses map[string]map[string]*integrationResponse `json:"integrationResponses,omitempty"`
	RouteResponses       map[string]map[string]*routeResponse       `json:"routeResponses,omitempty"`

	// deployments are stored in their own table; the map is copied on clone
	// (deployments themselves are replaced, never edited).
	deployments map[string]*deployment
	// live is the compiled current configuration, built on first use.
	live atomic.Pointer[plan]
}

// route is an HTTP API route; its JSON is the wire shape.
type route struct {
	ApiGatewayManaged                bool              `json:"apiGatewayManaged,omitempty"`
	ApiKeyRequired                   bool              `json:"apiKeyRequired"`
	AuthorizationScopes              []string          `json:"authorizationScopes,omitempty"`
	AuthorizationType                string            `json:"authorizationType,omitempty"`
	AuthorizerId                     string            `json:"authorizerId,omitempty"`
	ModelSelectionExpression         string            `json:"modelSelectionExpression,omitempty"`
	OperationName                    string            `json:"operationName,omitempty"`
	RequestModels                    map[string]string `json:"requestModels,omitempty"`
	RequestParameters                map[string]param  `json:"requestParameters,omitempty"`
	RouteId                          string            `json:"routeId"`
	RouteKey                         string            `json:"routeKey"`
	RouteResponseSelectionExpression string            `json:"routeResponseSelectionExpression,omitempty"`
	Target                           string            `json:"target,omitempty"`
}

type param struct {
	Required bool `json:"required"`
}

type tlsConfig struct {
	ServerNameToVerify string `json:"serverNameToVerify,omitempty"`
}

// integration is an HTTP API integration; its JSON is the wire shape.
type integration struct {
	ApiGatewayManaged           bool                         `json:"apiGatewayManaged,omitempty"`
	ConnectionId                string                       `json:"connectionId,omitempty"`
	ConnectionType              string                       `json:"connectionType,omitempty"`
	ContentHandlingStrategy     string                       `json:"contentHandlingStrategy,omitempty"`
	CredentialsArn              string                       `json:"credentialsArn,omitempty"`
	Description                 string                       `json:"description,omitempty"`
	IntegrationId               string                       `json:"integrationId"`
	IntegrationMethod           string                       `json:"integrationMethod,omitempty"`
	IntegrationSubtype          string                       `json:"integrationSubtype,omitempty"`
	IntegrationType             string                       `json:"integrationType"`
	IntegrationUri              string                       `json:"integrationUri,omitempty"`
	PassthroughBehavior         string                       `json:"passthroughBehavior,omitempty"`
	PayloadFormatVersion        string                       `json:"payloadFormatVersion,omitempty"`
	RequestParameters           map[string]string            `json:"requestParameters,omitempty"`
	RequestTemplates            map[string]string            `json:"requestTemplates,omitempty"`
	ResponseParameters          map[string]map[string]string `json:"responseParameters,omitempty"`
	TemplateSelectionExpression string                       `json:"templateSelectionExpression,omitempty"`
	TimeoutInMillis             int                          `json:"timeoutInMillis"`
	TlsConfig                   *tlsConfig                   `json:"tlsConfig,omitempty"`
}

type jwtConfiguration struct {
	Audience []string `json:"audience,omitempty"`
	Issuer   string   `json:"issuer,omitempty"`
}

// authorizer is a Lambda (REQUEST) or JWT authorizer; its JSON is the wire shape.
type authorizer struct {
	AuthorizerCredentialsArn       string            `json:"authorizerCredentialsArn,omitempty"`
	AuthorizerId                   string            `json:"authorizerId"`
	AuthorizerPayloadFormatVersion string            `json:"authorizerPayloadFormatVersion,omitempty"`
	AuthorizerResultTtlInSeconds   *int              `json:"authorizerResultTtlInSeconds,omitempty"`
	AuthorizerType                 string            `json:"authorizerType"`
	AuthorizerUri                  string            `json:"authorizerUri,omitempty"`
	EnableSimpleResponses          bool              `json:"enableSimpleResponses,omitempty"`
	IdentitySource                 []string          `json:"identitySource"`
	IdentityValidationExpression   string            `json:"identityValidationExpression,omitempty"`
	JwtConfiguration               *jwtConfiguration `json:"jwtConfiguration,omitempty"`
	Name                           string            `json:"name"`
}

func (a *authorizer) ttl() time.Duration {
	if a.AuthorizerResultTtlInSeconds == nil {
		return 0
	}
	return time.Duration(*a.AuthorizerResultTtlInSeconds) * time.Second
}

// routeSettings are a stage's default or per-route settings.
type routeSettings struct {
	DataTraceEnabled       *bool    `json:"dataTraceEnabled,omitempty"`
	DetailedMetricsEnabled *bool    `json:"detailedMetricsEnabled,omitempty"`
	LoggingLevel           string   `json:"loggingLevel,omitempty"`
	ThrottlingBurstLimit   *int     `json:"throttlingBurstLimit,omitempty"`
	ThrottlingRateLimit    *float64 `json:"throttlingRateLimit,omitempty"`
}

type accessLogSettings struct {
	DestinationArn string `json:"destinationArn,omitempty"`
	Format         string `json:"format,omitempty"`
}

// stage is a stage of an HTTP API; its JSON is the wire shape.
type stage struct {
	AccessLogSettings           *accessLogSettings        `json:"accessLogSettings,omitempty"`
	ApiGatewayManaged           bool                      `json:"apiGatewayManaged,omitempty"`
	AutoDeploy                  bool                      `json:"autoDeploy"`
	ClientCertificateId         string                    `json:"clientCertificateId,omitempty"`
	CreatedDate                 *isoTime                  `json:"createdDate,omitempty"`
	DefaultRouteSettings        *routeSettings            `json:"defaultRouteSettings,omitempty"`
	DeploymentId                string                    `json:"deploymentId,omitempty"`
	Description                 string                    `json:"description,omitempty"`
	LastDeploymentStatusMessage string                    `json:"lastDeploymentStatusMessage,omitempty"`
	LastUpdatedDate             *isoTime                  `json:"lastUpdatedDate,omitempty"`
	RouteSettings               map[string]*routeSettings `json:"routeSettings"`
	StageName                   string                    `json:"stageName"`
	StageVariables              map[string]string         `json:"stageVariables"`
	Tags                        map[string]string         `json:"tags"`
}

// deployment is a snapshot of an API's routes, integrations and authorizers.
type deployment struct {
	AutoDeployed            bool     `json:"autoDeployed"`
	CreatedDate             *isoTime `json:"createdDate,omitempty"`
	DeploymentId            string   `json:"deploymentId"`
	DeploymentStatus        string   `json:"deploymentStatus"`
	DeploymentStatusMessage string   `json:"deploymentStatusMessage,omitempty"`
	Description             string   `json:"description,omitempty"`

	snap *snapshot
	plan atomic.Pointer[plan]
}

// snapshot is what a deployment freezes.
type snapshot struct {
	Routes       map[string]*route       `json:"routes,omitempty"`
	Integrations map[string]*integration `json:"integrations,omitempty"`
	Authorizers  map[string]*authorizer  `json:"authorizers,omitempty"`
}

// clone returns a deep copy of a for editing.
func (a *api) clone() *api {
	b, err := json.Marshal(a)
	if err != nil {
		panic("apigw: clone api: " + err.Error()) // only plain data: cannot fail
	}
	c := &api{}
	if err := json.Unmarshal(b, c); err != nil {
		panic("apigw: clone api: " + err.Error())
	}
	c.deployments = make(map[string]*deployment, len(a.deployments))
	for k, v := range a.deployments {
		c.deployments[k] = v
	}
	c.ensureMaps()
	return c
}

func (a *api) ensureMaps() {
	if a.Routes == nil {
		a.Routes = map[string]*route{}
	}
	if a.Integrations == nil {
		a.Integrations = map[string]*integration{}
	}
	if a.Authorizers == nil {
		a.Authorizers = map[string]*authorizer{}
	}
	if a.Stages == nil {
		a.Stages = map[string]*stage{}
	}
	if a.Models == nil {
		a.Models = map[string]*model{}
	}
	if a.IntegrationResponses == nil {
		a.IntegrationResponses = map[string]map[string]*integrationResponse{}
	}
	if a.RouteResponses == nil {
		a.RouteResponses = map[string]map[string]*routeResponse{}
	}
	if a.deployments == nil {
		a.deployments = map[string]*deployment{}
	}
}

// configJSON is the configuration a deployment freezes, encoded.
func (a *api) configJSON() []byte {
	b, err := json.Marshal(snapshot{Routes: a.Routes, Integrations: a.Integrations, Authorizers: a.Authorizers})
	if err != nil {
		panic("apigw: encode configuration: " + err.Error()) // plain data: cannot fail
	}
	return b
}

// snapshot freezes the current configuration (deep copy through JSON).
func (a *api) snapshot() *snapshot {
	b, err := json.Marshal(snapshot{Routes: a.Routes, Integrations: a.Integrations, Authorizers: a.Authorizers})
	if err != nil {
		panic("apigw: snapshot: " + err.Error())
	}
	s := &snapshot{}
	if err := json.Unmarshal(b, s); err != nil {
		panic("apigw: snapshot: " + err.Error())
	}
	return s
}
