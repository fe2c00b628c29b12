package backup

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"filippo.io/age"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
)

// Defaults, those of the Python DictDB's BackupManager.
const (
	DefaultInterval            = 300 * time.Second
	DefaultMinInterval         = 5 * time.Second
	DefaultFormat              = dictdb.FormatJSON
	DefaultMaxDeltasBeforeFull = 10
)

// Defaults of what the Python DictDB does not have: continuous mode and
// the lease.
const (
	// DefaultContinuousMaxDeltasBeforeFull is MaxDeltasBeforeFull's default
	// in continuous mode, where a delta is written every MaxLag while the
	// database changes: 10 would mean a full backup every ten flushes.
	DefaultContinuousMaxDeltasBeforeFull = 1000
	// DefaultShutdownTimeout bounds the final flush of Stop in continuous
	// mode.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultLeaseTTL is how long a lease holds without renewal.
	DefaultLeaseTTL = 30 * time.Second
)

// Errors of the Manager's lifecycle.
var (
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("backup: manager already started")
	// ErrStopped is returned by Start and by backups after Stop.
	ErrStopped = errors.New("backup: manager stopped")
	// ErrOtherWriter is returned by a backup when another writer holds the
	// prefix's lease, took it over from this manager, or (on a sink
	// without conditional writes) added objects since this manager's last
	// backup. Nothing was written.
	ErrOtherWriter = errors.New("backup: another writer is using this sink")
)

// Options configure a Manager. The zero value of each field means its
// default.
type Options struct {
	// Interval between periodic backups (default 5 minutes). Negative
	// disables periodic backups.
	Interval time.Duration
	// Format of the backup objects (default JSON).
	Format dictdb.Format
	// MinInterval is the least time between a backup and a backup triggered
	// by NotifyChange (default 5 s). A notification that comes sooner is
	// deferred until the interval ends, never dropped. Negative: no wait.
	MinInterval time.Duration
	// OnFailure, if set, is called after every failed backup, manual or
	// automatic, with the error and the number of consecutive failures.
	// It runs in the goroutine that ran the backup, with no lock held.
	OnFailure func(err error, consecutive int)
	// Incremental makes BackupNow and the automatic backups write deltas
	// (the changes since the previous backup) between full backups.
	Incremental bool
	// MaxDeltasBeforeFull is how many deltas follow a full backup before the
	// next backup is a full one again (default 10; 1000 in continuous
	// mode).
	MaxDeltasBeforeFull int
	// MaxLag, when positive, puts a started Manager in continuous mode:
	// every committed change is in the sink within MaxLag of its commit,
	// plus the write time. Writes are group-committed: the changes pending
	// when a flush starts go into one delta, and nothing is written while
	// nothing changes. Continuous mode implies Incremental; Interval then
	// writes a full backup periodically if anything changed since the last
	// one. Default 0: off.
	MaxLag time.Duration
	// ShutdownTimeout bounds the final flush that Stop makes in continuous
	// mode (default 10 s). A flush that fails or times out goes to
	// OnFailure.
	ShutdownTimeout time.Duration
	// LeaseTTL is how long the lease on the sink's prefix holds without
	// renewal (default 30 s); the manager renews it in the background
	// before then. Negative disables the lease: the manager then lists the
	// sink before each backup to detect another writer, as it does on a
	// sink without conditional writes (see sink.ConditionalSink).
	LeaseTTL time.Duration
	// Compression of the backup objects: CompressionNone (the default, so
	// JSON backups stay readable by the Python DictDB), CompressionZstd or
	// CompressionGzip. It is recorded in each object's name and header.
	Compression Compression
	// Encryption, if set, encrypts every object with age before it reaches
	// the sink.
	Encryption *Encryption
	// Retention, if set, prunes the backup points it does not keep after
	// each full backup, as Prune does. The zero value keeps everything.
	Retention Retention
	// Logger receives a structured record of every backup attempt and
	// prune (default: none). Keys are never logged.
	Logger *slog.Logger
	// OnBackup, if set, is called after every backup attempt that wrote or
	// tried to write an object, successful or not, with no lock held.
	OnBackup func(Event)
	// Now, if set, is the manager's clock (default time.Now): it names the
	// objects (names still strictly increase, whatever it returns) and
	// times the lease. For reproducible names in tests and demos.
	Now func() time.Time
}

