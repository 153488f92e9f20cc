package submission

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/labkit-dev/labkit/localcloud"
)

// ServeIsolated is the sandbox's side (`lab submission serve-isolated`): it
// applies its resource limits, confines itself to its directory when asked
// (--jail, Linux), starts a local cloud on a free loopback port, prints
// where, and serves until ctx is done or its standard input closes (the
// grader is gone).
func ServeIsolated(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lab submission serve-isolated", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "data directory")
	jail := fs.String("jail", "", "confine the process to this directory (Linux, inside its own namespaces)")
	var lim Limits
	fs.Uint64Var(&lim.CPUSeconds, "cpu", 0, "RLIMIT_CPU seconds")
	fs.Uint64Var(&lim.AddressMiB, "as-mib", 0, "RLIMIT_AS MiB")
	fs.Uint64Var(&lim.FileMiB, "fsize-mib", 0, "RLIMIT_FSIZE MiB")
	fs.Uint64Var(&lim.OpenFiles, "nofile", 0, "RLIMIT_NOFILE")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return fmt.Errorf("serve-isolated: --data is required")
	}
	if err := applyLimits(lim.withDefaults()); err != nil {
		return fmt.Errorf("serve-isolated: limits: %w", err)
	}
	dataDir := *data
	if *jail != "" {
		inner, err := enterJail(*jail, dataDir)
		if err != nil {
			return fmt.Errorf("serve-isolated: jail: %w", err)
		}
		dataDir = inner
	}
	c, err := localcloud.New(localcloud.Config{DataDir: dataDir})
	if err != nil {
		return err
	}
	defer c.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("serve-isolated: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { io.Copy(io.Discard, stdin); cancel() }()
	if _, err := fmt.Fprintf(stdout, "%shttp://%s\n", readyPrefix, ln.Addr()); err != nil {
		return err
	}
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}
	return c.Serve(ctx, ln)
}
