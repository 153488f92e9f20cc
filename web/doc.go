// Package web is the learner's web app: the labs rendered in the browser with
// check buttons that stream the grader's results into the page, knowledge
// checks, attempts and progress kept in SQLite, and target selection (the
// local cloud or an AWS profile).
//
// Routes are in routes.go; handlers are methods on Server. Lab content is
// read through an fs.FS, so authors can point the app at the labs/ folder
// and see edits on reload.
package web
