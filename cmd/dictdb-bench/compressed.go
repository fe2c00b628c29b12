package main

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"github.com/dictdb/dictdb-go/backup"
	"github.com/dictdb/dictdb-go/dictdb"
)

// compressedBackups measures full JSON backups compressed with zstd, and
// compressed then encrypted with age (X25519), against the compressor (and
// the encryption) alone on the same bytes plus a raw put of the result:
// what the backup adds on top of the compressor.
func (b *bench) compressedBackups() error {
	var plain bytes.Buffer
	if err := b.db.Save(&plain, dictdb.FormatJSON); err != nil {
		return err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		enc  *backup.Encryption
	}{
		{"zstd", nil},
		{"zstd+age", &backup.Encryption{Recipients: []age.Recipient{id.Recipient()}}},
	} {
		s := b.sink("full-" + c.name)
		m, err := backup.NewManager(b.db, s, backup.Options{Interval: -1, Compression: backup.CompressionZstd, Encryption: c.enc})
		if err != nil {
			return err
		}
		var ours, alone time.Duration
		var stored int
		for r := 0; r < b.cfg.Repeats; r++ {
			runtime.GC()
			d, err := timed(func() error { return m.BackupFull(b.ctx) })
			if err != nil {
				m.Stop()
				return err
			}
			ours = minD(ours, d)
			runtime.GC()
			d, err = timed(func() error {
				var out bytes.Buffer
				var w io.Writer = &out
				var aw io.WriteCloser
				if c.enc != nil {
					if aw, err = age.Encrypt(&out, c.enc.Recipients...); err != nil {
						return err
					}
					w = aw
				}
				zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(8<<20))
				if err != nil {
					return err
				}
				if _, err := zw.Write(plain.Bytes()); err != nil {
					return err
				}
				if err := zw.Close(); err != nil {
					return err
				}
				if aw != nil {
					if err := aw.Close(); err != nil {
						return err
					}
				}
				stored = out.Len()
				return s.Put(b.ctx, "raw.bin", &out)
			})
			if err != nil {
				m.Stop()
				return err
			}
			alone = minD(alone, d)
		}
		m.Stop()
		if err := s.clear(b.ctx); err != nil {
			return err
		}
		ratio := alone.Seconds() / ours.Seconds()
		mbps := func(d time.Duration) float64 { return float64(plain.Len()) / 1e6 / d.Seconds() }
		b.add(row{
			Name: "full backup json " + c.name + " vs the compressor alone", Unit: "MB/s",
			Ours: mbps(ours), Baseline: mbps(alone), Ratio: ratio, RatioIs: "ours/baseline rate",
			Target: ">= 0.50", Met: met(ratio >= 0.5),
			OursText:     fmt.Sprintf("%.0f MB/s of JSON, %.0f MB stored", mbps(ours), float64(stored)/1e6),
			BaselineText: fmt.Sprintf("%s alone, then a put: %.0f MB/s", c.name, mbps(alone)),
		})
	}
	return nil
}
