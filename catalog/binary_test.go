package catalog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dictdb/dictdb-go/catalog"
	"github.com/dictdb/dictdb-go/dictdb"
	"github.com/dictdb/dictdb-go/internal/object"
)

// The CBOR (dictdb.FormatBinary) side of the checksum and the header
// reading.

func binaryHeaders() (full, delta catalog.Header) {
	full = catalog.Header{Kind: catalog.Full, Version: catalog.FormatVersion, Codec: dictdb.FormatBinary, Chain: "c0ffee", Seq: 7, Timestamp: 1700000000.123456}
	delta = catalog.Header{Kind: catalog.Delta, Version: catalog.FormatVersion, Codec: dictdb.FormatBinary, Chain: "c0ffee",
		Base: "dictdb_backup_1700000000_123456.cbor", FromSeq: 7, Seq: 12, Timestamp: 1700000001.5}
	return full, delta
}

// sealed streams doc through a ChecksumWriter in writes of chunk bytes.
func sealed(t *testing.T, doc []byte, chunk int) []byte {
	t.Helper()
	var buf bytes.Buffer
	cw := object.NewChecksumWriter(&buf)
	for i := 0; i < len(doc); i += chunk {
		end := min(i+chunk, len(doc))
		n, err := cw.Write(doc[i:end])
		require.NoError(t, err)
		require.Equal(t, end-i, n)
	}
	require.NoError(t, cw.Close())
	return buf.Bytes()
}

// trailerLen is the length of the CBOR checksum trailer: text "checksum"
// (9 bytes), byte string of 32 (34 bytes) and the break.
const trailerLen = 9 + 34 + 1

// readAll reads data through a VerifyingReader in 1-byte reads.
func readAll(data []byte) (*object.VerifyingReader, []byte, error) {
	vr := object.NewVerifyingReader(iotest.OneByteReader(bytes.NewReader(data)))
	got, err := io.ReadAll(vr)
	return vr, got, err
}

func TestChecksumBinaryRoundTrip(t *testing.T) {
	full, delta := binaryHeaders()
	for _, h := range []catalog.Header{full, delta} {
		doc := encodeObject(t, h)
		require.Equal(t, dictdb.BinaryMagic+"\xbf", string(doc[:4]))
		require.Equal(t, byte(0xff), doc[len(doc)-1])
		for _, chunk := range []int{1, 2, 3, 7, 1000, len(doc)} {
			out := sealed(t, doc, chunk)
			require.Len(t, out, len(doc)-1+trailerLen)
			require.Equal(t, doc[:len(doc)-1], out[:len(doc)-1], "the content passes unchanged")
			sum := sha256.Sum256(doc[:len(doc)-1])
			assert.Equal(t, "\x68checksum\x58\x20"+string(sum[:])+"\xff", string(out[len(doc)-1:]))

			vr, got, err := readAll(out)
			require.NoError(t, err)
			assert.Equal(t, out, got)
			assert.True(t, vr.Checked())
			assert.NoError(t, vr.Err())
			assert.Equal(t, int64(len(out)), vr.BytesRead())
		}

		// Still one CBOR map that another library reads, with the digest
		// as a byte string.
		out := sealed(t, doc, 4096)
		var v map[string]any
		dm, err := cbor.DecOptions{DefaultMapType: reflect.TypeOf(map[string]any(nil))}.DecMode()
		require.NoError(t, err)
		require.NoError(t, dm.Unmarshal(out, &v))
		sum := sha256.Sum256(doc[:len(doc)-1])
		assert.Equal(t, sum[:], v["checksum"])
		assert.Contains(t, v, "tables")

		// Our decoders accept the field and report it as the JSON format
		// does, "sha256:<hex>".
		var meta dictdb.Meta
		if h.Kind == catalog.Delta {
			_, meta, err = dictdb.DecodeDelta(bytes.NewReader(out), dictdb.FormatBinary)
		} else {
			_, meta, err = dictdb.LoadMeta(bytes.NewReader(out), dictdb.FormatBinary)
		}
		require.NoError(t, err)
		assert.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), meta["checksum"])

		// Through the whole pipeline: Scan with the verifying reader.
		vr := object.NewVerifyingReader(bytes.NewReader(out))
		got, err := catalog.Scan(h.Kind, vr)
		require.NoError(t, err)
		assert.Equal(t, h, got)
		assert.True(t, vr.Checked())
	}
}

