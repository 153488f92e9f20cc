package grader

import (
	"strings"
	"testing"
	"testing/fstest"
)

const quizYAML = `lab: lab0
title: Service selection
questions:
  - id: compute
    prompt: Which compute service fits this team?
    answer: lambda
    points: 2
    explanation: The team knows Lambda, not containers.
    choices:
      - {id: ec2, text: EC2, why: Not serverless.}
      - {id: lambda, text: Lambda, why: Serverless and familiar.}
  - id: db
    prompt: Which database?
    answer: ddb
    explanation: One table, key-value access.
    choices:
      - {id: rds, text: RDS, why: Instances to run.}
      - {id: ddb, text: DynamoDB, why: Hands-off.}
`

func TestQuizGrades(t *testing.T) {
	q, err := LoadQuiz(fstest.MapFS{"quiz.yaml": {Data: []byte(quizYAML)}}, "quiz.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if q.Points() != 3 {
		t.Errorf("points: got %v, want 3", q.Points())
	}
	rs, qa := q.Grade(map[string]string{"compute": "lambda", "db": "rds"})
	if rs[0].Status != Pass || rs[0].Points != 2 || rs[1].Status != Fail || rs[1].Points != 0 {
		t.Errorf("results: got %+v", rs)
	}
	if !strings.Contains(rs[1].Reason, "Instances to run.") || qa[1].Explanation != "One table, key-value access." || qa[1].Correct {
		t.Errorf("feedback: got %+v / %+v", rs[1], qa[1])
	}
	rs, _ = q.Grade(map[string]string{})
	if rs[0].Status != Fail || rs[0].Reason != "not answered" {
		t.Errorf("unanswered: got %+v", rs[0])
	}
}

func TestQuizErrorsNameLine(t *testing.T) {
	bad := strings.Replace(quizYAML, "answer: ddb", "answer: dynamo", 1)
	_, err := LoadQuiz(fstest.MapFS{"quiz.yaml": {Data: []byte(bad)}}, "quiz.yaml")
	if err == nil || !strings.Contains(err.Error(), "quiz.yaml:12:") || !strings.Contains(err.Error(), `answer "dynamo"`) {
		t.Errorf("got %v, want quiz.yaml:12 (the question) and the bad answer", err)
	}
}
