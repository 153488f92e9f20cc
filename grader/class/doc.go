// Package class grades a whole class at once: it reads a roster (how to
// reach each learner's account), grades every learner with bounded
// concurrency and a deadline each, and writes the gradebook and per-learner
// reports an instructor imports (CSV, JSON, JUnit, Gradescope), with a
// summary of the class and of what changed since the previous run.
//
// GradeLearner grades one learner and is the unit both ways of running call:
// Grade runs it for a roster on one machine, and a queue-fed worker (one
// message per learner) would run it unchanged.
package class
