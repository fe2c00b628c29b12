// Command mkbuckets creates the test bucket (or container) on each test
// server named by the environment that scripts/test-servers.sh exports:
// MinIO (DICTDB_S3_ENDPOINT), fake-gcs-server (STORAGE_EMULATOR_HOST) and
// Azurite (DICTDB_AZURE_DOMAIN). A bucket that already exists is fine.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	failed := false
	for name, fn := range map[string]func(context.Context) error{"s3": mkS3, "gcs": mkGCS, "azure": mkAzure} {
		if err := fn(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "mkbuckets: %s: %v\n", name, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func mkS3(ctx context.Context) error {
	endpoint, bucket := os.Getenv("DICTDB_S3_ENDPOINT"), os.Getenv("DICTDB_S3_BUCKET")
	if endpoint == "" {
		return nil
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		return err
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	_, err = client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "BucketAlreadyOwnedByYou" || apiErr.ErrorCode() == "BucketAlreadyExists") {
		return nil
	}
	return err
}

func mkGCS(ctx context.Context) error {
	host, bucket := os.Getenv("STORAGE_EMULATOR_HOST"), os.Getenv("DICTDB_GCS_BUCKET")
	if host == "" {
		return nil
	}
	body := fmt.Sprintf(`{"name": %q}`, bucket)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+host+"/storage/v1/b?project=dictdb", bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusConflict {
		return nil
	}
	return fmt.Errorf("create bucket: %s: %s", resp.Status, msg)
}

func mkAzure(ctx context.Context) error {
	domain, container := os.Getenv("DICTDB_AZURE_DOMAIN"), os.Getenv("DICTDB_AZURE_CONTAINER")
	if domain == "" {
		return nil
	}
	account, key := os.Getenv("AZURE_STORAGE_ACCOUNT"), os.Getenv("AZURE_STORAGE_KEY")
	cred, err := azblob.NewSharedKeyCredential(account, key)
	if err != nil {
		return err
	}
	client, err := azblob.NewClientWithSharedKeyCredential(fmt.Sprintf("http://%s/%s", domain, account), cred, nil)
	if err != nil {
		return err
	}
	_, err = client.CreateContainer(ctx, container, nil)
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) && respErr.ErrorCode == "ContainerAlreadyExists" {
		return nil
	}
	return err
}
