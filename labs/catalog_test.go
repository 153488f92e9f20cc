package labs

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadCatalogOrdersAndFinds(t *testing.T) {
	fsys := fstest.MapFS{
		"week1/lab2-api/lab.md":   {Data: []byte("---\nlab: lab2\nweek: 1\norder: 2\ntitle: API\nsteps:\n  - {id: deploy, title: Deploy}\n---\n# API\n")},
		"week1/lab1-table/lab.md": {Data: []byte("---\nlab: lab1\nweek: 1\norder: 1\ntitle: Table\n---\n\nBody\n")},
	}
	c, err := LoadCatalog(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Labs) != 2 || c.Labs[0].ID != "lab1" || c.Labs[1].ID != "lab2" {
		t.Fatalf("got labs %v, want lab1, lab2 in order", c.Labs)
	}
	for _, id := range []string{"lab2", "2", "lab2-api"} {
		if l, ok := c.Lab(id); !ok || l.ID != "lab2" {
			t.Errorf("Lab(%q): got %v, %v", id, l, ok)
		}
	}
	l, _ := c.Lab("lab1")
	if string(l.Body) != "\nBody\n" || l.BodyLine != 7 {
		t.Errorf("body %q at line %d, want %q at line 7", l.Body, l.BodyLine, "\nBody\n")
	}
	if got := l.ManifestPath(); got != "week1/lab1-table/checks.yaml" {
		t.Errorf("manifest path %q", got)
	}
}

func TestLoadCatalogErrorsNameFileAndLine(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"no front matter", "# hi\n", "week1/x/lab.md:1: the file must start with front matter"},
		{"unclosed", "---\nlab: lab1\n", "week1/x/lab.md:1: the front matter is not closed"},
		{"unknown field", "---\nlab: lab1\nweek: 1\ntitle: T\ncolour: red\n---\n", "week1/x/lab.md:5: front matter"},
		{"bad id", "---\nlab: one\nweek: 1\ntitle: T\n---\n", "`lab:` must be like lab1"},
		{"dup step", "---\nlab: lab1\nweek: 1\ntitle: T\nsteps: [{id: a, title: A}, {id: a, title: B}]\n---\n", "unique id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadCatalog(fstest.MapFS{"week1/x/lab.md": {Data: []byte(tt.data)}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
