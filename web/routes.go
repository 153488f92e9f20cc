package web

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

//go:embed static
var staticFiles embed.FS

// routes declares every route of the app in one place.
func (s *Server) routes() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(s.recoverPanics, s.logRequests, securityHeaders, s.checkHost)
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	static, _ := fs.Sub(staticFiles, "static")
	files := http.FileServer(http.FS(static))
	r.GET("/static/*file", func(c *gin.Context) {
		if c.Param("file") == "/highlight.css" {
			s.highlightCSS(c)
			return
		}
		c.Header("Cache-Control", "public, max-age=300")
		c.Request.URL.Path = c.Param("file")
		files.ServeHTTP(c.Writer, c.Request)
	})

	app := r.Group("/", s.requireToken, s.checkCSRF)
	app.GET("/", s.home)
	app.GET("/labs/:lab", s.labPage)
	app.GET("/labs/:lab/files/*file", s.labFile)
	app.POST("/labs/:lab/check", s.runChecks)
	app.POST("/labs/:lab/quiz", s.submitQuiz)
	app.GET("/attempts", s.attemptsPage)
	app.GET("/settings", s.settingsPage)
	app.POST("/settings", s.saveSettings)
	app.GET("/demo", s.demoPage)
	app.GET("/demo/events", s.demoEvents)
	app.POST("/demo/control/:action", s.demoControl)
	if s.cfg.Class != nil {
		cl := app.Group("/class")
		cl.GET("/login", s.classLoginPage)
		cl.POST("/login", s.classLogin)
		in := cl.Group("", s.requireInstructor)
		in.GET("", s.classHome)
		in.POST("/logout", s.classLogout)
		in.POST("/roster", s.classUploadRoster)
		in.POST("/c/:class/runs", s.classStartRun)
		in.GET("/runs/:run", s.classRun)
		in.POST("/runs/:run/resume", s.classResumeRun)
		in.GET("/runs/:run/events", s.classEvents)
		in.GET("/runs/:run/learners/:learner", s.classLearner)
		in.GET("/runs/:run/gradebook.csv", s.classGradebook)
		in.GET("/runs/:run/export.zip", s.classExport)
		in.GET("/demo", s.demoInstructorPage)
		in.POST("/demo/control/:action", s.demoInstructorControl)
	}
	r.NoRoute(func(c *gin.Context) { s.notFound(c, "There is no page at "+c.Request.URL.Path+".") })
	return r
}