func TestChecksumBinaryDetectsEveryFlip(t *testing.T) {
	full, _ := binaryHeaders()
	doc := encodeObject(t, full)
	out := sealed(t, doc, 100)
	trailerAt := len(out) - trailerLen
	for i := range out {
		bad := bytes.Clone(out)
		bad[i] ^= 0x01
		vr, _, err := readAll(bad)
		switch {
		case i > 0 && i < trailerAt || (i >= trailerAt+11 && i < len(out)-1):
			// The content or the digest: a mismatch.
			require.ErrorIs(t, err, object.ErrChecksum, "flip at %d", i)
			require.ErrorIs(t, vr.Err(), object.ErrChecksum)
			assert.True(t, vr.Checked())
		default:
			// The first byte (no longer CBOR) or the trailer's own
			// structure: no trailer any more, reported as not checked (and
			// the decoder rejects what is left).
			require.NoError(t, err, "flip at %d", i)
			assert.False(t, vr.Checked(), "flip at %d", i)
			_, _, lerr := dictdb.LoadMeta(bytes.NewReader(bad), dictdb.FormatBinary)
			require.ErrorIs(t, lerr, dictdb.ErrCorrupt, "flip at %d", i)
		}
	}
}

func TestChecksumBinaryMissing(t *testing.T) {
	full, _ := binaryHeaders()
	doc := encodeObject(t, full)

	vr, _, err := readAll(doc)
	require.NoError(t, err, "no trailer: an object written without a checksum")
	assert.False(t, vr.Checked())
	assert.NoError(t, vr.Err())

	out := sealed(t, doc, 64)
	vr, _, err = readAll(out[:len(out)-10])
	require.NoError(t, err, "a truncated trailer is left to the decoder")
	assert.False(t, vr.Checked())

	_, err = catalog.Scan(catalog.Full, object.NewVerifyingReader(bytes.NewReader(out[:len(out)-10])))
	require.ErrorIs(t, err, catalog.ErrTruncated)

	// The writer refuses what is not a CBOR object it can seal.
	for name, bad := range map[string]string{
		"definite-length map":   dictdb.BinaryMagic + "\xa0",
		"no break at the end":   dictdb.BinaryMagic + "\xbf\x61a\x01",
		"tag only":              dictdb.BinaryMagic,
		"first byte of the tag": "\xd9",
	} {
		cw := object.NewChecksumWriter(io.Discard)
		_, err := cw.Write([]byte(bad))
		require.NoError(t, err)
		require.Error(t, cw.Close(), name)
	}
	require.Error(t, object.NewChecksumWriter(io.Discard).Close(), "nothing written")
}

// TestChecksumJSONOneByteWrites: the JSON behaviour is unchanged, also for
// 1-byte writes of a document of either parity.
func TestChecksumJSONOneByteWrites(t *testing.T) {
	for _, doc := range []string{`{"tables": {}}` + "\n", `{"tables": {} }` + "\n"} {
		out := string(sealed(t, []byte(doc), 1))
		sum := sha256.Sum256([]byte(doc[:len(doc)-2]))
		assert.Equal(t, doc[:len(doc)-2]+`, "checksum": "sha256:`+hex.EncodeToString(sum[:])+`"}`+"\n", out)
		vr, _, err := readAll([]byte(out))
		require.NoError(t, err)
		assert.True(t, vr.Checked())
	}
}

