package grader

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// Quiz is a lab's knowledge check: multiple-choice questions whose answers
// come with explanations shown after grading.
type Quiz struct {
	Lab       string     `yaml:"lab"`
	Title     string     `yaml:"title"`
	Questions []Question `yaml:"questions"`
	Path      string     `yaml:"-"`
}

// Question is one question of a quiz.
type Question struct {
	ID      string   `yaml:"id"`
	Prompt  string   `yaml:"prompt"`
	Choices []Choice `yaml:"choices"`
	// Answer is the id of the right choice.
	Answer      string  `yaml:"answer"`
	Points      float64 `yaml:"points"`
	Explanation string  `yaml:"explanation"`
}

// Choice is one answer a learner may pick.
type Choice struct {
	ID   string `yaml:"id"`
	Text string `yaml:"text"`
	// Why explains why this choice is right or wrong.
	Why string `yaml:"why"`
}

// LoadQuiz reads and validates the quiz at path; errors name file and line.
func LoadQuiz(fsys fs.FS, path string) (*Quiz, error) {
	data, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, &ManifestError{Path: path, Msg: err.Error(), Err: err}
	}
	var q Quiz
	if err := yaml.UnmarshalWithOptions(data, &q, yaml.DisallowUnknownField()); err != nil {
		return nil, yamlError(path, err)
	}
	q.Path = path
	lineOf := func(id string) int {
		for i, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, "id: "+id) {
				return i + 1
			}
		}
		return 0
	}
	if q.Lab == "" {
		return nil, &ManifestError{Path: path, Line: 1, Msg: "missing `lab:`"}
	}
	seen := map[string]bool{}
	for _, qu := range q.Questions {
		line := lineOf(qu.ID)
		if qu.ID == "" || seen[qu.ID] {
			return nil, &ManifestError{Path: path, Line: line, Msg: fmt.Sprintf("question id %q is empty or used twice", qu.ID)}
		}
		seen[qu.ID] = true
		if qu.Prompt == "" || qu.Explanation == "" || len(qu.Choices) < 2 {
			return nil, &ManifestError{Path: path, Line: line, Msg: fmt.Sprintf("question %q needs a prompt, an explanation and at least two choices", qu.ID)}
		}
		ok := false
		for _, c := range qu.Choices {
			if c.ID == qu.Answer {
				ok = true
			}
		}
		if !ok {
			return nil, &ManifestError{Path: path, Line: line, Msg: fmt.Sprintf("question %q: answer %q is not one of its choices", qu.ID, qu.Answer)}
		}
	}
	return &q, nil
}

// Points returns the quiz's maximum score (a question without points is
// worth 1).
func (q *Quiz) Points() float64 {
	var p float64
	for _, qu := range q.Questions {
		p += qu.points()
	}
	return p
}

func (qu Question) points() float64 {
	if qu.Points == 0 {
		return 1
	}
	return qu.Points
}

// QuizAnswer is the graded answer to one question.
type QuizAnswer struct {
	QuestionID  string
	Chosen      string
	Correct     bool
	Points, Max float64
	// Explanation is the question's explanation plus why the chosen answer
	// is right or wrong.
	Explanation string
	ChosenWhy   string
}

// Grade grades answers (question id -> choice id). It returns one result
// per question (as grader Results, so reports and progress treat quizzes
// like any other checks) and the per-question feedback.
func (q *Quiz) Grade(answers map[string]string) ([]Result, []QuizAnswer) {
	var rs []Result
	var qa []QuizAnswer
	for i, qu := range q.Questions {
		chosen := answers[qu.ID]
		a := QuizAnswer{QuestionID: qu.ID, Chosen: chosen, Max: qu.points(), Explanation: qu.Explanation}
		for _, c := range qu.Choices {
			if c.ID == chosen {
				a.ChosenWhy = c.Why
			}
		}
		r := Result{Lab: q.Lab, CheckID: "q" + strconv.Itoa(i+1) + "-" + qu.ID, Title: qu.Prompt, Max: qu.points()}
		switch {
		case chosen == "":
			r.Status, r.Reason = Fail, "not answered"
		case chosen == qu.Answer:
			a.Correct, a.Points = true, qu.points()
			r.Status, r.Points = Pass, qu.points()
			r.Evidence = []string{qu.Explanation}
		default:
			r.Status, r.Reason = Fail, "not the best choice: "+a.ChosenWhy
			r.Hints = []string{qu.Explanation}
		}
		rs = append(rs, r)
		qa = append(qa, a)
	}
	return rs, qa
}
