package s3

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// upload is a multipart upload in progress.
type upload struct {
	ID, Bucket, Key string
	Initiated       time.Time
	ContentType     string
	Headers         map[string]string
}

// part is an uploaded part of a multipart upload.
type part struct {
	Number   int
	Size     int64
	ETag     string // quoted
	Modified time.Time
	File     string
}

func (d *db) createUpload(ctx context.Context, u upload) error {
	headers, _ := json.Marshal(u.Headers)
	_, err := d.sql.ExecContext(ctx, `INSERT INTO uploads (id, bucket, key, initiated, content_type, headers, checksum_algo) VALUES (?, ?, ?, ?, ?, ?, '')`,
		u.ID, u.Bucket, u.Key, u.Initiated.UnixMilli(), u.ContentType, string(headers))
	if err != nil {
		return fmt.Errorf("create upload: %w", err)
	}
	return nil
}

func (d *db) upload(ctx context.Context, id string) (upload, bool, error) {
	var u upload
	var initiated int64
	var headers string
	err := d.sql.QueryRowContext(ctx, `SELECT id, bucket, key, initiated, content_type, headers FROM uploads WHERE id = ?`, id).
		Scan(&u.ID, &u.Bucket, &u.Key, &initiated, &u.ContentType, &headers)
	if errors.Is(err, sql.ErrNoRows) {
		return upload{}, false, nil
	}
	if err != nil {
		return upload{}, false, fmt.Errorf("read upload: %w", err)
	}
	u.Initiated = time.UnixMilli(initiated).UTC()
	if err := json.Unmarshal([]byte(headers), &u.Headers); err != nil {
		return upload{}, false, fmt.Errorf("read upload: %w", err)
	}
	return u, true, nil
}

// uploads returns bucket's uploads in progress whose keys start with
// prefix, by key and initiation.
func (d *db) uploads(ctx context.Context, bucket, prefix string) ([]upload, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, key, initiated FROM uploads WHERE bucket = ? AND substr(key, 1, ?) = ? ORDER BY key, initiated LIMIT 1000`, bucket, len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	defer rows.Close()
	var out []upload
	for rows.Next() {
		u := upload{Bucket: bucket}
		var initiated int64
		if err := rows.Scan(&u.ID, &u.Key, &initiated); err != nil {
			return nil, fmt.Errorf("list uploads: %w", err)
		}
		u.Initiated = time.UnixMilli(initiated).UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

// putPart stores a part, replacing one of the same number, whose file it
// returns; gone reports that the upload no longer exists.
func (d *db) putPart(ctx context.Context, uploadID string, p part) (old string, gone bool, err error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return "", false, fmt.Errorf("store part: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM uploads WHERE id = ?`, uploadID).Scan(&n); err != nil {
		return "", false, fmt.Errorf("store part: %w", err)
	}
	if n == 0 {
		return "", true, nil
	}
	err = tx.QueryRowContext(ctx, `SELECT file FROM parts WHERE upload = ? AND number = ?`, uploadID, p.Number).Scan(&old)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", false, fmt.Errorf("store part: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO parts (upload, number, size, etag, modified, file) VALUES (?, ?, ?, ?, ?, ?)`,
		uploadID, p.Number, p.Size, p.ETag, p.Modified.UnixMilli(), p.File); err != nil {
		return "", false, fmt.Errorf("store part: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", false, fmt.Errorf("store part: %w", err)
	}
	return old, false, nil
}

func (d *db) parts(ctx context.Context, uploadID string) ([]part, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT number, size, etag, modified, file FROM parts WHERE upload = ? ORDER BY number`, uploadID)
	if err != nil {
		return nil, fmt.Errorf("list parts: %w", err)
	}
	defer rows.Close()
	var out []part
	for rows.Next() {
		var p part
		var modified int64
		if err := rows.Scan(&p.Number, &p.Size, &p.ETag, &modified, &p.File); err != nil {
			return nil, fmt.Errorf("list parts: %w", err)
		}
		p.Modified = time.UnixMilli(modified).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// deleteUpload deletes an upload and its parts and returns the parts'
// files; found is false when there was no such upload.
func (d *db) deleteUpload(ctx context.Context, id string) (files []string, found bool, err error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("delete upload: %w", err)
	}
	defer tx.Rollback()
	if files, err = uploadFiles(ctx, tx, `SELECT file FROM parts WHERE upload = ?`, id); err != nil {
		return nil, false, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM uploads WHERE id = ?`, id)
	if err != nil {
		return nil, false, fmt.Errorf("delete upload: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, false, nil
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("delete upload: %w", err)
	}
	return files, true, nil
}

// abortUploadsBefore aborts the uploads initiated before cutoff, deleting
// their parts' files, and reports how many there were.
func (s *Service) abortUploadsBefore(ctx context.Context, cutoff time.Time) (int, error) {
	rows, err := s.db.sql.QueryContext(ctx, `SELECT u.id, b.account FROM uploads u JOIN buckets b ON b.name = u.bucket WHERE u.initiated < ?`, cutoff.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("find abandoned uploads: %w", err)
	}
	type stale struct{ id, account string }
	var old []stale
	for rows.Next() {
		var u stale
		if err := rows.Scan(&u.id, &u.account); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find abandoned uploads: %w", err)
		}
		old = append(old, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find abandoned uploads: %w", err)
	}
	for _, u := range old {
		files, _, err := s.db.deleteUpload(ctx, u.id)
		if err != nil {
			return 0, err
		}
		s.db.remove(u.account, files...)
	}
	return len(old), nil
}
