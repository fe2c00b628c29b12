package restore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/sink"
)

// ErrNotBackupObject is returned (wrapped) by Inspect and InspectHeader for
// a key that is not the name of a backup object.
var ErrNotBackupObject = errors.New("restore: not a backup object name")

// ObjectInfo describes one stored backup object: its header and, from
// Inspect, a summary of its content.
type ObjectInfo struct {
	Key  string       // the object's key
	Kind catalog.Kind // catalog.Full or catalog.Delta
	Time time.Time    // when the object was written (from its name), UTC
	Size int64        // the object's size in the sink, in bytes (as stored: compressed, encrypted)

	// The header. A legacy object (written by the Python DictDB) has no
	// format version, chain, base nor sequence numbers.
	Legacy        bool
	FormatVersion int           // header format version; 0 for legacy objects
	Codec         dictdb.Format // serialization of the content
	Compression   string        // "" (none), "zstd" or "gzip"
	Encrypted     bool          // encrypted with age
	Chain         string        // chain (generation) id
	Base          string        // the full backup a delta builds on
	FromSeq       uint64        // a delta covers the sequence range (FromSeq, Seq]
	Seq           uint64        // the database's sequence number after this object
	Timestamp     time.Time     // the header's creation time (zero if absent), UTC

	// The content, filled in by Inspect only (not by InspectHeader).
	ContentBytes int64       // bytes of content once decrypted and decompressed
	Checksummed  bool        // the content carried a SHA-256 checksum, and it matched
	Tables       []TableInfo // by name
	Dropped      []string    // tables a delta drops
}

// TableInfo summarises one table of a backup object.
type TableInfo struct {
	Name string
	// PrimaryKey is the table's primary key field: for a full backup
	// always, for a delta when it (re)creates the table.
	PrimaryKey string
	Records    int  // full backup: the number of records
	Upserts    int  // delta: records upserted
	Deletes    int  // delta: keys deleted
	Created    bool // delta: the table is (re)created before its changes apply
}

// Inspect reads the object key of s through, as a restore would (decrypting
// with the identities of WithIdentities, decompressing, checking its
// checksum and that its header agrees with its name), and describes it: its
// header, and per table the record count (full backup) or the upserts and
// deletes (delta). A full backup is decoded in memory, as a restore does.
// An object that cannot be read is an error naming it (matching ErrCorrupt,
// or ErrNoKey when no identity opens it); a missing one matches
// sink.ErrNotFound.
func Inspect(ctx context.Context, s sink.Sink, key string, opts ...Option) (*ObjectInfo, error) {
	return inspect(ctx, s, key, true, collect(opts))
}

// InspectHeader is Inspect that reads only the object's header, as List
// does: the content fields of the result are left empty, and neither the
// content nor the checksum is checked.
func InspectHeader(ctx context.Context, s sink.Sink, key string, opts ...Option) (*ObjectInfo, error) {
	return inspect(ctx, s, key, false, collect(opts))
}

func inspect(ctx context.Context, s sink.Sink, key string, whole bool, o options) (*ObjectInfo, error) {
	n, ok := catalog.Parse(key)
	if !ok {
		return nil, fmt.Errorf("%w: %q (want dictdb_backup_<sec>_<usec>.<ext> or dictdb_delta_<sec>_<usec>.<ext>)", ErrNotBackupObject, key)
	}
	info := &ObjectInfo{Key: key, Kind: n.Kind, Time: n.Time(), Size: -1}
	objs, err := s.List(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("restore: list %s: %w", key, err)
	}
	for _, obj := range objs {
		if obj.Key == key {
			info.Size = obj.Size
		}
	}
	if info.Size < 0 {
		return nil, fmt.Errorf("restore: %s: %w", key, sink.ErrNotFound)
	}

	if !whole {
		h, err := catalog.ReadHeader(ctx, s, n, o.identities)
		if err != nil {
			return nil, wrap(ctx, err)
		}
		info.setHeader(h, n)
		return info, nil
	}

	vr, err := catalog.Open(ctx, s, n, o.identities)
	if err != nil {
		return nil, wrap(ctx, err)
	}
	defer vr.Close()
	var h catalog.Header
	if n.Kind == catalog.Full {
		var db *dictdb.DB
		br := bufio.NewReaderSize(vr, 64<<10)
		f, err := sniff(br)
		if err == nil {
			var meta dictdb.Meta
			if db, meta, err = dictdb.LoadMeta(br, f); err == nil {
				h, err = catalog.FromMeta(catalog.Full, meta)
			}
		}
		if err := vr.Check(err, h.Legacy()); err != nil {
			return nil, wrap(ctx, err)
		}
		for _, name := range db.TableNames() {
			t, err := db.Table(name)
			if err != nil {
				return nil, &ObjectError{Key: key, Err: err}
			}
			info.Tables = append(info.Tables, TableInfo{Name: name, PrimaryKey: t.PrimaryKey(), Records: t.Count()})
		}
	} else {
		d, dh, err := decodeDelta(vr)
		h = dh
		if err := vr.Check(err, h.Legacy()); err != nil {
			return nil, wrap(ctx, err)
		}
		for _, name := range d.TableNames() {
			td := d.Tables[name]
			ti := TableInfo{Name: name, Upserts: len(td.Upserts), Deletes: len(td.Deletes), Created: td.Create != nil}
			if td.Create != nil {
				ti.PrimaryKey = td.Create.PrimaryKey
			}
			info.Tables = append(info.Tables, ti)
		}
		info.Dropped = append([]string(nil), d.Dropped...)
	}
	if err := h.CheckName(n); err != nil {
		return nil, &ObjectError{Key: key, Err: err}
	}
	info.setHeader(h, n)
	info.ContentBytes = vr.BytesRead()
	info.Checksummed = vr.Checked()
	return info, nil
}

func (info *ObjectInfo) setHeader(h catalog.Header, n catalog.Name) {
	info.Legacy = h.Legacy()
	info.FormatVersion = h.Version
	info.Codec = h.Codec
	info.Compression = string(h.Compression)
	info.Encrypted = h.Encrypted
	info.Chain = h.Chain
	info.Base = h.Base
	info.FromSeq = h.FromSeq
	info.Seq = h.Seq
	if h.Timestamp > 0 {
		info.Timestamp = time.UnixMicro(int64(h.Timestamp*1e6 + 0.5)).UTC()
	}
	if h.Legacy() {
		// A legacy header states nothing about the storage: the name does.
		info.Codec, info.Compression, info.Encrypted = n.Format, string(n.Compression), n.Encrypted
	}
}