// Compression names how backup objects are compressed: see
// catalog.Compression.
type Compression = catalog.Compression

// The compressions.
const (
	CompressionNone = catalog.CompressionNone
	// CompressionZstd is Zstandard (klauspost/compress), the best speed and
	// ratio; objects end in .zst.
	CompressionZstd = catalog.CompressionZstd
	// CompressionGzip is gzip, readable by every tool; objects end in .gz.
	CompressionGzip = catalog.CompressionGzip
)

// Encryption encrypts backup objects with age (filippo.io/age) on the way
// to the sink: no plaintext byte is stored, names aside.
type Encryption struct {
	// Recipients can decrypt the backups: age X25519 public keys
	// (age.ParseRecipients) or one age.NewScryptRecipient for a passphrase.
	Recipients []age.Recipient
	// Identities, optional, let the manager read back the headers of the
	// objects in the sink: to continue a restored database's chain, and to
	// apply Retention (which needs them). They are never logged.
	Identities []age.Identity
}

// EncryptWithPassphrase returns an Encryption with a passphrase: its scrypt
// recipient and identity. Every object then costs one scrypt derivation to
// write and one to read (about a second each with age's default work
// factor); prefer X25519 keys for frequent backups.
func EncryptWithPassphrase(passphrase string) (*Encryption, error) {
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("backup: passphrase: %w", err)
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("backup: passphrase: %w", err)
	}
	return &Encryption{Recipients: []age.Recipient{r}, Identities: []age.Identity{id}}, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.MinInterval == 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.Format == "" {
		o.Format = DefaultFormat
	}
	if err := o.Format.Check(); err != nil {
		return o, fmt.Errorf("backup: options: %w", err)
	}
	if o.MaxLag < 0 {
		return o, fmt.Errorf("backup: options: MaxLag must not be negative, got %v", o.MaxLag)
	}
	if o.MaxLag > 0 {
		o.Incremental = true
		if o.MaxDeltasBeforeFull == 0 {
			o.MaxDeltasBeforeFull = DefaultContinuousMaxDeltasBeforeFull
		}
	}
	if o.MaxDeltasBeforeFull == 0 {
		o.MaxDeltasBeforeFull = DefaultMaxDeltasBeforeFull
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.ShutdownTimeout < 0 {
		return o, fmt.Errorf("backup: options: ShutdownTimeout must not be negative, got %v", o.ShutdownTimeout)
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.LeaseTTL > 0 && o.LeaseTTL < time.Second {
		return o, fmt.Errorf("backup: options: LeaseTTL must be at least 1s (or negative to disable the lease), got %v", o.LeaseTTL)
	}
	if o.MaxDeltasBeforeFull < 0 {
		return o, fmt.Errorf("backup: options: MaxDeltasBeforeFull must not be negative, got %d", o.MaxDeltasBeforeFull)
	}
	if err := o.Compression.Check(); err != nil {
		return o, fmt.Errorf("backup: options: %w", err)
	}
	if o.Encryption != nil && len(o.Encryption.Recipients) == 0 {
		return o, errors.New("backup: options: Encryption needs at least one recipient")
	}
	if err := o.Retention.check(); err != nil {
		return o, fmt.Errorf("backup: options: %w", err)
	}
	if !o.Retention.IsZero() && o.Encryption != nil && len(o.Encryption.Identities) == 0 {
		return o, errors.New("backup: options: Retention with Encryption needs Encryption.Identities to read the backups' headers")
	}
	return o, nil
}
