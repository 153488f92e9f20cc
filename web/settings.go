package web

import (
	"bufio"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/labkit-dev/labkit/labs"
)

type settingsView struct {
	Config   labs.Config
	Profiles []string
	Regions  []string
	Local    string
	Saved    bool
	Error    string
	Hosted   bool
	CSRF     string
}

// regions offered in the target form; the learner's own is added if missing.
var regions = []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
	"eu-central-1", "eu-north-1", "eu-south-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "sa-east-1"}

func (s *Server) settingsPage(c *gin.Context) {
	s.render(c, http.StatusOK, "settings.html", "Target", "settings", s.settingsView(c, c.Query("saved") == "1", ""))
}

func (s *Server) settingsView(c *gin.Context, saved bool, errMsg string) settingsView {
	lc := s.learnerConfig()
	rs := append([]string(nil), regions...)
	if lc.Region != "" && !contains(rs, lc.Region) {
		rs = append(rs, lc.Region)
	}
	return settingsView{Config: lc, Profiles: s.profiles(), Regions: rs, Local: s.cfg.LocalEndpoint, Saved: saved, Error: errMsg, Hosted: s.cfg.Hosted, CSRF: s.csrfToken(c)}
}

var profileName = regexp.MustCompile(`^[A-Za-z0-9_.@+-]{1,64}$`)

// saveSettings stores the chosen target in the learner's config. It never
// takes keys: on AWS the grader uses the named profile's credentials, which
// stay in the learner's AWS config.
func (s *Server) saveSettings(c *gin.Context) {
	lc := s.learnerConfig()
	switch c.PostForm("target") {
	case "local":
		lc.Target, lc.Profile = "local", ""
		lc.Region = ""
	case "aws":
		if s.cfg.Hosted {
			s.render(c, http.StatusBadRequest, "settings.html", "Target", "settings", s.settingsView(c, false, "A hosted lab app grades the local cloud only."))
			return
		}
		p, r := c.PostForm("profile"), c.PostForm("region")
		if (p != "" && !profileName.MatchString(p)) || !contains(regions, r) && r != lc.Region {
			s.render(c, http.StatusBadRequest, "settings.html", "Target", "settings", s.settingsView(c, false, "Choose one of your AWS profiles and a region."))
			return
		}
		lc.Target, lc.Profile, lc.Region = "aws", p, r
	default:
		s.render(c, http.StatusBadRequest, "settings.html", "Target", "settings", s.settingsView(c, false, "Choose the local cloud or AWS."))
		return
	}
	if err := labs.SaveConfig(s.cfg.ConfigPath, lc); err != nil {
		s.log.ErrorContext(c.Request.Context(), "save config", "err", err)
		s.render(c, http.StatusInternalServerError, "settings.html", "Target", "settings", s.settingsView(c, false, "Could not save your choice."))
		return
	}
	c.Redirect(http.StatusSeeOther, "/settings?saved=1")
}

// profiles lists the learner's AWS profile names (never their keys).
func (s *Server) profiles() []string {
	home, _ := os.UserHomeDir()
	files := []string{s.cfg.AWSConfigFile}
	if s.cfg.AWSConfigFile == "" {
		files = []string{filepath.Join(home, ".aws", "config"), filepath.Join(home, ".aws", "credentials")}
	}
	seen := map[string]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
				continue
			}
			name := strings.TrimSpace(strings.TrimPrefix(strings.Trim(line, "[]"), "profile "))
			if profileName.MatchString(name) && !strings.HasPrefix(name, "sso-session") {
				seen[name] = true
			}
		}
		fh.Close()
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
