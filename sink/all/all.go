// Package all registers every sink backend with sink.Open: file (local
// disk), mem, s3, gs and azblob. Import it for its side effect:
//
//	import _ "github.com/dictdb/dictdb-go/sink/all"
package all

import (
	_ "github.com/dictdb/dictdb-go/sink/azure" // azblob://
	_ "github.com/dictdb/dictdb-go/sink/gcs"   // gs://
	_ "github.com/dictdb/dictdb-go/sink/local" // file://
	_ "github.com/dictdb/dictdb-go/sink/mem"   // mem://
	_ "github.com/dictdb/dictdb-go/sink/s3"    // s3://
)
