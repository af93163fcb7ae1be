module github.com/stepup-auth/stepup

go 1.26.0

require (
	github.com/fxamacker/cbor/v2 v2.10.0
	github.com/goccy/go-yaml v1.19.2
	github.com/hashicorp/go-memdb v1.3.5
	golang.org/x/sys v0.49.0
)

require (
	github.com/hashicorp/go-immutable-radix v1.3.1 // indirect
	github.com/hashicorp/golang-lru v0.5.4 // indirect
	github.com/x448/float16 v0.8.4 // indirect
)