func TestReadHeaderBinary(t *testing.T) {
	full, delta := binaryHeaders()
	for _, h := range []catalog.Header{full, delta} {
		doc := encodeObject(t, h)
		got, err := catalog.DecodeHeader(h.Kind, bytes.NewReader(doc))
		require.NoError(t, err)
		assert.Equal(t, h, got)

		got, err = catalog.Scan(h.Kind, iotest.OneByteReader(bytes.NewReader(doc)))
		require.NoError(t, err)
		assert.Equal(t, h, got)

		// ReadHeader stops at "tables": it never reads the payload.
		at := bytes.Index(doc, []byte("\x66tables"))
		require.Positive(t, at)
		boom := errors.New("payload read")
		r := io.MultiReader(bytes.NewReader(doc[:at+7]), iotest.ErrReader(boom))
		got, err = catalog.DecodeHeader(h.Kind, iotest.OneByteReader(r))
		require.NoError(t, err)
		assert.Equal(t, h, got)
		r = io.MultiReader(bytes.NewReader(doc[:at+7]), iotest.ErrReader(boom))
		_, err = catalog.Scan(h.Kind, r)
		require.ErrorIs(t, err, boom, "Scan reads everything")

		// Header values have the JSON decoder's Go types.
		meta := dictdb.Meta{}
		if h.Kind == catalog.Delta {
			_, meta, err = dictdb.DecodeDelta(bytes.NewReader(doc), dictdb.FormatBinary)
		} else {
			_, meta, err = dictdb.LoadMeta(bytes.NewReader(doc), dictdb.FormatBinary)
		}
		require.NoError(t, err)
		assert.IsType(t, int64(0), meta["format_version"])
		assert.IsType(t, int64(0), meta["sequence"])
		assert.IsType(t, float64(0), meta["timestamp"])
		assert.IsType(t, "", meta["chain"])

		for i := range len(doc) - 1 {
			_, err := catalog.Scan(h.Kind, bytes.NewReader(doc[:i]))
			require.Error(t, err, "cut at %d", i)
		}
	}
}

func TestScanBinaryRejects(t *testing.T) {
	full, _ := binaryHeaders()
	doc := encodeObject(t, full)
	cases := map[string][]byte{
		"trailing data":  append(bytes.Clone(doc), 0x00),
		"not a map":      []byte(dictdb.BinaryMagic + "\x80"),
		"integer key":    []byte(dictdb.BinaryMagic + "\xbf\x01\x01\xff"),
		"tag in header":  []byte(dictdb.BinaryMagic + "\xbf\x65chain\xc1\x01\xff"),
		"bad UTF-8":      []byte(dictdb.BinaryMagic + "\xbf\x65chain\x61\xff\xff"),
		"int overflow":   []byte(dictdb.BinaryMagic + "\xbf\x68sequence\x1b\x80\x00\x00\x00\x00\x00\x00\x00\xff"),
		"deep in tables": append([]byte(dictdb.BinaryMagic+"\xbf\x66tables"), bytes.Repeat([]byte{0x81}, 1000)...),
	}
	for name, data := range cases {
		_, err := catalog.Scan(catalog.Full, bytes.NewReader(data))
		require.Error(t, err, name)
	}
	_, err := catalog.Scan(catalog.Full, bytes.NewReader(doc[:len(doc)/2]))
	require.ErrorIs(t, err, catalog.ErrTruncated)
}

// FuzzScanBinary: reading the header of any bytes, or scanning them through
// a VerifyingReader, never panics; what Scan accepts is complete, so
// ReadHeader never finds it truncated; the encoders' objects read back with
// the same header both ways.
func FuzzScanBinary(f *testing.F) {
	full, delta := binaryHeaders()
	for _, h := range []catalog.Header{full, delta} {
		doc := encodeObject(f, h)
		var buf bytes.Buffer
		cw := object.NewChecksumWriter(&buf)
		_, err := cw.Write(doc)
		require.NoError(f, err)
		require.NoError(f, cw.Close())
		for _, data := range [][]byte{doc, buf.Bytes()} {
			got, err := catalog.Scan(h.Kind, bytes.NewReader(data))
			require.NoError(f, err)
			require.Equal(f, h, got)
			got, err = catalog.DecodeHeader(h.Kind, bytes.NewReader(data))
			require.NoError(f, err)
			require.Equal(f, h, got)
		}
		f.Add(doc)
		f.Add(buf.Bytes())
		f.Add(doc[:len(doc)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []catalog.Kind{catalog.Full, catalog.Delta} {
			vr := object.NewVerifyingReader(bytes.NewReader(data))
			_, err := catalog.Scan(kind, vr)
			_, herr := catalog.DecodeHeader(kind, bytes.NewReader(data))
			if err == nil {
				require.NotErrorIs(t, herr, catalog.ErrTruncated)
			}
		}
	})
}
