// Package gradescope holds a Gradescope autograder recipe built on lab
// submissions: setup.sh installs a lab binary into the autograder's image
// and run_autograder grades the learner's `lab submit` archive in a
// sandboxed local cloud and writes /autograder/results/results.json. The
// package has no Go code; its test runs the recipe's scripts.
package gradescope
