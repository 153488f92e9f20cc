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
	listenFD := fs.Int("listen-fd", 0, "serve on this inherited listening socket (opened by the grader outside the network namespace)")
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
	var lns []net.Listener
	if *listenFD > 0 {
		ln, err := net.FileListener(os.NewFile(uintptr(*listenFD), "listener"))
		if err != nil {
			return fmt.Errorf("serve-isolated: inherited listener: %w", err)
		}
		lns = append(lns, ln)
	}
	dataDir := *data
	if *jail != "" {
		inner, err := enterJail(*jail, dataDir)
		if err != nil {
			return fmt.Errorf("serve-isolated: jail: %w", err)
		}
		dataDir = inner
		if err := loopbackUp(); err != nil {
			return fmt.Errorf("serve-isolated: %w", err)
		}
	}
	addr := "127.0.0.1:0"
	if len(lns) > 0 {
		addr = lns[0].Addr().String() // the same address on this namespace's own loopback, for the functions
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve-isolated: %w", err)
	}
	lns = append(lns, ln)
	endpoint := "http://" + ln.Addr().String()
	c, err := localcloud.New(localcloud.Config{DataDir: dataDir, Endpoint: endpoint})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { io.Copy(io.Discard, stdin); cancel() }()
	errc := make(chan error, len(lns))
	for _, l := range lns {
		go func() { errc <- c.Serve(ctx, l) }()
	}
	if _, err := fmt.Fprintf(stdout, "%s%s\n", readyPrefix, endpoint); err != nil {
		return err
	}
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}
	err = <-errc
	cancel()
	for range len(lns) - 1 {
		<-errc
	}
	return err
}
