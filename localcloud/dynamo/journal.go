package dynamo

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// The journal is the write path of item changes and stream records. A
// batch of requests is acknowledged once it is appended to the journal file
// with one write: the bytes are then in the operating system's page cache
// and survive the process being killed, the same promise SQLite's WAL with
// synchronous=NORMAL made when every batch was its own SQLite transaction.
// The committer copies the journal into SQLite later, many batches per
// transaction (see committer.apply), and truncates the journal; on start,
// whatever the journal still holds is copied before the state is loaded
// (committer.replay).
//
// Measured on the 2-core CI machine: one SQLite transaction per batch cost
// about 30 µs of CPU per PutItem (two pwrite calls per WAL frame, shared-memory
// locks, the B-tree work of a transaction), which held PutItem to 55-60% of
// a null server; a journal append is one write call per batch.
//
// A frame is: payload length (uint32 LE), CRC-32C of the payload (uint32
// LE), payload. The payload is a sequence of mutations:
//
//	kind byte; put: tid pk sk data; delete: tid pk sk; record: seq stream created data
//
// strings and data as uvarint length + bytes, seq and created as varints. A
// frame torn by a kill mid-write fails its length or checksum; it was never
// acknowledged, and replay stops there.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// journalable reports whether m can go through the journal; other
// mutations (schema and table metadata statements) run directly in SQLite.
func journalable(m *mutation) bool {
	return m.kind == mutPutItem || m.kind == mutDeleteItem || m.kind == mutRecord
}

// appendFrame encodes muts as one frame at the end of buf.
func appendFrame(buf []byte, muts []*mutation) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0)
	for _, m := range muts {
		buf = append(buf, byte(m.kind))
		switch m.kind {
		case mutPutItem:
			buf = appendBytes(buf, m.tid, m.pk, m.sk, string(m.data))
		case mutDeleteItem:
			buf = appendBytes(buf, m.tid, m.pk, m.sk)
		case mutRecord:
			buf = binary.AppendVarint(buf, m.seq)
			buf = appendBytes(buf, m.stream)
			buf = binary.AppendVarint(buf, m.created)
			buf = appendBytes(buf, string(m.data))
		}
	}
	payload := buf[start+8:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, castagnoli))
	return buf
}

func appendBytes(buf []byte, ss ...string) []byte {
	for _, s := range ss {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	return buf
}

var errFrame = errors.New("malformed journal frame")

// decodeFrame decodes one frame's payload.
func decodeFrame(p []byte) ([]mutation, error) {
	var muts []mutation
	str := func() (string, bool) {
		n, k := binary.Uvarint(p)
		if k <= 0 || uint64(len(p)-k) < n {
			return "", false
		}
		s := string(p[k : k+int(n)])
		p = p[k+int(n):]
		return s, true
	}
	varint := func() (int64, bool) {
		v, k := binary.Varint(p)
		if k <= 0 {
			return 0, false
		}
		p = p[k:]
		return v, true
	}
	for len(p) > 0 {
		m := mutation{kind: mutKind(p[0])}
		p = p[1:]
		ok := true
		switch m.kind {
		case mutPutItem, mutDeleteItem:
			var t, pk, sk string
			t, ok = str()
			if ok {
				pk, ok = str()
			}
			if ok {
				sk, ok = str()
			}
			m.tid, m.pk, m.sk = t, pk, sk
			if ok && m.kind == mutPutItem {
				var d string
				d, ok = str()
				m.data = []byte(d)
			}
		case mutRecord:
			var stream, d string
			m.seq, ok = varint()
			if ok {
				stream, ok = str()
			}
			if ok {
				m.created, ok = varint()
			}
			if ok {
				d, ok = str()
			}
			m.stream, m.data = stream, []byte(d)
		default:
			ok = false
		}
		if !ok {
			return nil, errFrame
		}
		muts = append(muts, m)
	}
	return muts, nil
}

// readJournal returns the mutations of every whole, intact frame in r, in
// order, and how many bytes they span. A torn or corrupt frame ends the
// journal.
func readJournal(r io.Reader) ([]mutation, int64, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var muts []mutation
	var off int64
	var head [8]byte
	for {
		if _, err := io.ReadFull(br, head[:]); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return muts, off, nil
			}
			return nil, 0, err
		}
		n := binary.LittleEndian.Uint32(head[:4])
		if n > 1<<30 {
			return muts, off, nil
		}
		// Grow with the bytes actually there: a torn length must not
		// allocate a gigabyte.
		var pb bytes.Buffer
		if got, err := io.CopyN(&pb, br, int64(n)); err != nil {
			if err == io.EOF && got < int64(n) {
				return muts, off, nil
			}
			return nil, 0, err
		}
		p := pb.Bytes()
		if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(head[4:]) {
			return muts, off, nil
		}
		fm, err := decodeFrame(p)
		if err != nil {
			return muts, off, nil
		}
		muts = append(muts, fm...)
		off += 8 + int64(n)
	}
}

const (
	sqlPutItem      = `INSERT OR REPLACE INTO items (tid, pk, sk, item) VALUES (?, ?, ?, ?)`
	sqlDeleteItem   = `DELETE FROM items WHERE tid = ? AND pk = ? AND sk = ?`
	sqlInsertRecord = `INSERT OR REPLACE INTO stream_records (seq, stream, created, record) VALUES (?, ?, ?, ?)`
)
