package dictdb

import (
	"fmt"
	"strconv"
)

// tableLoad is a table being decoded. Records are checked against the
// spec known when "records" starts: writers put the spec first. Key order
// is free, though: records that come before the primary key (or, in
// formats that hold them until the schema, before the schema) are held until
// the end of the table, since their keys or types are unknown; a spec field
// that comes after the records makes them be checked again against the
// final spec.
type tableLoad struct {
	db                       *DB
	name                     string
	spec                     TableSpec
	sawPK, sawSchema, sawRec bool
	rebuild                  bool     // t must be checked again against the final spec
	t                        *loading // records streamed in with the spec known then
	held                     []Record // records that came before the spec
}

// decodeTable decodes the table name, a map of "primary_key", "schema"
// and "records".
func decodeTable(d tokenReader, db *DB, name string) (*Table, error) {
	l := &tableLoad{db: db, name: name, spec: TableSpec{PrimaryKey: "id"}}
	what := "table " + strconv.Quote(name)
	err := eachKey(d, what, func(key string) error {
		switch key {
		case "primary_key", "schema":
			l.rebuild = l.rebuild || l.t != nil
			l.sawPK = l.sawPK || key == "primary_key"
			l.sawSchema = l.sawSchema || key == "schema"
			return decodeSpecField(d, name, key, &l.spec)
		case "records":
			return l.records(d, what+" records")
		}
		return skipField(d, what, key)
	})
	if err != nil {
		return nil, err
	}
	return l.finish()
}

// records decodes the list of records, streaming them into l.t or holding
// them.
func (l *tableLoad) records(d tokenReader, what string) error {
	if l.sawRec {
		return corruptf("table %q: two record lists", l.name)
	}
	l.sawRec = true
	if !l.sawPK || d.holdsUntilSchema() && (!l.sawSchema || validateSpec(l.name, l.spec) != nil) {
		return eachElem(d, what, func(i int) error {
			r, err := decodeRecord(d, l.name, i)
			l.held = append(l.held, r)
			return err
		})
	}
	provisional := l.spec
	if validateSpec(l.name, provisional) != nil {
		provisional.Schema, l.rebuild = nil, true
	}
	l.t = newLoading(l.db, l.name, provisional)
	var p *loadPipeline // once the table is large
	err := eachElem(d, what, func(i int) error {
		if p == nil && i == parallelLoadMin && loadWorkers() > 1 {
			p = l.t.parallel(d)
		}
		if p != nil {
			return p.next(d, i)
		}
		r, err := decodeRecord(d, l.name, i)
		if err != nil {
			return err
		}
		return l.t.add(r, i)
	})
	if p != nil {
		if perr := p.wait(); perr != nil {
			return perr // it comes first in the file
		}
	}
	return err
}

// finish checks the final spec and returns the table, loading the records
// held or checking again those streamed in if the spec changed after them.
func (l *tableLoad) finish() (*Table, error) {
	if err := validateSpec(l.name, l.spec); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if l.t != nil && !l.rebuild {
		return l.t.t, nil
	}
	final := newLoading(l.db, l.name, l.spec)
	for i, r := range l.held {
		if err := final.add(r, i); err != nil {
			return nil, err
		}
	}
	if l.t == nil {
		return final.t, nil
	}
	var err error
	i := 0
	l.t.t.tree.Scan(func(e entry) bool {
		err = final.add(e.r, i)
		i++
		return err == nil
	})
	return final.t, err
}

// loading is a table being filled from a file. Its records come in key
// order when this package wrote the file: each goes to the end of the
// tree's last leaf, without a search, as long as they do (the tree's
// Load); one out of order is searched for, and a duplicate reported.
type loading struct {
	t      *Table
	caches cacheSlab // for the records add checks
}

func newLoading(db *DB, name string, spec TableSpec) *loading {
	return &loading{t: newTable(db, name, spec)}
}

// add adds the i-th record of the file.
func (l *loading) add(r Record, i int) error {
	e, err := l.check(r, i, &l.caches)
	if err != nil {
		return err
	}
	return l.addEntry(e, i)
}

// check checks r, the i-th record of the file, against the table's spec,
// and returns its entry, its cache from caches. It is safe for concurrent
// use, each goroutine with its own caches.
func (l *loading) check(r Record, i int, caches *cacheSlab) (entry, error) {
	t := l.t
	if err := checkRecord(t.name, &t.spec, r); err != nil {
		return entry{}, fmt.Errorf("%w: table %q record %d: %v", ErrCorrupt, t.name, i, err)
	}
	k, _ := keyOf(t.name, t.spec.PrimaryKey, r[t.spec.PrimaryKey], true)
	return entry{k: k, r: r, c: caches.next()}, nil
}

// addEntry adds e, the i-th record of the file, checked.
func (l *loading) addEntry(e entry, i int) error {
	t := l.t
	if _, dup := t.tree.Load(e); dup {
		return corruptf("table %q record %d: duplicate primary key %s", t.name, i, e.k)
	}
	t.noteKey(e.k)
	return nil
}
