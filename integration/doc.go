// Package integration holds the tests that run against real object-store
// servers: MinIO, fake-gcs-server and Azurite. They are behind the
// "integration" build tag:
//
//	scripts/test-servers.sh up
//	eval "$(scripts/test-servers.sh env)"
//	go test -tags integration ./integration/
//	scripts/test-servers.sh down
//
// scripts/test.sh does all of this. Without a server's environment a test
// skips with a message saying how to run it; with
// DICTDB_REQUIRE_INTEGRATION=1 (CI) a skip is a failure.
package integration
