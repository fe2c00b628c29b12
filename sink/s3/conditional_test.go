package s3

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
)

// Which of S3's refusals of a conditional upload mean that its condition
// did not hold, nothing being stored.
func TestIsPrecondition(t *testing.T) {
	for code, want := range map[string]bool{
		"PreconditionFailed":         true, // 412
		"ConditionalRequestConflict": true, // 409: raced another conditional write
		"NoSuchKey":                  true, // 404: If-Match, and no object
		"NoSuchBucket":               false,
		"AccessDenied":               false,
		"InternalError":              false,
	} {
		err := fmt.Errorf("put: %w", &smithy.GenericAPIError{Code: code})
		assert.Equal(t, want, conditional{}.IsPrecondition(err), code)
	}
	assert.False(t, conditional{}.IsPrecondition(errors.New("connection reset")))
}
