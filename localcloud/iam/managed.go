package iam

import "time"

// awsManaged describes an AWS managed policy that exists in every account.
type awsManaged struct {
	name, path, id, version string
	created, updated        string
	document                string
}

// managedPolicies are the AWS managed policies the labs and their learners
// use, with their real ARNs and documents; the long ones (ReadOnlyAccess,
// the DynamoDB and Logs full-access policies) are abbreviated to the
// actions of the services the local cloud serves, as their comments say.
var managedPolicies = []awsManaged{
	{
		name: "AWSLambdaBasicExecutionRole", path: "/service-role/", id: "ANPAJNCQGXC42545SKXIK", version: "v1",
		created: "2015-04-09T15:03:43Z", updated: "2015-04-09T15:03:43Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents"
            ],
            "Resource": "*"
        }
    ]
}`,
	},
	{
		name: "AWSLambdaSQSQueueExecutionRole", path: "/service-role/", id: "ANPAJFWJZI6JNND4TSELK", version: "v2",
		created: "2016-06-14T21:34:04Z", updated: "2023-08-08T20:12:22Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents"
            ],
            "Resource": "*"
        }
    ]
}`,
	},
	{
		name: "AWSLambdaDynamoDBExecutionRole", path: "/service-role/", id: "ANPAIP7WNAGMIPYNW4WQG", version: "v1",
		created: "2015-04-09T15:09:29Z", updated: "2015-04-09T15:09:29Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents"
            ],
            "Resource": "*"
        }
    ]
}`,
	},
	{
		name: "AWSLambdaExecute", path: "/", id: "ANPAJE5FX7FQZSU5XAKGO", version: "v1",
		created: "2015-02-06T18:40:46Z", updated: "2015-02-06T18:40:46Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "logs:*"
            ],
            "Resource": "arn:aws:logs:*:*:*"
        },
        {
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:PutObject"
            ],
            "Resource": "arn:aws:s3:::*"
        }
    ]
}`,
	},
	{
		name: "AWSLambdaRole", path: "/service-role/", id: "ANPAJX4DPCRGTC4NFDUXI", version: "v2",
		created: "2015-02-06T18:41:28Z", updated: "2018-12-18T12:13:27Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "lambda:InvokeFunction"
            ],
            "Resource": [
                "*"
            ]
        }
    ]
}`,
	},
	{
		name: "AdministratorAccess", path: "/", id: "ANPAIWMBCKSKIEE64ZLYK", version: "v1",
		created: "2015-02-06T18:39:46Z", updated: "2015-02-06T18:39:46Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*"
        }
    ]
}`,
	},
	{
		name: "AmazonSQSFullAccess", path: "/", id: "ANPAI65L554VRJ33ECQS6", version: "v1",
		created: "2015-02-06T18:41:07Z", updated: "2015-02-06T18:41:07Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "sqs:*"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}`,
	},
	{
		name: "AWSXRayDaemonWriteAccess", path: "/", id: "ANPAIOE47TSUJK3YNYLZE", version: "v1",
		created: "2018-08-28T23:00:33Z", updated: "2018-08-28T23:00:33Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries"
            ],
            "Resource": [
                "*"
            ]
        }
    ]
}`,
	},
	{
		name: "AmazonAPIGatewayInvokeFullAccess", path: "/", id: "ANPAIIWAX2NOOQJ4AIEQ6", version: "v1",
		created: "2015-07-09T18:50:44Z", updated: "2015-07-09T18:50:44Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "execute-api:Invoke",
                "execute-api:ManageConnections"
            ],
            "Resource": "arn:aws:execute-api:*:*:*"
        }
    ]
}`,
	},
	{
		name: "AmazonSNSFullAccess", path: "/", id: "ANPAJWEKLCXXUNT2SOLSG", version: "v1",
		created: "2015-02-06T18:41:05Z", updated: "2015-02-06T18:41:05Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "sns:*"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}`,
	},
	{
		// Abbreviated: the real document also grants the Auto Scaling,
		// CloudWatch, Data Pipeline, EC2, IAM, KMS, Lambda and SNS actions
		// the DynamoDB console uses.
		name: "AmazonDynamoDBFullAccess", path: "/", id: "ANPAINUGF2JSOSUY76KYA", version: "v1",
		created: "2015-02-06T18:40:11Z", updated: "2015-02-06T18:40:11Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "dynamodb:*",
                "cloudwatch:GetMetricStatistics",
                "cloudwatch:ListMetrics",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}`,
	},
	{
		// Abbreviated: the real document lists a few more describe actions.
		name: "AmazonDynamoDBReadOnlyAccess", path: "/", id: "ANPAIY2XFNA232XJ6J7X2", version: "v1",
		created: "2015-02-06T18:40:12Z", updated: "2015-02-06T18:40:12Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "dynamodb:BatchGetItem",
                "dynamodb:Describe*",
                "dynamodb:List*",
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:PartiQLSelect",
                "cloudwatch:GetMetricStatistics",
                "cloudwatch:ListMetrics"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}`,
	},
	{
		// Abbreviated: the real document also grants the CloudWatch
		// actions Logs Insights uses.
		name: "CloudWatchLogsFullAccess", path: "/", id: "ANPAJ3ZGNWK2R5HW5BQFO", version: "v1",
		created: "2015-02-06T18:40:00Z", updated: "2015-02-06T18:40:00Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "logs:*"
            ],
            "Effect": "Allow",
            "Resource": "*"
        }
    ]
}`,
	},
	{
		name: "AmazonSQSReadOnlyAccess", path: "/", id: "ANPAIUGSSQY362XGCM6KW", version: "v1",
		created: "2015-02-06T18:41:08Z", updated: "2015-02-06T18:41:08Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ListDeadLetterSourceQueues",
                "sqs:ListQueues",
                "sqs:ListMessageMoveTasks",
                "sqs:ListQueueTags"
            ],
            "Resource": "*"
        }
    ]
}`,
	},
	{
		name: "ReadOnlyAccess", path: "/", id: "ANPAILL3HVNFSB6DCOWYQ", version: "v1",
		created: "2015-02-06T18:39:48Z", updated: "2015-02-06T18:39:48Z",
		document: `{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AbbreviatedReadOnlyAccess",
            "Effect": "Allow",
            "Action": [
                "apigateway:GET",
                "cloudwatch:Describe*",
                "cloudwatch:Get*",
                "cloudwatch:List*",
                "dynamodb:BatchGetItem",
                "dynamodb:Describe*",
                "dynamodb:GetItem",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:List*",
                "dynamodb:Query",
                "dynamodb:Scan",
                "iam:Get*",
                "iam:List*",
                "lambda:Get*",
                "lambda:List*",
                "logs:Describe*",
                "logs:FilterLogEvents",
                "logs:Get*",
                "logs:ListTagsForResource",
                "logs:ListTagsLogGroup",
                "sns:Get*",
                "sns:List*",
                "sqs:Get*",
                "sqs:List*",
                "sts:GetCallerIdentity"
            ],
            "Resource": "*"
        }
    ]
}`,
	},
}

// awsPolicies are the AWS managed policies by ARN. They are never modified.
var awsPolicies = func() map[string]*policy {
	m := map[string]*policy{}
	for _, mp := range managedPolicies {
		created, _ := time.Parse(time.RFC3339, mp.created)
		updated, _ := time.Parse(time.RFC3339, mp.updated)
		p := &policy{
			account: "aws", name: mp.name, id: mp.id, path: mp.path, arn: policyARN("aws", mp.path, mp.name),
			created: created, updated: updated, defaultVersion: mp.version,
			versions: map[string]*policyVersion{mp.version: {id: mp.version, document: mp.document, created: updated}},
		}
		m[p.arn] = p
	}
	return m
}()
