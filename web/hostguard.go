package web

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// DNS rebinding: a page on attacker.example whose name is made to resolve to
// 127.0.0.1 is, for the browser, same-origin with this app, so it could read
// pages (and their CSRF tokens) and post forms. What such a request cannot
// hide is its Host header, which carries the attacker's name. So the app
// answers only when Host names it: a loopback name (localhost, *.localhost)
// or IP, the address it is bound to, or a name the user configured
// (--allow-host).

// hostPolicy is the set of Host values the app answers to.
type hostPolicy struct {
	names map[string]bool // lower-case names and canonical IPs

	mu      *sync.Mutex
	refused map[string]bool // names refused so far (at most maxRefusedNames)
}

const maxRefusedNames = 256

// firstRefusal reports whether host is refused for the first time.
func (p hostPolicy) firstRefusal(host string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused[host] || len(p.refused) >= maxRefusedNames {
		return false
	}
	p.refused[host] = true
	return true
}

// newHostPolicy allows loopback, the bound address addr (every address of
// this machine when it is bound to all of them) and extra.
func newHostPolicy(addr string, extra []string) (hostPolicy, error) {
	p := hostPolicy{names: map[string]bool{"localhost": true}, mu: &sync.Mutex{}, refused: map[string]bool{}}
	for _, h := range extra {
		n := canonicalHost(h)
		if n == "" {
			return p, fmt.Errorf("bad allowed host %q: want a name or an IP address, without scheme or port", h)
		}
		p.names[n] = true
	}
	if addr == "" {
		return p, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		// Bound to every interface: each of this machine's addresses names
		// it, and so does the address printed at start (http://[::]:8080/,
		// which reaches loopback); an IP literal cannot come from rebinding.
		p.names["0.0.0.0"], p.names["::"] = true, true
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return p, fmt.Errorf("list this machine's addresses for the Host check: %w", err)
		}
		for _, a := range addrs {
			if pfx, err := netip.ParsePrefix(a.String()); err == nil {
				p.names[pfx.Addr().Unmap().WithZone("").String()] = true
			}
		}
		return p, nil
	}
	if n := canonicalHost(host); n != "" {
		p.names[n] = true
	}
	return p, nil
}

// canonicalHost lower-cases a Host value and drops its port, brackets and
// trailing dot; IPs come back in canonical form. "" means unusable.
func canonicalHost(h string) string {
	h = strings.TrimSpace(h)
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if h == "" || strings.ContainsAny(h, "/@:% ") && !isIP(h) {
		return ""
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Unmap().WithZone("").String()
	}
	return h
}

func isIP(h string) bool {
	_, err := netip.ParseAddr(h)
	return err == nil
}

// allows reports whether a request's Host names this app.
func (p hostPolicy) allows(host string) bool {
	n := canonicalHost(host)
	if n == "" {
		return false
	}
	if ip, err := netip.ParseAddr(n); err == nil && ip.IsLoopback() {
		return true
	}
	// Browsers resolve *.localhost to loopback themselves, never by DNS.
	return p.names[n] || strings.HasSuffix(n, ".localhost")
}

// checkHost refuses requests whose Host does not name the app, before any
// page (or token) is rendered.
func (s *Server) checkHost(c *gin.Context) {
	if s.hosts.allows(c.Request.Host) {
		c.Next()
		return
	}
	level := slog.LevelDebug
	if s.hosts.firstRefusal(c.Request.Host) {
		level = slog.LevelWarn // once per name: a page in a loop must not flood the terminal
	}
	s.log.Log(c.Request.Context(), level, "refused a request for another host name (DNS rebinding?)",
		"host", c.Request.Host, "path", c.Request.URL.Path)
	c.String(http.StatusForbidden, "This lab app answers only to its own address (localhost, 127.0.0.1 or the address it listens on). "+
		"To reach it by another name, start it with --allow-host NAME.")
	c.Abort()
}

// crossSite reports whether a state-changing request comes from a page of
// another origin, by its fetch metadata and Origin header. Another port on
// localhost is "same-site" but another origin, so only same-origin and
// none (typed by the user, a bookmark) pass.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	// The scheme is not compared: behind a TLS proxy the app sees http.
	u, err := url.Parse(o)
	return err != nil || !strings.EqualFold(u.Host, r.Host)
}
