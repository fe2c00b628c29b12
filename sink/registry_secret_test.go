package sink_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/sink"
)

// Errors from Open never repeat a password or a secret parameter.
func TestOpenErrorsHideSecrets(t *testing.T) {
	for _, raw := range []string{
		"nosuch://user:hunter2@host/x?secret_key=hunter2",
		"//user:hunter2@host/x?token=hunter2",
		"s3://user:hunter2@bucket/%zz",
		"mem://?access_key=hunter2",
		// A secret holding a "/" ends the authority early: url.Parse then
		// complains about the "port", quoting what follows the ":".
		"s3://AKIAEXAMPLE:hunter2/rest@bucket/x",
		"file://user:hunter2/rest@/tmp/x",
		// Without "//", user:password is the scheme and the opaque part.
		"user:hunter2@host/x",
		"s3:AKIAEXAMPLE:hunter2@bucket",
		// A parameter whose name holds the secret (an escaped "=").
		"mem://?sig%3Dhunter2",
		"s3://bucket?endpoint=http://admin:hunter2/rest@127.0.0.1:9000",
		"s3://bucket?endpoint=http://admin:hunter2@127.0.0.1:9000",
		"s3://bucket?endpoint=http://127.0.0.1:9000/?X-Amz-Signature=hunter2",
	} {
		_, err := sink.Open(context.Background(), raw)
		require.Error(t, err, raw)
		assert.NotContains(t, err.Error(), "hunter2", raw)
	}
}

// secretParams are names under which a URL may carry a secret: SAS tokens
// (sig, sv, se, sp), presigned S3 URLs, and the usual spellings of keys,
// passwords and tokens. Redact shows none of their values: only the
// parameters it knows to be safe.
var secretParams = []string{
	"sig", "sv", "se", "sp", "skoid", "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token",
	"sas", "sas_token", "SharedAccessSignature", "pwd", "pass", "passwd", "password", "credential",
	"credentials", "auth", "authorization", "token", "access_token", "session_token", "secret",
	"secret_key", "secret_access_key", "client_secret", "key", "access_key", "access_key_id",
	"account_key", "AccountKey", "api_key", "private_key", "passphrase", "Region", "x",
}

// A URL of each registered scheme, to add parameters to.
var schemeURLs = map[string]string{
	"azblob": "azblob://container/p",
	"file":   "file:///tmp/dictdb-none",
	"gs":     "gs://bucket/p",
	"mem":    "mem://",
	"s3":     "s3://bucket/p",
}

func TestRedactShowsOnlySafeParams(t *testing.T) {
	require.ElementsMatch(t, sink.Schemes(), keys(schemeURLs), "a URL for each scheme")
	for _, scheme := range sink.Schemes() {
		for _, name := range secretParams {
			value := "V4lue-of-" + name
			raw := schemeURLs[scheme] + "?region=eu-west-1&" + url.QueryEscape(name) + "=" + value
			u, err := url.Parse(raw)
			require.NoError(t, err)
			got := sink.Redact(u)
			assert.NotContains(t, got, value, raw)
			assert.Contains(t, got, url.QueryEscape(name)+"=xxxxx", raw)
			assert.Contains(t, got, "region=eu-west-1", raw)

			_, err = sink.Open(context.Background(), raw)
			require.Error(t, err, raw)
			assert.NotContains(t, err.Error(), value, raw)
			assert.Contains(t, err.Error(), "region=eu-west-1", raw)
		}
	}
}

func TestRedactSafeParams(t *testing.T) {
	for raw, want := range map[string]string{
		"s3://bucket/p?region=eu-west-1&endpoint=http://127.0.0.1:9000/minio&use_path_style=true&retries=3" +
			"&sse=aws:kms&kms_key_id=arn:aws:kms:eu-west-1:111122223333:key/k1&profile=prod&checksums=when_required&part_size=6291456": "s3://bucket/p?checksums=when_required&endpoint=http://127.0.0.1:9000/minio" +
			"&kms_key_id=arn:aws:kms:eu-west-1:111122223333:key/k1&part_size=6291456&profile=prod&region=eu-west-1&retries=3&sse=aws:kms&use_path_style=true",
		"azblob://c/p?storage_account=acct&domain=127.0.0.1:10000&protocol=http&localemu=true&cdn=false": "azblob://c/p?cdn=false&domain=127.0.0.1:10000&localemu=true&protocol=http&storage_account=acct",
		"gs://b/p?anonymous=true&part_size=262144":                                                       "gs://b/p?anonymous=true&part_size=262144",
		// Credentials nested in a value, a fragment, an empty value.
		"s3://b?endpoint=http://admin:pw@127.0.0.1:9000&region=eu-west-1": "s3://b?endpoint=http://xxxxx:xxxxx@127.0.0.1:9000&region=eu-west-1",
		"s3://b?endpoint=https://admin@minio.example:9000/x":              "s3://b?endpoint=https://xxxxx@minio.example:9000/x",
		"s3://b?endpoint=http://h:9000/?X-Amz-Signature=abc":              "s3://b?endpoint=http://h:9000/?X-Amz-Signature%3Dxxxxx",
		"s3://b?endpoint=http://a:b/c@h:9000":                             "s3://b?endpoint=xxxxx",
		"azblob://c?domain=user:pw@127.0.0.1:10000":                       "azblob://c?domain=xxxxx@127.0.0.1:10000",
		"s3://b?profile=me@example.com":                                   "s3://b?profile=xxxxx@example.com",
		"azblob://c?domain=127.0.0.1:10000/x?sig=abc":                     "azblob://c?domain=xxxxx",
		"s3://b/p#sig=abc": "s3://b/p",
		// An empty authority stays as written.
		"s3://":         "s3://",
		"mem://":        "mem://",
		"s3://b/p?sig=": "s3://b/p?sig=",
		// The URL's own user info: name and password.
		"s3://AKIAEXAMPLE:pw@bucket/p": "s3://xxxxx:xxxxx@bucket/p",
		"s3://AKIAEXAMPLE@bucket/p":    "s3://xxxxx@bucket/p",
		"user:pw@host/x":               "user:xxxxx@host/x",
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err, raw)
		assert.Equal(t, want, sink.Redact(u), raw)
	}
}

