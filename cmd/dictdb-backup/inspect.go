package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/restore"
	"github.com/dictdb/dictdb-go/sink"
)

var inspectCommand = &command{
	name:     "inspect",
	args:     "<location> <key>",
	nargs:    2,
	location: true,
	jsonFlag: true,
	summary:  "show one object's header and a summary of its content",
	help: `Reads one backup object through, as a restore would (decrypting, decompressing,
checking its checksum and that its header agrees with its name), and shows its
header (kind, format version, codec, compression, encryption, chain, base,
sequence range, timestamp), its size and, per table, the number of records
(full backup) or of upserts and deletes (delta).

Exit code 1 when the object is corrupt (checksum mismatch, truncated, header
disagreeing with its name), 4 when there is no such object. --json prints
the same as one object. With DICTDB_BACKUP_URL set, the one argument is the
key.

Examples:
  dictdb-backup inspect /var/backups/db1 dictdb_backup_1764160000_000001.json
  dictdb-backup inspect --json --identity key.txt /var/backups/db1 dictdb_delta_1764160060_500000.json.zst.age`,
	flags: func(fs *flag.FlagSet) func(ctx context.Context, a *app, args []string) error {
		return runInspect
	},
}

type inspectJSON struct {
	Key           string      `json:"key"`
	Kind          string      `json:"kind"`
	Time          string      `json:"time"`
	Size          int64       `json:"size"`
	ContentBytes  int64       `json:"content_bytes"`
	Legacy        bool        `json:"legacy"`
	FormatVersion int         `json:"format_version"`
	Codec         string      `json:"codec"`
	Compression   string      `json:"compression"`
	Encryption    string      `json:"encryption"`
	Chain         string      `json:"chain"`
	Base          string      `json:"base"`
	FromSeq       uint64      `json:"from_seq"`
	Seq           uint64      `json:"seq"`
	Timestamp     string      `json:"timestamp"`
	Checksum      string      `json:"checksum"`
	Tables        []tableJSON `json:"tables"`
	Dropped       []string    `json:"dropped_tables"`
	Records       *int        `json:"records,omitempty"` // full backup: the total
	info          *restore.ObjectInfo
	records       int
}

// tableJSON is a table of a full backup (records) or of a delta (upserts,
// deletes, created).
type tableJSON struct {
	Name       string `json:"name"`
	PrimaryKey string `json:"primary_key,omitempty"`
	Records    *int   `json:"records,omitempty"`
	Upserts    *int   `json:"upserts,omitempty"`
	Deletes    *int   `json:"deletes,omitempty"`
	Created    *bool  `json:"created,omitempty"`
}

func runInspect(ctx context.Context, a *app, args []string) error {
	key := args[1]
	n, ok := catalog.Parse(key)
	if !ok {
		return usageErrorf("%q is not the key of a backup object (dictdb_backup_<sec>_<usec>.<ext> or dictdb_delta_<sec>_<usec>.<ext>; see 'dictdb-backup list')", key)
	}
	s, err := a.open(ctx, args[0], true)
	if err != nil {
		return err
	}
	defer s.Close()
	if n.Encrypted && len(a.identities) == 0 {
		return errNoIdentity(s, key)
	}
	info, err := restore.Inspect(ctx, s, key, a.ropts()...)
	switch {
	case errors.Is(err, restore.ErrNoKey):
		return explain(err)
	case errors.Is(err, sink.ErrNotFound):
		return nothingErrorf("no object %s in %s", key, s.url)
	case err != nil && ctx.Err() == nil && errors.Is(err, restore.ErrCorrupt):
		return problemsErrorf("%v", err)
	case err != nil:
		return err
	}
	out := toInspectJSON(info)
	if a.json {
		return writeJSON(a.stdout, out)
	}
	return writeInspect(a, out)
}

