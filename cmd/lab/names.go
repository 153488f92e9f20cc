package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/labkit-dev/labkit/labs"
)

// runNames shows or changes the resource names recorded in the learner's
// config: `lab names`, `lab names set KEY NAME`, `lab names reset KEY`.
func runNames(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lab names", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", labs.ConfigPath(), "your labkit config")
	if err := fs.Parse(reorder(args)); err != nil {
		return flagErr(err)
	}
	c, err := labs.LoadConfig(*path)
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "", "list":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		names := c.ResolvedNames()
		fmt.Fprintln(tw, "KEY\tNAME\t")
		for _, k := range labs.NameKeys() {
			mark := ""
			if _, custom := c.Names[k]; custom {
				mark = "(yours)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", k, names[k], mark)
		}
		return tw.Flush()
	case "set":
		if fs.NArg() != 3 {
			return &exitError{code: 2, err: fmt.Errorf("usage: lab names set KEY NAME")}
		}
		key, name := fs.Arg(1), fs.Arg(2)
		if _, ok := labs.DefaultNames()[key]; !ok {
			return &exitError{code: 2, err: fmt.Errorf("unknown key %q: run `lab names` to see the keys", key)}
		}
		if c.Names == nil {
			c.Names = map[string]string{}
		}
		c.Names[key] = name
	case "reset":
		if fs.NArg() != 2 {
			return &exitError{code: 2, err: fmt.Errorf("usage: lab names reset KEY")}
		}
		delete(c.Names, fs.Arg(1))
	default:
		return &exitError{code: 2, err: fmt.Errorf("unknown subcommand %q: want list, set or reset", fs.Arg(0))}
	}
	if err := labs.SaveConfig(*path, c); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saved in %s; the kit and the grader use these names from now on\n", *path)
	return nil
}
