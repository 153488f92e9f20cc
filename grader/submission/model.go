package submission

// Account is what an archive holds about one account and region: the
// definitions and settings of its resources, never their data.
type Account struct {
	Tables    []Table    `json:"tables"`
	Queues    []Queue    `json:"queues"`
	Topics    []Topic    `json:"topics"`
	Policies  []Policy   `json:"policies"`
	Roles     []Role     `json:"roles"`
	Functions []Function `json:"functions"`
	Mappings  []Mapping  `json:"mappings"`
	APIs      []API      `json:"apis"`
	LogGroups []LogGroup `json:"logGroups"`
	// Alarms and Dashboards are CloudWatch's (lab 5).
	Alarms     []Alarm     `json:"alarms,omitempty"`
	Dashboards []Dashboard `json:"dashboards,omitempty"`
}

// Table is a DynamoDB table's definition and settings.
type Table struct {
	Name          string            `json:"name"`
	KeySchema     []Key             `json:"keySchema"`
	Attributes    []Attribute       `json:"attributes"`
	BillingMode   string            `json:"billingMode"`
	ReadCapacity  int64             `json:"readCapacity,omitempty"`
	WriteCapacity int64             `json:"writeCapacity,omitempty"`
	StreamView    string            `json:"streamView,omitempty"` // empty: no stream
	TTLAttribute  string            `json:"ttlAttribute,omitempty"`
	PITR          bool              `json:"pitr,omitempty"`
	GSIs          []Index           `json:"gsis,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
}

// Key is one element of a key schema.
type Key struct {
	Name string `json:"name"`
	Type string `json:"type"` // HASH or RANGE
}

// Attribute is an attribute definition.
type Attribute struct {
	Name string `json:"name"`
	Type string `json:"type"` // S, N or B
}

// Index is a global secondary index.
type Index struct {
	Name          string   `json:"name"`
	KeySchema     []Key    `json:"keySchema"`
	Projection    string   `json:"projection"`
	NonKeyAttrs   []string `json:"nonKeyAttributes,omitempty"`
	ReadCapacity  int64    `json:"readCapacity,omitempty"`
	WriteCapacity int64    `json:"writeCapacity,omitempty"`
}

// Queue is an SQS queue and its settable attributes (RedrivePolicy
// included).
type Queue struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// Topic is an SNS topic, its settable attributes and its subscriptions.
type Topic struct {
	Name          string            `json:"name"`
	Attributes    map[string]string `json:"attributes,omitempty"`
	Subscriptions []Subscription    `json:"subscriptions,omitempty"`
}

// Subscription is an SNS subscription and its attributes (FilterPolicy,
// RawMessageDelivery, RedrivePolicy...).
type Subscription struct {
	Protocol   string            `json:"protocol"`
	Endpoint   string            `json:"endpoint"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Policy is a customer-managed IAM policy attached to an exported role.
type Policy struct {
	Name     string `json:"name"`
	Path     string `json:"path,omitempty"`
	Document string `json:"document"`
}

// Role is an IAM role with its trust policy, inline policies and the ARNs
// of its attached managed policies.
type Role struct {
	Name     string            `json:"name"`
	Path     string            `json:"path,omitempty"`
	Trust    string            `json:"trust"`
	Inline   map[string]string `json:"inline,omitempty"`
	Attached []string          `json:"attached,omitempty"`
}

// Function is a Lambda function's configuration; its code is the archive
// file Code names.
type Function struct {
	Name          string            `json:"name"`
	Runtime       string            `json:"runtime"`
	Handler       string            `json:"handler,omitempty"`
	Role          string            `json:"role"`
	Timeout       int32             `json:"timeout,omitempty"`
	MemorySize    int32             `json:"memorySize,omitempty"`
	Architectures []string          `json:"architectures,omitempty"`
	Env           map[string]string `json:"env,omitempty"`
	// Redacted names the environment variables exported without their
	// values (secrets); Import gives each a fresh random value.
	Redacted    []string     `json:"redacted,omitempty"`
	Description string       `json:"description,omitempty"`
	Reserved    *int32       `json:"reservedConcurrency,omitempty"`
	Permissions []Permission `json:"permissions,omitempty"`
	Code        string       `json:"code"`
}

// Permission is one statement of a function's resource-based policy.
type Permission struct {
	Sid       string `json:"sid"`
	Action    string `json:"action"`
	Principal string `json:"principal"`
	SourceArn string `json:"sourceArn,omitempty"`
}

// Mapping is an event source mapping.
type Mapping struct {
	Function              string   `json:"function"`
	Source                string   `json:"source"`
	Enabled               bool     `json:"enabled"`
	BatchSize             int32    `json:"batchSize,omitempty"`
	BatchingWindow        int32    `json:"batchingWindow,omitempty"`
	StartingPosition      string   `json:"startingPosition,omitempty"`
	ResponseTypes         []string `json:"responseTypes,omitempty"`
	Filters               []string `json:"filters,omitempty"`
	MaxRetries            *int32   `json:"maxRetries,omitempty"`
	MaxRecordAge          *int32   `json:"maxRecordAge,omitempty"`
	Bisect                bool     `json:"bisect,omitempty"`
	OnFailure             string   `json:"onFailure,omitempty"`
	MaxConcurrency        int32    `json:"maxConcurrency,omitempty"`
	ParallelizationFactor int32    `json:"parallelizationFactor,omitempty"`
}

// API is an HTTP API with its integrations, authorizers, routes and stages.
// IDs are the exporting account's; Import maps them to the new ones.
type API struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Endpoint     string        `json:"endpoint"`
	Integrations []Integration `json:"integrations,omitempty"`
	Authorizers  []Authorizer  `json:"authorizers,omitempty"`
	Routes       []Route       `json:"routes,omitempty"`
	Stages       []Stage       `json:"stages,omitempty"`
}

