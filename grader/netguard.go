package grader

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrBlockedAddress is returned (wrapped) when a functional check's traffic
// would go to an address the Guard forbids.
var ErrBlockedAddress = errors.New("address not allowed for grader traffic")

// Guard decides where functional checks may send traffic. The grader must
// not let a learner's API (or a learner's configuration) aim it at the
// grading machine's own services, its private network or a cloud metadata
// service, so it blocks loopback, private, link-local, CGNAT and unspecified
// addresses except the exact ip:ports in Allow (see ForTarget).
//
// The check runs on the address actually dialled (after DNS resolution and
// on every redirect), so a name that resolves to a private address is caught.
// Redirects are followed only within the first request's scheme, host and
// port; a redirect elsewhere comes back to the check as the 3xx answer it is.
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

// ForTarget returns the guard for the test traffic of a run against a
// target whose own endpoint is endpoint (the local cloud's URL, whose
// listener also serves the learner's API; "" for real AWS): traffic may go
// to that endpoint's addresses and to public ones, and to any private
// address only when allowPrivate. The web app and `lab check` both use it.
func ForTarget(ctx context.Context, endpoint string, allowPrivate bool) (Guard, error) {
	g := Guard{BlockPrivate: !allowPrivate}
	if endpoint == "" || allowPrivate {
		return g, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" {
		return g, fmt.Errorf("bad target endpoint %q: want a URL such as http://127.0.0.1:4566", endpoint)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	pn, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return g, fmt.Errorf("bad target endpoint %q: bad port", endpoint)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil {
		return g, fmt.Errorf("resolve the target endpoint %s: %w", u.Hostname(), err)
	}
	for _, ip := range ips {
		g.Allow = append(g.Allow, netip.AddrPortFrom(ip.Unmap(), uint16(pn)).String())
	}
	return g, nil
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
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: sameOriginRedirects}
}

// sameOriginRedirects follows a redirect only to the scheme, host and port
// of the first request (at most 10 times). A redirect to anywhere else is
// not followed: the check gets the 3xx answer, never the other host's.
func sameOriginRedirects(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}
