package demo

import "fmt"

func count(n int64, unit string) string { return fmt.Sprintf("%d %s", n, unit) }

func fmtf(v float64, unit string) string { return fmt.Sprintf("%.3f %s", v, unit) }