// Secrets lists what Redact hides, for scrubbing text that may quote it.
func TestSecrets(t *testing.T) {
	u, err := url.Parse("s3://AKIAEXAMPLE:pw1@bucket/p?region=eu&sig=s1&endpoint=http://admin:pw2@h:9000/?token=s2")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"AKIAEXAMPLE", "pw1", "s1", "admin", "pw2", "s2"}, sink.Secrets(u))
	u, err = url.Parse("user:pw3@host/x")
	require.NoError(t, err)
	assert.Equal(t, []string{"pw3"}, sink.Secrets(u))
}

// Credentials in a URL's user info are never silently ignored: Open refuses
// them for every scheme, and says where credentials go instead.
func TestOpenRefusesUserInfo(t *testing.T) {
	where := map[string]string{
		"s3":     "AWS_ACCESS_KEY_ID",
		"gs":     "GOOGLE_APPLICATION_CREDENTIALS",
		"azblob": "AZURE_STORAGE_KEY",
		"file":   "file:// URLs take no credentials",
		"mem":    "mem:// URLs take no credentials",
	}
	for _, scheme := range sink.Schemes() {
		for _, userinfo := range []string{"AKIAEXAMPLE:S3cr3t-pw@", "AKIAEXAMPLE@", "AKIAEXAMPLE:@", "AKIAEXAMPLE:S3cr3t%2Fpw@"} {
			base := schemeURLs[scheme]
			raw := strings.Replace(base, "://", "://"+userinfo, 1)
			if scheme == "file" {
				raw = "file://" + userinfo + "/tmp/dictdb-none"
			}
			s, err := sink.Open(context.Background(), raw)
			require.Error(t, err, raw)
			assert.Nil(t, s)
			assert.ErrorIs(t, err, sink.ErrCredentialsInURL, raw)
			msg := err.Error()
			assert.Contains(t, msg, "environment", raw)
			assert.Contains(t, msg, where[scheme], raw)
			for _, secret := range []string{"S3cr3t", "AKIAEXAMPLE"} {
				assert.NotContains(t, msg, secret, raw)
			}
		}
	}
	// Credentials in a URL nested in a parameter are refused too.
	_, err := sink.Open(context.Background(), "s3://bucket?endpoint=http://admin:S3cr3t@127.0.0.1:9000&region=eu-west-1")
	require.ErrorIs(t, err, sink.ErrCredentialsInURL)
	assert.NotContains(t, err.Error(), "S3cr3t")
	assert.NotContains(t, err.Error(), "admin")
	assert.Contains(t, err.Error(), "AWS_ACCESS_KEY_ID")
	assert.Contains(t, err.Error(), "region=eu-west-1")
}

// A parse error says what is wrong without quoting the URL.
func TestParse(t *testing.T) {
	u, err := sink.Parse("s3://bucket/p?region=eu-west-1")
	require.NoError(t, err)
	assert.Equal(t, "bucket", u.Host)
	for raw, want := range map[string]string{
		"s3://AKIAEXAMPLE:S3cr3t/x@bucket": "invalid port after host",
		"file:///tmp/%zzS3cr3t":            "invalid URL escape",
		"s3://b\x7fS3cr3t":                 "invalid control character",
		"s3://[::1S3cr3t/p":                "missing ']' in host",
	} {
		_, err := sink.Parse(raw)
		require.Error(t, err, raw)
		assert.Contains(t, err.Error(), want, raw)
		assert.NotContains(t, err.Error(), "S3cr3t", raw)
		assert.NotContains(t, err.Error(), "AKIAEXAMPLE", raw)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
