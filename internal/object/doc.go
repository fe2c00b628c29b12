// Package object is the byte pipeline of stored backup objects: the
// checksum trailer of their content, then compression, then age
// encryption, streaming both ways. What the bytes mean (names, headers,
// chains) is package catalog's.
package object
