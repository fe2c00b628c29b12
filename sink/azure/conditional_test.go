package azure

import (
	"errors"
	"fmt"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/stretchr/testify/assert"
)

// Which of Azure's refusals of a conditional upload mean that its
// condition did not hold, nothing being stored.
func TestIsPrecondition(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
		want   bool
	}{
		{412, "ConditionNotMet", true},
		{409, "BlobAlreadyExists", true},
		{404, "BlobNotFound", true},
		{404, "ContainerNotFound", false},
		{409, "LeaseIdMissing", false},
		{403, "AuthenticationFailed", false},
		{500, "InternalError", false},
	} {
		err := fmt.Errorf("put: %w", &azcore.ResponseError{StatusCode: c.status, ErrorCode: c.code})
		assert.Equal(t, c.want, conditional{}.IsPrecondition(err), "%d %s", c.status, c.code)
	}
	assert.False(t, conditional{}.IsPrecondition(errors.New("connection reset")))
}