// Integration is an HTTP API's Lambda proxy integration.
type Integration struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	URI           string `json:"uri"`
	PayloadFormat string `json:"payloadFormat,omitempty"`
	TimeoutMs     int32  `json:"timeoutMs,omitempty"`
}

// Authorizer is an HTTP API's Lambda authorizer.
type Authorizer struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	Type           string   `json:"type"`
	URI            string   `json:"uri"`
	IdentitySource []string `json:"identitySource,omitempty"`
	PayloadFormat  string   `json:"payloadFormat,omitempty"`
	SimpleResponse bool     `json:"simpleResponses,omitempty"`
	CacheTTL       int32    `json:"cacheTtl,omitempty"`
}

// Route is an HTTP API route.
type Route struct {
	Key               string `json:"key"`
	Target            string `json:"target,omitempty"` // integrations/<exported id>
	AuthorizationType string `json:"authorizationType,omitempty"`
	AuthorizerID      string `json:"authorizerId,omitempty"`
}

// Stage is an HTTP API stage and its throttling.
type Stage struct {
	Name       string              `json:"name"`
	AutoDeploy bool                `json:"autoDeploy,omitempty"`
	Default    *Throttle           `json:"defaultRouteSettings,omitempty"`
	Routes     map[string]Throttle `json:"routeSettings,omitempty"`
}

// Throttle is a stage's or route's throttling.
type Throttle struct {
	Rate  float64 `json:"rate,omitempty"`
	Burst int32   `json:"burst,omitempty"`
}

// LogGroup is a CloudWatch Logs group's settings.
type LogGroup struct {
	Name          string `json:"name"`
	RetentionDays int32  `json:"retentionDays,omitempty"`
}

// Alarm is a CloudWatch metric alarm on one metric.
type Alarm struct {
	Name                string            `json:"name"`
	Description         string            `json:"description,omitempty"`
	Namespace           string            `json:"namespace"`
	Metric              string            `json:"metric"`
	Dimensions          map[string]string `json:"dimensions,omitempty"`
	Statistic           string            `json:"statistic,omitempty"`
	ExtendedStatistic   string            `json:"extendedStatistic,omitempty"`
	Unit                string            `json:"unit,omitempty"`
	Period              int32             `json:"period"`
	EvaluationPeriods   int32             `json:"evaluationPeriods"`
	DatapointsToAlarm   int32             `json:"datapointsToAlarm,omitempty"`
	Threshold           float64           `json:"threshold"`
	Comparison          string            `json:"comparison"`
	TreatMissingData    string            `json:"treatMissingData,omitempty"`
	ActionsEnabled      bool              `json:"actionsEnabled"`
	AlarmActions        []string          `json:"alarmActions,omitempty"`
	OKActions           []string          `json:"okActions,omitempty"`
	InsufficientActions []string          `json:"insufficientDataActions,omitempty"`
}

// Dashboard is a CloudWatch dashboard and its body.
type Dashboard struct {
	Name string `json:"name"`
	Body string `json:"body"`
}
