package render

import (
	"strings"
	"testing"

	"github.com/yuin/goldmark/testutil"
)

func TestSpec(t *testing.T) {
	testutil.DoTestCaseFile(New().md, "testdata/render.txt", t, testutil.ParseCliCaseArg()...)
}

func TestRenderCollectsTOCStepsAndResolvesAssets(t *testing.T) {
	src := []byte("# Lab\n\n## Step 1: Create `Orders`\n\n![diagram](diagram.svg)\n\n[abs](https://aws.amazon.com/) [frag](#x) [rel](notes/a.md)\n\n[[check create-table]]\n\n### Details\n\n[[check all]]\n")
	p, err := New().Render(src, "/labs/lab1/files")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.TOC) != 2 || p.TOC[0].Text != "Step 1: Create Orders" || p.TOC[0].ID != "step-1-create-orders" || p.TOC[1].Level != 3 {
		t.Errorf("TOC: got %+v", p.TOC)
	}
	if p.Title != "Lab" || strings.Contains(string(p.HTML), "<h1") {
		t.Errorf("leading h1: got title %q and HTML with an h1: %v", p.Title, strings.Contains(string(p.HTML), "<h1"))
	}
	if strings.Join(p.Steps, ",") != "create-table,all" {
		t.Errorf("steps: got %v, want create-table,all", p.Steps)
	}
	html := string(p.HTML)
	for _, want := range []string{`src="/labs/lab1/files/diagram.svg"`, `href="https://aws.amazon.com/"`, `href="#x"`, `href="/labs/lab1/files/notes/a.md"`} {
		if !strings.Contains(html, want) {
			t.Errorf("rendered HTML lacks %s:\n%s", want, html)
		}
	}
}

func TestHighlightCSSHasLightAndDark(t *testing.T) {
	css, err := HighlightCSS()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(css, ".chroma") || !strings.Contains(css, "prefers-color-scheme: dark") {
		t.Errorf("css lacks chroma classes or the dark variant")
	}
}
