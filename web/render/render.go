// Package render turns lab markdown into safe HTML for the web app: GitHub
// flavoured markdown, heading anchors and a table of contents, code
// highlighting with CSS classes (no inline styles, so the page's
// Content-Security-Policy holds), callouts, and check buttons.
//
// Raw HTML in the markdown is never rendered, and dangerous link schemes are
// dropped: lab content is treated as untrusted.
package render

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"path"
	"regexp"
	"strings"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Heading is an entry of a page's table of contents.
type Heading struct {
	Level int
	ID    string
	Text  string
}

// Page is rendered markdown.
type Page struct {
	// Title is the text of a leading level-1 heading, which is taken out of
	// HTML so the page can place it above its own furniture.
	Title string
	HTML  template.HTML
	TOC   []Heading
	// Steps are the step ids of the check buttons, in page order.
	Steps []string
}

// Renderer renders markdown; it is safe for concurrent use.
type Renderer struct {
	md goldmark.Markdown
}

// New returns a renderer. One is built at start-up and shared.
func New() *Renderer {
	return &Renderer{md: goldmark.New(
		goldmark.WithExtensions(
			extension.GFM,
			CheckButtons,
			highlighting.NewHighlighting(
				highlighting.WithStyle("github"),
				highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
			),
		),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(labTransformer{}, 100)),
		),
	)}
}

// Render renders src. Relative links and images are resolved against
// assetBase (the URL path the lab's files are served under).
func (r *Renderer) Render(src []byte, assetBase string) (Page, error) {
	pc := parser.NewContext()
	pc.Set(assetBaseKey, assetBase)
	doc := r.md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	var p Page
	if h, ok := doc.FirstChild().(*ast.Heading); ok && h.Level == 1 {
		p.Title = plainText(h, src)
		doc.RemoveChild(doc, h)
	}
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level >= 2 && n.Level <= 3 {
				id, _ := n.AttributeString("id")
				idb, _ := id.([]byte)
				p.TOC = append(p.TOC, Heading{Level: n.Level, ID: string(idb), Text: plainText(n, src)})
			}
		case *CheckButton:
			p.Steps = append(p.Steps, n.Step)
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return Page{}, fmt.Errorf("walk markdown: %w", err)
	}
	var buf bytes.Buffer
	if err := r.md.Renderer().Render(&buf, src, doc); err != nil {
		return Page{}, fmt.Errorf("render markdown: %w", err)
	}
	p.HTML = template.HTML(buf.String())
	return p, nil
}

var assetBaseKey = parser.NewContextKey()

// labTransformer resolves relative links and images against the asset base
// in the parser context, and marks callouts.
type labTransformer struct{}

func (labTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	base, _ := pc.Get(assetBaseKey).(string)
	src := reader.Source()
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			n.Destination = resolve(n.Destination, base)
		case *ast.Link:
			n.Destination = resolve(n.Destination, base)
		case *ast.Blockquote:
			markCallout(n, src)
		}
		return ast.WalkContinue, nil
	})
}

// resolve makes a relative reference absolute under base; absolute URLs,
// fragments and root paths are kept.
func resolve(dest []byte, base string) []byte {
	d := string(dest)
	if base == "" || d == "" || strings.HasPrefix(d, "#") || strings.HasPrefix(d, "/") {
		return dest
	}
	if u, err := url.Parse(d); err != nil || u.Scheme != "" || u.Host != "" {
		return dest
	}
	return []byte(path.Join(base, d))
}

// callouts maps a blockquote's first bold word to its callout class.
var callouts = map[string]string{
	"note": "note", "tip": "tip", "warning": "warning", "important": "important",
	"caution": "warning", "console": "console",
}

var alertLine = regexp.MustCompile(`^\[!([A-Za-z]+)\]\s*$`)

// markCallout gives `> **Note:** ...` and GitHub's `> [!NOTE]` blockquotes a
// callout class.
func markCallout(bq *ast.Blockquote, src []byte) {
	para, ok := bq.FirstChild().(*ast.Paragraph)
	if !ok || para.Lines().Len() == 0 {
		return
	}
	var word string
	first := para.Lines().At(0)
	if m := alertLine.FindSubmatch(first.Value(src)); m != nil {
		word = strings.ToLower(string(m[1]))
		if _, known := callouts[word]; known {
			// GitHub's marker line is syntax, not content: drop it.
			for c := para.FirstChild(); c != nil; {
				next := c.NextSibling()
				para.RemoveChild(para, c)
				if t, ok := c.(*ast.Text); ok && (t.SoftLineBreak() || t.HardLineBreak()) {
					break
				}
				c = next
			}
		}
	} else if em, ok := para.FirstChild().(*ast.Emphasis); ok && em.Level == 2 {
		word = strings.TrimSuffix(strings.ToLower(plainText(em, src)), ":")
	}
	if class, ok := callouts[word]; ok {
		bq.SetAttributeString("class", []byte("callout callout-"+class))
	}
}

func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch t := c.(type) {
			case *ast.Text:
				b.Write(t.Segment.Value(src))
			case *ast.String:
				b.Write(t.Value)
			case *ast.CodeSpan:
				for ch := t.FirstChild(); ch != nil; ch = ch.NextSibling() {
					if tt, ok := ch.(*ast.Text); ok {
						b.Write(tt.Segment.Value(src))
					}
				}
				return ast.WalkSkipChildren, nil
			}
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// HighlightCSS returns the stylesheet for highlighted code: a light style,
// and a dark one under prefers-color-scheme: dark.
func HighlightCSS() (string, error) {
	f := chromahtml.New(chromahtml.WithClasses(true))
	var light, dark bytes.Buffer
	if err := f.WriteCSS(&light, styles.Get("github")); err != nil {
		return "", err
	}
	if err := f.WriteCSS(&dark, styles.Get("github-dark")); err != nil {
		return "", err
	}
	return light.String() + "\n@media (prefers-color-scheme: dark) {\n" + dark.String() + "}\n", nil
}
