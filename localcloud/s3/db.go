package s3

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/store"
)

// schema is s3.db's: bucket names are global (one namespace for all
// accounts, as on AWS); objects sort by key in byte order, which is the
// UTF-8 binary order S3 lists in.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS buckets (
		name TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, created INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS objects (
		bucket TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
		content_type TEXT NOT NULL, headers TEXT NOT NULL, checksum_algo TEXT NOT NULL,
		checksum TEXT NOT NULL, modified INTEGER NOT NULL, file TEXT NOT NULL,
		PRIMARY KEY (bucket, key)) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS bucket_docs (
		bucket TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (bucket, kind))`,
	`CREATE TABLE IF NOT EXISTS uploads (
		id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated INTEGER NOT NULL,
		content_type TEXT NOT NULL, headers TEXT NOT NULL, checksum_algo TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS parts (
		upload TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE, number INTEGER NOT NULL,
		size INTEGER NOT NULL, etag TEXT NOT NULL, modified INTEGER NOT NULL, file TEXT NOT NULL,
		PRIMARY KEY (upload, number)) WITHOUT ROWID`,
}

// bucket is a bucket's record.
type bucket struct {
	Name, Account, Region string
	Created               time.Time
}

// object is an object's record; its body is the file File in its
// account's folder.
type object struct {
	Bucket, Key string
	Size        int64
	ETag        string // quoted, as S3 sends it
	ContentType string
	// Headers are the other headers stored with the object and answered
	// on GET and HEAD: x-amz-meta-*, Content-Encoding, Cache-Control...
	Headers      map[string]string
	ChecksumAlgo string // "CRC32", ... or ""
	Checksum     string // base64
	Modified     time.Time
	File         string
}

// db is s3.db and the folder of object bodies.
type db struct {
	sql *sql.DB
	dir string // <data dir>/s3
}

func openDB(dataDir string) (*db, error) {
	d, err := store.Open(filepath.Join(dataDir, "s3.db"), schema...)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(dataDir, "s3")
	// Bodies of uploads a crash interrupted are never referenced.
	if err := os.RemoveAll(filepath.Join(dir, "tmp")); err != nil {
		d.Close()
		return nil, fmt.Errorf("clear s3 uploads in progress: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		d.Close()
		return nil, fmt.Errorf("create s3 folder: %w", err)
	}
	return &db{sql: d, dir: dir}, nil
}

// path is where the body named file of account's objects lives. Both are
// the cloud's own names (an account id, a random hex id), never a key.
func (d *db) path(account, file string) string { return filepath.Join(d.dir, account, file) }

// tempFile creates a file for a body being received.
func (d *db) tempFile() (*os.File, error) {
	f, err := os.CreateTemp(filepath.Join(d.dir, "tmp"), "body-*")
	if err != nil {
		return nil, fmt.Errorf("create s3 body file: %w", err)
	}
	return f, nil
}

// keep moves a received body into account's folder under a new random
// name, which it returns.
func (d *db) keep(account, tmp string) (string, error) {
	var b [16]byte
	rand.Read(b[:])
	name := hex.EncodeToString(b[:])
	if err := os.MkdirAll(filepath.Join(d.dir, account), 0o700); err != nil {
		return "", fmt.Errorf("create s3 folder of %s: %w", account, err)
	}
	if err := os.Rename(tmp, d.path(account, name)); err != nil {
		return "", fmt.Errorf("store s3 body: %w", err)
	}
	return name, nil
}

// remove deletes bodies no record refers to any more.
func (d *db) remove(account string, files ...string) {
	for _, f := range files {
		if f != "" {
			os.Remove(d.path(account, f))
		}
	}
}

func (d *db) bucket(ctx context.Context, name string) (bucket, bool, error) {
	var b bucket
	var created int64
	err := d.sql.QueryRowContext(ctx, `SELECT name, account, region, created FROM buckets WHERE name = ?`, name).Scan(&b.Name, &b.Account, &b.Region, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return bucket{}, false, nil
	}
	if err != nil {
		return bucket{}, false, fmt.Errorf("read bucket %s: %w", name, err)
	}
	b.Created = time.UnixMilli(created).UTC()
	return b, true, nil
}

// createBucket inserts b unless a bucket of that name exists, which it
// returns (ok false).
func (d *db) createBucket(ctx context.Context, b bucket) (existing bucket, ok bool, err error) {
	res, err := d.sql.ExecContext(ctx, `INSERT INTO buckets (name, account, region, created) SELECT ?, ?, ?, ?
		WHERE (SELECT count(*) FROM buckets WHERE account = ?) < ? ON CONFLICT (name) DO NOTHING`,
		b.Name, b.Account, b.Region, b.Created.UnixMilli(), b.Account, maxBuckets)
	if err != nil {
		return bucket{}, false, fmt.Errorf("create bucket %s: %w", b.Name, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return b, true, nil
	}
	existing, found, err := d.bucket(ctx, b.Name)
	if err == nil && !found {
		err = protocol.Errorf("TooManyBuckets", "You have attempted to create more buckets than allowed")
	}
	return existing, false, err
}

// maxBuckets is S3's default quota of general purpose buckets an account
// may have.
const maxBuckets = 10000

// deleteBucket deletes an empty bucket and its unfinished multipart
// uploads, returning the parts' files; empty is false when it holds
// objects.
func (d *db) deleteBucket(ctx context.Context, name string) (empty bool, files []string, err error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return false, nil, fmt.Errorf("delete bucket %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM objects WHERE bucket = ? LIMIT 1)`, name).Scan(&n); err != nil {
		return false, nil, fmt.Errorf("delete bucket %s: %w", name, err)
	}
	if n > 0 {
		return false, nil, nil
	}
	files, err = uploadFiles(ctx, tx, `SELECT p.file FROM parts p JOIN uploads u ON u.id = p.upload WHERE u.bucket = ?`, name)
	if err != nil {
		return false, nil, err
	}
	for _, q := range []string{`DELETE FROM uploads WHERE bucket = ?`, `DELETE FROM bucket_docs WHERE bucket = ?`, `DELETE FROM buckets WHERE name = ?`} {
		if _, err := tx.ExecContext(ctx, q, name); err != nil {
			return false, nil, fmt.Errorf("delete bucket %s: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, nil, fmt.Errorf("delete bucket %s: %w", name, err)
	}
	return true, files, nil
}

func (d *db) buckets(ctx context.Context, account string) ([]bucket, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT name, account, region, created FROM buckets WHERE account = ? ORDER BY name`, account)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	defer rows.Close()
	var out []bucket
	for rows.Next() {
		var b bucket
		var created int64
		if err := rows.Scan(&b.Name, &b.Account, &b.Region, &created); err != nil {
			return nil, fmt.Errorf("list buckets: %w", err)
		}
		b.Created = time.UnixMilli(created).UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

const objectColumns = `bucket, key, size, etag, content_type, headers, checksum_algo, checksum, modified, file`

type scanner interface{ Scan(...any) error }

func scanObject(s scanner) (object, error) {
	var o object
	var headers string
	var modified int64
	if err := s.Scan(&o.Bucket, &o.Key, &o.Size, &o.ETag, &o.ContentType, &headers, &o.ChecksumAlgo, &o.Checksum, &modified, &o.File); err != nil {
		return object{}, err
	}
	o.Modified = time.UnixMilli(modified).UTC()
	if err := json.Unmarshal([]byte(headers), &o.Headers); err != nil {
		return object{}, fmt.Errorf("decode headers of %s: %w", o.Key, err)
	}
	return o, nil
}

func (d *db) object(ctx context.Context, bucket, key string) (object, bool, error) {
	o, err := scanObject(d.sql.QueryRowContext(ctx, `SELECT `+objectColumns+` FROM objects WHERE bucket = ? AND key = ?`, bucket, key))
	if errors.Is(err, sql.ErrNoRows) {
		return object{}, false, nil
	}
	if err != nil {
		return object{}, false, fmt.Errorf("read object: %w", err)
	}
	return o, true, nil
}

// putObject stores o's record, replacing the key's, and returns the body
// file the replaced record referred to. A bucket deleted meanwhile fails
// with gone true; check (nil: none) may refuse the write, given whether
// the key exists and its ETag, in the same transaction.
func (d *db) putObject(ctx context.Context, o object, check func(exists bool, etag string) error) (old string, gone bool, err error) {
	headers, _ := json.Marshal(o.Headers)
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return "", false, fmt.Errorf("put object: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM buckets WHERE name = ?`, o.Bucket).Scan(&n); err != nil {
		return "", false, fmt.Errorf("put object: %w", err)
	}
	if n == 0 {
		return "", true, nil
	}
	var etag string
	err = tx.QueryRowContext(ctx, `SELECT file, etag FROM objects WHERE bucket = ? AND key = ?`, o.Bucket, o.Key).Scan(&old, &etag)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", false, fmt.Errorf("put object: %w", err)
	}
	if check != nil {
		if err := check(old != "", etag); err != nil {
			return "", false, err
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO objects (`+objectColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Bucket, o.Key, o.Size, o.ETag, o.ContentType, string(headers), o.ChecksumAlgo, o.Checksum, o.Modified.UnixMilli(), o.File)
	if err != nil {
		return "", false, fmt.Errorf("put object: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", false, fmt.Errorf("put object: %w", err)
	}
	return old, false, nil
}

// deleteObject deletes a key's record and returns its body file ("" when
// there was none).
func (d *db) deleteObject(ctx context.Context, bucket, key string) (string, error) {
	var file string
	err := d.sql.QueryRowContext(ctx, `DELETE FROM objects WHERE bucket = ? AND key = ? RETURNING file`, bucket, key).Scan(&file)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("delete object: %w", err)
	}
	return file, nil
}

// objectsAfter returns up to limit objects of bucket whose keys are
// greater than after and at least from, in key order.
func (d *db) objectsAfter(ctx context.Context, bucket, from, after string, limit int) ([]object, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+objectColumns+` FROM objects WHERE bucket = ? AND key >= ? AND key > ? ORDER BY key LIMIT ?`, bucket, from, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	defer rows.Close()
	var out []object
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, fmt.Errorf("list objects: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// uploadFiles runs a query of part files.
func uploadFiles(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read upload parts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, fmt.Errorf("read upload parts: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
