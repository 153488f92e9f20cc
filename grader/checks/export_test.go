package checks

// NotInflight exposes notInflight to the package's external tests.
var NotInflight = notInflight
