package iam

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// requiredTags reads the Tags parameter of a Tag* operation, which needs
// at least one.
func requiredTags(form url.Values) ([]tag, error) {
	tags, err := formTags(form, "Tags.member")
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, validation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	return tags, nil
}

// addTags sets add on top of tags within the quota (TagsPerRole...).
func addTags(tags, add []tag, quota string) ([]tag, error) {
	merged := mergeTags(tags, add)
	if len(merged) > maxTags {
		return nil, limitExceeded("Cannot exceed quota for %s: %d", quota, maxTags)
	}
	return merged, nil
}

// tagPage answers a List*Tags operation: tags sorted by key, paged.
func tagPage(tags []tag, form url.Values) (any, error) {
	sorted := append([]tag(nil), tags...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	keys := make([]string, len(sorted))
	for i, t := range sorted {
		keys[i] = t.Key
	}
	start, end, next, err := page(keys, form)
	if err != nil {
		return nil, err
	}
	return struct {
		Tags list[tag] `xml:"Tags"`
		truncated
	}{list[tag]{sorted[start:end]}, truncated{IsTruncated: next != "", Marker: next}}, nil
}

// pageItems cuts items, in answer order, to the form's page; key gives
// each item's marker key, ascending with the order.
func pageItems[T any](items []T, key func(i int, x T) string, form url.Values) ([]T, truncated, error) {
	keys := make([]string, len(items))
	for i, x := range items {
		keys[i] = key(i, x)
	}
	start, end, next, err := page(keys, form)
	if err != nil {
		return nil, truncated{}, err
	}
	return items[start:end], truncated{IsTruncated: next != "", Marker: next}, nil
}

// byPosition is pageItems' key for lists in an order of their own.
func byPosition[T any](i int, _ T) string { return fmt.Sprintf("%09d", i) }

// underPath pages through the entities of m (keyed by lower-case name)
// whose path starts with the form's PathPrefix, sorted by key.
func underPath[T any](m map[string]T, path func(T) string, form url.Values) ([]T, truncated, error) {
	prefix := form.Get("PathPrefix")
	keys := make([]string, 0, len(m))
	for k, x := range m {
		if strings.HasPrefix(path(x), prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	items := make([]T, len(keys))
	for i, k := range keys {
		items[i] = m[k]
	}
	return pageItems(items, func(i int, _ T) string { return keys[i] }, form)
}

// readRename reads UpdateUser's and UpdateGroup's NewPath and
// New<kind>Name, either of which may be absent.
func readRename(form url.Values, kind string, max int) (newName, newPath string, err error) {
	newName = form.Get("New" + kind + "Name")
	if newName != "" {
		if err := validName("new"+kind+"Name", newName, max); err != nil {
			return "", "", err
		}
	}
	newPath = form.Get("NewPath")
	if newPath != "" {
		if err := validPath("newPath", newPath); err != nil {
			return "", "", err
		}
	}
	return newName, newPath, nil
}

// updateWith finds an entity under the write lock, applies change to a
// copy, saves the copy and only then publishes it.
func updateWith[T any](s *Service, ctx context.Context, find func() (*T, error), save func(context.Context, *sql.Tx, *T) error, change func(*T) error) (*T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, err := find()
	if err != nil {
		return nil, err
	}
	c := *x
	if err := change(&c); err != nil {
		return nil, err
	}
	if err := s.tx(ctx, func(tx *sql.Tx) error { return save(ctx, tx, &c) }); err != nil {
		return nil, err
	}
	*x = c
	return x, nil
}

// nameAndPath reads what creating a named entity takes: its name (the
// param, at most max characters), Path (default "/") and Tags.
func nameAndPath(form url.Values, param string, max int) (name, path string, tags []tag, err error) {
	if name, err = requiredName(form, param, max); err != nil {
		return "", "", nil, err
	}
	if path, _, err = pathAndDescription(url.Values{"Path": form["Path"]}); err != nil {
		return "", "", nil, err
	}
	if tags, err = formTags(form, "Tags.member"); err != nil {
		return "", "", nil, err
	}
	return name, path, tags, nil
}
