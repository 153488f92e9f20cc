package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"
)

// The instructor's session: a random token in an HttpOnly, SameSite=Strict
// cookie (Secure under TLS), kept server-side only as its SHA-256.
const (
	instructorCookie = "lab_instructor"
	sessionTTL       = 8 * time.Hour
)

// Login attempts are rate-limited per client address and overall, so a page
// (or a class) cannot guess the password: after the limit, logins are
// refused without checking the password until the window passes.
const (
	loginWindow      = 5 * time.Minute
	loginPerAddr     = 5
	loginOverall     = 30
	bcryptCost       = 12
	minPasswordBytes = 10
)

// HashPassword returns the bcrypt hash `lab class passwd` stores; a
// password shorter than 10 bytes (or longer than bcrypt's 72) is refused.
func HashPassword(password string) ([]byte, error) {
	if len(password) < minPasswordBytes || len(password) > 72 {
		return nil, fmt.Errorf("the instructor password must be %d to 72 bytes long", minPasswordBytes)
	}
	return bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
}

// instructorAuth holds sessions and the login limiter.
type instructorAuth struct {
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]time.Time // sha256(token) -> expiry
	failures map[string][]time.Time
	overall  []time.Time
}

func newInstructorAuth(now func() time.Time) *instructorAuth {
	return &instructorAuth{now: now, sessions: map[string]time.Time{}, failures: map[string][]time.Time{}}
}

func tokenKey(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

func recent(ts []time.Time, since time.Time) []time.Time {
	out := ts[:0]
	for _, t := range ts {
		if t.After(since) {
			out = append(out, t)
		}
	}
	return out
}

// limited reports whether addr may not try a password now.
func (a *instructorAuth) limited(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	since := a.now().Add(-loginWindow)
	a.failures[addr] = recent(a.failures[addr], since)
	a.overall = recent(a.overall, since)
	return len(a.failures[addr]) >= loginPerAddr || len(a.overall) >= loginOverall
}

func (a *instructorAuth) failed(addr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failures[addr] = append(a.failures[addr], a.now())
	a.overall = append(a.overall, a.now())
}

func (a *instructorAuth) start() string {
	tok := randomHex(32)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sessions[tokenKey(tok)] = a.now().Add(sessionTTL)
	return tok
}

func (a *instructorAuth) valid(tok string) bool {
	if tok == "" {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k := tokenKey(tok)
	exp, ok := a.sessions[k]
	if ok && a.now().After(exp) {
		delete(a.sessions, k)
		return false
	}
	return ok
}

func (a *instructorAuth) end(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, tokenKey(tok))
}

func (s *Server) sessionCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: instructorCookie, Value: value, Path: "/class", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Request.TLS != nil})
}

// requireInstructor lets only a logged-in instructor through.
func (s *Server) requireInstructor(c *gin.Context) {
	ck, err := c.Request.Cookie(instructorCookie)
	if err != nil || !s.auth.valid(ck.Value) {
		c.Redirect(http.StatusSeeOther, "/class/login")
		c.Abort()
		return
	}
	c.Next()
}

type loginView struct {
	CSRF    string
	Error   string
	NoHash  bool
	Limited bool
}

func (s *Server) classLoginPage(c *gin.Context) {
	h, err := s.cfg.Store.InstructorHash(c.Request.Context())
	if err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	s.render(c, http.StatusOK, "class_login.html", "Instructor login", "class", loginView{CSRF: s.csrfToken(c), NoHash: h == nil})
}

// classLogin checks the password (rate-limited by the client's own address,
// never a header it could forge) and starts a session.
func (s *Server) classLogin(c *gin.Context) {
	addr := c.RemoteIP()
	if s.auth.limited(addr) {
		s.render(c, http.StatusTooManyRequests, "class_login.html", "Instructor login", "class",
			loginView{CSRF: s.csrfToken(c), Limited: true, Error: "Too many failed logins: wait a few minutes and try again."})
		return
	}
	h, err := s.cfg.Store.InstructorHash(c.Request.Context())
	if err != nil {
		errorPage(c, http.StatusInternalServerError, "%v", err)
		return
	}
	if h == nil {
		s.render(c, http.StatusForbidden, "class_login.html", "Instructor login", "class", loginView{CSRF: s.csrfToken(c), NoHash: true})
		return
	}
	if bcrypt.CompareHashAndPassword(h, []byte(c.PostForm("password"))) != nil {
		s.auth.failed(addr)
		s.log.WarnContext(c.Request.Context(), "instructor login refused", "addr", addr)
		s.render(c, http.StatusUnauthorized, "class_login.html", "Instructor login", "class", loginView{CSRF: s.csrfToken(c), Error: "Wrong password."})
		return
	}
	s.sessionCookie(c, s.auth.start(), int(sessionTTL.Seconds()))
	c.Redirect(http.StatusSeeOther, "/class")
}

func (s *Server) classLogout(c *gin.Context) {
	if ck, err := c.Request.Cookie(instructorCookie); err == nil {
		s.auth.end(ck.Value)
	}
	s.sessionCookie(c, "", -1)
	c.Redirect(http.StatusSeeOther, "/class/login")
}
