module github.com/dictdb/dictdb-go

go 1.26.8

require (
	github.com/google/btree v1.1.3 // indirect
	github.com/hashicorp/errwrap v1.0.0 // indirect
	github.com/hashicorp/go-multierror v1.1.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)
