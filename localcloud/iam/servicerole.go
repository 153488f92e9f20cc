package iam

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// serviceRoleNames are the names AWS gives service-linked roles of the
// services learners meet; other services get AWSServiceRoleFor plus their
// first label, capitalised.
var serviceRoleNames = map[string]string{
	"autoscaling.amazonaws.com":                      "AWSServiceRoleForAutoScaling",
	"dynamodb.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
	// Application Auto Scaling's, one per scalable service (its user guide).
	"custom-resource.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_CustomResource",
	"ec2.application-autoscaling.amazonaws.com":             "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
	"ecs.amazonaws.com":                            "AWSServiceRoleForECS",
	"elasticbeanstalk.amazonaws.com":               "AWSServiceRoleForElasticBeanstalk",
	"elasticloadbalancing.amazonaws.com":           "AWSServiceRoleForElasticLoadBalancing",
	"es.amazonaws.com":                             "AWSServiceRoleForAmazonElasticsearchService",
	"opensearchservice.amazonaws.com":              "AWSServiceRoleForAmazonOpenSearchService",
	"rds.amazonaws.com":                            "AWSServiceRoleForRDS",
	"spot.amazonaws.com":                           "AWSServiceRoleForEC2Spot",
	"organizations.amazonaws.com":                  "AWSServiceRoleForOrganizations",
	"sso.amazonaws.com":                            "AWSServiceRoleForSSO",
	"apigateway.amazonaws.com":                     "AWSServiceRoleForAPIGateway",
	"ops.apigateway.amazonaws.com":                 "AWSServiceRoleForAPIGateway",
	"lambda.amazonaws.com":                         "AWSServiceRoleForLambda",
	"replication.dynamodb.amazonaws.com":           "AWSServiceRoleForDynamoDBReplication",
	"cloudtrail.amazonaws.com":                     "AWSServiceRoleForCloudTrail",
	"config.amazonaws.com":                         "AWSServiceRoleForConfig",
	"trustedadvisor.amazonaws.com":                 "AWSServiceRoleForTrustedAdvisor",
	"support.amazonaws.com":                        "AWSServiceRoleForSupport",
	"ecs.application-autoscaling.amazonaws.com":    "AWSServiceRoleForApplicationAutoScaling_ECSService",
	"lambda.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency",
	"sqs.amazonaws.com":                            "AWSServiceRoleForSQS",
	"logs.amazonaws.com":                           "AWSServiceRoleForLogDelivery",
	"delivery.logs.amazonaws.com":                  "AWSServiceRoleForLogDelivery",
	"cloudwatch-crossaccount.amazonaws.com":        "AWSServiceRoleForCloudWatchCrossAccount",
	"events.amazonaws.com":                         "AWSServiceRoleForCloudWatchEvents",
}

const serviceRolePath = "/aws-service-role/"

func (s *Service) serviceRoleOps(ops map[string]protocol.QueryOp) {
	ops["CreateServiceLinkedRole"] = s.createServiceLinkedRole
	ops["DeleteServiceLinkedRole"] = s.deleteServiceLinkedRole
	ops["GetServiceLinkedRoleDeletionStatus"] = s.getServiceLinkedRoleDeletionStatus
}

func serviceRoleName(service string) string {
	if n := serviceRoleNames[service]; n != "" {
		return n
	}
	first, _, _ := strings.Cut(service, ".")
	return "AWSServiceRoleFor" + strings.ToUpper(first[:1]) + first[1:]
}

func (s *Service) createServiceLinkedRole(ctx context.Context, form url.Values) (any, error) {
	service, err := required(form, "AWSServiceName")
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(service, ".amazonaws.com") || strings.HasPrefix(service, ".") {
		return nil, invalidInput("Invalid AWSServiceName: %s", service)
	}
	name := serviceRoleName(service)
	if suffix := form.Get("CustomSuffix"); suffix != "" {
		if err := validName("customSuffix", suffix, 64); err != nil {
			return nil, err
		}
		name += "_" + suffix
	}
	desc := form.Get("Description")
	if len(desc) > 1000 {
		return nil, validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acct(acct)
	if a.roles[strings.ToLower(name)] != nil {
		return nil, invalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
	}
	r := &role{account: acct, name: name, id: newID("AROA"), path: serviceRolePath + service + "/", created: s.now().UTC().Truncate(time.Second),
		trust:       `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["` + service + `"]},"Action":["sts:AssumeRole"]}]}`,
		description: desc, maxSession: 3600, holder: newHolder()}
	if err := s.tx(ctx, func(tx *sql.Tx) error { return saveRole(ctx, tx, r) }); err != nil {
		return nil, err
	}
	a.roles[strings.ToLower(name)] = r
	return struct {
		Role roleXML `xml:"Role"`
	}{r.xml(true)}, nil
}

// isServiceLinked reports whether a role is a service-linked role, which
// only its service (DeleteServiceLinkedRole) may change.
func (r *role) isServiceLinked() bool { return strings.HasPrefix(r.path, serviceRolePath) }

func unmodifiable(r *role) error {
	return &protocol.Error{Code: "UnmodifiableEntity", Message: "Cannot perform the operation on the protected role '" + r.name + "' - this role is only modifiable by AWS", Status: 400}
}

func (s *Service) deleteServiceLinkedRole(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.findRole(ctx, form)
	if err != nil {
		return nil, err
	}
	if !r.isServiceLinked() {
		return nil, invalidInput("Role %s is not a service-linked role.", r.name)
	}
	if err := s.dropRole(ctx, r); err != nil {
		return nil, err
	}
	task := "task" + r.path + r.name + "/" + protocol.NewRequestID()
	if err := s.putDoc(ctx, r.account, kindDeletionTask, task, "SUCCEEDED"); err != nil {
		return nil, err
	}
	return struct {
		DeletionTaskID string `xml:"DeletionTaskId"`
	}{task}, nil
}

const kindDeletionTask = "deletion-task"

func (s *Service) getServiceLinkedRoleDeletionStatus(ctx context.Context, form url.Values) (any, error) {
	task, err := required(form, "DeletionTaskId")
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var status string
	if !s.getDoc(protocol.IdentityFrom(ctx).AccountID, kindDeletionTask, task, &status) {
		return nil, noSuchEntity("Deletion task with id %s cannot be found.", task)
	}
	return struct {
		Status string `xml:"Status"`
	}{status}, nil
}
