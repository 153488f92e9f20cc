package render

import (
	"regexp"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// KindCheckButton is the node kind of a check marker.
var KindCheckButton = ast.NewNodeKind("CheckButton")

// CheckButton is a `[[check STEP]]` line: a button that runs the checks of
// STEP ("all" for the whole lab).
type CheckButton struct {
	ast.BaseBlock
	Step string
}

// Kind implements ast.Node.
func (n *CheckButton) Kind() ast.NodeKind { return KindCheckButton }

// Dump implements ast.Node.
func (n *CheckButton) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Step": n.Step}, nil)
}

var checkLine = regexp.MustCompile(`^\[\[check ([a-z0-9][a-z0-9-]*)\]\]\s*$`)

type checkParser struct{}

func (checkParser) Trigger() []byte { return []byte{'['} }

func (checkParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	m := checkLine.FindSubmatch(line)
	if m == nil {
		return nil, parser.NoChildren
	}
	reader.Advance(seg.Len())
	return &CheckButton{Step: string(m[1])}, parser.NoChildren
}

func (checkParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	return parser.Close
}
func (checkParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {}
func (checkParser) CanInterruptParagraph() bool                                { return true }
func (checkParser) CanAcceptIndentedLine() bool                                { return false }

type checkRenderer struct{}

func (checkRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(KindCheckButton, func(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		step := util.EscapeHTML([]byte(node.(*CheckButton).Step))
		label := "Check this step"
		if string(step) == "all" {
			label = "Check the whole lab"
		}
		w.WriteString(`<div class="check" data-step="`)
		w.Write(step)
		w.WriteString(`"><button type="button" class="check-button" data-step="`)
		w.Write(step)
		w.WriteString(`">`)
		w.WriteString(label)
		w.WriteString(`</button><ol class="check-results" aria-live="polite"></ol></div>` + "\n")
		return ast.WalkSkipChildren, nil
	})
}

// CheckButtons is a goldmark extension that turns a line `[[check STEP]]`
// into a button for that step's checks. The web app's script finds the
// buttons by their class and data-step attribute.
var CheckButtons goldmark.Extender = checkButtons{}

type checkButtons struct{}

func (checkButtons) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithBlockParsers(util.Prioritized(checkParser{}, 50)))
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(checkRenderer{}, 50)))
}
