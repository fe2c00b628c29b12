package backup

import (
	"context"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/internal/object"
)

// encoding returns how the manager stores objects.
func (m *Manager) encoding() catalog.Encoding {
	return catalog.Encoding{Format: m.opts.Format, Compression: m.opts.Compression, Encrypted: m.opts.Encryption != nil}
}

// writeObject returns the function that streams an object into w: encode
// writes the content, which goes through the checksum, the compression and
// the encryption.
func (m *Manager) writeObject(encode func(io.Writer) error) func(io.Writer) error {
	return func(w io.Writer) error {
		var recipients []age.Recipient
		if m.opts.Encryption != nil {
			recipients = m.opts.Encryption.Recipients
		}
		enc := m.encoding()
		ow, err := object.NewWriter(w, object.Layers{Compression: object.Compression(enc.Compression), Encrypted: enc.Encrypted}, recipients)
		if err != nil {
			return err
		}
		if err := encode(ow); err != nil {
			return err
		}
		return ow.Close()
	}
}

// identities returns the identities that open the manager's own objects.
func (m *Manager) identities() []age.Identity {
	if m.opts.Encryption == nil {
		return nil
	}
	return m.opts.Encryption.Identities
}

// put streams what encode writes into the sink under key. The reader it
// passes can start over (io.Seeker), by encoding again, so a retrying sink
// can retry the upload.
func (m *Manager) put(ctx context.Context, key string, encode func(io.Writer) error) error {
	m.attempted[key] = true // even a failed put may have stored the object
	er := &encodingReader{encode: encode}
	er.start()
	cr := &countingReader{r: er}
	err := m.sink.Put(ctx, key, cr)
	m.attempt.bytes = cr.n
	if eerr := er.close(); eerr != nil {
		return fmt.Errorf("backup: encode %s: %w", key, eerr)
	}
	if err != nil {
		return fmt.Errorf("backup: put %s: %w", key, err)
	}
	return nil
}

// encodingReader reads what an encoder writes, through a buffered pipe fed
// by a goroutine, so that encoding and the sink's writing overlap.
// Seek(0, io.SeekStart) stops the encoder and starts it again.
type encodingReader struct {
	encode func(io.Writer) error
	pipe   *chunkPipe
	done   chan error
}

var errReaderDone = errors.New("backup: reader closed")

func (e *encodingReader) start() {
	p := newChunkPipe()
	done := make(chan error, 1)
	go func() {
		err := e.encode(p)
		p.closeWrite(err)
		done <- err
	}()
	e.pipe, e.done = p, done
}

// stop ends the current encoding and returns its error, if it was not
// caused by the stop.
func (e *encodingReader) stop() error {
	e.pipe.stop() // unblocks the encoder if nobody reads
	if err := <-e.done; err != nil && !errors.Is(err, errReaderDone) {
		return err
	}
	return nil
}

func (e *encodingReader) Read(p []byte) (int, error) { return e.pipe.Read(p) }

// WriteTo writes the encoding to w chunk by chunk, with no copy.
func (e *encodingReader) WriteTo(w io.Writer) (int64, error) { return e.pipe.WriteTo(w) }

// Seek supports only Seek(0, io.SeekStart): encoding starts over.
func (e *encodingReader) Seek(offset int64, whence int) (int64, error) {
	if offset != 0 || whence != io.SeekStart {
		return 0, errors.New("backup: encoding reader can only seek to its start")
	}
	if err := e.stop(); err != nil {
		return 0, err
	}
	e.start()
	return 0, nil
}

func (e *encodingReader) close() error { return e.stop() }