func toInspectJSON(info *restore.ObjectInfo) inspectJSON {
	out := inspectJSON{
		Key: info.Key, Kind: string(info.Kind), Time: formatTime(info.Time), Size: info.Size, ContentBytes: info.ContentBytes,
		Legacy: info.Legacy, FormatVersion: info.FormatVersion, Codec: string(info.Codec), Compression: info.Compression,
		Chain: info.Chain, Base: info.Base, FromSeq: info.FromSeq, Seq: info.Seq,
		Tables: []tableJSON{}, Dropped: append([]string{}, info.Dropped...), info: info,
	}
	if out.Compression == "" {
		out.Compression = "none"
	}
	out.Encryption = "none"
	if info.Encrypted {
		out.Encryption = "age"
	}
	if !info.Timestamp.IsZero() {
		out.Timestamp = formatTime(info.Timestamp)
	}
	out.Checksum = "none"
	if info.Checksummed {
		out.Checksum = "ok"
	}
	for _, t := range info.Tables {
		tj := tableJSON{Name: t.Name, PrimaryKey: t.PrimaryKey}
		if info.Kind == catalog.Full {
			tj.Records = &t.Records
			out.records += t.Records
		} else {
			tj.Upserts, tj.Deletes, tj.Created = &t.Upserts, &t.Deletes, &t.Created
		}
		out.Tables = append(out.Tables, tj)
	}
	if info.Kind == catalog.Full {
		r := out.records
		out.Records = &r
	}
	return out
}

func writeInspect(a *app, o inspectJSON) error {
	info := o.info
	w := a.stdout
	tw := newTable(w)
	row(tw, "key", o.Key)
	row(tw, "kind", o.Kind)
	row(tw, "time", o.Time)
	row(tw, "size", fmt.Sprintf("%s stored (%d bytes), %s of content", humanSize(o.Size), o.Size, humanSize(o.ContentBytes)))
	if info.Legacy {
		row(tw, "format", fmt.Sprintf("written by the Python DictDB (no header), codec %s", o.Codec))
	} else {
		row(tw, "format", fmt.Sprintf("version %d, codec %s", o.FormatVersion, o.Codec))
	}
	row(tw, "compression", o.Compression)
	row(tw, "encryption", o.Encryption)
	if !info.Legacy {
		row(tw, "chain", o.Chain)
		if info.Kind == catalog.Delta {
			row(tw, "base", o.Base)
			row(tw, "sequence", fmt.Sprintf("(%d, %d]", o.FromSeq, o.Seq))
		} else {
			row(tw, "sequence", strconv.FormatUint(o.Seq, 10))
		}
	}
	if o.Timestamp != "" {
		row(tw, "timestamp", o.Timestamp)
	}
	if info.Checksummed {
		row(tw, "checksum", "ok (sha256)")
	} else {
		row(tw, "checksum", "none (Python-written object)")
	}
	tw.Flush()
	fmt.Fprintln(w)

	tw = newTable(w)
	if info.Kind == catalog.Full {
		row(tw, "TABLE", "PRIMARY KEY", "RECORDS")
		for _, t := range info.Tables {
			row(tw, t.Name, t.PrimaryKey, strconv.Itoa(t.Records))
		}
		tw.Flush()
		fmt.Fprintf(w, "%s, %s\n", plural(len(info.Tables), "table"), plural(o.records, "record"))
		return nil
	}
	row(tw, "TABLE", "UPSERTS", "DELETES", "CREATED")
	upserts, deletes := 0, 0
	for _, t := range info.Tables {
		created := "no"
		if t.Created {
			created = "yes, primary key " + t.PrimaryKey
		}
		row(tw, t.Name, strconv.Itoa(t.Upserts), strconv.Itoa(t.Deletes), created)
		upserts += t.Upserts
		deletes += t.Deletes
	}
	tw.Flush()
	for _, d := range info.Dropped {
		fmt.Fprintf(w, "dropped table %s\n", d)
	}
	fmt.Fprintf(w, "%s changed: %s, %s\n", plural(len(info.Tables), "table"), plural(upserts, "upsert"), plural(deletes, "delete"))
	return nil
}
