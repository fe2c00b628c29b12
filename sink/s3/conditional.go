package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"gocloud.dev/blob"

	"github.com/dictdb/dictdb-go/sink"
	"github.com/dictdb/dictdb-go/sink/blobsink"
)

// conditional is S3's part of conditional writes (blobsink.Conditional):
// If-Match on the upload (If-None-Match: * comes from blobsink, through
// gocloud's IfNotExist), which the SDK's transfer manager sends with
// PutObject and, for an upload in parts, with CompleteMultipartUpload,
// where S3 decides; the version is the ETag.
type conditional struct{}

var _ blobsink.Conditional = conditional{}

func (conditional) PrepareWrite(ctx context.Context, match sink.Version) (context.Context, blobsink.WriteHooks, error) {
	ctx, slot := blobsink.WithETagSlot(ctx)
	return ctx, blobsink.WriteHooks{
		BeforeWrite: func(as func(any) bool) error {
			var in *transfermanager.UploadObjectInput
			if !as(&in) {
				return fmt.Errorf("s3: not an s3blob upload: %w", sink.ErrNotSupported)
			}
			if match != "" {
				in.IfMatch = aws.String(string(match))
			}
			return nil
		},
		Version: func() (sink.Version, error) { return slot.Version("s3") },
	}, nil
}

// recordETags is an API option of the S3 client: it hands the ETag of a
// successful PutObject or CompleteMultipartUpload, the requests that store
// an object, to the upload's blobsink.ETagSlot, if its context has one. The
// transfer manager drops the response that gocloud would otherwise get.
func recordETags(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DictdbRecordETag",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			slot, ok := blobsink.ETagSlotFrom(ctx)
			if err != nil || !ok {
				return out, md, err
			}
			var etag *string
			switch o := out.Result.(type) {
			case *awss3.PutObjectOutput:
				etag = o.ETag
			case *awss3.CompleteMultipartUploadOutput:
				etag = o.ETag
			default:
				return out, md, err
			}
			slot.Set(aws.ToString(etag))
			return out, md, err
		}), middleware.After)
}

// ReaderVersion returns the ETag of the GetObject response r reads.
func (conditional) ReaderVersion(r *blob.Reader) (sink.Version, error) {
	var out awss3.GetObjectOutput
	if !r.As(&out) {
		return "", fmt.Errorf("s3: not an s3blob reader: %w", sink.ErrNotSupported)
	}
	if aws.ToString(out.ETag) == "" {
		return "", errors.New("s3: the response had no ETag")
	}
	return sink.Version(aws.ToString(out.ETag)), nil
}

// IsPrecondition recognizes 412 Precondition Failed (gocloud maps it when
// the error code says so); 409 ConditionalRequestConflict, S3's answer to
// an upload racing another conditional write of the key; and 404
// NoSuchKey, its answer to If-Match when there is no object (not
// NoSuchBucket). Nothing was stored.
func (conditional) IsPrecondition(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey":
			return true
		}
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == http.StatusPreconditionFailed
}
