package gcs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"cloud.google.com/go/storage"
	"gocloud.dev/blob"
	"google.golang.org/api/googleapi"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/blobsink"
)

// conditional is GCS's part of conditional writes (blobsink.Conditional):
// a compare-and-swap is the upload's ifGenerationMatch precondition (a
// create-if-absent, ifGenerationMatch=0, comes from blobsink through
// gocloud's IfNotExist), and the version is the object's generation, which
// every write of it changes.
type conditional struct{}

var _ blobsink.Conditional = conditional{}

func (conditional) PrepareWrite(ctx context.Context, match sink.Version) (context.Context, blobsink.WriteHooks, error) {
	var gen int64
	if match != "" {
		var err error
		if gen, err = strconv.ParseInt(string(match), 10, 64); err != nil || gen <= 0 {
			return nil, blobsink.WriteHooks{}, fmt.Errorf("gcs: %q is no generation: %w", match, sink.ErrPrecondition)
		}
	}
	var w *storage.Writer
	return ctx, blobsink.WriteHooks{
		BeforeWrite: func(as func(any) bool) error {
			var obj **storage.ObjectHandle // before the writer, as gcsblob asks
			if !as(&obj) {
				return fmt.Errorf("gcs: not a gcsblob upload: %w", sink.ErrNotSupported)
			}
			if gen != 0 {
				*obj = (*obj).If(storage.Conditions{GenerationMatch: gen})
			}
			if !as(&w) {
				return fmt.Errorf("gcs: not a gcsblob upload: %w", sink.ErrNotSupported)
			}
			return nil
		},
		Version: func() (sink.Version, error) {
			attrs := w.Attrs()
			if attrs == nil || attrs.Generation == 0 {
				return "", errors.New("gcs: the upload's response had no generation")
			}
			return sink.Version(strconv.FormatInt(attrs.Generation, 10)), nil
		},
	}, nil
}

// ReaderVersion returns the generation of the object r reads, from the
// response that carries its bytes.
func (conditional) ReaderVersion(r *blob.Reader) (sink.Version, error) {
	var sr *storage.Reader
	if !r.As(&sr) {
		return "", fmt.Errorf("gcs: not a gcsblob reader: %w", sink.ErrNotSupported)
	}
	if sr.Attrs.Generation == 0 {
		return "", errors.New("gcs: the response had no generation")
	}
	return sink.Version(strconv.FormatInt(sr.Attrs.Generation, 10)), nil
}

// IsPrecondition recognizes 412 Precondition Failed, also when gocloud
// does not (it looks for a *googleapi.Error only at the top of the chain).
func (conditional) IsPrecondition(err error) bool {
	var gerr *googleapi.Error
	return errors.As(err, &gerr) && gerr.Code == http.StatusPreconditionFailed
}
