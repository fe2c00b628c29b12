package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"gocloud.dev/blob"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/blobsink"
)

// conditional is Azure's part of conditional writes
// (blobsink.Conditional): If-Match on the upload (If-None-Match: * comes
// from blobsink, through gocloud's IfNotExist), which the SDK sends with
// Put Blob or, for an upload in blocks, with Put Block List, where Azure
// decides; the version is the ETag, which every write changes.
type conditional struct{}

var _ blobsink.Conditional = conditional{}

func (conditional) PrepareWrite(ctx context.Context, match sink.Version) (context.Context, blobsink.WriteHooks, error) {
	ctx, slot := blobsink.WithETagSlot(ctx)
	return ctx, blobsink.WriteHooks{
		BeforeWrite: func(as func(any) bool) error {
			var opts *azblob.UploadStreamOptions
			if !as(&opts) {
				return fmt.Errorf("azure: not an azureblob upload: %w", sink.ErrNotSupported)
			}
			if match != "" {
				etag := azcore.ETag(match)
				opts.AccessConditions = &azblob.AccessConditions{
					ModifiedAccessConditions: &azblobblob.ModifiedAccessConditions{IfMatch: &etag},
				}
			}
			return nil
		},
		Version: func() (sink.Version, error) { return slot.Version("azure") },
	}, nil
}

// recordETags is a per-call policy of the container client: it hands the
// ETag of a successful Put Blob or Put Block List, the requests that store
// a blob, to the upload's blobsink.ETagSlot, if its context has one. The SDK's
// UploadStream returns the response, but gocloud drops it.
type recordETags struct{}

func (recordETags) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err != nil || resp == nil || resp.StatusCode != http.StatusCreated || req.Raw().Method != http.MethodPut {
		return resp, err
	}
	slot, ok := blobsink.ETagSlotFrom(req.Raw().Context())
	if !ok {
		return resp, err
	}
	switch req.Raw().URL.Query().Get("comp") {
	case "", "blocklist": // Put Blob, Put Block List; not Put Block (comp=block)
		slot.Set(resp.Header.Get("ETag"))
	}
	return resp, err
}

// ReaderVersion returns the ETag of the download response r reads.
func (conditional) ReaderVersion(r *blob.Reader) (sink.Version, error) {
	var resp azblobblob.DownloadStreamResponse
	if !r.As(&resp) {
		return "", fmt.Errorf("azure: not an azureblob reader: %w", sink.ErrNotSupported)
	}
	if resp.ETag == nil || *resp.ETag == "" {
		return "", errors.New("azure: the response had no ETag")
	}
	return sink.Version(*resp.ETag), nil
}

// IsPrecondition recognizes 412 Condition Not Met and 409 Blob Already
// Exists, also when gocloud does not map them (it maps their error codes),
// and 404 Blob Not Found, were an If-Match upload of a missing blob
// answered so (Azurite answers 412); a missing container is another code.
func (conditional) IsPrecondition(err error) bool {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	switch {
	case re.StatusCode == http.StatusPreconditionFailed:
		return true
	case re.StatusCode == http.StatusConflict:
		return re.ErrorCode == "BlobAlreadyExists"
	case re.StatusCode == http.StatusNotFound:
		return re.ErrorCode == "BlobNotFound"
	}
	return false
}
