package grader

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrBlockedAddress is returned (wrapped) when a functional check's traffic
// would go to an address the Guard forbids.
var ErrBlockedAddress = errors.New("address not allowed for grader traffic")

// Guard decides where functional checks may send traffic. A laptop grading
// its own local cloud allows everything; a web app hosted for others must not
// let a learner aim the grader at the host's private network or a cloud
// metadata service, so it blocks loopback, private, link-local, CGNAT and
// unspecified addresses except the exact host:ports in Allow.
//
// The check runs on the address actually dialled (after DNS resolution and
// on every redirect), so a name that resolves to a private address is caught.
type Guard struct {
	// BlockPrivate turns the protection on.
	BlockPrivate bool
	// Allow lists host:port pairs that are always allowed (the embedded
	// local cloud's own listener, for example).
	Allow []string
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Permits reports whether traffic may go to addr ("ip:port").
func (g Guard) Permits(addr string) error {
	if !g.BlockPrivate {
		return nil
	}
	for _, a := range g.Allow {
		if a == addr {
			return nil
		}
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %s is not an ip:port", ErrBlockedAddress, addr)
	}
	ip := ap.Addr().Unmap()
	switch {
	case ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsUnspecified(), ip.IsMulticast(), ip.IsInterfaceLocalMulticast(), cgnat.Contains(ip):
		return fmt.Errorf("%w: %s is a private, loopback or link-local address (the web app is hosted for others, so the grader only tests public endpoints)", ErrBlockedAddress, ap.Addr())
	}
	return nil
}

// Client returns an HTTP client whose every connection is checked by g.
func (g Guard) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		return g.Permits(address)
	}}
	tr := &http.Transport{
		Proxy: nil, // a proxy would hide the real destination
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       30 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}
