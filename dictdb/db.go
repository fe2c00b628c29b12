package dictdb

import (
	"fmt"
	"sort"
	"sync"
	"unicode/utf8"

	"github.com/tidwall/btree"
)

const btreeDegree = 32

// entry is one record of a table's tree. c caches the record's encoding
// (nil in entries that only search the tree).
type entry struct {
	k pkey
	r Record
	c *encCache
}

// stored returns the entry that stores r under k in t. The caller holds
// db.mu.
func (t *Table) stored(k pkey, r Record) entry { return entry{k: k, r: r, c: t.caches.next()} }

func entryLess(a, b entry) bool { return a.k.less(b.k) }

// newTree returns an empty tree of entries. dictdb's own locks guard every
// tree (a snapshot's is never written, so it is read on several goroutines
// without one), so the tree takes none.
func newTree() *btree.BTreeG[entry] {
	return btree.NewBTreeGOptions(entryLess, btree.Options{Degree: btreeDegree, NoLocks: true})
}

// DB is an in-memory database of named tables. It is safe for concurrent use.
// Every committed write gets the next sequence number and is delivered, in
// commit order, to the subscribers as a ChangeSet.
type DB struct {
	mu      sync.RWMutex
	tables  map[string]*Table
	seq     uint64
	subs    []*subscriber
	nextID  uint64 // subscriber ids
	lineage string
}

type subscriber struct {
	id uint64
	fn func(ChangeSet)
}

// New returns an empty database.
func New() *DB {
	return &DB{tables: make(map[string]*Table)}
}

// TableOption configures CreateTable.
type TableOption func(*TableSpec)

// WithPrimaryKey sets the primary key field (default "id").
func WithPrimaryKey(field string) TableOption {
	return func(s *TableSpec) { s.PrimaryKey = field }
}

// WithSchema sets the table's schema. It must include the primary key with
// type Int or String.
func WithSchema(s Schema) TableOption {
	return func(spec *TableSpec) { spec.Schema = s.clone() }
}

func validTableName(name string) error {
	if name == "" || !utf8.ValidString(name) {
		return fmt.Errorf("dictdb: invalid table name %q", name)
	}
	return nil
}

// CreateTable creates an empty table. It returns ErrTableExists if the name
// is taken and an error matching ErrSchema if the spec is invalid.
func (db *DB) CreateTable(name string, opts ...TableOption) (*Table, error) {
	if err := validTableName(name); err != nil {
		return nil, err
	}
	spec := TableSpec{PrimaryKey: "id"}
	for _, o := range opts {
		o(&spec)
	}
	if err := validateSpec(name, spec); err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if _, ok := db.tables[name]; ok {
		return nil, fmt.Errorf("dictdb: create table %q: %w", name, ErrTableExists)
	}
	t := newTable(db, name, spec)
	db.tables[name] = t
	sp := spec
	db.commit([]Change{{Op: OpCreateTable, Table: name, Spec: &sp}})
	return t, nil
}

func newTable(db *DB, name string, spec TableSpec) *Table {
	return &Table{db: db, name: name, spec: spec, tree: newTree(), nextID: 1}
}

// Table returns the named table, or ErrTableNotFound.
func (db *DB) Table(name string) (*Table, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	t, ok := db.tables[name]
	if !ok {
		return nil, fmt.Errorf("dictdb: table %q: %w", name, ErrTableNotFound)
	}
	return t, nil
}

// DropTable removes the table and its records. Handles to it return
// ErrTableNotFound from then on.
func (db *DB) DropTable(name string) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	t, ok := db.tables[name]
	if !ok {
		return fmt.Errorf("dictdb: drop table %q: %w", name, ErrTableNotFound)
	}
	db.dropLocked(t)
	db.commit([]Change{{Op: OpDropTable, Table: name}})
	return nil
}

func (db *DB) dropLocked(t *Table) {
	t.dropped = true
	delete(db.tables, t.name)
}

// TableNames returns the names of all tables, sorted.
func (db *DB) TableNames() []string {
	db.mu.RLock()
	names := make([]string, 0, len(db.tables))
	for n := range db.tables {
		names = append(names, n)
	}
	db.mu.RUnlock()
	sort.Strings(names)
	return names
}

// Sequence returns the sequence number of the last committed write (0 for a
// new database).
func (db *DB) Sequence() uint64 {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.seq
}

// Lineage returns the note set by SetLineage ("" if none).
func (db *DB) Lineage() string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.lineage
}

// SetLineage records where the database came from. Package restore sets it
// to the backup point it rebuilt the database from, so that a backup
// manager can continue that chain; the database itself does not read it.
func (db *DB) SetLineage(s string) {
	db.mu.Lock()
	db.lineage = s
	db.mu.Unlock()
}

// Subscribe registers fn to receive every change set committed after it
// returns; seq is the sequence number at that moment, so fn sees exactly the
// change sets numbered seq+1, seq+2, ... in order, none missed.
//
// fn runs synchronously inside the commit, while the database is locked: it
// must be quick, must not call methods of this DB, and must not modify the
// records it receives. Call cancel to unsubscribe; it is safe to call twice.
func (db *DB) Subscribe(fn func(ChangeSet)) (seq uint64, cancel func()) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.nextID++
	s := &subscriber{id: db.nextID, fn: fn}
	subs := make([]*subscriber, len(db.subs), len(db.subs)+1)
	copy(subs, db.subs)
	db.subs = append(subs, s)
	return db.seq, func() {
		db.mu.Lock()
		defer db.mu.Unlock()
		out := make([]*subscriber, 0, len(db.subs))
		for _, o := range db.subs {
			if o != s {
				out = append(out, o)
			}
		}
		db.subs = out
	}
}

// commit assigns the next sequence number and delivers the change set.
// db.mu must be held for writing.
func (db *DB) commit(changes []Change) uint64 {
	db.seq++
	if len(db.subs) > 0 {
		cs := ChangeSet{Seq: db.seq, Changes: changes}
		for _, s := range db.subs {
			s.fn(cs)
		}
	}
	return db.seq
}

// Snapshot is a consistent, read-only view of every table at one sequence
// number. Taking it costs a copy of table pointers (the record trees are
// shared copy-on-write), so writers are not held up; reading it does not lock
// the database.
type Snapshot struct {
	Seq    uint64
	tables []*TableSnapshot
}

// TableSnapshot is one table of a Snapshot.
type TableSnapshot struct {
	Name string
	Spec TableSpec
	tree *btree.BTreeG[entry]
}

// Snapshot returns a consistent view of the whole database.
func (db *DB) Snapshot() *Snapshot {
	db.mu.Lock()
	s := &Snapshot{Seq: db.seq, tables: make([]*TableSnapshot, 0, len(db.tables))}
	for _, t := range db.tables {
		s.tables = append(s.tables, &TableSnapshot{Name: t.name, Spec: t.spec, tree: t.tree.Copy()})
	}
	db.mu.Unlock()
	sort.Slice(s.tables, func(i, j int) bool { return s.tables[i].Name < s.tables[j].Name })
	return s
}

// Tables returns the tables of the snapshot, sorted by name.
func (s *Snapshot) Tables() []*TableSnapshot { return s.tables }

// Len returns the number of records.
func (t *TableSnapshot) Len() int { return t.tree.Len() }

// Range calls fn for each record in primary-key order (integer keys first)
// until fn returns false. The records are shared: do not modify them.
func (t *TableSnapshot) Range(fn func(Record) bool) {
	t.tree.Scan(func(e entry) bool { return fn(e.r) })
}
