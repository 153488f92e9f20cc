package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
)

// contentSecurityPolicy allows only the app's own scripts and styles.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// logRequests logs each request through slog.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	level := slog.LevelDebug
	if c.Writer.Status() >= 500 {
		level = slog.LevelError
	}
	s.log.Log(c.Request.Context(), level, "web request", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", c.Writer.Status(), "dur", time.Since(start))
}

// recoverPanics answers a panic with a 500 page and logs it once.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(c.Request.Context(), "panic in web handler", "panic", p, "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				c.String(http.StatusInternalServerError, "internal error")
			}
			c.Abort()
		}
	}()
	c.Next()
}

// securityHeaders sets the CSP and friends on every response.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	c.Next()
}

const tokenCookie = "lab_token"

// requireToken guards every page when the app is hosted for others: the
// token comes once as ?token=... (then lives in an HttpOnly cookie) or as a
// bearer token.
func (s *Server) requireToken(c *gin.Context) {
	if !s.cfg.Hosted {
		c.Next()
		return
	}
	if q := c.Query("token"); q != "" && s.tokenOK(q) {
		http.SetCookie(c.Writer, &http.Cookie{Name: tokenCookie, Value: q, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		u := *c.Request.URL
		qs := u.Query()
		qs.Del("token")
		u.RawQuery = qs.Encode()
		c.Redirect(http.StatusSeeOther, u.RequestURI())
		c.Abort()
		return
	}
	if ck, err := c.Request.Cookie(tokenCookie); err == nil && s.tokenOK(ck.Value) {
		c.Next()
		return
	}
	if a := c.GetHeader("Authorization"); len(a) > 7 && s.tokenOK(a[7:]) {
		c.Next()
		return
	}
	c.String(http.StatusUnauthorized, "This lab app needs its access token: open the link the instructor gave you (it ends in ?token=...).")
	c.Abort()
}

func (s *Server) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.cfg.Token)) == 1
}

const csrfCookie = "lab_csrf"

// csrfToken returns the request's CSRF token, setting its cookie if needed.
// The token is an HMAC of a random per-browser id, so a token cannot be
// forged without the server's key.
func (s *Server) csrfToken(c *gin.Context) string {
	if t, ok := c.Get("csrf"); ok {
		return t.(string)
	}
	id := ""
	if ck, err := c.Request.Cookie(csrfCookie); err == nil && len(ck.Value) == 32 {
		id = ck.Value
	} else {
		id = randomHex(16)
		http.SetCookie(c.Writer, &http.Cookie{Name: csrfCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	t := s.sign(id)
	c.Set("csrf", t)
	return t
}

func (s *Server) sign(id string) string {
	m := hmac.New(sha256.New, []byte(s.csrfKey))
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))
}

// checkCSRF rejects state-changing requests from another origin (by
// Sec-Fetch-Site and Origin) and, as well, those without a valid token
// (header X-CSRF-Token or form field csrf).
func (s *Server) checkCSRF(c *gin.Context) {
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		c.Next()
		return
	}
	if crossSite(c.Request) {
		c.String(http.StatusForbidden, "cross-origin request refused")
		c.Abort()
		return
	}
	ck, err := c.Request.Cookie(csrfCookie)
	tok := c.GetHeader("X-CSRF-Token")
	if tok == "" {
		tok = c.PostForm("csrf")
	}
	if err != nil || tok == "" || !hmac.Equal([]byte(tok), []byte(s.sign(ck.Value))) {
		c.String(http.StatusForbidden, "missing or invalid CSRF token: reload the page and try again")
		c.Abort()
		return
	}
	c.Next()
}

func errorPage(c *gin.Context, status int, format string, args ...any) {
	c.String(status, fmt.Sprintf(format, args...))
}
