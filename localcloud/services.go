package localcloud

import (
	"fmt"

	"github.com/labkit-dev/labkit/localcloud/apigw"
	"github.com/labkit-dev/labkit/localcloud/dynamo"
	"github.com/labkit-dev/labkit/localcloud/iam"
	"github.com/labkit-dev/labkit/localcloud/lambda"
	"github.com/labkit-dev/labkit/localcloud/logs"
	"github.com/labkit-dev/labkit/localcloud/monitoring"
	"github.com/labkit-dev/labkit/localcloud/s3"
	"github.com/labkit-dev/labkit/localcloud/sns"
	"github.com/labkit-dev/labkit/localcloud/sqs"
)

// build constructs every service and wires the calls between them: SNS
// delivers to SQS and invokes Lambda, Lambda takes code from S3, API
// Gateway invokes Lambda, Lambda writes functions' output to CloudWatch
// Logs, CloudWatch Logs exports to S3, CloudWatch alarms publish to SNS,
// and STS's temporary credentials resolve to their role's account.
func (c *Cloud) build() error {
	d, ep, log, bus := c.cfg.DataDir, c.cfg.Endpoint, c.log, c.bus
	must := func(name string, s service, err error) error {
		if err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		c.add(name, s)
		return nil
	}

	identity, err := iam.New(iam.Config{DataDir: d, Endpoint: ep, Logger: log.With("service", "iam"), Bus: bus})
	if err := must("iam", identity, err); err != nil {
		return err
	}
	c.router.Handle(identity.STSRoute())
	c.router.SetResolver(identity)

	objects, err := s3.New(s3.Config{DataDir: d, Logger: log.With("service", "s3"), Bus: bus, MaxObjectSize: c.cfg.S3MaxObjectSize, UploadMaxAge: c.cfg.S3UploadMaxAge})
	if err := must("s3", objects, err); err != nil {
		return err
	}
	logSvc, err := logs.New(logs.Config{DataDir: d, Endpoint: ep, Logger: log.With("service", "logs"), Bus: bus, Exports: objects})
	if err := must("logs", logSvc, err); err != nil {
		return err
	}
	db, err := dynamo.New(dynamo.Config{DataDir: d, Endpoint: ep, Logger: log.With("service", "dynamodb"), Bus: bus, TableDelay: c.cfg.TableDelay})
	if err := must("dynamodb", db, err); err != nil {
		return err
	}
	queues, err := sqs.New(sqs.Config{DataDir: d, Endpoint: ep, Logger: log.With("service", "sqs"), Bus: bus})
	if err := must("sqs", queues, err); err != nil {
		return err
	}
	conc := c.cfg.LambdaConcurrency
	if conc == 0 {
		conc = DefaultLambdaConcurrency
	}
	fns, err := lambda.New(lambda.Config{DataDir: d, Endpoint: ep, Logger: log.With("service", "lambda"), Bus: bus, Logs: logSvc, AccountConcurrency: conc, Roles: identity, Code: objects})
	if err := must("lambda", fns, err); err != nil {
		return err
	}
	topics, err := sns.New(sns.Config{DataDir: d, Endpoint: ep, Logger: log.With("service", "sns"), Bus: bus, Queues: queues, Functions: fns})
	if err := must("sns", topics, err); err != nil {
		return err
	}
	apis, err := apigw.New(apigw.Config{DataDir: d, Endpoint: ep, Logger: log.With("service", "apigateway"), Bus: bus, Functions: fns})
	if err := must("apigateway", apis, err); err != nil {
		return err
	}
	metrics, err := monitoring.New(monitoring.Config{DataDir: d, Logger: log.With("service", "monitoring"), Bus: bus, Topics: topics,
		EvaluationInterval: c.cfg.AlarmEvaluationInterval, Queues: queues, NoServiceMetrics: c.cfg.NoServiceMetrics})
	if err := must("monitoring", metrics, err); err != nil {
		return err
	}
	logSvc.SetMetrics(metrics)
	logSvc.SetFunctions(fns)
	return nil
}
